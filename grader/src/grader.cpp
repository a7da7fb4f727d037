#include "gradeq/grader.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <memory>
#include <future>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "gradeq/dispatch.hpp"
#include "gradeq/grading.hpp"
#include "gradeq/metrics_http.hpp"

namespace gradeq::grader {

std::string default_grader_id() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(getpid());
}

namespace {

std::string short_random() {
  static thread_local std::mt19937 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 6; ++i) s += kHex[rng() % 16];
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The lane a delivery came from, by its queue's name (for messages that do not parse).
std::string lane_of_queue(const std::string& queue) {
  auto ends = [&](const std::string& suffix) {
    return queue.size() >= suffix.size() && queue.compare(queue.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends(".interactive")) return "interactive";
  if (ends(".bulk")) return "bulk";
  return "unknown";
}

// Counts a worker as busy (or waiting) for as long as it lives.
class GaugeHold {
 public:
  explicit GaugeHold(metrics::Gauge& g) : gauge_(g) { gauge_.inc(); }
  ~GaugeHold() { gauge_.dec(); }
  GaugeHold(const GaugeHold&) = delete;
  GaugeHold& operator=(const GaugeHold&) = delete;

 private:
  metrics::Gauge& gauge_;
};

}  // namespace

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::graded: return "graded";
    case Outcome::duplicate: return "duplicate";
    case Outcome::superseded: return "superseded";
    case Outcome::poison: return "poison";
    case Outcome::gave_up: return "gave_up";
    case Outcome::dead_letter: return "dead_letter";
  }
  return "unknown";
}

Metrics::Metrics(metrics::Registry& r)
    : jobs(r.counter("gradeq_grader_jobs_total",
                     "Deliveries handled and settled, by outcome and lane (requeued ones are in errors)",
                     {"outcome", "lane"})),
      errors(r.counter("gradeq_grader_errors_total",
                       "System faults by kind: job_fault (requeued), database_outage and engine_outage (waits"
                       " begun), dead_letter (recorded)",
                       {"kind"})),
      job_seconds(r.histogram("gradeq_grader_job_duration_seconds",
                              "Seconds from a job's claim to its result stored", {"lane"},
                              metrics::duration_buckets())),
      container_seconds(r.histogram("gradeq_grader_container_duration_seconds",
                                    "Seconds of a grading container from docker run to its exit, start-up included",
                                    {"lane"}, metrics::duration_buckets())),
      queue_lag_seconds(r.histogram("gradeq_grader_queue_lag_seconds",
                                    "Seconds from a job queued (its outbox row) to its claim by a grader", {"lane"},
                                    metrics::duration_buckets())),
      busy(r.gauge("gradeq_grader_workers_busy", "Workers handling a delivery now").with({})),
      waiting(r.gauge("gradeq_grader_outage_waiting", "Workers waiting out an outage now, by dependency",
                      {"dependency"})) {
  r.gauge("gradeq_grader_build_info", "The grader's version", {"version"}).with({GRADEQ_VERSION}).set(1);
  // Every series present from the start: rate() and alerts see a 0, not a gap.
  for (const char* lane : {"interactive", "bulk"}) {
    for (const char* o : {"graded", "duplicate", "superseded", "poison", "gave_up", "dead_letter"}) {
      jobs.with({o, lane});
    }
    job_seconds.with({lane});
    container_seconds.with({lane});
    queue_lag_seconds.with({lane});
  }
  for (const char* kind : {"job_fault", "database_outage", "engine_outage", "dead_letter"}) errors.with({kind});
  waiting.with({"database"});
  waiting.with({"engine"});
}

std::string Metrics::health() const {
  const auto db = waiting.with({"database"}).value();
  const auto engine = waiting.with({"engine"}).value();
  if (db > 0) return "database unavailable: " + std::to_string(static_cast<int>(db)) + " worker(s) waiting for it";
  if (engine > 0) {
    return "docker engine unavailable: " + std::to_string(static_cast<int>(engine)) + " worker(s) waiting for it";
  }
  if (broker_down.load()) return "broker unreachable: the queues cannot be declared";
  return "";
}

