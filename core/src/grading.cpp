#include "gradeq/grading.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "gradeq/junit.hpp"

namespace gradeq {

namespace {

constexpr std::size_t kCompileOutputCap = 64 * 1024;

std::string signal_name(int sig) {
  const char* name = sigabbrev_np(sig);
  return name ? std::string("SIG") + name : "signal " + std::to_string(sig);
}

// Seconds as people write them: 2, 0.25, 1.5 (not "2.0", nor "0.2" for 0.25).
std::string seconds(double s) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", s);
  return buffer;
}

std::string capped(std::string text, std::size_t cap) {
  if (text.size() <= cap) return text;
  text.resize(cap);
  return text + "\n[... truncated by gradeq ...]";
}

// A step the runner or the kernel stopped (a limit, a signal): which verdict, and why. Returns
// passed when it ended by itself.
Verdict judge_stop(const wire::StepResult& r, double time_s, int output_kb, std::string& message) {
  if (r.timed_out) {
    message = "time limit of " + seconds(time_s) + " s exceeded";
    return Verdict::time_limit;
  }
  if (r.oom_killed) {
    message = "memory limit exceeded";
    return Verdict::memory_limit;
  }
  if (r.output_exceeded) {
    message = "output limit of " + std::to_string(output_kb) + " KiB exceeded";
    return Verdict::output_limit;
  }
  if (r.term_signal != 0) {
    message = "killed by " + signal_name(r.term_signal);
    return Verdict::runtime_error;
  }
  return Verdict::passed;
}

// A step that did not end normally with the exit code it should have: which verdict, and why.
// Returns passed when it ended as expected.
Verdict judge_end(const wire::StepResult& r, int expect_exit, double time_s, int output_kb,
                  std::string& message) {
  if (Verdict stop = judge_stop(r, time_s, output_kb, message); stop != Verdict::passed) return stop;
  if (r.exit_code != expect_exit) {
    message = "exit code " + std::to_string(r.exit_code);
    if (expect_exit != 0) message += ", expected " + std::to_string(expect_exit);
    return Verdict::runtime_error;
  }
  return Verdict::passed;
}

// A path as the runner writes it: "." and empty components dropped.
std::string normal_path(const std::string& path) {
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (!part.empty() && part != ".") out += (out.empty() ? "" : "/") + part;
    start = end + 1;
  }
  return out;
}

// Whether two files cannot both be written: the same path, or one is a folder of the other.
bool collide(const std::string& a, const std::string& b) {
  if (a == b) return true;
  const std::string& shorter = a.size() < b.size() ? a : b;
  const std::string& longer = a.size() < b.size() ? b : a;
  return longer.compare(0, shorter.size(), shorter) == 0 && longer[shorter.size()] == '/';
}

Verdict verdict_of(junit::Outcome outcome) {
  switch (outcome) {
    case junit::Outcome::passed: return Verdict::passed;
    case junit::Outcome::failure: return Verdict::wrong_answer;
    case junit::Outcome::error: return Verdict::runtime_error;
    case junit::Outcome::skipped: return Verdict::skipped;
  }
  return Verdict::runtime_error;
}

// Outcomes in the making, with the class of each junit case (to tell equal names apart).
struct Rows {
  std::vector<TestOutcome> tests;
  std::vector<std::string> classes;
  void add(TestOutcome o, std::string classname = "") {
    tests.push_back(std::move(o));
    classes.push_back(std::move(classname));
  }
};

// One row that stands for a whole junit group: its command failed, or its report cannot be used
// or believed. Every case of the group is lost with it.
TestOutcome group_row(const TestSpec& t, const wire::StepResult& r, Verdict verdict, std::string message,
                      double max_points) {
  TestOutcome o;
  o.name = t.name;
  o.verdict = verdict;
  o.max_points = max_points;
  o.hidden = t.hidden;
  o.duration_ms = r.wall_ms;
  o.exit_code = r.exit_code;
  o.term_signal = r.term_signal;
  o.message = std::move(message);
  o.stdout_data = r.stdout_data;
  o.stderr_data = r.stderr_data;
  return o;
}

