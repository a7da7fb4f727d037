// The real JUnit XML reports of tests/unit/data/junit/ (pytest, GoogleTest, the JUnit console),
// for the unit tests that read or grade them.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace gradeq::testing {

inline std::string junit_fixture(const std::string& name) {
  std::ifstream in(std::string(GRADEQ_SOURCE_DIR) + "/tests/unit/data/junit/" + name, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace gradeq::testing
