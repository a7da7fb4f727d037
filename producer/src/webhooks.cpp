// `gradeq-producer webhooks`: the result events' dispatcher (README "Webhooks").
//
//  outbox thread:  LISTEN gradeq_events; loop { BEGIN; lock unpublished events (SKIP LOCKED);
//                  publish to <prefix>.events with key = kind (confirms); mark published; COMMIT;
//                  wait for a NOTIFY or the poll }
//  consumer:       <prefix>.webhooks -> a worker: resolve the URL; POST the signed body; record
//                  the attempt; on failure publish the next attempt to the wait queue of its
//                  delay (which dead-letters it back here when the delay is over); ack.
//
// The ack contract (amqp::Consumer): return acks; a throw (database or broker trouble) requeues
// the message, after a pause so that an outage is not a busy loop. Delivery is at least once: a
// POST may be repeated after a crash or an outage (receivers dedupe on X-Gradeq-Delivery).
#include <spdlog/spdlog.h>

#include <httplib.h>

#include <map>
#include <mutex>
#include <thread>

#include "gradeq/amqp.hpp"
#include "gradeq/log.hpp"
#include "gradeq/producer.hpp"
#include "gradeq/webhook.hpp"

namespace gradeq::producer {

namespace {

using Clock = std::chrono::steady_clock;

void sleep_unless_stopped(std::chrono::milliseconds total, const std::atomic<bool>& stop) {
  for (auto until = Clock::now() + total; !stop.load() && Clock::now() < until;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// What one POST came to.
struct PostResult {
  std::optional<int> status;
  std::string error;
  std::int64_t duration_ms = 0;
};

PostResult post(const webhook::Target& target, const webhook::Event& event,
                const std::string& body, const WebhookSettings& settings) {
  PostResult out;
  const auto started = Clock::now();
  httplib::Client client(target.origin);
  auto seconds_and_us = [](std::chrono::milliseconds ms) {
    return std::pair<time_t, time_t>(static_cast<time_t>(ms.count() / 1000),
                                     static_cast<time_t>((ms.count() % 1000) * 1000));
  };
  auto [cs, cus] = seconds_and_us(settings.connect_timeout);
  auto [rs, rus] = seconds_and_us(settings.read_timeout);
  client.set_connection_timeout(cs, cus);
  client.set_read_timeout(rs, rus);
  client.set_write_timeout(rs, rus);
  client.set_follow_location(false);
  client.set_keep_alive(false);
  const httplib::Headers headers = {
      {"User-Agent", "gradeq-webhooks/1"},
      {"X-Gradeq-Event", event.kind},
      {"X-Gradeq-Delivery", std::to_string(event.id)},
      {"X-Gradeq-Signature", webhook::signature(settings.secret, body)},
  };
  auto response = client.Post(target.path, headers, body, "application/json");
  out.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  if (response) {
    out.status = response->status;
    if (!webhook::delivered(response->status)) {
      out.error = "HTTP " + std::to_string(response->status);
    }
  } else {
    out.error = httplib::to_string(response.error());
  }
  return out;
}

// The webhook consumer's per-thread connections (a Store and a Publisher are not thread-safe).
class Resources {
 public:
  explicit Resources(const Settings& settings) : settings_(settings) {}
  struct PerThread {
    PerThread(const std::string& database_url, const std::string& amqp_url)
        : store(database_url), publisher(amqp_url) {}
    pg::Store store;
    amqp::Publisher publisher;
  };
  PerThread& mine() {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = by_thread_[std::this_thread::get_id()];
    if (!slot) {
      slot = std::make_unique<PerThread>(settings_.database_url, settings_.amqp_url);
    }
    return *slot;
  }

 private:
  const Settings& settings_;
  std::mutex mutex_;
  std::map<std::thread::id, std::unique_ptr<PerThread>> by_thread_;
};

class Dispatcher {
 public:
  Dispatcher(const Settings& settings, const WebhookSettings& webhooks)
      : settings_(settings), webhooks_(webhooks), resources_(settings) {
    topology_.prefix = settings.queue_prefix;
  }

  const amqp::EventTopology& topology() const { return topology_; }

  // Publishes the outbox until `stop`.
  void publish_outbox(const std::atomic<bool>& stop) {
    pg::Store store(settings_.database_url);
    amqp::Publisher publisher(settings_.amqp_url);
    std::chrono::milliseconds backoff{500};
    constexpr std::size_t kBatch = 500;
    while (!stop.load()) {
      try {
        const std::size_t n = store.publish_events(kBatch, [&](const std::vector<pg::OutboxEvent>& events) {
          std::map<std::string, std::vector<std::string>> by_kind;
          for (const auto& e : events) {
            webhook::Event event;
            event.id = e.id;
            event.kind = e.kind;
            event.submission_id = e.submission_id;
            event.payload = nlohmann::json::parse(e.payload);
            by_kind[e.kind].push_back(webhook::to_message(event));
          }
          for (const auto& [kind, bodies] : by_kind) {
            publisher.publish_to(topology_.exchange(), kind, bodies);
          }
        });
        if (n) spdlog::info("webhooks: published {} event(s) to {}", n, topology_.exchange());
        backoff = std::chrono::milliseconds(500);
        if (n == kBatch) continue;
        store.wait_for_events(webhooks_.poll);
      } catch (const std::exception& e) {
        spdlog::warn("webhooks: publishing events failed ({}); retrying in {} ms", e.what(),
                     backoff.count());
        sleep_unless_stopped(backoff, stop);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
      }
    }
  }

  amqp::Disposition handle(const amqp::Delivery& delivery) {
    webhook::Event event;
    try {
      event = webhook::event_from_message(delivery.body);
    } catch (const webhook::EventError& e) {
      spdlog::warn("webhooks: dropped a message that is not an event ({})", e.what());
      return amqp::Disposition::ack;
    }
    try {
      return deliver(event);
    } catch (const std::exception& e) {
      // Database or broker trouble: not the receiver's fault and not an attempt. The consumer
      // requeues the message; pause so that an outage is not a busy loop.
      spdlog::warn("webhooks: event {} attempt {}: {}; will retry", event.id, event.attempt, e.what());
      std::this_thread::sleep_for(std::chrono::seconds(1));
      throw;
    }
  }

 private:
  amqp::Disposition deliver(const webhook::Event& event) {
    // Every line about this event carries its submission (JSON logs: a field of its own).
    log::ScopedFields scoped({{"submission_id", event.submission_id}, {"event_id", std::int64_t{event.id}}});
    auto& mine = resources_.mine();
    const pg::WebhookTarget target = mine.store.webhook_target(event.id, event.attempt);
    if (!target.exists || target.done) return amqp::Disposition::ack;  // gone, or a duplicate
    if (!target.url) return amqp::Disposition::ack;                     // no webhook
    const std::string body = webhook::request_body(event);
    pg::WebhookAttempt attempt;
    attempt.event_id = event.id;
    attempt.attempt = event.attempt;
    attempt.url = *target.url;
    PostResult result;
    try {
      result = post(webhook::split_url(*target.url), event, body, webhooks_);
    } catch (const std::invalid_argument& e) {  // a URL written into the database by hand
      result.error = e.what();
    }
    attempt.status_code = result.status;
    attempt.error = result.error;
    attempt.duration_ms = result.duration_ms;
    const bool ok = result.status && webhook::delivered(*result.status);
    if (ok) {
      attempt.outcome = "delivered";
    } else if (event.attempt < webhooks_.max_attempts) {
      attempt.outcome = "retrying";
      webhook::Event next = event;
      next.attempt = event.attempt + 1;
      const auto delay = webhook::retry_delay(event.attempt, webhooks_.retry_base);
      // Before recording: a crash in between repeats this attempt rather than losing the retry.
      mine.publisher.publish(topology_.wait_queue(delay), {webhook::to_message(next)});
    } else {
      attempt.outcome = "failed";
    }
    mine.store.record_webhook_attempt(attempt);
    if (ok) {
      spdlog::info("webhooks: event {} of submission {} delivered to {} (attempt {}, HTTP {})", event.id,
                   event.submission_id, attempt.url, event.attempt, *result.status);
    } else {
      spdlog::warn("webhooks: event {} of submission {} attempt {} to {} failed: {}{}", event.id,
                   event.submission_id, event.attempt, attempt.url, result.error,
                   attempt.outcome == "failed" ? "; giving up" : "; will retry");
    }
    return amqp::Disposition::ack;
  }

  const Settings& settings_;
  const WebhookSettings& webhooks_;
  amqp::EventTopology topology_;
  Resources resources_;
};

}  // namespace

void set_assignment_webhook(const Settings& settings, const std::string& assignment,
                            const std::optional<std::string>& url) {
  auto [course, name] = split_assignment(assignment);
  if (url) {
    const std::string problem = webhook::url_problem(*url);
    if (!problem.empty()) throw InputError("webhook URL \"" + *url + "\": " + problem);
  }
  pg::Store store(settings.database_url);
  try {
    store.set_assignment_webhook(course, name, url);
  } catch (const pg::NotFound& e) {
    throw InputError(e.what());
  }
}

void run_webhooks(const Settings& settings, const WebhookSettings& webhooks,
                  const std::atomic<bool>& stop) {
  if (webhooks.secret.empty()) {
    throw InputError("webhooks: a signing secret is required (--secret or GRADEQ_WEBHOOK_SECRET)");
  }
  if (webhooks.max_attempts < 1 || webhooks.max_attempts > 1000) {
    throw InputError("webhooks: max attempts must be in 1..1000");
  }
  if (webhooks.retry_base.count() < 1) throw InputError("webhooks: the retry base must be positive");
  if (webhooks.workers < 1) throw InputError("webhooks: workers must be at least 1");
  Dispatcher dispatcher(settings, webhooks);
  const auto delays = webhook::retry_delays(webhooks.max_attempts, webhooks.retry_base);
  std::chrono::milliseconds backoff{500};
  while (!stop.load()) {
    try {
      amqp::declare_event_topology(settings.amqp_url, dispatcher.topology(), delays);
      break;
    } catch (const amqp::AmqpError& e) {
      spdlog::warn("webhooks: {}; retrying in {} ms", e.what(), backoff.count());
      sleep_unless_stopped(backoff, stop);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
    }
  }
  if (stop.load()) return;
  spdlog::info("webhooks: publishing events to {} and delivering from {}",
               dispatcher.topology().exchange(), dispatcher.topology().webhooks());
  std::thread outbox([&] { dispatcher.publish_outbox(stop); });
  amqp::ConsumerOptions options;
  options.queue = dispatcher.topology().webhooks();
  amqp::Topology unused;
  unused.prefix = settings.queue_prefix;
  amqp::Consumer consumer(settings.amqp_url, unused, 2 * webhooks.workers, options);
  try {
    consumer.run([&](const amqp::Delivery& d) { return dispatcher.handle(d); }, webhooks.workers, stop);
  } catch (...) {
    outbox.join();  // run() throws only before it starts; `stop` ends the outbox thread
    throw;
  }
  outbox.join();
}

}  // namespace gradeq::producer
