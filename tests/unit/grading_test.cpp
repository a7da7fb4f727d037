// Verdicts and scores: make_bundle from a spec, grade() of a runner report against the spec.
#include <signal.h>

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gradeq/grading.hpp"

namespace gradeq {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

TestSpec make_test(const std::string& name, const std::string& expected, double points = 1.0) {
  TestSpec t;
  t.name = name;
  t.command = "./main";
  t.expected_stdout = expected;
  t.points = points;
  return t;
}

// Three tests worth 1, 2 and 3 points; a build step unless told otherwise.
Spec three_tests(bool with_build = true) {
  Spec spec;
  spec.course = "cs101";
  spec.assignment = "a1";
  spec.language = "c";
  spec.files = {"main.c"};
  if (with_build) spec.build = "gcc -o main main.c";
  spec.run = "./main";
  spec.limits.time_s = 2;
  spec.limits.build_time_s = 30;
  spec.limits.memory_mb = 96;
  spec.limits.output_kb = 8;
  spec.tests = {make_test("one", "1\n", 1), make_test("two", "2\n", 2), make_test("three", "3\n", 3)};
  spec.tests[1].hidden = true;
  return spec;
}

wire::StepResult ok_step(const std::string& name, const std::string& out) {
  wire::StepResult r;
  r.name = name;
  r.started = true;
  r.exit_code = 0;
  r.wall_ms = 12;
  r.stdout_data = out;
  return r;
}

wire::Report all_correct(const Spec& spec) {
  wire::Report report;
  if (spec.build) report.build = ok_step("build", "");
  for (const auto& t : spec.tests) report.tests.push_back(ok_step(t.name, t.expected_stdout));
  return report;
}

// ---------------------------------------------------------------------------------------------
// make_bundle

TEST(MakeBundle, BuildStepAndPerTestLimits) {
  Spec spec = three_tests();
  spec.tests[0].args = {"-v", "two words"};
  spec.tests[0].stdin_data = std::string("in\0put\xff", 7);
  spec.tests[2].time_s = 0.5;
  spec.tests[2].command = "./main --other";
  std::vector<wire::File> files{{"main.c", "int main(){}", false}, {"run.sh", "#!/bin/sh\n", true}};

  wire::Bundle b = make_bundle(spec, files);
  EXPECT_EQ(b.workdir, "/sandbox");
  ASSERT_THAT(b.files, SizeIs(2));
  EXPECT_EQ(b.files[0].path, "main.c");
  EXPECT_EQ(b.files[0].content, "int main(){}");
  EXPECT_FALSE(b.files[0].executable);
  EXPECT_TRUE(b.files[1].executable);

  ASSERT_TRUE(b.build.has_value());
  EXPECT_EQ(b.build->name, "build");
  EXPECT_EQ(b.build->command, "gcc -o main main.c");
  EXPECT_TRUE(b.build->args.empty());
  EXPECT_EQ(b.build->stdin_data, "");
  EXPECT_DOUBLE_EQ(b.build->time_s, 30);  // build_time_s, not time_s
  EXPECT_EQ(b.build->output_kb, 8);
  EXPECT_EQ(b.build->memory_mb, 96);

  ASSERT_THAT(b.tests, SizeIs(3));
  EXPECT_EQ(b.tests[0].name, "one");
  EXPECT_EQ(b.tests[0].command, "./main");
  EXPECT_EQ(b.tests[0].args, (std::vector<std::string>{"-v", "two words"}));
  EXPECT_EQ(b.tests[0].stdin_data, std::string("in\0put\xff", 7));
  EXPECT_DOUBLE_EQ(b.tests[0].time_s, 2);
  EXPECT_EQ(b.tests[0].output_kb, 8);
  EXPECT_EQ(b.tests[0].memory_mb, 96);
  EXPECT_EQ(b.tests[1].name, "two");
  EXPECT_EQ(b.tests[2].command, "./main --other");
  EXPECT_DOUBLE_EQ(b.tests[2].time_s, 0.5);
}

TEST(MakeBundle, NoBuildAndNoExpectedOutputs) {
  Spec spec = three_tests(false);
  spec.tests[0].expected_stdout = "SECRET-EXPECTED-OUTPUT";
  wire::Bundle b = make_bundle(spec, {});
  EXPECT_FALSE(b.build.has_value());
  ASSERT_THAT(b.tests, SizeIs(3));
  // Expected outputs never enter the container.
  EXPECT_THAT(wire::to_json(b), Not(HasSubstr("SECRET")));
}

// ---------------------------------------------------------------------------------------------
// grade(): scores

TEST(Grade, AllPassed) {
  Spec spec = three_tests();
  GradeResult g = grade(spec, all_correct(spec));
  EXPECT_TRUE(g.compile_ok);
  EXPECT_DOUBLE_EQ(g.score, 6);
  EXPECT_DOUBLE_EQ(g.max_score, 6);
  EXPECT_THAT(g.failed_tests, IsEmpty());
  ASSERT_THAT(g.tests, SizeIs(3));
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(g.tests[i].name, spec.tests[i].name);
    EXPECT_EQ(g.tests[i].verdict, Verdict::passed);
    EXPECT_DOUBLE_EQ(g.tests[i].points, spec.tests[i].points);
    EXPECT_DOUBLE_EQ(g.tests[i].max_points, spec.tests[i].points);
    EXPECT_EQ(g.tests[i].duration_ms, 12);
    EXPECT_EQ(g.tests[i].exit_code, 0);
    EXPECT_EQ(g.tests[i].message, "");
  }
  EXPECT_FALSE(g.tests[0].hidden);
  EXPECT_TRUE(g.tests[1].hidden);
}

