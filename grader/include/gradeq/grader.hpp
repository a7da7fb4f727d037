// The grader: consume a job, load the submission, run it in the sandbox, judge, store, ack.
//
// The ack contract (see gradeq/amqp.hpp): handle() returning ack means the result's transaction
// has committed (or there is nothing to do: a duplicate or superseded job); returning reject
// means the job is poison or given up on (dead-lettered; the dead-letter handler records it and
// marks the submission `error` with the reason); throwing means requeue.
//
// Faults and who pays for them. The student never does: a grade is stored only from a report
// the runner produced. An outage (PostgreSQL unreachable, the Docker engine not answering) is
// waited out in place, with backoff, holding the delivery: it does not count against the job, so
// a 10-minute outage does not dead-letter a whole batch. A fault of this job's run while the
// engine answers (the container could not start, the runner died, a bad report) is requeued and
// counted by the broker (x-delivery-count); at the last delivery the grader gives up and marks the
// attempt `error` with the fault. A grader that dies holding jobs loses nothing: the broker
// redelivers them, and the sweeper republishes a submission left `running` past its lease.
// Delivery is at least once and the result write is conditional, so a job handled twice stores
// one result.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstddef>
#include <memory>
#include <string>

#include "gradeq/amqp.hpp"
#include "gradeq/job.hpp"
#include "gradeq/metrics.hpp"
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
  int prefetch = 0;                    // per lane; 0: 2 x concurrency
  std::size_t stored_output_cap = 8192;  // bytes kept per stored stream (stdout, stderr, compile)
  // Operator caps: a spec may ask for less, never more.
  int max_memory_mb = 128;
  double max_cpus = 0.5;
  bool allow_network = false;
  int pids_limit = 128;
  int tmpfs_mb = 16;
  double grace_s = 20;                 // added to the sum of the spec's limits for the container
  int delivery_limit = 5;              // the lane queues' x-delivery-limit (see declare_topology)
  double lease_margin_s = 60;          // a claim's lease: the container deadline plus this
  double sweep_interval_s = 30;        // the sweeper thread's period; 0: no sweeper
  double sweep_grace_s = 60;           // see pg::SweepPolicy::unpublished_grace
  int interactive_burst = 4;           // see amqp::ConsumerOptions
  // Workers on top of `concurrency` that take only interactive jobs (and dead letters), so a
  // student's submission starts at once even while a bulk batch keeps every worker busy.
  int reserved_interactive = 1;
  // --cpu-shares of bulk containers (0: the engine's default, 1024, like interactive ones).
  // Under contention an interactive container gets 1024 / bulk_cpu_shares times the weight of
  // a bulk one; each stays capped at its spec's cpus whatever its weight.
  int bulk_cpu_shares = 256;
  // While an interactive container runs, a bulk job waits up to this long before starting its
  // own: the engine then starts the student's container without a crowd of bulk ones (0: no
  // waiting). Bounded, so that a stream of interactive work slows bulk work, never stops it.
  double bulk_hold_s = 1.0;
  std::string grader_id;               // default: host:pid
  // GET /metrics and /healthz on metrics_address:metrics_port (0: no endpoint).
  int metrics_port = 0;
  std::string metrics_address = "127.0.0.1";
};

// host:pid, the label that tells which grader a container belongs to.
std::string default_grader_id();

// What a handled job came to (for logs, metrics and tests).
enum class Outcome { graded, duplicate, superseded, poison, gave_up, dead_letter };
const char* to_string(Outcome outcome);

// The grader's metrics (README "Metrics"), registered in one registry, updated by JobHandler.
struct Metrics {
  explicit Metrics(metrics::Registry& registry);
  metrics::Family<metrics::Counter>& jobs;                // {outcome, lane}
  metrics::Family<metrics::Counter>& errors;              // {kind}
  metrics::Family<metrics::Histogram>& job_seconds;       // {lane}: claim to result stored
  metrics::Family<metrics::Histogram>& container_seconds; // {lane}: docker run to exit
  metrics::Family<metrics::Histogram>& queue_lag_seconds; // {lane}: job queued to claimed
  metrics::Gauge& busy;                                   // workers handling a delivery now
  metrics::Family<metrics::Gauge>& waiting;               // {dependency}: workers waiting out an outage
  std::atomic<bool> broker_down{false};                   // the queues could not be declared

