// Output comparison: the expected stdout of an io test against what the program printed.
// Expected outputs never enter the container; this runs in the grader.
#pragma once

#include <optional>
#include <string>

namespace gradeq {

enum class CompareMode {
  exact = 1,    // byte for byte
  trimmed = 2,  // \r\n as \n, trailing whitespace of each line and trailing blank lines ignored
  tokens = 3,   // whitespace-separated tokens equal
  float_ = 4,   // tokens; numbers equal within the absolute OR relative tolerance
  regex = 5,    // expected is an ECMAScript regex matching the whole output (trailing ws trimmed)
};

struct Tolerance {
  double abs = 1e-6;
  double rel = 1e-6;
};

const char* to_string(CompareMode mode);
std::optional<CompareMode> compare_mode_from_string(const std::string& text);

struct CompareResult {
  bool equal = false;
  std::string message;  // for a mismatch: where and how, short enough to show a student
};

CompareResult compare_output(const std::string& actual, const std::string& expected,
                             CompareMode mode, const Tolerance& tolerance = {});

// Throws std::invalid_argument if `pattern` is not a valid ECMAScript regex.
void check_regex(const std::string& pattern);

}  // namespace gradeq