struct JobHandler::Gate {
  std::mutex mutex;
  std::condition_variable idle;
  int running = 0;

  // Counts an interactive container for as long as it lives.
  class Hold {
   public:
    explicit Hold(Gate* gate) : gate_(gate) {
      if (!gate_) return;
      std::lock_guard<std::mutex> lock(gate_->mutex);
      ++gate_->running;
    }
    ~Hold() {
      if (!gate_) return;
      std::lock_guard<std::mutex> lock(gate_->mutex);
      if (--gate_->running == 0) gate_->idle.notify_all();
    }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

   private:
    Gate* gate_;
  };

  // A bulk job waits (at most `bound`) until no interactive container runs.
  void wait_idle(std::chrono::milliseconds bound) {
    std::unique_lock<std::mutex> lock(mutex);
    idle.wait_for(lock, bound, [&] { return running == 0; });
  }
};

JobHandler::JobHandler(Settings settings, Sandbox& sandbox, const std::atomic<bool>* stop,
                       metrics::Registry* registry)
    : settings_(std::move(settings)), sandbox_(sandbox), stop_(stop), interactive_(std::make_shared<Gate>()) {
  if (!registry) {
    own_registry_ = std::make_shared<metrics::Registry>();
    registry = own_registry_.get();
  }
  metrics_ = std::make_shared<Metrics>(*registry);
  if (settings_.grader_id.empty()) settings_.grader_id = default_grader_id();
}

pg::Store& JobHandler::store() {
  // One connection per worker thread (a Store is not thread-safe).
  thread_local std::map<std::string, std::unique_ptr<pg::Store>> stores;
  auto& s = stores[settings_.database_url];
  if (!s) s = std::make_unique<pg::Store>(settings_.database_url);
  return *s;
}