  // "" when healthy, else why not (for /healthz): a worker waits out an outage, or the broker
  // is unreachable at start-up.
  std::string health() const;
};

class JobHandler {
 public:
  // `sandbox` is shared by all threads; each thread gets its own database connection. While
  // `stop` is true, outages are no longer waited out: the job is requeued (handle() throws).
  // Metrics go to `registry` (nullptr: a registry of the handler's own, see metrics()).
  JobHandler(Settings settings, Sandbox& sandbox, const std::atomic<bool>* stop = nullptr,
             metrics::Registry* registry = nullptr);

  Metrics& metrics() { return *metrics_; }

  // Handles one delivery from a lane queue (see the ack contract above). Thread-safe.
  amqp::Disposition handle(const amqp::Delivery& delivery, Outcome* outcome = nullptr);
  // The same for a body delivered for the first time.
  amqp::Disposition handle(const std::string& body, Outcome* outcome = nullptr);

  // Handles one delivery from the dead-letter queue: records it (gradeq.dead_letters, once) and
  // marks its submission's attempt `error` with the reason if it was still queued or running.
  // Acks once recorded.
  amqp::Disposition handle_dead(const amqp::Delivery& delivery, pg::DeadLetterRecord* record = nullptr);

  // The container request for a submission (limits clamped to the operator's caps; bulk
  // containers weighted by bulk_cpu_shares).
  SandboxRequest make_request(const pg::Work& work, Lane lane = Lane::interactive) const;

  // How long a claim of a submission of `spec` holds: the container deadline plus the margin.
  std::chrono::milliseconds lease(const Spec& spec) const;

 private:
  pg::Store& store();
  // handle() without the counting: `got` and `lane` say what it came to.
  amqp::Disposition handle_job(const amqp::Delivery& delivery, Outcome& got, std::string& lane);
  // Runs `body` against the database, waiting out outages (pg::Unavailable) with backoff until
  // it succeeds or `stop` is set (then throws).
  template <typename F>
  auto with_database(const char* what, F&& body) -> decltype(body(std::declval<pg::Store&>()));
  // Waits until the sandbox answers again (or `stop`: throws SandboxError).
  void wait_for_engine(const std::string& fault);
  amqp::Disposition job_fault(const Job& job, std::uint32_t delivery_count, const std::string& fault,
                              Outcome* outcome);
  bool stopping() const { return stop_ && stop_->load(); }

  Settings settings_;
  Sandbox& sandbox_;
  const std::atomic<bool>* stop_;
  // Interactive containers running now (see Settings::bulk_hold_s); shared by the workers.
  struct Gate;
  std::shared_ptr<Gate> interactive_;
  std::shared_ptr<metrics::Registry> own_registry_;
  std::shared_ptr<Metrics> metrics_;
};

// `gradeq-grader --health`: "" when healthy, else a one-line reason. With settings.metrics_port
// set, asks the running grader's /healthz there (on 127.0.0.1 when it listens on all
// addresses); else checks that PostgreSQL answers a query, the lane queue
// <prefix>.interactive exists on the broker and the Docker engine answers, at once. Bounded by
// `timeout` (a check still running then is the reason).
std::string check_health(const Settings& settings, Sandbox& sandbox, std::chrono::milliseconds timeout);

// Declares the queues (retrying while the broker is down), runs the sweeper thread, and consumes
// both lanes and the dead-letter queue until `stop` becomes true (SIGTERM): work in hand is
// finished and acked (or, if it waits on an outage, requeued), the rest stays in the queue.
// With settings.metrics_port set, serves /metrics and /healthz meanwhile (throws
// std::runtime_error at once if it cannot listen there).
void run(const Settings& settings, Sandbox& sandbox, const std::atomic<bool>& stop);

}  // namespace gradeq::grader
