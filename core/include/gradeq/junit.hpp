// Reading a JUnit XML report (the Ant format pytest, GoogleTest and the JUnit console write):
// every <testcase>, wherever it is nested under <testsuites>/<testsuite>, with its outcome.
// Pure logic (pugixml), no I/O; what the outcomes are worth is grading.hpp's business.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace gradeq::junit {

// The most cases one report may list (a report is at most 1 MiB; every case is a stored row).
inline constexpr std::size_t kMaxCases = 1000;
// A case's message (the failure's message attribute and its details) is cut to this many bytes,
// with a visible marker; names to kMaxNameBytes.
inline constexpr std::size_t kMaxMessageBytes = 2048;
inline constexpr std::size_t kMaxNameBytes = 200;

enum class Outcome {
  passed,
  failure,  // <failure>: an assertion failed
  error,    // <error>: the case raised or crashed (setup, an unexpected exception)
  skipped,  // <skipped>, or GoogleTest's status="notrun" (DISABLED_ tests)
};

struct Case {
  std::string name;       // the name attribute: valid UTF-8, one line, at most kMaxNameBytes
  std::string classname;  // the classname attribute, else the enclosing <testsuite>'s name
  Outcome outcome = Outcome::passed;
  std::string message;    // why it did not pass: message attribute, then the element's text
  std::int64_t time_ms = 0;
};

// The report is unusable: not well-formed, not one document, no case at all, too many cases.
// The message says why, for people (it ends up in the results).
class ReportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Every testcase in document order. Throws ReportError.
std::vector<Case> parse_report(const std::string& xml);

}  // namespace gradeq::junit