// The FIFO only appends, so a forger can still wrap the command's report in its own: write
// "<testsuite>...<!--" before it and "-->...</testsuite>" after it, one well-formed document. But
// pytest, GoogleTest and the JUnit console begin their report with an XML declaration, which a
// forger can neither remove nor hide from a byte search: the report must begin with the one
// declaration it holds. "" when it does (or holds nothing but blanks: said later, as empty).
std::string forged_declaration(const std::string& data) {
  if (data.find_first_not_of(" \t\r\n") == std::string::npos) return "";
  std::size_t count = 0;
  for (auto at = data.find("<?xml"); at != std::string::npos; at = data.find("<?xml", at + 1)) ++count;
  const std::size_t start = data.compare(0, 3, "\xef\xbb\xbf") == 0 ? 3 : 0;  // a UTF-8 byte order mark
  if (data.compare(start, 5, "<?xml") != 0) {
    return "the report is not believed: it does not begin with an XML declaration (<?xml ...?>, which "
           "pytest, GoogleTest and JUnit write first): something was written before the test command's report";
  }
  if (count > 1) {
    return "the report is not believed: it holds " + std::to_string(count) +
           " XML declarations, and the test command writes one (a second writer)";
  }
  return "";
}

// Why a junit group's report cannot be used, or "" when it can: the facts of the runner's report
// channel first (see runner.hpp), then the report itself.
std::string unusable_report(const TestSpec& t, const wire::StepResult& r, int report_kb) {
  if (!r.report_changes.empty()) {
    return "the report is not believed: its folder changed while the tests ran (" + r.report_changes + ")";
  }
  if (r.report_opens > 1) {
    return "the report is not believed: it was opened " + std::to_string(r.report_opens) +
           " times for writing, and the test command opens it once (a second writer)";
  }
  if (r.report_opens == 0) {
    // The shell does not exec the command: a signal that killed it shows as the shell's 128+N.
    std::string how = "exited with code " + std::to_string(r.exit_code);
    if (r.exit_code > 128 && r.exit_code < 128 + 65) how += " (" + signal_name(r.exit_code - 128) + ")";
    return "no report: the command " + how + " without writing " + t.report;
  }
  if (r.report_truncated) return "the report is larger than " + std::to_string(report_kb) + " KiB";
  return forged_declaration(r.report_data);
}

// A junit group: a row per testcase of its report, or one row for the group.
double grade_junit(const Spec& spec, const TestSpec& t, const wire::StepResult& r, Rows& rows) {
  if (!r.report_error.empty()) {
    rows.add(group_row(t, r, Verdict::runtime_error, "not run: " + r.report_error, t.max_points()));
    return 0;
  }
  std::string why;
  if (Verdict stop = judge_stop(r, t.time_s, spec.limits.output_kb, why); stop != Verdict::passed) {
    rows.add(group_row(t, r, stop, why + " (the report of a stopped command is not used)", t.max_points()));
    return 0;
  }
  std::vector<junit::Case> cases;
  why = unusable_report(t, r, kReportKb);
  if (why.empty()) {
    try {
      cases = junit::parse_report(r.report_data);
    } catch (const junit::ReportError& e) {
      why = e.what();
    }
  }
  if (!why.empty()) {
    rows.add(group_row(t, r, Verdict::runtime_error, why, t.max_points()));
    return 0;
  }

  const std::size_t listed = cases.size();
  const std::size_t expected = t.cases ? static_cast<std::size_t>(*t.cases) : listed;
  // Spread: each case gets an equal share of the group's points; with fewer cases than
  // expected the missing ones keep theirs (and lose them).
  const double share = t.points_per_case ? *t.points_per_case
                                         : t.points / static_cast<double>(std::max(listed, expected));
  std::size_t passed = 0;
  for (const auto& c : cases) {
    TestOutcome o;
    o.name = c.name;
    o.verdict = verdict_of(c.outcome);
    o.max_points = share;
    o.points = o.verdict == Verdict::passed ? share : 0;
    o.hidden = t.hidden;
    o.duration_ms = c.time_ms;
    o.exit_code = r.exit_code;
    o.term_signal = r.term_signal;
    if (o.verdict != Verdict::passed) o.message = c.message;
    passed += o.verdict == Verdict::passed;
    rows.add(std::move(o), c.classname);
  }
  if (listed < expected) {
    rows.add(group_row(t, r, Verdict::runtime_error,
                       "the report lists " + std::to_string(listed) + " of the " + std::to_string(expected) +
                           " test cases the spec expects: " + std::to_string(expected - listed) +
                           " did not run",
                       share * static_cast<double>(expected - listed)));
  } else if (listed > expected) {
    rows.add(group_row(t, r, Verdict::runtime_error,
                       "the report lists " + std::to_string(listed) + " test cases, the spec expects " +
                           std::to_string(expected) + " (the group's score is capped at its maximum)",
                       0));
  }
  // Computed once per group (not summed share by share), so that a full group is worth exactly
  // its points.
  if (t.points_per_case) return *t.points_per_case * static_cast<double>(std::min(passed, expected));
  return t.points * static_cast<double>(passed) / static_cast<double>(std::max(listed, expected));
}

