// Unit-test groups (kind: junit) in make_bundle and grade(): a row per testcase of the report,
// points spread or per case, and one visible failed row for a group whose report cannot be used
// or believed. Reports are the real ones of tests/unit/data/junit/.
#include <signal.h>

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gradeq/grading.hpp"
#include "junit_fixture.hpp"

namespace gradeq {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

std::string fixture(const std::string& name) {
  std::string text = testing::junit_fixture(name);
  EXPECT_FALSE(text.empty()) << name;
  return text;
}

// pytest-mixed.xml: 10 cases, 5 passed (test_add twice, in two classes), failed test_fail and
// test_error, skipped test_skip and test_xfail, error test_setup_error.
const std::vector<std::string> kPytestFailed{"test_fail", "test_error", "test_skip", "test_xfail",
                                             "test_setup_error"};

// A report as the frameworks write it: an XML declaration first.
std::string doc(const std::string& body) { return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + body; }

// An io test "smoke" (1 point), then the junit group "unit" worth `points`.
Spec unit_spec(double points = 10) {
  Spec spec;
  spec.course = "cs101";
  spec.assignment = "ws";
  spec.language = "python";
  spec.files = {"wordstats.py"};
  spec.run = "python3 wordstats.py";
  TestSpec smoke;
  smoke.name = "smoke";
  smoke.command = spec.run;
  smoke.expected_stdout = "ok\n";
  TestSpec unit;
  unit.name = "unit";
  unit.kind = TestKind::junit;
  unit.command = "python3 -m pytest --junitxml=/tmp/junit/report.xml tests/test_ws.py";
  unit.report = "/tmp/junit/report.xml";
  unit.points = points;
  unit.time_s = 10;
  unit.support_files = {{"tests/test_ws.py", "def test_add(): pass\n", false}};
  spec.tests = {smoke, unit};
  return spec;
}

// The runner's facts for a group whose command wrote `xml` through the report channel.
wire::StepResult reported(const std::string& xml, int exit_code = 1) {
  wire::StepResult r;
  r.name = "unit";
  r.started = true;
  r.exit_code = exit_code;
  r.wall_ms = 700;
  r.stdout_data = "2 failed, 5 passed\n";
  r.report_data = xml;
  r.report_opens = 1;
  return r;
}

wire::Report run_with(const wire::StepResult& unit) {
  wire::Report report;
  wire::StepResult smoke;
  smoke.name = "smoke";
  smoke.started = true;
  smoke.exit_code = 0;
  smoke.stdout_data = "ok\n";
  report.tests = {smoke, unit};
  return report;
}

std::vector<std::string> names(const GradeResult& g) {
  std::vector<std::string> out;
  for (const auto& t : g.tests) out.push_back(t.name);
  return out;
}

TEST(JunitGrade, EveryCaseIsATestAndTheGroupsPointsAreSpreadOverThem) {
  Spec spec = unit_spec(10);
  spec.tests[1].hidden = true;
  GradeResult g = grade(spec, run_with(reported(fixture("pytest-mixed.xml"))));
  EXPECT_DOUBLE_EQ(g.max_score, 11);
  EXPECT_DOUBLE_EQ(g.score, 1 + 5);
  // Two cases named test_add: qualified by their classes; the rest by their own names.
  EXPECT_THAT(names(g), ElementsAre("smoke", "tests.test_ws.test_add", "test_fail", "test_error", "test_skip",
                                    "test_xfail", "test_param[1]", "test_param[\\xe9]",
                                    "test_\xc3\xbcn\xc3\xaf" "code_n\xc3\xa4me", "tests.test_ws.TestGroup.test_add",
                                    "test_setup_error"));
  EXPECT_EQ(g.failed_tests, kPytestFailed);
  ASSERT_THAT(g.tests, SizeIs(11));
  EXPECT_EQ(g.tests[1].verdict, Verdict::passed);
  EXPECT_DOUBLE_EQ(g.tests[1].points, 1);
  EXPECT_EQ(g.tests[2].verdict, Verdict::wrong_answer);
  EXPECT_DOUBLE_EQ(g.tests[2].points, 0);
  EXPECT_DOUBLE_EQ(g.tests[2].max_points, 1);
  EXPECT_THAT(g.tests[2].message, StartsWith("AssertionError: one plus two"));
  EXPECT_EQ(g.tests[4].verdict, Verdict::skipped);
  EXPECT_EQ(g.tests[10].verdict, Verdict::runtime_error);
  EXPECT_EQ(g.tests[2].duration_ms, 1);  // the case's own time
  for (std::size_t i = 1; i < g.tests.size(); ++i) EXPECT_TRUE(g.tests[i].hidden) << g.tests[i].name;
  EXPECT_FALSE(g.tests[0].hidden);
}

TEST(JunitGrade, TheCommandsExitCodeDoesNotMatterWhenItsReportIsGood) {
  Spec spec = unit_spec(4);
  const std::string xml = doc("<testsuite><testcase name='a'/><testcase name='b'/><testcase name='c'/></testsuite>");
  GradeResult zero = grade(spec, run_with(reported(xml, 0)));
  GradeResult three = grade(spec, run_with(reported(xml, 3)));
  EXPECT_DOUBLE_EQ(zero.score, 5);
  EXPECT_DOUBLE_EQ(three.score, 5);
  EXPECT_THAT(three.failed_tests, IsEmpty());
  // A third of 4 points each; the full group is worth exactly its 4 points.
  EXPECT_DOUBLE_EQ(three.tests[1].max_points, 4.0 / 3);
}

TEST(JunitGrade, PointsPerCaseWithTheDeclaredNumberOfCases) {
  Spec spec = unit_spec();
  spec.tests[1].points = 0;
  spec.tests[1].points_per_case = 0.5;
  spec.tests[1].cases = 10;
  GradeResult g = grade(spec, run_with(reported(fixture("pytest-mixed.xml"))));
  EXPECT_DOUBLE_EQ(g.max_score, 6);
  EXPECT_DOUBLE_EQ(g.score, 1 + 2.5);
  EXPECT_DOUBLE_EQ(g.tests[1].max_points, 0.5);
  EXPECT_EQ(g.failed_tests, kPytestFailed);
}

TEST(JunitGrade, FewerCasesThanDeclaredLoseTheMissingOnesVisibly) {
  // A collection error: pytest lists one errored case for the whole file.
  Spec spec = unit_spec(6);
  spec.tests[1].cases = 3;
  GradeResult g = grade(spec, run_with(reported(fixture("pytest-collection-error.xml"), 2)));
  EXPECT_DOUBLE_EQ(g.max_score, 7);
  EXPECT_DOUBLE_EQ(g.score, 1);
  EXPECT_THAT(g.failed_tests, ElementsAre("tests.test_ws", "unit"));
  ASSERT_THAT(g.tests, SizeIs(3));
  EXPECT_EQ(g.tests[1].verdict, Verdict::runtime_error);
  EXPECT_DOUBLE_EQ(g.tests[1].max_points, 2);
  EXPECT_THAT(g.tests[1].message, HasSubstr("SyntaxError"));
  EXPECT_EQ(g.tests[2].verdict, Verdict::runtime_error);
  EXPECT_DOUBLE_EQ(g.tests[2].max_points, 4);
  EXPECT_EQ(g.tests[2].message, "the report lists 1 of the 3 test cases the spec expects: 2 did not run");
  double max_points = 0;
  for (const auto& t : g.tests) max_points += t.max_points;
  EXPECT_DOUBLE_EQ(max_points, g.max_score);
}

TEST(JunitGrade, MoreCasesThanDeclaredAreFlaggedAndTheGroupIsCapped) {
  Spec spec = unit_spec();
  spec.tests[1].points = 0;
  spec.tests[1].points_per_case = 1;
  spec.tests[1].cases = 2;
  GradeResult g = grade(spec, run_with(reported(doc("<testsuite><testcase name='a'/><testcase name='b'/>"
                                                    "<testcase name='c'/></testsuite>"))));
  EXPECT_DOUBLE_EQ(g.max_score, 3);
  EXPECT_DOUBLE_EQ(g.score, 3);  // smoke 1 + the group's cap 2, not 3
  EXPECT_THAT(g.failed_tests, ElementsAre("unit"));
  EXPECT_THAT(g.tests.back().message, HasSubstr("the report lists 3 test cases, the spec expects 2"));
  EXPECT_DOUBLE_EQ(g.tests.back().max_points, 0);
}

TEST(JunitGrade, EqualNamesInOneClassAreNumbered) {
  Spec spec = unit_spec(3);
  GradeResult g = grade(spec, run_with(reported(doc("<testsuite><testcase classname='K' name='smoke'/>"
                                                    "<testcase classname='K' name='t'/>"
                                                    "<testcase classname='K' name='t'><failure/></testcase>"
                                                    "</testsuite>"))));
  // "smoke" is also the io test's name: the case is qualified, the io test keeps its name.
  EXPECT_THAT(names(g), ElementsAre("smoke", "K.smoke", "K.t", "K.t #2"));
  EXPECT_THAT(g.failed_tests, ElementsAre("K.t #2"));
}

// One row named by the group, failed, worth the whole group, with the reason.
void expect_group_failed(const GradeResult& g, Verdict verdict, const std::string& reason) {
  SCOPED_TRACE(reason);
  EXPECT_DOUBLE_EQ(g.score, 1);
  EXPECT_DOUBLE_EQ(g.max_score, 11);
  EXPECT_THAT(g.failed_tests, ElementsAre("unit"));
  ASSERT_THAT(g.tests, SizeIs(2));
  EXPECT_EQ(g.tests[1].name, "unit");
  EXPECT_EQ(g.tests[1].verdict, verdict);
  EXPECT_DOUBLE_EQ(g.tests[1].points, 0);
  EXPECT_DOUBLE_EQ(g.tests[1].max_points, 10);
  EXPECT_THAT(g.tests[1].message, HasSubstr(reason));
}

TEST(JunitGrade, AReportThatCannotBeUsedFailsTheWholeGroupWithTheReason) {
  const Spec spec = unit_spec(10);
  const std::string good = fixture("pytest-mixed.xml");

  wire::StepResult r = reported("", 4);
  r.report_opens = 0;
  r.stderr_data = "ERROR: usage: pytest [options]\n";
  GradeResult g = grade(spec, run_with(r));
  expect_group_failed(g, Verdict::runtime_error,
                      "no report: the command exited with code 4 without writing /tmp/junit/report.xml");
  EXPECT_EQ(g.tests[1].stderr_data, "ERROR: usage: pytest [options]\n");  // kept for staff to see
  EXPECT_EQ(g.tests[1].exit_code, 4);

  r = reported("", 139);
  r.report_opens = 0;
  expect_group_failed(grade(spec, run_with(r)), Verdict::runtime_error,
                      "no report: the command exited with code 139 (SIGSEGV) without writing /tmp/junit/report.xml");
  expect_group_failed(grade(spec, run_with(reported(""))), Verdict::runtime_error, "the report is empty");
  expect_group_failed(grade(spec, run_with(reported(good.substr(0, 700)))), Verdict::runtime_error,
                      "the report is not well-formed XML");
  expect_group_failed(grade(spec, run_with(reported(doc("<html/>")))), Verdict::runtime_error,
                      "not <testsuites> or <testsuite>");
  expect_group_failed(grade(spec, run_with(reported(doc("<testsuites><testsuite tests='0'/></testsuites>")))),
                      Verdict::runtime_error, "the report lists no test case");
  r = reported(good);
  r.report_truncated = true;
  expect_group_failed(grade(spec, run_with(r)), Verdict::runtime_error, "the report is larger than 1024 KiB");
}

TEST(JunitGrade, AForgedReportIsNotBelieved) {
  const Spec spec = unit_spec(10);
  const std::string good = fixture("pytest-mixed.xml");
  const std::string fake = "<testsuite><testcase name='test_fail'/></testsuite>";
  ASSERT_THAT(good, StartsWith("<?xml"));
  // A fake written before or after the real one: two documents in one FIFO.
  expect_group_failed(grade(spec, run_with(reported(doc(fake) + good))), Verdict::runtime_error,
                      "it holds 2 XML declarations, and the test command writes one (a second writer)");
  expect_group_failed(grade(spec, run_with(reported(fake + good))), Verdict::runtime_error,
                      "it does not begin with an XML declaration");
  expect_group_failed(grade(spec, run_with(reported(good + fake))), Verdict::runtime_error,
                      "more than one XML document");
  // The real report wrapped in a fake one's comment: one well-formed document, all passed, and
  // the second writer's opening merged away. The real report's own declaration gives it away.
  const std::string wrapped_in = "<testsuite><testcase name='test_fail'/><!--";
  const std::string wrapped_out = "--></testsuite>";
  expect_group_failed(grade(spec, run_with(reported(doc(wrapped_in) + good + wrapped_out))),
                      Verdict::runtime_error, "it holds 2 XML declarations");
  expect_group_failed(grade(spec, run_with(reported(wrapped_in + good + wrapped_out))), Verdict::runtime_error,
                      "it does not begin with an XML declaration");
  // Two writers seen.
  wire::StepResult r = reported(good);
  r.report_opens = 2;
  expect_group_failed(grade(spec, run_with(r)), Verdict::runtime_error,
                      "the report is not believed: it was opened 2 times for writing");
  // The report replaced, renamed or its folder changed while the command ran.
  r = reported(doc(fake));
  r.report_changes = "report.xml was renamed; report.xml was created";
  expect_group_failed(grade(spec, run_with(r)), Verdict::runtime_error,
                      "the report is not believed: its folder changed while the tests ran (report.xml was renamed");
  // A byte order mark before the declaration is fine.
  GradeResult g = grade(spec, run_with(reported("\xef\xbb\xbf" + good)));
  EXPECT_THAT(g.tests, SizeIs(11));
}

TEST(JunitGrade, AStoppedCommandFailsTheGroupWithItsVerdict) {
  const Spec spec = unit_spec(10);
  wire::StepResult r = reported(fixture("pytest-mixed.xml"));
  r.timed_out = true;
  expect_group_failed(grade(spec, run_with(r)), Verdict::time_limit,
                      "time limit of 10 s exceeded (the report of a stopped command is not used)");
  r = reported("");
  r.report_opens = 0;
  r.exit_code = -1;
  r.term_signal = SIGSEGV;
  expect_group_failed(grade(spec, run_with(r)), Verdict::runtime_error, "killed by SIGSEGV");
  r = reported("");
  r.oom_killed = true;
  expect_group_failed(grade(spec, run_with(r)), Verdict::memory_limit, "memory limit exceeded");
}

TEST(JunitGrade, AFolderThatCouldNotBePreparedIsTheGroupsFailureNotASystemFault) {
  const Spec spec = unit_spec(10);
  wire::StepResult r;
  r.name = "unit";
  r.started = false;
  r.report_error = "cannot prepare the report folder: rmdir /tmp/junit: Directory not empty";
  expect_group_failed(grade(spec, run_with(r)), Verdict::runtime_error,
                      "not run: cannot prepare the report folder: rmdir /tmp/junit");
  // A step the runner could not start for its own reasons is still a system fault.
  r.report_error.clear();
  r.error = "fork: Resource temporarily unavailable";
  EXPECT_THROW(grade(spec, run_with(r)), GradingError);
}

TEST(JunitGrade, ACompileErrorFailsEachGroupOnce) {
  Spec spec = unit_spec(10);
  spec.build = "python3 -m py_compile wordstats.py";
  wire::Report report;
  wire::StepResult build;
  build.name = "build";
  build.started = true;
  build.exit_code = 1;
  build.stderr_data = "SyntaxError";
  report.build = build;
  GradeResult g = grade(spec, report);
  EXPECT_FALSE(g.compile_ok);
  EXPECT_THAT(g.failed_tests, ElementsAre("smoke", "unit"));
  EXPECT_EQ(g.tests[1].verdict, Verdict::compile_error);
  EXPECT_DOUBLE_EQ(g.tests[1].max_points, 10);
  EXPECT_DOUBLE_EQ(g.max_score, 11);
}

TEST(JunitBundle, SupportFilesGoInOnceAndWinOverAStudentsFileInTheirWay) {
  Spec spec = unit_spec();
  TestSpec second = spec.tests[1];
  second.name = "unit-2";
  second.support_files.push_back({"data/words.txt", "a b c\n", false});
  second.support_files.push_back({"run_tests.sh", "#!/bin/sh\n", true});
  spec.tests.push_back(second);
  std::vector<wire::File> student{{"wordstats.py", "print('ok')", false},
                                  {"tests/test_ws.py", "def test_add(): assert True\n", false},  // same path
                                  {"data", "a file where a folder must be", false},
                                  {"./run_tests.sh/x", "under a staff file", false},
                                  {"notes/tests.md", "fine", false}};
  wire::Bundle b = make_bundle(spec, student);
  std::vector<std::string> paths;
  for (const auto& f : b.files) paths.push_back(f.path);
  EXPECT_THAT(paths, ElementsAre("wordstats.py", "notes/tests.md", "tests/test_ws.py", "data/words.txt",
                                 "run_tests.sh"));
  EXPECT_EQ(b.files[2].content, "def test_add(): pass\n");  // the staff's
  EXPECT_TRUE(b.files[4].executable);

  ASSERT_THAT(b.tests, SizeIs(3));
  EXPECT_EQ(b.tests[0].report, "");
  EXPECT_EQ(b.tests[1].report, "/tmp/junit/report.xml");
  EXPECT_EQ(b.tests[1].report_kb, kReportKb);
  EXPECT_EQ(b.tests[1].command, "python3 -m pytest --junitxml=/tmp/junit/report.xml tests/test_ws.py");
  EXPECT_EQ(b.tests[1].stdin_data, "");
  EXPECT_DOUBLE_EQ(b.tests[1].time_s, 10);
}

}  // namespace
}  // namespace gradeq
