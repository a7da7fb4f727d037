// JUnit XML reports: the real shapes pytest 7.2, GoogleTest 1.12 and the JUnit 5.9 console
// launcher write (tests/unit/data/junit/, each made in its runner image under the sandbox's
// limits), and reports that cannot be used.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gradeq/junit.hpp"
#include "junit_fixture.hpp"

namespace gradeq::junit {

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.classname << " :: " << c.name << " (" << static_cast<int>(c.outcome) << ")";
}

namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

std::string fixture(const std::string& name) {
  std::string text = testing::junit_fixture(name);
  EXPECT_FALSE(text.empty()) << name;
  return text;
}

// What parse_report says about a report it refuses.
std::string refusal(const std::string& xml) {
  try {
    parse_report(xml);
  } catch (const ReportError& e) {
    return e.what();
  }
  return "accepted";
}

MATCHER_P3(IsCase, classname, name, outcome, "") {
  *result_listener << "is " << arg.classname << " :: " << arg.name << " (" << static_cast<int>(arg.outcome) << ")";
  return arg.classname == classname && arg.name == name && arg.outcome == outcome;
}

TEST(JunitPytest, EveryOutcomeOfARealReport) {
  auto cases = parse_report(fixture("pytest-mixed.xml"));
  EXPECT_THAT(cases, ElementsAre(IsCase("tests.test_ws", "test_add", Outcome::passed),
                                 IsCase("tests.test_ws", "test_fail", Outcome::failure),
                                 IsCase("tests.test_ws", "test_error", Outcome::failure),
                                 IsCase("tests.test_ws", "test_skip", Outcome::skipped),
                                 IsCase("tests.test_ws", "test_xfail", Outcome::skipped),
                                 IsCase("tests.test_ws", "test_param[1]", Outcome::passed),
                                 IsCase("tests.test_ws", "test_param[\\xe9]", Outcome::passed),
                                 IsCase("tests.test_ws", "test_\xc3\xbcn\xc3\xaf" "code_n\xc3\xa4me", Outcome::passed),
                                 IsCase("tests.test_ws.TestGroup", "test_add", Outcome::passed),
                                 IsCase("tests.test_ws", "test_setup_error", Outcome::error)));
  // The message attribute, then the details (the failing line, pytest's explanation).
  EXPECT_THAT(cases[1].message, StartsWith("AssertionError: one plus two\nassert 3 == 4"));
  EXPECT_THAT(cases[1].message, HasSubstr("tests/test_ws.py:8: AssertionError"));
  EXPECT_THAT(cases[2].message, StartsWith("ValueError: boom \xc3\xbcn\xc3\xaf\ndef test_error():"));
  EXPECT_THAT(cases[3].message, StartsWith("not today\n"));
  EXPECT_EQ(cases[4].message, "known");
  EXPECT_THAT(cases[9].message, StartsWith("failed on setup with \"RuntimeError: setup failed\""));
  EXPECT_EQ(cases[0].message, "");
  EXPECT_EQ(cases[1].time_ms, 1);  // time="0.001"
}

TEST(JunitPytest, ACollectionErrorIsOneErroredCase) {
  auto cases = parse_report(fixture("pytest-collection-error.xml"));
  ASSERT_THAT(cases, ElementsAre(IsCase("pytest", "tests.test_ws", Outcome::error)));
  EXPECT_THAT(cases[0].message, StartsWith("collection failure\n"));
  EXPECT_THAT(cases[0].message, HasSubstr("SyntaxError: expected ':'"));
}

