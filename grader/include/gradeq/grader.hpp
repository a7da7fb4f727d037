// The grader: consume a job, load the submission, run it in the sandbox, judge, store, ack.
//
// The ack contract (see gradeq/amqp.hpp): handle() returning ack means the result's transaction
// has committed (or there is nothing to do: a duplicate or superseded job); returning reject
// means the job is poison (dead-lettered, with the reason logged and, where there is a
// submission, stored as its `error`); throwing means a system fault (Docker, PostgreSQL,
// runner): the job is requeued and the student is never charged. Delivery is at least once; the
// result write is conditional (one result per submission and attempt), so handling twice is
// harmless.
#pragma once

#include <atomic>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>

#include "gradeq/amqp.hpp"
#include "gradeq/job.hpp"
#include "gradeq/pg_store.hpp"
#include "gradeq/sandbox.hpp"

namespace gradeq::grader {

struct Settings {
  std::string database_url = "postgresql://gradeq:gradeq@127.0.0.1:55432/gradeq";
  std::string amqp_url = "amqp://guest:guest@127.0.0.1:5672/%2f";
  std::string queue_prefix = "gradeq";
  std::string image_prefix = "gradeq-runner-";  // image of language L: <prefix>L:latest
  std::string docker = "docker";
  std::string runtime;                 // OCI runtime by name (runsc = gVisor, kata, ...); "" = runc
  int concurrency = 2;                 // jobs graded at once (worker threads)
  int prefetch = 0;                    // per lane; 0: concurrency
  std::size_t stored_output_cap = 8192;  // bytes kept per stored stream (stdout, stderr, compile)
  // Operator caps: a spec may ask for less, never more.
  int max_memory_mb = 128;
  double max_cpus = 0.5;
  bool allow_network = false;
  int pids_limit = 128;
  int tmpfs_mb = 16;
  double grace_s = 20;                 // added to the sum of the spec's limits for the container
  int max_system_failures = 3;         // per submission in this process, then `error`
  std::string grader_id;               // default: host:pid
};

// host:pid, the label that tells which grader a container belongs to.
std::string default_grader_id();

// What a handled job came to (for logs, metrics and tests).
enum class Outcome { graded, duplicate, superseded, poison, gave_up };

class JobHandler {
 public:
  // `sandbox` is shared by all threads; each thread gets its own database connection.
  JobHandler(Settings settings, Sandbox& sandbox);

  // Handles one job message (see the ack contract above). Thread-safe.
  amqp::Disposition handle(const std::string& body, Outcome* outcome = nullptr);

  // The container request for a submission (limits clamped to the operator's caps).
  SandboxRequest make_request(const pg::Work& work) const;

 private:
  pg::Store& store();
  amqp::Disposition give_up_or_throw(const Job& job, const std::string& reason, Outcome* outcome);

  Settings settings_;
  Sandbox& sandbox_;
  std::mutex failures_mutex_;
  std::map<std::string, int> failures_;  // system faults per submission/attempt in this process
};

// Declares the queues and consumes until `stop` becomes true (SIGTERM): work in hand is
// finished and acked, the rest stays in the queue.
void run(const Settings& settings, Sandbox& sandbox, const std::atomic<bool>& stop);

}  // namespace gradeq::grader
