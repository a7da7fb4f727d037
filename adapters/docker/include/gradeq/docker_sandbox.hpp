// The Docker sandbox: one `docker run -i --rm ...` per submission, driven through the docker CLI
// (Boost.Process). The bundle goes to the container's stdin, the runner's report comes back on
// its stdout. See ARCHITECTURE.md for the exact command line and core/include/gradeq/sandbox.hpp
// for the contract (what is a report, what is a SandboxError).
//
// Thread-safety: run(), reap() and image_exists() may be called concurrently from several
// threads on one DockerSandbox (it holds only configuration). Every docker process it starts
// gets only its own stdin/stdout/stderr (no other descriptor of the caller leaks into it).
// SIGPIPE is blocked in the calling thread while it writes to docker, never ignored
// process-wide.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "gradeq/sandbox.hpp"

namespace gradeq {

class DockerSandbox : public Sandbox {
 public:
  // Most the runner may write to stdout; more is a SandboxError (the container is killed).
  static constexpr std::size_t kDefaultMaxReportBytes = 64u * 1024u * 1024u;
  // Where the runner lives in every runner image.
  static constexpr const char* kRunnerPath = "/usr/local/bin/gradeq-runner";

  // `docker_binary`: a path, or a name looked up on PATH when it has no '/'. A binary that cannot
  // be found is reported (SandboxError) by the first call that needs it, not here.
  explicit DockerSandbox(std::string docker_binary = "docker");
  ~DockerSandbox() override;

  // Runs the request's bundle in a fresh container and returns the runner's report as soon as
  // the container has exited; the engine removes it (--rm) meanwhile, off the caller's path
  // (drain() waits for that). Throws
  // SandboxError when the docker binary is missing, the engine or the image is unavailable (never
  // pulls), the container fails without a parseable report, the runner writes more than
  // max_report_bytes(), or request.deadline passes (the container is then killed and removed
  // before the exception leaves). Throws std::invalid_argument for a malformed request (bad
  // container name, image, label key, limits or workdir).
  SandboxOutcome run(const SandboxRequest& request) override;

  // `docker version` reaches the engine within the command timeout (never throws).
  bool available() override;

  // Waits up to `timeout` until the containers of every run that returned are removed; false
  // if some are still being removed.
  bool drain(std::chrono::milliseconds timeout) override;

  struct Removals;  // the runs whose container is still being removed

  // Force-removes (docker rm -f) every container, running or not, that matches
  // `docker ps -a --filter label=<label_filter>` (e.g. "gradeq.managed=1" or
  // "gradeq.grader=host:1234"); returns how many were removed. For reaping orphans at start-up.
  // Throws std::invalid_argument for an empty filter, SandboxError when docker fails.
  int reap(const std::string& label_filter);

  // The distinct values of label `key` on every container (running or not) matching
  // `--filter label=<label_filter>`; containers without the label are left out. For finding
  // which graders left containers behind. Throws SandboxError when docker fails.
  std::vector<std::string> label_values(const std::string& label_filter, const std::string& key);

  // Whether the image exists locally. Throws SandboxError when docker itself fails.
  bool image_exists(const std::string& image);

  // The arguments after the docker binary that run() uses for `request` (docker run -i --rm
  // --name ... IMAGE /usr/local/bin/gradeq-runner). Validates the request like run().
  static std::vector<std::string> run_arguments(const SandboxRequest& request);

  void set_max_report_bytes(std::size_t bytes) { max_report_bytes_ = bytes; }
  std::size_t max_report_bytes() const { return max_report_bytes_; }
  // Bound on the short docker commands (kill, rm, ps, image inspect).
  void set_command_timeout(std::chrono::milliseconds timeout) { command_timeout_ = timeout; }
  const std::string& docker_binary() const { return docker_binary_; }

 private:
  std::string resolve_binary() const;  // absolute path, or SandboxError
  void remove_container(const std::string& binary, const std::string& name) const;

  std::string docker_binary_;
  std::size_t max_report_bytes_ = kDefaultMaxReportBytes;
  std::chrono::milliseconds command_timeout_{60000};
  std::shared_ptr<Removals> removals_;  // shared with the threads that wait for them
};

// Removes the containers that graders of this host left behind when they died: those labelled
// gradeq.grader=HOST:PID whose PID is no longer alive, and those labelled with `me` (a previous
// incarnation: in a restarted grader container the pid repeats). Containers of other hosts are
// theirs to reap. `me` is this grader's HOST:PID. Returns how many were removed.
int reap_orphaned_containers(DockerSandbox& sandbox, const std::string& me);

}  // namespace gradeq
