#include "gradeq/grading.hpp"

#include <cstdio>
#include <cstring>
#include <string>

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

// A step that did not end normally with the exit code it should have: which verdict, and why.
// Returns passed when it ended as expected.
Verdict judge_end(const wire::StepResult& r, int expect_exit, double time_s, int output_kb,
                  std::string& message) {
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
  if (r.exit_code != expect_exit) {
    message = "exit code " + std::to_string(r.exit_code);
    if (expect_exit != 0) message += ", expected " + std::to_string(expect_exit);
    return Verdict::runtime_error;
  }
  return Verdict::passed;
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
  bundle.files = files;
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
    bundle.tests.push_back(std::move(step));
  }
  return bundle;
}

GradeResult grade(const Spec& spec, const wire::Report& report) {
  if (!report.runner_error.empty()) throw GradingError("runner failed: " + report.runner_error);
  GradeResult result;
  result.max_score = spec.max_score();

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
        o.max_points = t.points;
        o.hidden = t.hidden;
        o.message = "build failed: " + why;
        result.tests.push_back(std::move(o));
        result.failed_tests.push_back(t.name);
      }
      return result;
    }
  }

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
    if (!r.started) throw GradingError("runner could not start test \"" + t.name + "\": " + r.error);
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
    } else {
      result.failed_tests.push_back(t.name);
    }
    result.tests.push_back(std::move(o));
  }
  return result;
}

}  // namespace gradeq