TEST(Grade, PointsAndFailedTestsInSpecOrder) {
  Spec spec = three_tests();
  wire::Report report = all_correct(spec);
  report.tests[0].stdout_data = "wrong\n";
  report.tests[2].exit_code = 1;
  GradeResult g = grade(spec, report);
  EXPECT_DOUBLE_EQ(g.score, 2);
  EXPECT_DOUBLE_EQ(g.max_score, 6);
  EXPECT_THAT(g.failed_tests, ElementsAre("one", "three"));
  EXPECT_EQ(g.tests[0].verdict, Verdict::wrong_answer);
  EXPECT_DOUBLE_EQ(g.tests[0].points, 0);
  EXPECT_DOUBLE_EQ(g.tests[0].max_points, 1);
  EXPECT_THAT(g.tests[0].message, HasSubstr("line 1"));
  EXPECT_EQ(g.tests[0].stdout_data, "wrong\n");
  EXPECT_EQ(g.tests[1].verdict, Verdict::passed);
  EXPECT_EQ(g.tests[2].verdict, Verdict::runtime_error);
  EXPECT_EQ(g.tests[2].message, "exit code 1");
}

TEST(Grade, FractionalPointsAndZeroPointTests) {
  Spec spec = three_tests(false);
  spec.tests[0].points = 0.5;
  spec.tests[1].points = 0;
  spec.tests[2].points = 2.25;
  wire::Report report = all_correct(spec);
  report.tests[1].stdout_data = "nope";
  GradeResult g = grade(spec, report);
  EXPECT_DOUBLE_EQ(g.score, 2.75);
  EXPECT_DOUBLE_EQ(g.max_score, 2.75);
  // A zero-point test that fails is still a failed test.
  EXPECT_THAT(g.failed_tests, ElementsAre("two"));
}

TEST(Grade, UsesTheTestsCompareModeAndTolerance) {
  Spec spec = three_tests(false);
  spec.tests[0].compare = CompareMode::exact;
  spec.tests[1].compare = CompareMode::float_;
  spec.tests[1].expected_stdout = "3.14\n";
  spec.tests[1].tolerance = {0.01, 0};
  spec.tests[2].compare = CompareMode::regex;
  spec.tests[2].expected_stdout = "\\d+";
  wire::Report report = all_correct(spec);
  report.tests[0].stdout_data = "1\r\n";  // exact: \r matters
  report.tests[1].stdout_data = "3.145";
  report.tests[2].stdout_data = "12345\n";
  GradeResult g = grade(spec, report);
  EXPECT_THAT(g.failed_tests, ElementsAre("one"));
  EXPECT_EQ(g.tests[1].verdict, Verdict::passed);
  EXPECT_EQ(g.tests[2].verdict, Verdict::passed);
}

