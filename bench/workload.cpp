#include "workload.hpp"

#include <cstdio>
#include <fstream>
#include <system_error>

namespace gradeq::bench {

namespace fs = std::filesystem;

namespace {

std::string one_to_thousand() {
  std::string text;
  for (int i = 1; i <= 1000; ++i) text += std::to_string(i) + (i % 20 ? " " : "\n");
  return text;
}

// A generous time limit: on a loaded 2-core machine a 50 ms Python start can be starved (student
// processes run under SCHED_IDLE), and a time_limit would fail the grade check for a reason that
// is not the pipeline's. A run takes ~0.1 s whatever the limit.
const char* const kSpec = R"(course: bench
assignment: ASSIGNMENT
language: python
files: [stats.py]
run: python3 stats.py
limits:
  time_s: 10
tests:
)";

}  // namespace

const std::vector<TestCase>& tests() {
  static const std::vector<TestCase> t{
      {"small", "1 2 3\n", "6 1 3\n", 1},
      {"negative", "-4 -2 -9\n", "-15 -9 -2\n", 2},
      {"single", "7\n", "7 7 7\n", 1},
      {"many", one_to_thousand(), "500500 1 1000\n", 2},
      {"mixed", "5 -3 0 12 -8\n", "6 -8 12\n", 2},
  };
  return t;
}

std::string describe(const Grade& g) {
  std::string text = std::to_string(g.score) + " failed [";
  for (std::size_t i = 0; i < g.failed.size(); ++i) text += (i ? "," : "") + g.failed[i];
  return text + "]";
}

const Variant& variant_of(int i) {
  static const std::vector<Variant> v{
      {"right", "import sys\nxs = [int(t) for t in sys.stdin.read().split()]\nprint(sum(xs), min(xs), max(xs))\n",
       {8, {}}},
      // abs() breaks the tests with negative numbers.
      {"wrong", "import sys\nxs = [abs(int(t)) for t in sys.stdin.read().split()]\nprint(sum(xs), min(xs), max(xs))\n",
       {4, {"negative", "mixed"}}},
      {"crashing", "import sys\nxs = sys.stdin.read().split()\nprint(xs[100000])\n",
       {0, {"small", "negative", "single", "many", "mixed"}}},
  };
  static const int pattern[10] = {0, 1, 0, 2, 0, 1, 0, 1, 0, 2};
  return v[static_cast<std::size_t>(pattern[i % 10])];
}

std::string student_name(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "s%05d", i);
  return buf;
}

Workload::Workload(fs::path dir, std::string assignment)
    : dir_(std::move(dir)), assignment_(std::move(assignment)), spec_(dir_ / (assignment_ + ".yaml")) {
  fs::create_directories(dir_);
  std::string text = kSpec;
  text.replace(text.find("ASSIGNMENT"), 10, assignment_);
  for (const auto& t : tests()) {
    // Block scalars would need indentation care for the long input: JSON strings are YAML too.
    auto quote = [](const std::string& s) {
      std::string q = "\"";
      for (char c : s) q += c == '\n' ? std::string("\\n") : std::string(1, c);
      return q + "\"";
    };
    text += "  - name: " + t.name + "\n    stdin: " + quote(t.stdin_text) + "\n    expect_stdout: " +
            quote(t.expected) + "\n    points: " + std::to_string(t.points) + "\n";
  }
  std::ofstream(spec_) << text;
}

Workload::~Workload() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

fs::path Workload::batch(int n, int first) {
  const fs::path dir = dir_ / ("batch-" + std::to_string(first) + "-" + std::to_string(n));
  if (!fs::exists(dir)) {
    for (int i = first; i < first + n; ++i) {
      fs::create_directories(dir / student_name(i));
      std::ofstream(dir / student_name(i) / "stats.py") << variant_of(i).code;
    }
  }
  return dir;
}

fs::path Workload::single(int student) {
  const fs::path dir = dir_ / "single" / student_name(student);
  fs::create_directories(dir);
  std::ofstream(dir / "stats.py") << variant_of(student).code;
  return dir / "stats.py";
}

std::map<std::string, Grade> Workload::expected(int n, int first) {
  std::map<std::string, Grade> out;
  for (int i = first; i < first + n; ++i) out[student_name(i)] = variant_of(i).expected;
  return out;
}

}  // namespace gradeq::bench
