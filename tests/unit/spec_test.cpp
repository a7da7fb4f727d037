// Spec parsing and validation: defaults, expected-output files, located diagnostics (every
// problem at once, each at the right line and column), YAML typing, and the stored JSON form.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gradeq/spec.hpp"

namespace gradeq {

// Readable failures: gtest prints a Diagnostic as file:line:column: message.
void PrintTo(const Diagnostic& d, std::ostream* os) { *os << d.to_string(); }

namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const std::string kData = std::string(GRADEQ_SOURCE_DIR) + "/tests/unit/data";

// The head every inline spec starts with: lines 1-5. Tests start on line 6.
const std::string kHead =
    "course: cs101\n"            // 1
    "assignment: a1\n"           // 2
    "language: python\n"         // 3
    "files: [main.py]\n"         // 4
    "run: python3 main.py\n";    // 5

Spec parse(const std::string& yaml) { return parse_spec(yaml, "spec.yaml", kData); }

// The diagnostics of a spec that must be rejected.
std::vector<Diagnostic> problems(const std::string& yaml, const std::string& base_dir = kData) {
  try {
    parse_spec(yaml, "spec.yaml", base_dir);
  } catch (const SpecError& e) {
    EXPECT_FALSE(e.diagnostics().empty());
    return e.diagnostics();
  }
  ADD_FAILURE() << "spec was accepted:\n" << yaml;
  return {};
}

MATCHER_P3(At, line, column, text,
           "is at " + std::to_string(line) + ":" + std::to_string(column) + " and says \"" +
               std::string(text) + "\"") {
  *result_listener << "is " << arg.to_string();
  return arg.file == "spec.yaml" && arg.line == line && arg.column == column &&
         arg.message.find(text) != std::string::npos;
}

std::string all(const std::vector<Diagnostic>& ds) {
  std::string out;
  for (const auto& d : ds) out += d.to_string() + "\n";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Valid specs and defaults

TEST(SpecParse, AppliesDefaults) {
  Spec spec = parse(kHead +
                    "tests:\n"
                    "  - name: one\n"
                    "    expect_stdout: \"1\\n\"\n");
  EXPECT_EQ(spec.course, "cs101");
  EXPECT_EQ(spec.assignment, "a1");
  EXPECT_EQ(spec.title, "");
  EXPECT_EQ(spec.language, "python");
  EXPECT_EQ(spec.files, std::vector<std::string>{"main.py"});
  EXPECT_FALSE(spec.build.has_value());
  EXPECT_EQ(spec.run, "python3 main.py");
  EXPECT_DOUBLE_EQ(spec.limits.time_s, 2.0);
  EXPECT_DOUBLE_EQ(spec.limits.build_time_s, 60.0);
  EXPECT_EQ(spec.limits.memory_mb, 128);
  EXPECT_DOUBLE_EQ(spec.limits.cpus, 0.5);
  EXPECT_EQ(spec.limits.output_kb, 64);
  ASSERT_THAT(spec.tests, SizeIs(1));
  const TestSpec& t = spec.tests[0];
  EXPECT_EQ(t.name, "one");
  EXPECT_EQ(t.command, "python3 main.py");
  EXPECT_TRUE(t.args.empty());
  EXPECT_EQ(t.stdin_data, "");
  EXPECT_EQ(t.expected_stdout, "1\n");
  EXPECT_EQ(t.compare, CompareMode::trimmed);
  EXPECT_DOUBLE_EQ(t.tolerance.abs, 1e-6);
  EXPECT_DOUBLE_EQ(t.tolerance.rel, 1e-6);
  EXPECT_EQ(t.expect_exit, 0);
  EXPECT_FALSE(t.hidden);
  EXPECT_DOUBLE_EQ(t.points, 1.0);
  EXPECT_DOUBLE_EQ(t.time_s, 2.0);
  EXPECT_DOUBLE_EQ(spec.max_score(), 1.0);
}

TEST(SpecParse, FullSpecFromFolder) {
  Spec spec = load_spec_file(kData + "/spec_valid/spec.yaml");
  EXPECT_EQ(spec.course, "cs101");
  EXPECT_EQ(spec.assignment, "fizzbuzz");
  EXPECT_EQ(spec.title, "FizzBuzz");
  EXPECT_FALSE(spec.build.has_value());  // build: null
  EXPECT_DOUBLE_EQ(spec.limits.time_s, 3.0);
  EXPECT_EQ(spec.limits.memory_mb, 256);
  EXPECT_DOUBLE_EQ(spec.limits.build_time_s, 60.0);  // untouched keys keep their defaults
  EXPECT_DOUBLE_EQ(spec.limits.cpus, 0.5);
  EXPECT_EQ(spec.limits.output_kb, 64);
  ASSERT_THAT(spec.tests, SizeIs(2));

  const TestSpec& three = spec.tests[0];
  EXPECT_EQ(three.name, "three");
  EXPECT_EQ(three.stdin_data, "3\n");
  EXPECT_EQ(three.expected_stdout, "1\n2\nFizz\n");
  EXPECT_EQ(three.command, "python3 fizzbuzz.py");
  EXPECT_DOUBLE_EQ(three.time_s, 3.0);  // limits.time_s, not the built-in 2
  EXPECT_DOUBLE_EQ(three.points, 1.0);

  const TestSpec& big = spec.tests[1];
  EXPECT_EQ(big.args, std::vector<std::string>{"100"});
  // Read relative to the spec's folder, not the working directory.
  EXPECT_EQ(big.expected_stdout, "1\n2\nFizz\n4\nBuzz\n");
  EXPECT_EQ(big.compare, CompareMode::tokens);
  EXPECT_TRUE(big.hidden);
  EXPECT_DOUBLE_EQ(big.points, 2.0);
  EXPECT_DOUBLE_EQ(big.time_s, 5.0);
  EXPECT_DOUBLE_EQ(spec.max_score(), 3.0);
}

TEST(SpecParse, LoadFromRelativePathResolvesAgainstTheSpecFolder) {
  fs::path old = fs::current_path();
  fs::current_path(kData);
  Spec spec;
  EXPECT_NO_THROW(spec = load_spec_file("spec_valid/spec.yaml"));
  fs::current_path(old);
  ASSERT_THAT(spec.tests, SizeIs(2));
  EXPECT_EQ(spec.tests[1].expected_stdout, "1\n2\nFizz\n4\nBuzz\n");
}

TEST(SpecParse, TestOverridesAndBuild) {
  Spec spec = parse(
      "course: cs101\n"
      "assignment: a1\n"
      "language: c\n"
      "files: [main.c, lib/util.c]\n"
      "build: gcc -O2 -o main main.c\n"
      "limits: {time_s: 1.5, build_time_s: 90, memory_mb: 64, cpus: 1, output_kb: 8}\n"
      "tests:\n"
      "  - name: custom\n"
      "    kind: io\n"
      "    command: ./main --fast\n"
      "    args: [\"a b\", \"2\"]\n"
      "    stdin: \"x\"\n"
      "    expect_stdout: \"3.14\"\n"
      "    compare: float\n"
      "    tolerance: {abs: 0.01}\n"
      "    expect_exit: 3\n"
      "    points: 2.5\n"
      "    time_s: 0.5\n");
  ASSERT_TRUE(spec.build.has_value());
  EXPECT_EQ(*spec.build, "gcc -O2 -o main main.c");
  EXPECT_EQ(spec.run, "");
  EXPECT_EQ(spec.files, (std::vector<std::string>{"main.c", "lib/util.c"}));
  EXPECT_DOUBLE_EQ(spec.limits.time_s, 1.5);
  EXPECT_DOUBLE_EQ(spec.limits.build_time_s, 90.0);
  EXPECT_EQ(spec.limits.memory_mb, 64);
  EXPECT_DOUBLE_EQ(spec.limits.cpus, 1.0);
  EXPECT_EQ(spec.limits.output_kb, 8);
  const TestSpec& t = spec.tests.at(0);
  EXPECT_EQ(t.command, "./main --fast");
  EXPECT_EQ(t.args, (std::vector<std::string>{"a b", "2"}));
  EXPECT_EQ(t.stdin_data, "x");
  EXPECT_EQ(t.compare, CompareMode::float_);
  EXPECT_DOUBLE_EQ(t.tolerance.abs, 0.01);
  EXPECT_DOUBLE_EQ(t.tolerance.rel, 1e-6);  // the one not given keeps its default
  EXPECT_EQ(t.expect_exit, 3);
  EXPECT_DOUBLE_EQ(t.points, 2.5);
  EXPECT_DOUBLE_EQ(t.time_s, 0.5);
  EXPECT_DOUBLE_EQ(spec.max_score(), 2.5);
}

TEST(SpecParse, BlockScalarsKeepTheirBytes) {
  Spec spec = parse(kHead +
                    "tests:\n"
                    "  - name: block\n"
                    "    stdin: |\n"
                    "      3\n"
                    "      4\n"
                    "    expect_stdout: |\n"
                    "      1\n"
                    "        2\n");
  EXPECT_EQ(spec.tests.at(0).stdin_data, "3\n4\n");
  EXPECT_EQ(spec.tests.at(0).expected_stdout, "1\n  2\n");
}

// ---------------------------------------------------------------------------------------------
// YAML typing: plain scalars are typed, quoted ones are strings.

TEST(SpecTyping, QuotedNumberIsAStringPlainNumberIsANumber) {
  Spec spec = parse(kHead +
                    "tests:\n"
                    "  - name: \"2\"\n"         // a string: a fine name
                    "    args: [\"7\"]\n"
                    "    expect_stdout: \"2\"\n"
                    "    points: 2\n");
  EXPECT_EQ(spec.tests.at(0).name, "2");
  EXPECT_EQ(spec.tests.at(0).args, std::vector<std::string>{"7"});
  EXPECT_EQ(spec.tests.at(0).expected_stdout, "2");
  EXPECT_DOUBLE_EQ(spec.tests.at(0).points, 2.0);

  // Single quotes and block scalars are strings too.
  Spec single = parse(kHead +
                      "tests:\n"
                      "  - name: '3'\n"
                      "    expect_stdout: '3'\n");
  EXPECT_EQ(single.tests.at(0).name, "3");
}

TEST(SpecTyping, PlainNumberWhereAStringIsExpected) {
  auto ds = problems(kHead +
                     "tests:\n"
                     "  - name: 2\n"             // line 7, value at column 11
                     "    expect_stdout: 42\n"); // line 8, value at column 20
  EXPECT_THAT(ds, ElementsAre(At(7, 11, "expected a string, got an integer"),
                              At(8, 20, "expected a string, got an integer")))
      << all(ds);
}

TEST(SpecTyping, QuotedNumberWhereANumberIsExpected) {
  auto ds = problems(kHead +
                     "limits: {time_s: \"2\"}\n"  // line 6, column 18
                     "tests:\n"
                     "  - name: t\n"
                     "    expect_stdout: x\n"
                     "    points: \"2\"\n"      // line 10, column 13
                     "    hidden: \"true\"\n"); // line 11, column 13
  EXPECT_THAT(ds, ElementsAre(At(6, 18, "expected a number, got a string"),
                              At(10, 13, "expected a number, got a string"),
                              At(11, 13, "expected true or false, got a string")))
      << all(ds);
}

TEST(SpecTyping, IntegerKeysRejectFractions) {
  auto ds = problems(kHead +
                     "limits:\n"
                     "  memory_mb: 12.5\n"  // line 7, column 14
                     "tests:\n"
                     "  - name: t\n"
                     "    expect_stdout: x\n");
  EXPECT_THAT(ds, ElementsAre(At(7, 14, "expected an integer, got a number"))) << all(ds);
}

TEST(SpecTyping, NullAndBooleans) {
  Spec spec = parse(kHead +
                    "build: ~\n"
                    "tests:\n"
                    "  - name: t\n"
                    "    expect_stdout: x\n"
                    "    hidden: True\n");
  EXPECT_FALSE(spec.build.has_value());
  EXPECT_TRUE(spec.tests.at(0).hidden);
  // "yes" is a string in YAML 1.2, not a boolean.
  auto ds = problems(kHead +
                     "tests:\n"
                     "  - name: t\n"
                     "    expect_stdout: x\n"
                     "    hidden: yes\n");  // line 9, column 13
  EXPECT_THAT(ds, ElementsAre(At(9, 13, "expected true or false, got a string"))) << all(ds);
}

TEST(SpecTyping, AnEmptyValueIsReportedOnItsKeysLine) {
  auto ds = problems(kHead +
                     "tests:\n"
                     "  - name: t\n"
                     "    stdin:\n"          // line 8: an empty value is null
                     "    expect_stdout: x\n");
  ASSERT_THAT(ds, SizeIs(1)) << all(ds);
  EXPECT_EQ(ds[0].line, 8) << all(ds);
  EXPECT_THAT(ds[0].message, HasSubstr("expected a string, got null"));
}

// ---------------------------------------------------------------------------------------------
// Diagnostics, one kind at a time, at exact positions

TEST(SpecErrors, UnknownKeyWithSuggestion) {
  auto ds = problems(kHead +
                     "limits:\n"
                     "  timout: 3\n"  // line 7, key at column 3
                     "tests:\n"
                     "  - name: t\n"
                     "    expect_stdout: x\n");
  EXPECT_THAT(ds, ElementsAre(At(7, 3, "unknown key \"timout\" (did you mean \"time_s\"?)"))) << all(ds);
}

TEST(SpecErrors, UnknownKeysAtEveryLevel) {
  auto ds = problems(kHead +
                     "titel: x\n"                     // line 6, column 1
                     "tests:\n"
                     "  - name: t\n"
                     "    expected_stdout: x\n"       // line 9, column 5
                     "    expect_stdout: x\n"
                     "    compare: float\n"
                     "    tolerance: {absolute: 1}\n"  // line 12, column 17
                     "    frobnicate: 1\n");          // line 13, column 5: nothing close
  EXPECT_THAT(ds, ElementsAre(At(6, 1, "unknown key \"titel\" (did you mean \"title\"?)"),
                              At(9, 5, "unknown key \"expected_stdout\" (did you mean \"expect_stdout\"?)"),
                              At(12, 17, "unknown key \"absolute\""),
                              At(13, 5, "unknown key \"frobnicate\"")))
      << all(ds);
  EXPECT_EQ(ds[3].message, "unknown key \"frobnicate\"");
}

TEST(SpecErrors, MissingRequiredKeys) {
  auto ds = problems(
      "course: cs101\n"
      "language: python\n"
      "run: x\n"
      "tests:\n"
      "  - expect_stdout: x\n"  // line 5: the test's mapping starts at column 5
      "    points: 1\n");
  EXPECT_THAT(ds, ElementsAre(At(1, 1, "missing required key \"assignment\""),
                              At(1, 1, "missing required key \"files\""),
                              At(5, 5, "missing required key \"name\"")))
      << all(ds);
}

TEST(SpecErrors, BadEnumValues) {
  auto ds = problems(
      "course: cs101\n"
      "assignment: a1\n"
      "language: pyhton\n"   // line 3, column 11
      "files: [main.py]\n"
      "run: python3 main.py\n"
      "tests:\n"
      "  - name: t\n"
      "    expect_stdout: x\n"
      "    compare: fuzzy\n");  // line 9, column 14
  EXPECT_THAT(ds, ElementsAre(At(3, 11, "\"pyhton\" is not one of: python, c, cpp"),
                              At(9, 14, "\"fuzzy\" is not one of: exact, trimmed, tokens, float, regex")))
      << all(ds);
}

TEST(SpecErrors, JunitTestsNeedCommandReportAndPointsAndTakeNoIoKeys) {
  auto ds = problems(kHead +
                     "tests:\n"
                     "  - name: t\n"                     // line 7, column 5
                     "    kind: junit\n"
                     "    expect_stdout: x\n"            // line 9, column 5
                     "    compare: exact\n"              // line 10, column 5
                     "    expect_exit: 1\n");            // line 11, column 5
  EXPECT_THAT(ds, ElementsAre(At(7, 5, "needs its own command"), At(7, 5, "needs report"),
                              At(7, 5, "needs points"),
                              At(9, 5, "\"expect_stdout\" does not apply to kind: junit"),
                              At(10, 5, "\"compare\" does not apply to kind: junit"),
                              At(11, 5, "\"expect_exit\" does not apply to kind: junit")))
      << all(ds);
}

TEST(SpecErrors, JunitReportMustBeAFolderOfItsOwnInTmp) {
  auto ds = problems(kHead +
                     "tests:\n"
                     "  - name: a\n"
                     "    kind: junit\n"
                     "    command: x\n"
                     "    report: /tmp/report.xml\n"     // line 10, column 13: no folder of its own
                     "    points: 1\n"
                     "  - name: b\n"
                     "    kind: junit\n"
                     "    command: x\n"
                     "    report: /tmp/../r.xml\n"       // line 15, column 13
                     "    points: 1\n"
                     "  - name: c\n"
                     "    kind: junit\n"
                     "    command: x\n"
                     "    report: /sandbox/r/r.xml\n"    // line 20, column 13
                     "    points: 1\n");
  EXPECT_THAT(ds, ElementsAre(At(10, 13, "does not match"), At(15, 13, "without \".\" or \"..\""),
                              At(20, 13, "/tmp/FOLDER/NAME")))
      << all(ds);
}

TEST(SpecErrors, JunitPointsArePerGroupOrPerCaseWithCases) {
  const std::string group = "  - name: g\n    kind: junit\n    command: x\n    report: /tmp/j/r.xml\n";
  auto ds = problems(kHead + "tests:\n" + group +
                     "    points: 2\n"
                     "    points_per_case: 1\n");   // line 12, column 5
  EXPECT_THAT(ds, ElementsAre(At(12, 5, "not both"))) << all(ds);
  ds = problems(kHead + "tests:\n" + group +
                "    points_per_case: 1\n");        // line 11, column 5
  EXPECT_THAT(ds, ElementsAre(At(11, 5, "points_per_case needs cases"))) << all(ds);
  ds = problems(kHead + "tests:\n" + group +
                "    points: 1\n"
                "    cases: 0\n");                  // line 12, column 12
  EXPECT_THAT(ds, ElementsAre(At(12, 12, "greater than or equal to 1"))) << all(ds);
}

TEST(SpecErrors, JunitKeysOnAnIoTest) {
  auto ds = problems(kHead +
                     "tests:\n"
                     "  - name: t\n"
                     "    expect_stdout: x\n"
                     "    report: /tmp/j/r.xml\n"    // line 9, column 5
                     "    cases: 3\n");             // line 10, column 5
  EXPECT_THAT(ds, ElementsAre(At(9, 5, "\"report\" applies only to kind: junit"),
                              At(10, 5, "\"cases\" applies only to kind: junit")))
      << all(ds);
}

TEST(SpecErrors, SupportFilesStayInTheSpecFolderExistAndAreNotTheStudents) {
  auto ds = problems(kHead +
                     "tests:\n"
                     "  - name: t\n"
                     "    kind: junit\n"
                     "    command: x\n"
                     "    report: /tmp/j/r.xml\n"
                     "    points: 1\n"
                     "    support_files:\n"
                     "      - ../outside.out\n"                       // line 13, column 9
                     "      - /etc/passwd\n"                          // line 14, column 9
                     "      - spec_junit/tests/nope.py\n"             // line 15, column 9
                     "      - main.py\n"                              // line 16, column 9
                     "      - spec_junit/tests/test_stack.py\n");     // fine
  EXPECT_THAT(ds, ElementsAre(At(13, 9, "must stay inside the spec's folder"), At(14, 9, "does not match"),
                              At(15, 9, "no such file"), At(16, 9, "is a file students submit")))
      << all(ds);
}

TEST(SpecErrors, OutOfRangeAndPatterns) {
  auto ds = problems(
      "course: cs 101\n"          // line 1, column 9: a space is not allowed
      "assignment: a1\n"
      "language: python\n"
      "files: [main.py, /etc/passwd]\n"  // line 4, column 18
      "run: python3 main.py\n"
      "limits: {time_s: 0, memory_mb: 8}\n"  // line 6: columns 18, 32
      "tests:\n"
      "  - name: t\n"
      "    expect_stdout: x\n"
      "    expect_exit: 256\n");  // line 10, column 18
  EXPECT_THAT(ds, ElementsAre(At(1, 9, "does not match"), At(4, 18, "does not match"),
                              At(6, 18, "greater than 0"), At(6, 32, "greater than or equal to 16"),
                              At(10, 18, "less than or equal to 255")))
      << all(ds);
}

TEST(SpecErrors, EmptyTestsAndNoRunNorCommand) {
  auto ds = problems(
      "course: cs101\n"
      "assignment: a1\n"
      "language: python\n"
      "files: [main.py]\n"
      "tests: []\n");  // line 5, column 8
  EXPECT_THAT(ds, ElementsAre(At(5, 8, "no fewer than 1"))) << all(ds);

  ds = problems(
      "course: cs101\n"
      "assignment: a1\n"
      "language: python\n"
      "files: [main.py]\n"
      "tests:\n"
      "  - name: t\n"  // line 6, column 5
      "    expect_stdout: x\n");
  EXPECT_THAT(ds, ElementsAre(At(6, 5, "test \"t\" has no command"))) << all(ds);
}

TEST(SpecErrors, DuplicateTestNames) {
  auto ds = problems(kHead +
                     "tests:\n"
                     "  - name: same\n"
                     "    expect_stdout: x\n"
                     "  - name: other\n"
                     "    expect_stdout: x\n"
                     "  - name: same\n"  // line 11, column 11
                     "    expect_stdout: x\n");
  EXPECT_THAT(ds, ElementsAre(At(11, 11, "duplicate test name \"same\" (first used by test #1)"))) << all(ds);
}

TEST(SpecErrors, BothOrNeitherExpectedOutput) {
  auto ds = problems(kHead +
                     "tests:\n"
                     "  - name: both\n"
                     "    expect_stdout: x\n"
                     "    expect_stdout_file: expected/big.out\n"  // line 9, column 5
                     "  - name: neither\n"                         // line 10, column 5
                     "    stdin: x\n");
  EXPECT_THAT(ds, ElementsAre(At(9, 5, "either expect_stdout or expect_stdout_file, not both"),
                              At(10, 5, "test \"neither\" needs expect_stdout or expect_stdout_file")))
      << all(ds);
}

TEST(SpecErrors, MissingExpectedFile) {
  try {
    load_spec_file(kData + "/spec_missing_file/spec.yaml");
    FAIL() << "accepted";
  } catch (const SpecError& e) {
    ASSERT_THAT(e.diagnostics(), SizeIs(1));
    const Diagnostic& d = e.diagnostics()[0];
    EXPECT_EQ(d.file, kData + "/spec_missing_file/spec.yaml");
    EXPECT_EQ(d.line, 8);
    EXPECT_EQ(d.column, 25);
    EXPECT_THAT(d.message, HasSubstr("no such file"));
    EXPECT_THAT(d.message, HasSubstr("expected/nope.out"));
    EXPECT_EQ(std::string(e.what()), d.to_string());
    EXPECT_EQ(d.to_string(), kData + "/spec_missing_file/spec.yaml:8:25: " + d.message);
  }
}

TEST(SpecErrors, ExpectedFileThatIsAFolder) {
  auto ds = problems(kHead +
                     "tests:\n"
                     "  - name: t\n"
                     "    expect_stdout_file: spec_valid\n");  // line 8, column 25
  EXPECT_THAT(ds, ElementsAre(At(8, 25, "no such file"))) << all(ds);
}

TEST(SpecErrors, DotDotPathsAreRefusedEvenWhenTheFileExists) {
  ASSERT_TRUE(fs::exists(kData + "/outside.out"));
  try {
    load_spec_file(kData + "/spec_dotdot/spec.yaml");
    FAIL() << "accepted";
  } catch (const SpecError& e) {
    ASSERT_THAT(e.diagnostics(), SizeIs(1));
    EXPECT_EQ(e.diagnostics()[0].line, 8);
    EXPECT_EQ(e.diagnostics()[0].column, 25);
    EXPECT_THAT(e.diagnostics()[0].message, HasSubstr("must stay inside the spec's folder"));
  }
  // In the middle of a path too.
  auto ds = problems(kHead +
                     "tests:\n"
                     "  - name: t\n"
                     "    expect_stdout_file: spec_valid/../outside.out\n");
  EXPECT_THAT(ds, ElementsAre(At(8, 25, "must stay inside the spec's folder"))) << all(ds);
  // Absolute paths never get that far: the schema's pattern refuses them.
  ds = problems(kHead +
                "tests:\n"
                "  - name: t\n"
                "    expect_stdout_file: /etc/passwd\n");
  EXPECT_THAT(ds, ElementsAre(At(8, 25, "does not match"))) << all(ds);
}

TEST(SpecErrors, InvalidRegex) {
  auto ds = problems(kHead +
                     "tests:\n"
                     "  - name: t\n"
                     "    compare: regex\n"
                     "    expect_stdout: \"(unclosed\"\n");  // line 9, column 20
  EXPECT_THAT(ds, ElementsAre(At(9, 20, "invalid regex"))) << all(ds);
}

TEST(SpecErrors, ToleranceWithoutFloat) {
  auto ds = problems(kHead +
                     "tests:\n"
                     "  - name: t\n"
                     "    expect_stdout: x\n"
                     "    compare: tokens\n"
                     "    tolerance: {abs: 0.5}\n"  // line 10, column 5
                     "  - name: u\n"
                     "    expect_stdout: x\n"
                     "    tolerance:\n"            // line 13, column 5 (compare defaults to trimmed)
                     "      rel: 0.5\n");
  EXPECT_THAT(ds, ElementsAre(At(10, 5, "tolerance applies only to compare: float"),
                              At(13, 5, "tolerance applies only to compare: float")))
      << all(ds);
}

TEST(SpecErrors, YamlSyntaxErrorWithPosition) {
  auto ds = problems(kHead +
                     "tests:\n"
                     "  - name: t\n"
                     "    expect_stdout: a: b\n");  // line 8: "illegal map value" at column 21
  ASSERT_THAT(ds, SizeIs(1));
  EXPECT_EQ(ds[0].line, 8);
  EXPECT_EQ(ds[0].column, 21);
  EXPECT_THAT(ds[0].message, HasSubstr("map value"));

  ds = problems(kHead + "tests: [\n");  // an unclosed flow sequence: reported at the end
  ASSERT_THAT(ds, SizeIs(1));
  EXPECT_EQ(ds[0].line, 7);
  EXPECT_EQ(ds[0].column, 1);
}

TEST(SpecErrors, DuplicateKey) {
  auto ds = problems(kHead +
                     "tests:\n"
                     "  - name: t\n"
                     "    expect_stdout: x\n"
                     "    points: 1\n"
                     "    points: 2\n"   // line 10, column 5
                     "course: cs102\n");  // line 11, column 1
  EXPECT_THAT(ds, ElementsAre(At(10, 5, "duplicate key \"points\""), At(11, 1, "duplicate key \"course\"")))
      << all(ds);
}

TEST(SpecErrors, DocumentMustBeAMapping) {
  EXPECT_THAT(problems("- a\n- b\n"), ElementsAre(At(1, 1, "a spec must be a mapping")));
  EXPECT_THAT(problems("just text\n"), ElementsAre(At(1, 1, "a spec must be a mapping")));
  EXPECT_THAT(problems(""), ElementsAre(At(1, 1, "a spec must be a mapping")));
  EXPECT_THAT(problems("# only a comment\n"), ElementsAre(At(1, 1, "a spec must be a mapping")));
}

TEST(SpecErrors, UnreadableFile) {
  try {
    load_spec_file(kData + "/no-such-folder/spec.yaml");
    FAIL() << "accepted";
  } catch (const SpecError& e) {
    ASSERT_THAT(e.diagnostics(), SizeIs(1));
    EXPECT_EQ(e.diagnostics()[0].line, 0);
    EXPECT_EQ(e.diagnostics()[0].to_string(), kData + "/no-such-folder/spec.yaml: cannot read the file");
  }
}

TEST(SpecErrors, InvalidUtf8IsRejectedWithItsPosition) {
  auto ds = problems(kHead +
                     "title: caf\xe9\n"  // Latin-1, line 6, column 11
                     "tests:\n"
                     "  - name: t\n"
                     "    expect_stdout: x\n");
  EXPECT_THAT(ds, ElementsAre(At(6, 11, "not valid UTF-8"))) << all(ds);
}

TEST(SpecErrors, AliasBombIsRefused) {
  // "Billion laughs": a few lines that expand to hundreds of millions of nodes.
  std::string yaml = kHead + "x0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  for (int i = 1; i <= 9; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    yaml += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int k = 0; k < 8; ++k) yaml += "," + prev;
    yaml += "]\n";
  }
  yaml += "tests:\n  - name: t\n    expect_stdout: x\n";
  auto ds = problems(yaml);
  ASSERT_FALSE(ds.empty());
  EXPECT_THAT(all(ds), HasSubstr("too large"));
}

TEST(SpecErrors, SelfReferencingAliasIsRefused) {
  // yaml-cpp builds a cycle for "&a [1, *a]": expanding it must not recurse until the stack ends.
  auto ds = problems(kHead +
                     "x: &a [1, *a]\n"
                     "tests:\n  - name: t\n    expect_stdout: x\n");
  ASSERT_FALSE(ds.empty());
  EXPECT_THAT(all(ds), HasSubstr("nested too deeply"));
}

TEST(SpecParse, AliasesWithinReasonWork) {
  Spec spec = parse(kHead +
                    "tests:\n"
                    "  - name: a\n"
                    "    stdin: &input \"3 4\\n\"\n"
                    "    expect_stdout: \"7\"\n"
                    "  - name: b\n"
                    "    stdin: *input\n"
                    "    args: [\"--mul\"]\n"
                    "    expect_stdout: \"12\"\n");
  EXPECT_EQ(spec.tests.at(1).stdin_data, "3 4\n");
}

// Every problem at once, from one file: schema problems and the rules the schema cannot say.
TEST(SpecErrors, EveryProblemAtOnce) {
  const std::string path = kData + "/spec_many_errors/spec.yaml";
  try {
    load_spec_file(path);
    FAIL() << "accepted";
  } catch (const SpecError& e) {
    const auto& ds = e.diagnostics();
    std::vector<std::string> got;
    for (const auto& d : ds) {
      EXPECT_EQ(d.file, path);
      got.push_back(std::to_string(d.line) + ":" + std::to_string(d.column));
    }
    EXPECT_THAT(got, ElementsAre("3:11",    // language: pyhton
                                 "7:3",     // timout
                                 "11:14",   // compare: fuzzy
                                 "12:11",   // duplicate name
                                 "13:25",   // missing file
                                 "15:20",   // invalid regex
                                 "19:5"))   // tolerance without float
        << e.what();
    ASSERT_THAT(ds, SizeIs(7));
    EXPECT_THAT(ds[0].message, HasSubstr("pyhton"));
    EXPECT_THAT(ds[1].message, HasSubstr("did you mean \"time_s\""));
    EXPECT_THAT(ds[2].message, HasSubstr("fuzzy"));
    EXPECT_THAT(ds[3].message, HasSubstr("duplicate test name \"one\""));
    EXPECT_THAT(ds[4].message, HasSubstr("no such file"));
    EXPECT_THAT(ds[5].message, HasSubstr("invalid regex"));
    EXPECT_THAT(ds[6].message, HasSubstr("tolerance applies only to compare: float"));
    // what() lists them all, one a line.
    const std::string what = e.what();
    EXPECT_EQ(std::count(what.begin(), what.end(), '\n'), 6);
  }
}

TEST(SpecErrors, RuleChecksSurviveMistypedValues) {
  // A wrong type must not stop the other checks, nor crash them.
  auto ds = problems(kHead +
                     "limits: 5\n"                 // line 6, column 9
                     "tests:\n"
                     "  - name: [a]\n"              // line 8, column 11
                     "    expect_stdout: x\n"
                     "    args: \"not a list\"\n"   // line 10, column 11
                     "  - 7\n"                      // line 11, column 5
                     "  - name: dup\n"
                     "    expect_stdout: x\n"
                     "  - name: dup\n"              // line 14, column 11
                     "    expect_stdout: [x]\n"     // line 15, column 20
                     "    compare: 3\n");           // line 16, column 14
  EXPECT_THAT(ds, ElementsAre(At(6, 9, "expected a mapping, got an integer"),
                              At(8, 11, "expected a string, got a list"),
                              At(10, 11, "expected a list, got a string"),
                              At(11, 5, "expected a mapping, got an integer"),
                              At(14, 11, "duplicate test name \"dup\""),
                              At(15, 20, "expected a string, got a list"),
                              At(16, 14, "expected a string, got an integer")))
      << all(ds);
}

// ---------------------------------------------------------------------------------------------
// The stored JSON form

Spec sample_spec() {
  Spec spec;
  spec.course = "cs101";
  spec.assignment = "a1";
  spec.title = "Caf\xc3\xa9";  // UTF-8 é
  spec.language = "c";
  spec.files = {"main.c", "util.h"};
  spec.build = "gcc -o main main.c";
  spec.run = "./main";
  spec.limits.time_s = 1.25;
  spec.limits.build_time_s = 30;
  spec.limits.memory_mb = 96;
  spec.limits.cpus = 0.25;
  spec.limits.output_kb = 16;
  TestSpec a;
  a.name = "binary";
  a.command = "./main";
  a.args = {"-x", ""};
  a.stdin_data = std::string("\x00\xff\xfe\x80 bytes\r\n", 12);  // NUL and invalid UTF-8
  a.expected_stdout = std::string("\xc3\x28\x00\xa0\xa1", 5);
  a.compare = CompareMode::float_;
  a.tolerance = {0.5, 0.125};
  a.expect_exit = 7;
  a.hidden = true;
  a.points = 2.5;
  a.time_s = 0.75;
  TestSpec b;
  b.name = "plain";
  b.command = "./main plain";
  b.expected_stdout = "ok\n";
  b.compare = CompareMode::regex;
  spec.tests = {a, b};
  return spec;
}

void expect_same(const Spec& x, const Spec& y) {
  EXPECT_EQ(x.course, y.course);
  EXPECT_EQ(x.assignment, y.assignment);
  EXPECT_EQ(x.title, y.title);
  EXPECT_EQ(x.language, y.language);
  EXPECT_EQ(x.files, y.files);
  EXPECT_EQ(x.build, y.build);
  EXPECT_EQ(x.run, y.run);
  EXPECT_EQ(x.limits.time_s, y.limits.time_s);
  EXPECT_EQ(x.limits.build_time_s, y.limits.build_time_s);
  EXPECT_EQ(x.limits.memory_mb, y.limits.memory_mb);
  EXPECT_EQ(x.limits.cpus, y.limits.cpus);
  EXPECT_EQ(x.limits.output_kb, y.limits.output_kb);
  ASSERT_EQ(x.tests.size(), y.tests.size());
  for (std::size_t i = 0; i < x.tests.size(); ++i) {
    const TestSpec& s = x.tests[i];
    const TestSpec& t = y.tests[i];
    EXPECT_EQ(s.name, t.name);
    EXPECT_EQ(s.command, t.command);
    EXPECT_EQ(s.args, t.args);
    EXPECT_EQ(s.stdin_data, t.stdin_data);
    EXPECT_EQ(s.expected_stdout, t.expected_stdout);
    EXPECT_EQ(s.compare, t.compare);
    EXPECT_EQ(s.tolerance.abs, t.tolerance.abs);
    EXPECT_EQ(s.tolerance.rel, t.tolerance.rel);
    EXPECT_EQ(s.expect_exit, t.expect_exit);
    EXPECT_EQ(s.hidden, t.hidden);
    EXPECT_EQ(s.points, t.points);
    EXPECT_EQ(s.time_s, t.time_s);
    EXPECT_EQ(s.kind, t.kind);
    EXPECT_EQ(s.report, t.report);
    EXPECT_EQ(s.points_per_case, t.points_per_case);
    EXPECT_EQ(s.cases, t.cases);
    ASSERT_EQ(s.support_files.size(), t.support_files.size());
    for (std::size_t k = 0; k < s.support_files.size(); ++k) {
      EXPECT_EQ(s.support_files[k].path, t.support_files[k].path);
      EXPECT_EQ(s.support_files[k].content, t.support_files[k].content);
      EXPECT_EQ(s.support_files[k].executable, t.support_files[k].executable);
    }
  }
}

TEST(SpecJson, RoundTripKeepsNonUtf8Bytes) {
  Spec spec = sample_spec();
  nlohmann::json j = spec_to_json(spec);
  // It must serialize (what the database stores): raw invalid UTF-8 would make dump() throw.
  std::string text;
  ASSERT_NO_THROW(text = j.dump());
  Spec back = spec_from_json(nlohmann::json::parse(text));
  expect_same(spec, back);
}

TEST(SpecJson, RoundTripOfAParsedSpecWithBinaryExpectedFile) {
  fs::path dir = fs::temp_directory_path() / ("gradeq-spec-test-" + std::to_string(::getpid()));
  fs::create_directories(dir / "expected");
  const std::string bytes("\xff\xfe\x00line\r\n\x80", 10);
  {
    std::ofstream out(dir / "expected" / "bin.out", std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  {
    std::ofstream out(dir / "spec.yaml");
    out << kHead << "tests:\n  - name: bin\n    compare: exact\n    expect_stdout_file: expected/bin.out\n";
  }
  Spec spec = load_spec_file((dir / "spec.yaml").string());
  fs::remove_all(dir);
  EXPECT_EQ(spec.tests.at(0).expected_stdout, bytes);
  Spec back = spec_from_json(nlohmann::json::parse(spec_to_json(spec).dump()));
  expect_same(spec, back);
}

TEST(SpecJunit, AValidSpecWithUnitTestGroups) {
  Spec spec = load_spec_file(kData + "/spec_junit/spec.yaml");
  ASSERT_THAT(spec.tests, SizeIs(3));
  EXPECT_EQ(spec.tests[0].kind, TestKind::io);
  const TestSpec& unit = spec.tests[1];
  EXPECT_EQ(unit.kind, TestKind::junit);
  EXPECT_EQ(unit.command, "python3 -m pytest -q --junitxml=/tmp/junit/report.xml tests/test_stack.py");
  EXPECT_EQ(unit.report, "/tmp/junit/report.xml");
  EXPECT_EQ(unit.time_s, 10);
  EXPECT_EQ(unit.max_points(), 6);
  EXPECT_FALSE(unit.points_per_case.has_value());
  ASSERT_THAT(unit.support_files, SizeIs(2));
  EXPECT_EQ(unit.support_files[0].path, "tests/test_stack.py");
  EXPECT_THAT(unit.support_files[0].content, HasSubstr("def test_push():"));
  EXPECT_FALSE(unit.support_files[0].executable);
  EXPECT_EQ(unit.support_files[1].path, "tests/helper.sh");
  EXPECT_TRUE(unit.support_files[1].executable);  // the staff's file mode is kept
  const TestSpec& hidden = spec.tests[2];
  EXPECT_TRUE(hidden.hidden);
  EXPECT_EQ(hidden.points_per_case, 0.5);
  EXPECT_EQ(hidden.cases, 4);
  EXPECT_EQ(hidden.max_points(), 2);
  EXPECT_EQ(spec.max_score(), 1 + 6 + 2);
  Spec back = spec_from_json(nlohmann::json::parse(spec_to_json(spec).dump()));
  expect_same(spec, back);
  EXPECT_EQ(back.max_score(), spec.max_score());
}

TEST(SpecJunit, SpecsStoredBeforeUnitTestsStillLoadAsIoTests) {
  nlohmann::json j = spec_to_json(sample_spec());
  for (auto& t : j["tests"]) {
    for (const char* key : {"kind", "report", "support_files", "points_per_case", "cases"}) t.erase(key);
  }
  Spec back = spec_from_json(j);
  expect_same(sample_spec(), back);
  for (const auto& t : back.tests) EXPECT_EQ(t.kind, TestKind::io);
  j["tests"][0]["kind"] = "pytest";
  EXPECT_THROW(spec_from_json(j), std::invalid_argument);
}

TEST(SpecJson, NoBuildIsNull) {
  Spec spec = sample_spec();
  spec.build.reset();
  nlohmann::json j = spec_to_json(spec);
  EXPECT_TRUE(j.at("build").is_null());
  EXPECT_FALSE(spec_from_json(j).build.has_value());
}

TEST(SpecJson, UnusableStoredFormNamesTheProblem) {
  nlohmann::json good = spec_to_json(sample_spec());

  nlohmann::json j = good;
  j.erase("limits");
  EXPECT_THROW(spec_from_json(j), std::invalid_argument);

  j = good;
  j["tests"][0]["compare"] = "fuzzy";
  try {
    spec_from_json(j);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("binary"));
  }

  j = good;
  j["tests"][1]["expected_stdout_b64"] = "not base64!";
  EXPECT_THROW(spec_from_json(j), std::invalid_argument);

  j = good;
  j["tests"][0]["points"] = "2";
  EXPECT_THROW(spec_from_json(j), std::invalid_argument);

  EXPECT_THROW(spec_from_json(nlohmann::json::array()), std::invalid_argument);
}

TEST(SpecLanguages, MatchTheSchemaEnum) {
  EXPECT_EQ(supported_languages(), (std::vector<std::string>{"python", "c", "cpp", "java"}));
  for (const auto& language : supported_languages()) {
    EXPECT_NO_THROW(parse("course: c\nassignment: a\nlanguage: " + language +
                          "\nfiles: [x]\nrun: x\ntests:\n  - name: t\n    expect_stdout: x\n"))
        << language;
  }
}

}  // namespace
}  // namespace gradeq
