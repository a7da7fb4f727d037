// The in-container test runner (gradeq-runner): reads one gradeq.bundle/v1 document, writes the
// files, runs the build and the tests with per-step limits, and produces one gradeq.report/v1.
//
// It reports facts (exit code, signal, timings, why it killed a step), never verdicts. The logic
// lives here, in gradeq_runner_lib, so that it can be exercised outside a container; main.cpp only
// wires stdin and stdout.
//
// Isolation per step: the step runs as `/bin/sh -c 'COMMAND "$@"' sh ARGS...` in its own process group,
// with fresh pipes on 0/1/2 and every other descriptor closed (student code can never reach the
// runner's stdout, where the report goes), RLIMIT_CPU = ceil(time_s)+1, no core dumps. The runner
// kills the whole process group at the wall-clock limit or when stdout or stderr exceeds the cap,
// and kills whatever is left of the group when the step ends. When it is PID 1 (in a container)
// it also kills every other process in the container between steps, and frees what a step can
// leave behind without a process: System V IPC objects and files in /dev/shm and /dev/mqueue
// (memory charged to the container that would otherwise starve the next tests).
//
// Step processes run under SCHED_IDLE at nice 19 and the runner wakes at least every 50 ms while
// it supervises: a step that fills the pids limit with CPU burners must not keep the runner (same
// cgroup, same 0.5 CPU) from seeing the wall-clock deadline.
//
// A step with a report (a unit-test command writing JUnit XML, wire::Step::report) gets a report
// channel: the report's folder is created afresh holding one FIFO that only the runner can read,
// and inotify watches both while the step runs. The runner reports what came through the FIFO,
// how often it was opened and what changed in the folder; the grader decides whether to believe
// it (a forged report shows as a second opening, a second document or a changed folder).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gradeq/wire.hpp"

namespace gradeq::runner {

struct Options {
  // Files holding an "oom_kill N" line: the container's memory cgroup (v1, then v2). The first
  // readable one is used.
  std::vector<std::string> oom_counter_paths{"/sys/fs/cgroup/memory/memory.oom_control",
                                             "/sys/fs/cgroup/memory.events"};
  // After each step, kill(-1, SIGKILL): every process the runner may signal. Only safe when the
  // runner is PID 1 of its own PID namespace (main.cpp sets it then); never on a host.
  bool kill_everything_after_step = false;
  // After each step, remove every System V IPC object (shared memory, message queues,
  // semaphores) listed in `sysvipc_dir` and everything inside `scratch_dirs`. The same caveat:
  // only as PID 1 of the container's own IPC namespace (main.cpp sets it then), never on a host.
  bool release_ipc_after_step = false;
  std::string sysvipc_dir = "/proc/sysvipc";
  std::vector<std::string> scratch_dirs{"/dev/shm", "/dev/mqueue"};
  // Step processes run at this niceness and, if step_sched_idle, under SCHED_IDLE (they cannot
  // undo either), so that the runner wins the CPU whenever it wants it.
  int step_nice = 19;
  bool step_sched_idle = true;
  std::string shell = "/bin/sh";
  // A step's report (wire::Step::report) must be <report_root>/FOLDER/NAME; report_root must be
  // a folder that student code cannot rename or replace (/tmp is a mount point in a container).
  std::string report_root = "/tmp";
  // How long to keep reading output after a step ended (its leftovers were killed) before giving
  // up on a pipe held open by a process outside the group.
  int drain_grace_ms = 1000;
};

// Throws std::invalid_argument unless `path` is relative, non-empty, NUL-free and has no ".."
// component.
void check_relative_path(const std::string& path);

// Checks that `path` is ROOT/FOLDER/NAME (`root` without a trailing slash; FOLDER and NAME
// neither empty, "." nor "..") and returns ROOT/FOLDER. Throws std::invalid_argument otherwise.
std::string check_report_path(const std::string& path, const std::string& root);

// Writes every file of the bundle under bundle.workdir (creating folders). Throws
// std::runtime_error (or std::invalid_argument for a refused path) on failure.
void write_files(const wire::Bundle& bundle);

// The "oom_kill N" counter in a memory.oom_control / memory.events text, if present.
std::optional<std::int64_t> parse_oom_kill(const std::string& text);
// The counter from the first readable path that has one.
std::optional<std::int64_t> read_oom_kill_counter(const std::vector<std::string>& paths);

// Removes every System V shared memory segment, message queue and semaphore set listed in
// `sysvipc_dir` (/proc/sysvipc: the caller's IPC namespace) that the caller may remove. Returns
// how many it removed.
int release_sysv_ipc(const std::string& sysvipc_dir);

// Removes everything inside `dir` (not `dir` itself), never following symbolic links, making
// unreadable directories of the caller's readable first. Returns how many entries it removed;
// a missing `dir` is 0.
int empty_directory(const std::string& dir);

// Runs one step in `workdir`. Never throws for anything the step does; a runner-side problem
// (fork or exec failure) is reported through started = false and error.
wire::StepResult run_step(const wire::Step& step, const std::string& workdir,
                          const Options& options);

// Writes the files, runs the build and, if it exited normally with 0, every test in order.
// Never throws: a fatal problem is reported through runner_error.
wire::Report run_bundle(const wire::Bundle& bundle, const Options& options);

// Parses a bundle document and runs it. Never throws.
wire::Report run_document(const std::string& bundle_json, const Options& options);

// The report as one JSON line. Never throws: falls back to a minimal hand-written document.
std::string report_json(const wire::Report& report);

// Descriptor helpers that survive EINTR and partial transfers.
std::string read_all_fd(int fd);        // until EOF; throws std::runtime_error on error
bool write_all_fd(int fd, const std::string& data);  // false on error

}  // namespace gradeq::runner
