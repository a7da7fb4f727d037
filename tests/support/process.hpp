// Child processes for the tiers that drive the real binaries (the fault tier) and for the
// benchmarks: start with a log file and no inherited descriptors, wait with a bound, read what
// the kernel says a process has used (CPU, peak RSS). POSIX only; no GoogleTest in here.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace gradeq::testing {

// Starts argv[0] (a path) with stdin from /dev/null and stdout and stderr appended to `log`.
// With `die_with_parent`, the child is killed if the calling process dies (no grader outlives a
// crashed test). Throws std::runtime_error if fork fails.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log, bool die_with_parent);

// Waits up to `timeout` for the child `pid`: its wait status, or nullopt if it is still running;
// -1 if it is not our child.
std::optional<int> wait_pid(pid_t pid, std::chrono::milliseconds timeout);

// "exit 3", "killed by signal 9", ...
std::string describe_status(int status);

// The last `lines` lines of a file, each indented by four spaces.
std::string tail(const std::filesystem::path& file, std::size_t lines);

// A whole file ("" if it cannot be read).
std::string slurp(const std::filesystem::path& file);

// The output of a shell command; a failure is appended as "(COMMAND: status N)".
std::string capture(const std::string& command);

// What a shell command run to its end left: its exit status (-1 if it did not exit), its
// stdout and its stderr.
struct CommandOutcome {
  int status = -1;
  std::string out;
  std::string err;
};
// Runs `command` with /bin/sh, stdin from /dev/null, stdout and stderr through the files out and
// err of `dir` (an existing folder).
CommandOutcome run_command(const std::string& command, const std::filesystem::path& dir);

// A TCP port on 127.0.0.1 that nothing listens on now (bound to 0 and closed again).
int free_port();

// The value of one series line ("name{labels}") in a Prometheus exposition text; -1 if absent.
double metric_sample(const std::string& text, const std::string& series);

std::string hostname();

// What /proc says a process has used so far. cpu_children_s counts only children it has waited
// for (a grader's docker CLI processes, a postmaster's backends).
struct ProcessUsage {
  double cpu_s = 0;           // utime + stime
  double cpu_children_s = 0;  // cutime + cstime
  double peak_rss_mb = 0;     // VmHWM
  double rss_mb = 0;          // VmRSS
};
// nullopt if the process is gone.
std::optional<ProcessUsage> process_usage(pid_t pid);

// The pids whose /proc/PID/comm is one of `names` (e.g. "dockerd", "postgres").
std::vector<pid_t> pids_named(const std::vector<std::string>& names);

// One child process that is stopped (SIGTERM, then SIGKILL after 60 s) when destroyed.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, std::filesystem::path log);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void kill9();
  // SIGTERM, then waits up to `bound`: the wait status, or nullopt (then it is killed).
  std::optional<int> terminate(std::chrono::milliseconds bound);
  bool alive();
  pid_t pid() const { return pid_; }
  // host:pid, gradeq-grader's default grader id.
  const std::string& id() const { return id_; }
  const std::filesystem::path& log() const { return log_; }
  std::chrono::steady_clock::time_point started() const { return started_; }
  std::chrono::system_clock::time_point started_wall() const { return started_wall_; }

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
  std::string id_;
  bool running_ = true;
  std::chrono::steady_clock::time_point started_;
  std::chrono::system_clock::time_point started_wall_;
};

}  // namespace gradeq::testing