TEST(Grade, EmptySpecScoresZeroOfZero) {
  Spec spec = three_tests(false);
  spec.tests.clear();
  GradeResult g = grade(spec, wire::Report{});
  EXPECT_DOUBLE_EQ(g.score, 0);
  EXPECT_DOUBLE_EQ(g.max_score, 0);
  EXPECT_THAT(g.tests, IsEmpty());
}

// ---------------------------------------------------------------------------------------------
// grade(): verdict precedence

struct Facts {
  bool timed_out, oom, output_exceeded;
  int signal, exit_code;
  bool right_output;
  Verdict want;
};

class Precedence : public ::testing::TestWithParam<Facts> {};

TEST_P(Precedence, OneTest) {
  const Facts& f = GetParam();
  Spec spec = three_tests(false);
  spec.tests.resize(1);
  wire::Report report = all_correct(spec);
  wire::StepResult& r = report.tests[0];
  r.timed_out = f.timed_out;
  r.oom_killed = f.oom;
  r.output_exceeded = f.output_exceeded;
  r.term_signal = f.signal;
  r.exit_code = f.exit_code;
  if (!f.right_output) r.stdout_data = "garbage";
  GradeResult g = grade(spec, report);
  EXPECT_EQ(g.tests[0].verdict, f.want) << to_string(g.tests[0].verdict) << ": " << g.tests[0].message;
  EXPECT_EQ(g.score, f.want == Verdict::passed ? 1.0 : 0.0);
  EXPECT_EQ(g.failed_tests.empty(), f.want == Verdict::passed);
}

INSTANTIATE_TEST_SUITE_P(
    Grade, Precedence,
    ::testing::Values(
        // timed_out wins over everything
        Facts{true, true, true, SIGKILL, -1, false, Verdict::time_limit},
        Facts{true, false, false, 0, 0, true, Verdict::time_limit},
        // then oom
        Facts{false, true, true, SIGKILL, -1, false, Verdict::memory_limit},
        Facts{false, true, false, 0, 137, true, Verdict::memory_limit},
        // then output_exceeded
        Facts{false, false, true, SIGKILL, -1, false, Verdict::output_limit},
        Facts{false, false, true, 0, 0, true, Verdict::output_limit},
        // then a signal
        Facts{false, false, false, SIGSEGV, -1, false, Verdict::runtime_error},
        Facts{false, false, false, SIGABRT, -1, true, Verdict::runtime_error},
        // then the exit code
        Facts{false, false, false, 0, 1, false, Verdict::runtime_error},
        Facts{false, false, false, 0, 2, true, Verdict::runtime_error},
        // then the output
        Facts{false, false, false, 0, 0, false, Verdict::wrong_answer},
        Facts{false, false, false, 0, 0, true, Verdict::passed}));

TEST(Grade, MessagesForEachEnd) {
  Spec spec = three_tests(false);
  spec.tests[0].time_s = 0.25;
  wire::Report report = all_correct(spec);
  report.tests[0].timed_out = true;
  report.tests[1].term_signal = SIGSEGV;
  report.tests[2].output_exceeded = true;
  GradeResult g = grade(spec, report);
  EXPECT_EQ(g.tests[0].message, "time limit of 0.25 s exceeded");
  EXPECT_EQ(g.tests[1].message, "killed by SIGSEGV");
  EXPECT_EQ(g.tests[1].term_signal, SIGSEGV);
  EXPECT_EQ(g.tests[2].message, "output limit of 8 KiB exceeded");

  spec.tests[0].time_s = 2;
  g = grade(spec, report);
  EXPECT_EQ(g.tests[0].message, "time limit of 2 s exceeded");
}