TEST(JunitGoogleTest, NestedSuitesEveryAssertionDisabledAndSkipped) {
  auto cases = parse_report(fixture("gtest-mixed.xml"));
  EXPECT_THAT(cases, ElementsAre(IsCase("CalcTest", "Adds", Outcome::passed),
                                 IsCase("CalcTest", "AddsWrong", Outcome::failure),
                                 IsCase("CalcTest", "Throws", Outcome::failure),
                                 IsCase("CalcTest", "Skipped", Outcome::skipped),
                                 IsCase("CalcTest", "DISABLED_Later", Outcome::skipped),
                                 IsCase("\xc3\x9cn\xc3\xaf" "code", "N\xc3\xa4m\xc3\xa9", Outcome::passed),
                                 IsCase("Other", "Adds", Outcome::passed),
                                 IsCase("Typed/0", "Zero", Outcome::passed),
                                 IsCase("Typed/1", "Zero", Outcome::passed),
                                 IsCase("Some/Param", "Positive/0", Outcome::passed),
                                 IsCase("Some/Param", "Positive/1", Outcome::failure)));
  // Two failed assertions: both, each said once (GoogleTest repeats the message as the text).
  EXPECT_EQ(cases[1].message,
            "calc_test.cpp:5\nExpected equality of these values:\n  add(1, 2)\n    Which is: 3\n  4\none plus two"
            "\n\ncalc_test.cpp:5\nExpected equality of these values:\n  add(2, 2)\n    Which is: 4\n  5");
  EXPECT_THAT(cases[2].message, HasSubstr("C++ exception with description \"division by zero\""));
  EXPECT_EQ(cases[3].message, "calc_test.cpp:7\nnot today");
  EXPECT_EQ(cases[4].message, "not run (disabled)");
}

TEST(JunitConsole, JupiterNestedClassesErrorsAbortedAndDisabled) {
  auto cases = parse_report(fixture("junit5-console.xml"));
  EXPECT_THAT(cases, ElementsAre(IsCase("CalculatorTest$Inner$Deeper", "adds()", Outcome::passed),
                                 IsCase("CalculatorTest", "dividesByZero()", Outcome::error),
                                 IsCase("CalculatorTest$Inner", "adds()", Outcome::passed),
                                 IsCase("CalculatorTest", "later()", Outcome::skipped),
                                 IsCase("CalculatorTest", "assumed()", Outcome::skipped),
                                 IsCase("CalculatorTest", "\xc3\xbcn\xc3\xaf" "codeN\xc3\xa4me()", Outcome::passed),
                                 IsCase("CalculatorTest", "positive(int)[1]", Outcome::passed),
                                 IsCase("CalculatorTest", "addsWrong()", Outcome::failure),
                                 IsCase("CalculatorTest", "positive(int)[2]", Outcome::failure),
                                 IsCase("CalculatorTest", "adds()", Outcome::passed)));
  EXPECT_THAT(cases[1].message, StartsWith("/ by zero\njava.lang.ArithmeticException: / by zero\n\tat Calculator.divide"));
  EXPECT_EQ(cases[3].message, "not today");
  EXPECT_THAT(cases[4].message, HasSubstr("Assumption failed: no network here"));
  EXPECT_THAT(cases[7].message, StartsWith("one plus two ==> expected: <4> but was: <3>\n"
                                           "org.opentest4j.AssertionFailedError: one plus two"));
  // A Java stack trace is long: the message keeps its start, cut with a visible marker.
  EXPECT_LE(cases[7].message.size(), kMaxMessageBytes + 100);
  EXPECT_THAT(cases[7].message, HasSubstr("[... truncated by gradeq: "));
  EXPECT_THAT(cases[7].message, EndsWith(std::to_string(kMaxMessageBytes) + " kept ...]"));
  EXPECT_EQ(cases[6].time_ms, 62);
}

TEST(JunitNesting, SuitesInsideSuitesAndCasesWithoutAClassTakeTheirSuitesName) {
  // Some tools nest <testsuite> in <testsuite>; a testcase's class falls back to its suite.
  auto cases = parse_report(
      "<testsuites><testsuite name='outer'><testsuite name='inner'>"
      "<testcase name='a'/><testsuite name='innermost'><testcase name='b'><failure/></testcase>"
      "</testsuite></testsuite><testcase name='c' classname='K'><error>trace</error></testcase>"
      "</testsuite></testsuites>");
  EXPECT_THAT(cases, ElementsAre(IsCase("inner", "a", Outcome::passed), IsCase("innermost", "b", Outcome::failure),
                                 IsCase("K", "c", Outcome::error)));
  EXPECT_EQ(cases[2].message, "trace");
}

