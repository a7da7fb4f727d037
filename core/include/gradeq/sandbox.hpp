// The sandbox port: run one submission's bundle in an isolated environment and return the
// runner's report. Implemented by adapters/docker (DockerSandbox).
//
// Contract: run() returns a report whenever the runner produced one (whatever the student's
// code did: crashes, time-outs, floods are facts inside the report). It throws SandboxError for
// anything that is the system's fault and not the student's: the engine is unreachable, the
// image is missing, the container could not start, the whole-container deadline passed, or the
// runner's output is not a valid report. Callers treat SandboxError as "requeue, never grade".
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

#include "gradeq/wire.hpp"

namespace gradeq {

class SandboxError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SandboxLimits {
  int memory_mb = 128;   // --memory and --memory-swap (no swap)
  double cpus = 0.5;     // --cpus
  int pids = 128;        // --pids-limit
  int tmpfs_mb = 16;     // size of the /sandbox and /tmp tmpfs mounts
  bool network = false;  // false: --network none
  // --cpu-shares: the container's weight when the CPU is contended (0: the engine's default,
  // 1024). Not a limit: `cpus` caps it whatever its weight.
  int cpu_shares = 0;
};

struct SandboxRequest {
  std::string image;                          // e.g. gradeq-runner-python:latest
  std::string name;                           // container name, unique per (submission, attempt)
  std::map<std::string, std::string> labels;  // added as --label k=v; gradeq.managed=1 is implied
  SandboxLimits limits;
  std::chrono::milliseconds deadline{60000};  // wall clock for the whole container, then kill
  std::string runtime;                        // OCI runtime by name (e.g. runsc for gVisor); "" = engine default
  wire::Bundle bundle;
};

struct SandboxOutcome {
  wire::Report report;
  std::int64_t container_ms = 0;  // wall time from `docker run` to its exit
};

class Sandbox {
 public:
  virtual ~Sandbox() = default;
  virtual SandboxOutcome run(const SandboxRequest& request) = 0;

  // Whether the engine answers now. After run() threw, false means the failure was an outage of
  // the engine (wait for it, do not count it against the job); true means it was this run's.
  virtual bool available() { return true; }

  // Waits up to `timeout` for clean-up that run() left to finish in the background (the engine
  // removing exited containers); false if some is still going on.
  virtual bool drain(std::chrono::milliseconds /*timeout*/) { return true; }
};

}  // namespace gradeq
