#include "gradeq/grader.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <random>

#include <spdlog/spdlog.h>

#include "gradeq/grading.hpp"

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

}  // namespace

JobHandler::JobHandler(Settings settings, Sandbox& sandbox)
    : settings_(std::move(settings)), sandbox_(sandbox) {
  if (settings_.grader_id.empty()) settings_.grader_id = default_grader_id();
}

pg::Store& JobHandler::store() {
  // One connection per worker thread (a Store is not thread-safe).
  thread_local std::map<std::string, std::unique_ptr<pg::Store>> stores;
  auto& s = stores[settings_.database_url];
  if (!s) s = std::make_unique<pg::Store>(settings_.database_url);
  return *s;
}

SandboxRequest JobHandler::make_request(const pg::Work& work) const {
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

amqp::Disposition JobHandler::give_up_or_throw(const Job& job, const std::string& reason,
                                               Outcome* outcome) {
  std::string key = job.submission_id + "#" + std::to_string(job.attempt);
  int count;
  {
    std::lock_guard<std::mutex> lock(failures_mutex_);
    count = ++failures_[key];
    if (count >= settings_.max_system_failures) failures_.erase(key);
  }
  if (count < settings_.max_system_failures) {
    spdlog::warn("submission={} attempt={} system fault {}/{}, requeued: {}", job.submission_id,
                 job.attempt, count, settings_.max_system_failures, reason);
    throw SandboxError(reason);
  }
  spdlog::error("submission={} attempt={} giving up after {} system faults: {}", job.submission_id,
                job.attempt, count, reason);
  store().mark_error(job, "system error after " + std::to_string(count) + " attempts: " + reason);
  if (outcome) *outcome = Outcome::gave_up;
  return amqp::Disposition::reject;
}

amqp::Disposition JobHandler::handle(const std::string& body, Outcome* outcome) {
  Job job;
  try {
    job = job_from_json(body);
  } catch (const JobError& e) {
    spdlog::error("poison job rejected: {} (message: {:.200})", e.what(), body);
    if (outcome) *outcome = Outcome::poison;
    return amqp::Disposition::reject;
  }

  pg::Work work;
  pg::Claim claim;
  try {
    claim = store().claim(job, work);
  } catch (const std::invalid_argument& e) {  // the stored spec no longer parses
    spdlog::error("submission={} poison: {}", job.submission_id, e.what());
    store().mark_error(job, std::string("unusable job: ") + e.what());
    if (outcome) *outcome = Outcome::poison;
    return amqp::Disposition::reject;
  }
  switch (claim) {
    case pg::Claim::missing:
      spdlog::error("submission={} poison: no such submission", job.submission_id);
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
      break;
  }

  SandboxRequest request = make_request(work);
  auto started = std::chrono::system_clock::now();
  SandboxOutcome ran;
  GradeResult result;
  try {
    ran = sandbox_.run(request);
    result = grade(work.spec, ran.report);
  } catch (const SandboxError& e) {
    return give_up_or_throw(job, e.what(), outcome);
  } catch (const GradingError& e) {
    return give_up_or_throw(job, e.what(), outcome);
  }
  pg::ResultTimes times{started, ran.container_ms};
  bool stored = store().store_result(job, result, times, settings_.grader_id, settings_.stored_output_cap);
  spdlog::info("submission={} attempt={} student={} score={}/{} failed={} container_ms={}{}",
               job.submission_id, job.attempt, work.student, result.score, result.max_score,
               result.failed_tests.size(), ran.container_ms, stored ? "" : " (duplicate, not stored)");
  if (outcome) *outcome = stored ? Outcome::graded : Outcome::duplicate;
  return amqp::Disposition::ack;
}

void run(const Settings& settings, Sandbox& sandbox, const std::atomic<bool>& stop) {
  amqp::Topology topology{settings.queue_prefix};
  JobHandler handler(settings, sandbox);
  amqp::declare_topology(settings.amqp_url, topology);
  int prefetch = settings.prefetch > 0 ? settings.prefetch : settings.concurrency;
  amqp::Consumer consumer(settings.amqp_url, topology, prefetch);
  spdlog::info("grader consuming {} and {} with {} workers", topology.interactive(), topology.bulk(),
               settings.concurrency);
  consumer.run([&handler](const amqp::Delivery& d) { return handler.handle(d.body); },
               settings.concurrency, stop);
  spdlog::info("grader stopped");
}

}  // namespace gradeq::grader