TEST(JunitNesting, ADeeplyNestedReportIsReadWithoutRecursion) {
  std::string xml = "<testsuites>";
  for (int i = 0; i < 100000; ++i) xml += "<testsuite>";
  xml += "<testcase name='deep'/>";
  for (int i = 0; i < 100000; ++i) xml += "</testsuite>";
  xml += "</testsuites>";
  EXPECT_THAT(parse_report(xml), ElementsAre(IsCase("", "deep", Outcome::passed)));
}

TEST(JunitNames, AreOneLineOfValidUtf8AndCapped) {
  auto cases = parse_report("<testsuite><testcase name='two&#10;lines&#9;and\xff bad'/><testcase name='" +
                            std::string(300, 'x') + "'/><testcase name=''/></testsuite>");
  ASSERT_THAT(cases, SizeIs(3));
  EXPECT_EQ(cases[0].name, "two lines and\xef\xbf\xbd bad");
  EXPECT_EQ(cases[1].name, std::string(kMaxNameBytes, 'x') + "\xe2\x80\xa6");
  EXPECT_EQ(cases[2].name, "(unnamed)");
  // A cut never splits a character.
  std::string accented;
  for (int i = 0; i < 150; ++i) accented += "\xc3\xa9";
  auto cut = parse_report("<testsuite><testcase name='x" + accented + "'/></testsuite>");
  EXPECT_EQ(cut[0].name, "x" + accented.substr(0, kMaxNameBytes - 2) + "\xe2\x80\xa6");
}

TEST(JunitUnusable, MissingEmptyTruncatedMalformedOrNotOneDocument) {
  EXPECT_EQ(refusal(""), "the report is empty");
  EXPECT_EQ(refusal(" \n"), "the report is empty");
  const std::string real = fixture("pytest-mixed.xml");
  EXPECT_THAT(refusal(real.substr(0, real.size() / 2)), StartsWith("the report is not well-formed XML: "));
  EXPECT_THAT(refusal("<testsuite><testcase name='a'></testsuite>"), HasSubstr("Start-end tags mismatch"));
  EXPECT_THAT(refusal("not xml at all"), StartsWith("the report has text outside its root element"));
  // A second document after the real one (a forger appending its own report), or before it.
  EXPECT_THAT(refusal(real + real), HasSubstr("more than one XML document"));
  EXPECT_THAT(refusal("<testsuite><testcase name='fake'/></testsuite>" + real), HasSubstr("more than one XML document"));
  EXPECT_THAT(refusal(real + "\ntrailing words"), HasSubstr("text outside its root element"));
  EXPECT_THAT(refusal("<?xml version='1.0'?><!-- only a comment -->"), HasSubstr("no root element"));
  EXPECT_EQ(refusal("<html><testcase name='a'/></html>"),
            "the report's root element is <html>, not <testsuites> or <testsuite>");
}

TEST(JunitUnusable, NoCaseOrTooManyCases) {
  EXPECT_EQ(refusal("<testsuites><testsuite name='pytest' tests='0'/></testsuites>"), "the report lists no test case");
  std::string many = "<testsuite>";
  for (std::size_t i = 0; i <= kMaxCases; ++i) many += "<testcase name='t" + std::to_string(i) + "'/>";
  many += "</testsuite>";
  EXPECT_THAT(refusal(many), HasSubstr("more than 1000 test cases"));
  EXPECT_THAT(parse_report(many.substr(0, many.find("<testcase name='t1000'/>")) + "</testsuite>"),
              SizeIs(kMaxCases));
}

TEST(JunitUnusable, EntitiesAreNotExpanded) {
  // No DTD entity expansion (no "billion laughs"): an undeclared-by-XML entity stays text.
  auto cases = parse_report("<!DOCTYPE t [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;'>]>"
                            "<testsuite><testcase name='&b;'><failure message='&b;'/></testcase></testsuite>");
  ASSERT_THAT(cases, SizeIs(1));
  EXPECT_EQ(cases[0].name, "&b;");
  EXPECT_THAT(cases[0].message, Not(HasSubstr("aaaa")));
}

}  // namespace
}  // namespace gradeq::junit