TEST(Grade, ExpectExit) {
  Spec spec = three_tests(false);
  spec.tests[0].expect_exit = 1;
  spec.tests[1].expect_exit = 3;
  wire::Report report = all_correct(spec);
  report.tests[0].exit_code = 1;  // as expected: output decides
  report.tests[1].exit_code = 0;  // expected 3
  report.tests[2].exit_code = 1;  // expected 0
  GradeResult g = grade(spec, report);
  EXPECT_EQ(g.tests[0].verdict, Verdict::passed);
  EXPECT_EQ(g.tests[1].verdict, Verdict::runtime_error);
  EXPECT_EQ(g.tests[1].message, "exit code 0, expected 3");
  EXPECT_EQ(g.tests[2].verdict, Verdict::runtime_error);
  EXPECT_EQ(g.tests[2].message, "exit code 1");
  EXPECT_THAT(g.failed_tests, ElementsAre("two", "three"));

  // The expected exit code with the wrong output is a wrong answer.
  report.tests[0].stdout_data = "x";
  EXPECT_EQ(grade(spec, report).tests[0].verdict, Verdict::wrong_answer);
  // A signal is never the expected exit.
  report.tests[0].exit_code = -1;
  report.tests[0].term_signal = SIGKILL;
  EXPECT_EQ(grade(spec, report).tests[0].verdict, Verdict::runtime_error);
}

// ---------------------------------------------------------------------------------------------
// grade(): the build step

TEST(Grade, FailedBuildIsCompileErrorForEveryTest) {
  Spec spec = three_tests();
  wire::Report report;
  report.build = ok_step("build", "");
  report.build->exit_code = 1;
  report.build->stderr_data = "main.c:1: error: expected ';'\n";
  GradeResult g = grade(spec, report);
  EXPECT_FALSE(g.compile_ok);
  EXPECT_THAT(g.compile_output, HasSubstr("expected ';'"));
  EXPECT_DOUBLE_EQ(g.score, 0);
  EXPECT_DOUBLE_EQ(g.max_score, 6);
  EXPECT_THAT(g.failed_tests, ElementsAre("one", "two", "three"));
  ASSERT_THAT(g.tests, SizeIs(3));
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(g.tests[i].name, spec.tests[i].name);
    EXPECT_EQ(g.tests[i].verdict, Verdict::compile_error);
    EXPECT_DOUBLE_EQ(g.tests[i].points, 0);
    EXPECT_DOUBLE_EQ(g.tests[i].max_points, spec.tests[i].points);
    EXPECT_THAT(g.tests[i].message, HasSubstr("build failed"));
  }
  EXPECT_TRUE(g.tests[1].hidden);
}

TEST(Grade, BuildThatTimesOutOrIsKilled) {
  Spec spec = three_tests();
  wire::Report report;
  report.build = ok_step("build", "");
  report.build->timed_out = true;
  report.build->exit_code = -1;
  report.build->term_signal = SIGKILL;
  GradeResult g = grade(spec, report);
  EXPECT_FALSE(g.compile_ok);
  EXPECT_THAT(g.compile_output, HasSubstr("time limit of 30 s exceeded"));
  EXPECT_THAT(g.failed_tests, SizeIs(3));
  EXPECT_EQ(g.tests[0].verdict, Verdict::compile_error);

  report.build->timed_out = false;
  report.build->oom_killed = true;
  g = grade(spec, report);
  EXPECT_FALSE(g.compile_ok);
  EXPECT_THAT(g.compile_output, HasSubstr("memory limit exceeded"));

  report.build->oom_killed = false;
  g = grade(spec, report);
  EXPECT_FALSE(g.compile_ok);
  EXPECT_THAT(g.tests[0].message, HasSubstr("SIGKILL"));
}

TEST(Grade, CompileOutputIsKeptAndCapped) {
  Spec spec = three_tests();
  wire::Report report = all_correct(spec);
  report.build->stdout_data = "warning: unused variable\n";
  GradeResult g = grade(spec, report);
  EXPECT_TRUE(g.compile_ok);
  EXPECT_THAT(g.compile_output, HasSubstr("unused variable"));
  EXPECT_DOUBLE_EQ(g.score, 6);

  report.build->exit_code = 1;
  report.build->stdout_data = std::string(200 * 1024, 'e');
  g = grade(spec, report);
  EXPECT_LT(g.compile_output.size(), 70u * 1024);
  EXPECT_THAT(g.compile_output, HasSubstr("truncated"));
}

