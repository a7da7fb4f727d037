// The benchmark's assignment: bench/stats, five stdin/stdout tests of a Python program, and a
// class whose submissions mix right, wrong and crashing solutions with known grades.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace gradeq::bench {

struct TestCase {
  std::string name;
  std::string stdin_text;
  std::string expected;
  int points;
};

// The five tests, in spec order.
const std::vector<TestCase>& tests();

struct Grade {
  double score = 0;
  std::vector<std::string> failed;  // spec order
  bool operator==(const Grade& o) const { return score == o.score && failed == o.failed; }
};
std::string describe(const Grade& g);

struct Variant {
  std::string name;  // right, wrong, crashing
  std::string code;  // stats.py
  Grade expected;
};

// Student i submits variant_of(i): of every ten, five right, three wrong, two crashing.
const Variant& variant_of(int i);
std::string student_name(int i);  // s00000 ...

class Workload {
 public:
  // Writes the spec and, lazily, the class folders under `dir` (created, removed at destruction).
  explicit Workload(std::filesystem::path dir, std::string assignment = "stats");
  ~Workload();
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  std::string assignment() const { return "bench/" + assignment_; }  // COURSE/ASSIGNMENT
  const std::filesystem::path& spec() const { return spec_; }
  // A folder of students s00000 .. s<first+n-1>, from `first` (submit-batch's layout).
  std::filesystem::path batch(int n, int first = 0);
  // One variant's stats.py, for single submissions.
  std::filesystem::path single(int student);
  // What every student s<first> .. s<first+n-1> must get.
  static std::map<std::string, Grade> expected(int n, int first = 0);

 private:
  std::filesystem::path dir_;
  std::string assignment_;
  std::filesystem::path spec_;
};

}  // namespace gradeq::bench
