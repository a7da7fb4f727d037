// The wire between the grader and the in-container runner.
//
// The grader writes one Bundle as JSON to the runner's stdin; the runner writes one Report as
// JSON to its stdout and exits 0. Both documents are described by schemas/bundle.schema.json and
// schemas/report.schema.json. Byte strings (files, stdin, captured output) travel base64-encoded
// so that student output that is not UTF-8 (NUL bytes, invalid sequences) survives unchanged.
//
// The runner reports facts (exit code, signal, timings, whether it killed the process and why);
// it never decides a verdict. Expected outputs are not part of the bundle: comparison and
// verdicts happen in the grader (see verdict.hpp).
//
// This header depends on nlohmann/json only, so that the statically linked runner can use it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace gradeq::wire {

inline constexpr const char* kBundleSchema = "gradeq.bundle/v1";
inline constexpr const char* kReportSchema = "gradeq.report/v1";

struct File {
  std::string path;     // relative, no "..", no leading "/"
  std::string content;  // raw bytes
  bool executable = false;
};

// One command the runner runs inside the work dir: `/bin/sh -c 'COMMAND "$@"' sh ARGS...`, so
// ARGS reach the program as they are (the `"$@"` is added only when there are ARGS).
struct Step {
  std::string name;               // test name, or "build"
  std::string command;            // shell command line
  std::vector<std::string> args;  // appended as "$@"
  std::string stdin_data;         // raw bytes fed to stdin (then EOF)
  double time_s = 2.0;            // wall-clock limit; CPU limit is the same number of seconds
  int output_kb = 64;             // cap on stdout and on stderr, each; exceeding it kills the step
  int memory_mb = 128;            // address-space hint; the container's cgroup is the real cap
  // Non-empty: the step writes a report (a JUnit XML file) to this absolute path, which must be
  // <report root>/FOLDER/NAME (the runner's report root is /tmp). The runner owns FOLDER: it
  // creates it afresh holding one FIFO, NAME, that only the runner may read, and watches both
  // while the step runs (see runner.hpp); what came through the FIFO is the report.
  std::string report;
  int report_kb = 1024;           // cap on the report; more is read and dropped (report_truncated)
};

struct Bundle {
  std::string workdir = "/sandbox";
  std::vector<File> files;
  std::optional<Step> build;  // run first; if it fails the tests are not run
  std::vector<Step> tests;
};

// What happened to one step. Exactly one of the "why it ended" facts explains a non-normal end:
// timed_out (the runner killed it at its wall or CPU limit), output_exceeded (the runner killed it
// for writing more than output_kb), oom_killed (the kernel killed it for memory), otherwise
// exit_code / term_signal say how it ended.
struct StepResult {
  std::string name;
  bool started = false;      // false: the runner could not start it (see error)
  int exit_code = -1;        // valid when term_signal == 0
  int term_signal = 0;       // signal that ended the process, 0 if it exited
  bool timed_out = false;
  bool output_exceeded = false;
  bool oom_killed = false;
  std::int64_t wall_ms = 0;
  std::int64_t cpu_ms = 0;
  std::int64_t max_rss_kb = 0;
  std::string stdout_data;   // raw bytes, at most output_kb KiB
  std::string stderr_data;   // raw bytes, at most output_kb KiB
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  std::string error;         // runner-side problem with this step (not the student's doing)

  // Facts about the report channel, for a step with a report (see Step::report).
  std::string report_data;     // raw bytes that came through the FIFO, at most report_kb KiB
  bool report_truncated = false;
  int report_opens = 0;        // times the FIFO was opened (for writing: nobody may read it)
  std::string report_changes;  // what changed in the report's folder while the step ran; "" = nothing
  std::string report_error;    // non-empty: the folder could not be prepared, the step was not run
};

struct Report {
  std::optional<StepResult> build;  // present when the bundle had a build step
  std::vector<StepResult> tests;    // one per bundle test, in order; empty if the build failed
  std::string runner_error;         // non-empty: the runner itself failed (a system fault)
};

std::string base64_encode(const std::string& bytes);
// Throws std::invalid_argument on malformed input.
std::string base64_decode(const std::string& text);

std::string to_json(const Bundle& bundle);
std::string to_json(const Report& report);
// Both throw std::invalid_argument with a message naming the offending field.
Bundle bundle_from_json(const std::string& text);
Report report_from_json(const std::string& text);

}  // namespace gradeq::wire