TEST(Grade, BuildResultIsIgnoredWithoutABuildStep) {
  Spec spec = three_tests(false);
  wire::Report report = all_correct(spec);
  GradeResult g = grade(spec, report);
  EXPECT_TRUE(g.compile_ok);
  EXPECT_DOUBLE_EQ(g.score, 6);
}

// ---------------------------------------------------------------------------------------------
// grade(): system faults

TEST(GradeErrors, RunnerError) {
  Spec spec = three_tests();
  wire::Report report = all_correct(spec);
  report.runner_error = "cannot write /sandbox/main.c: read-only file system";
  try {
    grade(spec, report);
    FAIL();
  } catch (const GradingError& e) {
    EXPECT_THAT(e.what(), HasSubstr("read-only file system"));
  }
}

TEST(GradeErrors, MismatchedTestCount) {
  Spec spec = three_tests();
  wire::Report report = all_correct(spec);
  report.tests.pop_back();
  EXPECT_THROW(grade(spec, report), GradingError);
  report = all_correct(spec);
  report.tests.push_back(ok_step("four", ""));
  EXPECT_THROW(grade(spec, report), GradingError);
  report = all_correct(spec);
  report.tests.clear();
  EXPECT_THROW(grade(spec, report), GradingError);
}

TEST(GradeErrors, MismatchedNames) {
  Spec spec = three_tests();
  wire::Report report = all_correct(spec);
  std::swap(report.tests[1], report.tests[2]);
  try {
    grade(spec, report);
    FAIL();
  } catch (const GradingError& e) {
    EXPECT_THAT(e.what(), HasSubstr("\"three\""));
    EXPECT_THAT(e.what(), HasSubstr("\"two\""));
  }
}

TEST(GradeErrors, StepTheRunnerCouldNotStart) {
  Spec spec = three_tests();
  wire::Report report = all_correct(spec);
  report.tests[1].started = false;
  report.tests[1].error = "fork: resource temporarily unavailable";
  try {
    grade(spec, report);
    FAIL();
  } catch (const GradingError& e) {
    EXPECT_THAT(e.what(), HasSubstr("two"));
    EXPECT_THAT(e.what(), HasSubstr("fork"));
  }

  report = all_correct(spec);
  report.build->started = false;
  report.build->error = "no /bin/sh";
  EXPECT_THROW(grade(spec, report), GradingError);
}

TEST(GradeErrors, MissingBuildResult) {
  Spec spec = three_tests();
  wire::Report report = all_correct(spec);
  report.build.reset();
  EXPECT_THROW(grade(spec, report), GradingError);
}

TEST(GradeErrors, ReportWithTestsAfterAFailedBuildIsStillCompileError) {
  Spec spec = three_tests();
  wire::Report report = all_correct(spec);
  report.build->exit_code = 2;
  GradeResult g = grade(spec, report);
  EXPECT_FALSE(g.compile_ok);
  EXPECT_DOUBLE_EQ(g.score, 0);
}

TEST(VerdictNames, AreTheStoredText) {
  EXPECT_STREQ(to_string(Verdict::passed), "passed");
  EXPECT_STREQ(to_string(Verdict::wrong_answer), "wrong_answer");
  EXPECT_STREQ(to_string(Verdict::runtime_error), "runtime_error");
  EXPECT_STREQ(to_string(Verdict::time_limit), "time_limit");
  EXPECT_STREQ(to_string(Verdict::memory_limit), "memory_limit");
  EXPECT_STREQ(to_string(Verdict::output_limit), "output_limit");
  EXPECT_STREQ(to_string(Verdict::compile_error), "compile_error");
  EXPECT_STREQ(to_string(Verdict::skipped), "skipped");
}

}  // namespace
}  // namespace gradeq