// Names must tell the rows apart (failed_tests lists them): junit cases that share a name are
// qualified by their class ("CalcTest.Adds"); what still collides is numbered.
void qualify_equal_names(Rows& rows) {
  std::map<std::string, int> count;
  for (const auto& o : rows.tests) ++count[o.name];
  for (std::size_t i = 0; i < rows.tests.size(); ++i) {
    if (count[rows.tests[i].name] > 1 && !rows.classes[i].empty()) {
      rows.tests[i].name = rows.classes[i] + "." + rows.tests[i].name;
    }
  }
  count.clear();
  for (const auto& o : rows.tests) ++count[o.name];
  std::map<std::string, int> seen;
  for (auto& o : rows.tests) {
    if (count[o.name] > 1 && ++seen[o.name] > 1) o.name += " #" + std::to_string(seen[o.name]);
  }
}

}  // namespace

const char* to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::passed: return "passed";
    case Verdict::wrong_answer: return "wrong_answer";
    case Verdict::runtime_error: return "runtime_error";
    case Verdict::time_limit: return "time_limit";
    case Verdict::memory_limit: return "memory_limit";
    case Verdict::output_limit: return "output_limit";
    case Verdict::compile_error: return "compile_error";
    case Verdict::skipped: return "skipped";
  }
  return "?";
}

wire::Bundle make_bundle(const Spec& spec, const std::vector<wire::File>& files) {
  wire::Bundle bundle;
  // The staff's support files win: a student's file in their way (the same path, or a file
  // where they need a folder) is left out, so that nothing of the student's replaces a test.
  std::vector<wire::File> support;
  std::vector<std::string> support_paths;
  for (const auto& t : spec.tests) {
    for (const auto& f : t.support_files) {
      const std::string path = normal_path(f.path);
      if (std::find(support_paths.begin(), support_paths.end(), path) != support_paths.end()) continue;
      support_paths.push_back(path);
      support.push_back(f);
    }
  }
  for (const auto& f : files) {
    const std::string path = normal_path(f.path);
    if (std::none_of(support_paths.begin(), support_paths.end(),
                     [&](const std::string& p) { return collide(p, path); })) {
      bundle.files.push_back(f);
    }
  }
  bundle.files.insert(bundle.files.end(), support.begin(), support.end());
  if (spec.build) {
    wire::Step build;
    build.name = "build";
    build.command = *spec.build;
    build.time_s = spec.limits.build_time_s;
    build.output_kb = spec.limits.output_kb;
    build.memory_mb = spec.limits.memory_mb;
    bundle.build = build;
  }
  for (const auto& t : spec.tests) {
    wire::Step step;
    step.name = t.name;
    step.command = t.command;
    step.args = t.args;
    step.stdin_data = t.stdin_data;
    step.time_s = t.time_s;
    step.output_kb = spec.limits.output_kb;
    step.memory_mb = spec.limits.memory_mb;
    if (t.kind == TestKind::junit) {
      step.report = t.report;
      step.report_kb = kReportKb;
    }
    bundle.tests.push_back(std::move(step));
  }
  return bundle;
}