namespace {

constexpr std::chrono::milliseconds kFirstBackoff{250};
constexpr std::chrono::milliseconds kMaxBackoff{5000};

// Sleeps `total`, waking early when `stop` is set.
void nap(std::chrono::milliseconds total, const std::atomic<bool>* stop) {
  const auto until = std::chrono::steady_clock::now() + total;
  while (!(stop && stop->load()) && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

template <typename F>
auto JobHandler::with_database(const char* what, F&& body)
    -> decltype(body(std::declval<pg::Store&>())) {
  std::chrono::milliseconds backoff = kFirstBackoff;
  auto outage_began = std::chrono::steady_clock::now();
  bool waiting = false;
  std::optional<GaugeHold> held;
  for (;;) {
    try {
      auto result = body(store());
      if (waiting) {
        spdlog::info("database is back after {} ms ({})",
                     std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - outage_began).count(), what);
      }
      return result;
    } catch (const pg::Unavailable& e) {
      if (stopping()) throw;
      if (!waiting) {
        spdlog::warn("database unavailable ({}), waiting for it: {}", what, e.what());
        outage_began = std::chrono::steady_clock::now();
        waiting = true;
        metrics_->errors.with({"database_outage"}).inc();
        held.emplace(metrics_->waiting.with({"database"}));
      }
      nap(backoff, stop_);
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }
}

void JobHandler::wait_for_engine(const std::string& fault) {
  spdlog::warn("the sandbox engine does not answer ({}); waiting for it", fault);
  metrics_->errors.with({"engine_outage"}).inc();
  GaugeHold held(metrics_->waiting.with({"engine"}));
  const auto began = std::chrono::steady_clock::now();
  std::chrono::milliseconds backoff = kFirstBackoff;
  while (!sandbox_.available()) {
    if (stopping()) throw SandboxError("stopping while the engine is down: " + fault);
    nap(backoff, stop_);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
  if (stopping()) throw SandboxError("stopping: " + fault);
  spdlog::info("the sandbox engine is back after {} ms",
               std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began)
                   .count());
}

SandboxRequest JobHandler::make_request(const pg::Work& work, Lane lane) const {
  const Spec& spec = work.spec;
  SandboxRequest req;
  req.image = settings_.image_prefix + spec.language + ":latest";
  req.name = "gradeq-" + work.submission_id + "-" + std::to_string(work.attempt) + "-" + short_random();
  req.labels = {{"gradeq.submission", work.submission_id},
                {"gradeq.attempt", std::to_string(work.attempt)},
                {"gradeq.grader", settings_.grader_id}};
  req.limits.memory_mb = std::min(spec.limits.memory_mb, settings_.max_memory_mb);
  req.limits.cpus = std::min(spec.limits.cpus, settings_.max_cpus);
  req.limits.network = settings_.allow_network;
  if (lane == Lane::bulk) req.limits.cpu_shares = settings_.bulk_cpu_shares;
  req.runtime = settings_.runtime;
  req.limits.pids = settings_.pids_limit;
  req.limits.tmpfs_mb = settings_.tmpfs_mb;
  req.bundle = make_bundle(spec, work.files);
  double budget = settings_.grace_s + (spec.build ? spec.limits.build_time_s : 0.0);
  for (auto& step : req.bundle.tests) {
    step.memory_mb = req.limits.memory_mb;
    budget += step.time_s;
  }
  if (req.bundle.build) req.bundle.build->memory_mb = req.limits.memory_mb;
  req.deadline = std::chrono::milliseconds(static_cast<long long>(std::ceil(budget * 1000)));
  return req;
}

std::chrono::milliseconds JobHandler::lease(const Spec& spec) const {
  double budget = settings_.grace_s + settings_.lease_margin_s +
                  (spec.build ? spec.limits.build_time_s : 0.0);
  for (const auto& t : spec.tests) budget += t.time_s;
  return std::chrono::milliseconds(static_cast<long long>(std::ceil(budget * 1000)));
}

amqp::Disposition JobHandler::job_fault(const Job& job, std::uint32_t delivery_count,
                                        const std::string& fault, Outcome* outcome) {
  try {
    store().record_fault(job, fault);
  } catch (const pg::DatabaseError& e) {  // only a hint for a later give-up: never worth a wait
    spdlog::warn("submission={} could not record its fault: {}", job.submission_id, e.what());
  }
  const auto limit = static_cast<std::uint32_t>(settings_.delivery_limit);
  if (delivery_count < limit) {
    spdlog::warn("submission={} attempt={} system fault on delivery {}/{}, requeued: {}",
                 job.submission_id, job.attempt, delivery_count + 1, limit + 1, fault);
    metrics_->errors.with({"job_fault"}).inc();
    throw SandboxError(fault);
  }
  spdlog::error("submission={} attempt={} giving up after {} deliveries: {}", job.submission_id,
                job.attempt, delivery_count + 1, fault);
  with_database("mark error", [&](pg::Store& s) {
    s.mark_error(job, "system error, given up after " + std::to_string(delivery_count + 1) +
                          " deliveries: " + fault);
    return true;
  });
  if (outcome) *outcome = Outcome::gave_up;
  return amqp::Disposition::reject;
}

amqp::Disposition JobHandler::handle(const std::string& body, Outcome* outcome) {
  amqp::Delivery delivery{};
  delivery.body = body;
  return handle(delivery, outcome);
}

amqp::Disposition JobHandler::handle(const amqp::Delivery& delivery, Outcome* outcome) {
  GaugeHold busy(metrics_->busy);
  Outcome got = Outcome::graded;
  std::string lane = lane_of_queue(delivery.queue);
  // Counted once settled (ack or reject); a requeue (throw) is counted in errors where it happens.
  auto d = handle_job(delivery, got, lane);
  metrics_->jobs.with({to_string(got), lane}).inc();
  if (outcome) *outcome = got;
  return d;
}

amqp::Disposition JobHandler::handle_job(const amqp::Delivery& delivery, Outcome& got, std::string& lane) {
  Outcome* outcome = &got;
  Job job;
  try {
    job = job_from_json(delivery.body);
  } catch (const JobError& e) {
    spdlog::error("poison job rejected (dead-lettered): {} (message: {:.200})", e.what(), delivery.body);
    if (outcome) *outcome = Outcome::poison;
    return amqp::Disposition::reject;
  }

  lane = to_string(job.lane);
  const auto claimed_at = std::chrono::steady_clock::now();
  pg::Work work;
  pg::Claim claim;
  try {
    claim = with_database("claim", [&](pg::Store& s) {
      return s.claim(job, work, [this](const Spec& spec) { return lease(spec); });
    });
  } catch (const std::invalid_argument& e) {  // the stored spec no longer parses
    spdlog::error("submission={} poison job rejected (dead-lettered): the stored spec does not load: {}",
                  job.submission_id, e.what());
    with_database("mark error", [&](pg::Store& s) {
      s.mark_error(job, std::string("unusable job: the stored spec does not load: ") + e.what());
      return true;
    });
    if (outcome) *outcome = Outcome::poison;
    return amqp::Disposition::reject;
  }
  switch (claim) {
    case pg::Claim::missing:
      spdlog::error("submission={} poison job rejected (dead-lettered): no such submission",
                    job.submission_id);
      if (outcome) *outcome = Outcome::poison;
      return amqp::Disposition::reject;
    case pg::Claim::superseded:
      spdlog::info("submission={} attempt={} superseded by a newer attempt, skipped", job.submission_id,
                   job.attempt);
      if (outcome) *outcome = Outcome::superseded;
      return amqp::Disposition::ack;
    case pg::Claim::finished:
      spdlog::info("submission={} attempt={} already graded, duplicate delivery acked", job.submission_id,
                   job.attempt);
      if (outcome) *outcome = Outcome::duplicate;
      return amqp::Disposition::ack;
    case pg::Claim::claimed:
      metrics_->queue_lag_seconds.with({lane}).observe(work.queued_s);
      break;
  }

  std::chrono::system_clock::time_point started;
  SandboxOutcome ran;
  GradeResult result;
  for (;;) {
    SandboxRequest request = make_request(work, job.lane);
    if (job.lane == Lane::bulk && settings_.bulk_hold_s > 0) {
      interactive_->wait_idle(std::chrono::milliseconds(static_cast<long long>(settings_.bulk_hold_s * 1000)));
    }
    Gate::Hold hold(job.lane == Lane::interactive ? interactive_.get() : nullptr);
    started = std::chrono::system_clock::now();
    try {
      ran = sandbox_.run(request);
      result = grade(work.spec, ran.report);
      break;
    } catch (const std::runtime_error& e) {  // SandboxError, GradingError: never the student's
      if (sandbox_.available()) return job_fault(job, delivery.delivery_count, e.what(), outcome);
      wait_for_engine(e.what());  // an outage: not this job's fault, and not counted
    }
  }
  metrics_->container_seconds.with({lane}).observe(static_cast<double>(ran.container_ms) / 1000.0);
  pg::ResultTimes times{started, ran.container_ms};
  bool stored = with_database("store result", [&](pg::Store& s) {
    return s.store_result(job, result, times, settings_.grader_id, settings_.stored_output_cap);
  });
  spdlog::info("submission={} attempt={} student={} score={}/{} failed={} container_ms={}{}",
               job.submission_id, job.attempt, work.student, result.score, result.max_score,
               result.failed_tests.size(), ran.container_ms, stored ? "" : " (duplicate, not stored)");
  metrics_->job_seconds.with({lane}).observe(seconds_since(claimed_at));
  if (outcome) *outcome = stored ? Outcome::graded : Outcome::duplicate;
  return amqp::Disposition::ack;
}

amqp::Disposition JobHandler::handle_dead(const amqp::Delivery& delivery,
                                          pg::DeadLetterRecord* record) {
  GaugeHold busy(metrics_->busy);
  pg::DeadLetter letter;
  letter.body = delivery.body;
  letter.queue = delivery.death ? delivery.death->queue : delivery.queue;
  letter.death_reason = delivery.death ? delivery.death->reason : "unknown";
  letter.dead_at = delivery.death ? delivery.death->time : 0;
  letter.deliveries = 0;  // unknown: the dead queue counts its own deliveries afresh
  try {
    letter.job = job_from_json(delivery.body);
  } catch (const JobError& e) {
    letter.reason = std::string("not a job message: ") + e.what();
  }
  if (letter.job) {
    if (letter.death_reason == "delivery_limit") {
      letter.deliveries = settings_.delivery_limit + 1;
      letter.reason = "delivered " + std::to_string(letter.deliveries) +
                      " times without a result (a grader crashed, was stopped or lost its"
                      " connection each time)";
    } else if (letter.death_reason == "rejected") {
      letter.reason = "rejected by a grader as poison";
    } else {
      letter.reason = "dead-lettered by the broker (" + letter.death_reason + ")";
    }
  }
  auto r = with_database("record dead letter", [&](pg::Store& s) {
    return s.record_dead_letter(letter, settings_.delivery_limit);
  });
  // Every settled dead-queue delivery, by the lane it died in; a revived one is counted too.
  metrics_->jobs.with({"dead_letter", lane_of_queue(letter.queue)}).inc();
  if (r.recorded) metrics_->errors.with({"dead_letter"}).inc();
  if (r.revive) {
    // Given back more than failed: a new message, with a fresh delivery count. If publishing
    // fails, the dead letter is requeued and decided again (recorded once).
    thread_local std::unique_ptr<dispatch::JobPublisher> publisher;
    if (!publisher) {
      publisher = std::make_unique<dispatch::JobPublisher>(settings_.amqp_url, settings_.queue_prefix);
    }
    try {
      publisher->publish({*r.revive});
    } catch (...) {
      publisher.reset();
      throw;
    }
    spdlog::warn("submission={} attempt={} revived from the dead queue: {}", r.revive->submission_id,
                 r.revive->attempt, r.reason);
    if (record) *record = r;
    return amqp::Disposition::ack;
  }
  if (r.recorded) {
    spdlog::error("dead letter from {} ({}): {}{}", letter.queue, letter.death_reason, r.reason,
                  r.marked_error ? "; submission " + letter.job->submission_id + " marked error" : "");
  }
  if (record) *record = r;
  return amqp::Disposition::ack;
}

namespace {

void sweeper(const Settings& settings, const std::atomic<bool>& stop) {
  pg::SweepPolicy policy;
  policy.unpublished_grace = std::chrono::seconds(static_cast<long long>(settings.sweep_grace_s));
  const auto period = std::chrono::milliseconds(static_cast<long long>(settings.sweep_interval_s * 1000));
  std::unique_ptr<pg::Store> store;
  std::unique_ptr<dispatch::JobPublisher> publisher;
  while (!stop.load()) {
    nap(period, &stop);
    if (stop.load()) break;
    try {
      if (!store) store = std::make_unique<pg::Store>(settings.database_url);
      if (!publisher) {
        publisher = std::make_unique<dispatch::JobPublisher>(settings.amqp_url, settings.queue_prefix);
      }
      auto r = dispatch::sweep(*store, *publisher, policy);
      if (r.total()) {
        spdlog::warn("sweeper: published {} job(s) left unpublished, republished {} submission(s) past"
                     " their lease and {} whose message was lost", r.unpublished, r.expired, r.stranded);
      }
    } catch (const std::exception& e) {
      spdlog::warn("sweeper: {} (next try in {} s)", e.what(), settings.sweep_interval_s);
      publisher.reset();
    }
  }
}

}  // namespace

std::string check_health(const Settings& settings, Sandbox& sandbox, std::chrono::milliseconds timeout) {
  if (settings.metrics_port > 0) {
    const std::string host = settings.metrics_address == "0.0.0.0" || settings.metrics_address == "::"
                                 ? "127.0.0.1" : settings.metrics_address;
    auto a = metrics::http_get(host, settings.metrics_port, "/healthz", timeout);
    if (a.status == 200) return "";
    std::string why = a.status ? a.body : "no answer (" + a.error + ")";
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return "grader at " + host + ":" + std::to_string(settings.metrics_port) + ": " + why;
  }
  // The checks run at once, each on a detached thread: one that hangs is left behind, and the
  // caller exits right after (std::_Exit: `sandbox` must outlive a check left behind).
  auto check = [](std::function<void()> f) {
    auto promise = std::make_shared<std::promise<std::string>>();
    auto answer = promise->get_future();
    std::thread([promise, f = std::move(f)] {
      try {
        f();
        promise->set_value("");
      } catch (const std::exception& e) {
        promise->set_value(e.what());
      }
    }).detach();
    return answer;
  };
  const std::string url = settings.database_url, amqp_url = settings.amqp_url;
  const std::string queue = amqp::Topology{settings.queue_prefix}.interactive();
  std::vector<std::pair<std::string, std::future<std::string>>> checks;
  checks.emplace_back("database", check([url] { pg::Store(url).queued_jobs(std::string("00000000-0000-0000-0000-000000000000")); }));
  checks.emplace_back("broker", check([amqp_url, queue] { amqp::queue_depth(amqp_url, queue); }));
  checks.emplace_back("docker engine", check([&sandbox] {
    if (!sandbox.available()) throw std::runtime_error("does not answer");
  }));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& [what, result] : checks) {
    if (result.wait_until(deadline) != std::future_status::ready) {
      return what + ": no answer within " + std::to_string(timeout.count()) + " ms";
    }
    std::string why = result.get();
    if (!why.empty()) {
      for (auto& c : why) if (c == '\n') c = ' ';
      return what + ": " + why;
    }
  }
  return "";
}

void run(const Settings& settings, Sandbox& sandbox, const std::atomic<bool>& stop) {
  amqp::Topology topology{settings.queue_prefix};
  metrics::Registry registry;
  JobHandler handler(settings, sandbox, &stop, &registry);
  std::unique_ptr<metrics::Server> server;
  if (settings.metrics_port > 0) {
    Metrics* m = &handler.metrics();
    server = std::make_unique<metrics::Server>(registry, [m] { return m->health(); }, settings.metrics_address,
                                               settings.metrics_port);
    spdlog::info("metrics on http://{}:{}/metrics", settings.metrics_address, server->port());
  }
  for (std::chrono::milliseconds backoff{500};;) {
    try {
      amqp::declare_topology(settings.amqp_url, topology, settings.delivery_limit);
      handler.metrics().broker_down = false;
      break;
    } catch (const amqp::AmqpError& e) {
      handler.metrics().broker_down = true;
      if (stop.load()) return;
      spdlog::warn("cannot declare the queues ({}); retrying in {} ms", e.what(), backoff.count());
      nap(backoff, &stop);
      if (stop.load()) return;
      backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
    }
  }
  std::thread sweep_thread;
  if (settings.sweep_interval_s > 0) sweep_thread = std::thread([&] { sweeper(settings, stop); });
  // Twice the workers by default: a worker that finishes finds its next delivery already here,
  // instead of idling for the ack → broker → deliver round trip (bench/README.md).
  int prefetch = settings.prefetch > 0 ? settings.prefetch : 2 * settings.concurrency + settings.reserved_interactive;
  amqp::ConsumerOptions options;
  options.consume_dead = true;
  options.interactive_burst = settings.interactive_burst;
  options.reserved_interactive = settings.reserved_interactive;
  amqp::Consumer consumer(settings.amqp_url, topology, prefetch, options);
  spdlog::info("grader {} consuming {}, {} and {} with {} workers (+{} interactive only)",
               settings.grader_id.empty() ? default_grader_id() : settings.grader_id, topology.interactive(),
               topology.bulk(), topology.dead(), settings.concurrency, settings.reserved_interactive);
  const std::string dead = topology.dead();
  consumer.run(
      [&handler, &dead](const amqp::Delivery& d) {
        return d.queue == dead ? handler.handle_dead(d) : handler.handle(d);
      },
      settings.concurrency, stop);
  if (sweep_thread.joinable()) sweep_thread.join();
  if (!sandbox.drain(std::chrono::seconds(30))) {
    spdlog::warn("some containers were still being removed by the engine at exit");
  }
  if (server) server->stop();
  spdlog::info("grader stopped");
}

}  // namespace gradeq::grader
