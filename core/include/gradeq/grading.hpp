// Verdicts and scores: the runner's report (facts) judged against the spec (expectations).
// Pure logic, no I/O.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradeq/spec.hpp"
#include "gradeq/wire.hpp"

namespace gradeq {

// Stored as text in test_results.verdict; the numbers are fixed for any binary encoding.
enum class Verdict {
  passed = 0,
  wrong_answer = 1,
  runtime_error = 2,
  time_limit = 3,
  memory_limit = 4,
  output_limit = 5,
  compile_error = 6,
  skipped = 7,
};

const char* to_string(Verdict verdict);

// The report cannot be graded: the runner failed, or the report does not match the bundle.
// A system fault: never charged to the student.
class GradingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TestOutcome {
  std::string name;
  Verdict verdict = Verdict::skipped;
  double points = 0;
  double max_points = 0;
  std::int64_t duration_ms = 0;
  int exit_code = -1;
  int term_signal = 0;
  bool hidden = false;
  std::string message;      // why it failed, for people
  std::string stdout_data;  // what the program printed (as captured, capped by the runner)
  std::string stderr_data;
};

struct GradeResult {
  bool compile_ok = true;
  std::string compile_output;
  // Spec order; a junit test contributes a row per testcase of its report (named by the case,
  // qualified by its class where two share a name), or one row named by the test when its
  // report cannot be used.
  std::vector<TestOutcome> tests;
  double score = 0;
  double max_score = 0;
  std::vector<std::string> failed_tests;  // names of the rows not passed, in order
};

// The cap on a junit test's report, in KiB (wire::Step::report_kb): more is not graded.
inline constexpr int kReportKb = 1024;

// The bundle for one submission: its files, the support files of the spec's tests (a student's
// file in the way of one is left out), the build step and the tests.
wire::Bundle make_bundle(const Spec& spec, const std::vector<wire::File>& files);

// Judges a report. Throws GradingError when the report is a system fault.
GradeResult grade(const Spec& spec, const wire::Report& report);

}  // namespace gradeq