GradeResult grade(const Spec& spec, const wire::Report& report) {
  if (!report.runner_error.empty()) throw GradingError("runner failed: " + report.runner_error);
  GradeResult result;
  result.max_score = spec.max_score();
  Rows rows;

  if (spec.build) {
    if (!report.build) throw GradingError("report has no build result but the spec has a build step");
    const auto& b = *report.build;
    if (!b.started) throw GradingError("runner could not start the build: " + b.error);
    std::string why;
    Verdict end = judge_end(b, 0, spec.limits.build_time_s, spec.limits.output_kb, why);
    result.compile_output = capped(b.stdout_data + b.stderr_data, kCompileOutputCap);
    if (end != Verdict::passed) {
      result.compile_ok = false;
      if (end != Verdict::runtime_error) result.compile_output += "\n[build: " + why + "]";
      for (const auto& t : spec.tests) {
        TestOutcome o;
        o.name = t.name;
        o.verdict = Verdict::compile_error;
        o.max_points = t.max_points();
        o.hidden = t.hidden;
        o.message = "build failed: " + why;
        rows.add(std::move(o));
      }
    }
  }

  if (result.compile_ok) {
    if (report.tests.size() != spec.tests.size()) {
      throw GradingError("report has " + std::to_string(report.tests.size()) + " test results, spec has " +
                         std::to_string(spec.tests.size()) + " tests");
    }
    for (std::size_t i = 0; i < spec.tests.size(); ++i) {
      const TestSpec& t = spec.tests[i];
      const wire::StepResult& r = report.tests[i];
      if (r.name != t.name) {
        throw GradingError("report test #" + std::to_string(i + 1) + " is \"" + r.name + "\", expected \"" +
                           t.name + "\"");
      }
      // A junit test not run because its report folder could not be prepared is the student's
      // doing (what was in the way was left by an earlier step): graded, not a system fault.
      const bool not_run_by_report = t.kind == TestKind::junit && !r.report_error.empty();
      if (!r.started && !not_run_by_report) {
        throw GradingError("runner could not start test \"" + t.name + "\": " + r.error);
      }
      if (t.kind == TestKind::junit) {
        result.score += grade_junit(spec, t, r, rows);
        continue;
      }
      TestOutcome o;
      o.name = t.name;
      o.max_points = t.points;
      o.hidden = t.hidden;
      o.duration_ms = r.wall_ms;
      o.exit_code = r.exit_code;
      o.term_signal = r.term_signal;
      o.stdout_data = r.stdout_data;
      o.stderr_data = r.stderr_data;
      o.verdict = judge_end(r, t.expect_exit, t.time_s, spec.limits.output_kb, o.message);
      if (o.verdict == Verdict::passed) {
        CompareResult c = compare_output(r.stdout_data, t.expected_stdout, t.compare, t.tolerance);
        if (!c.equal) {
          o.verdict = Verdict::wrong_answer;
          o.message = c.message;
        }
      }
      if (o.verdict == Verdict::passed) {
        o.points = t.points;
        result.score += t.points;
      }
      rows.add(std::move(o));
    }
  }

  qualify_equal_names(rows);
  result.tests = std::move(rows.tests);
  for (const auto& o : result.tests) {
    if (o.verdict != Verdict::passed) result.failed_tests.push_back(o.name);
  }
  return result;
}

}  // namespace gradeq
