// Consumer: the calling thread owns the connection (rabbitmq-c connections are not
// thread-safe); worker threads run the handler and hand their dispositions back through a
// queue that the I/O thread drains between short waits for deliveries.
#include <spdlog/spdlog.h>
#include <sys/time.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "connection.hpp"
#include "lane_picker.hpp"
#include "properties.hpp"

namespace gradeq::amqp {

namespace {

using detail::Lane;

constexpr amqp_channel_t kInteractive = 1;
constexpr amqp_channel_t kBulk = 2;
constexpr amqp_channel_t kDead = 3;
constexpr int kHeartbeatSeconds = 30;
constexpr std::chrono::milliseconds kBusyWait{10};   // work in hand: settle promptly
constexpr std::chrono::milliseconds kIdleWait{100};  // also the latency of noticing `stop`
constexpr std::chrono::milliseconds kFirstBackoff{500};
constexpr std::chrono::milliseconds kMaxBackoff{30000};

enum class Settle { ack, reject, requeue };

struct Job {
  std::uint64_t generation;
  amqp_channel_t channel;
  Delivery delivery;
};

struct Settlement {
  std::uint64_t generation;
  amqp_channel_t channel;
  std::uint64_t tag;
  Settle how;
};

// The workers and the queues between them and the I/O thread: one per consumed queue, and
// the settlements going back.
class Dispatcher {
 public:
  Dispatcher(const std::function<Disposition(const Delivery&)>& handler, int workers,
             int interactive_burst, int reserved_interactive)
      : handler_(handler), picker_(interactive_burst) {
    threads_.reserve(static_cast<std::size_t>(workers + reserved_interactive));
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(false); });
    for (int i = 0; i < reserved_interactive; ++i) threads_.emplace_back([this] { work(true); });
  }
  ~Dispatcher() { join(); }
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void push(Job job) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      waiting(job.channel).push_back(std::move(job));
    }
    // All: a reserved worker woken for a bulk delivery would go back to sleep with the wake-up.
    ready_.notify_all();
  }

  // Removes the deliveries no worker has started.
  std::vector<Job> take_pending() {
    std::lock_guard<std::mutex> lock(mutex_);
    return take_pending_locked();
  }

  // Workers finish the handler they are running and exit; nothing new starts. Returns the
  // deliveries no worker had started.
  std::vector<Job> shut_down() {
    std::vector<Job> pending;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      shut_down_ = true;
      pending = take_pending_locked();
    }
    ready_.notify_all();
    return pending;
  }

  std::vector<Settlement> take_settlements() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Settlement> out;
    out.swap(settled_);
    return out;
  }

  // True while some delivery waits for a worker or a handler runs: its disposition is due soon.
  bool busy() {
    std::lock_guard<std::mutex> lock(mutex_);
    return in_flight_ > 0 || any_waiting();
  }

  // True when no handler runs and every disposition has been taken.
  bool idle() {
    std::lock_guard<std::mutex> lock(mutex_);
    return in_flight_ == 0 && settled_.empty();
  }

  void join() {
    shut_down();
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  std::deque<Job>& waiting(amqp_channel_t channel) {
    return channel == kDead ? dead_ : channel == kInteractive ? interactive_ : bulk_;
  }

  bool any_waiting() const { return !dead_.empty() || !interactive_.empty() || !bulk_.empty(); }

  std::vector<Job> take_pending_locked() {
    std::vector<Job> out;
    for (auto* q : {&dead_, &interactive_, &bulk_}) {
      for (Job& job : *q) out.push_back(std::move(job));
      q->clear();
    }
    return out;
  }

  // `reserved`: this worker takes only dead-queue and interactive deliveries.
  void work(bool reserved) {
    for (;;) {
      Job job{};
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [&] {
          return shut_down_ || (reserved ? !dead_.empty() || !interactive_.empty() : any_waiting());
        });
        if (shut_down_) return;
        // The interactive lane first (one student must not wait behind a regrade), but bulk
        // never starves; the rare dead letters before both. A reserved worker bypasses the
        // picker: it cannot take bulk work, so it cannot starve it.
        const Lane lane = reserved ? (!dead_.empty() ? Lane::dead : Lane::interactive)
                                   : picker_.pick(!dead_.empty(), !interactive_.empty(), !bulk_.empty());
        if (lane == Lane::none) continue;  // cannot happen: something is waiting
        auto& q = lane == Lane::dead ? dead_ : lane == Lane::interactive ? interactive_ : bulk_;
        job = std::move(q.front());
        q.pop_front();
        ++in_flight_;
      }
      Settle how = Settle::requeue;
      try {
        how = handler_(job.delivery) == Disposition::ack ? Settle::ack : Settle::reject;
      } catch (const std::exception& e) {
        spdlog::warn("amqp consumer: handler failed on a delivery from {} ({}); requeueing it",
                     job.delivery.queue, e.what());
      } catch (...) {
        spdlog::warn("amqp consumer: handler failed on a delivery from {}; requeueing it",
                     job.delivery.queue);
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        settled_.push_back({job.generation, job.channel, job.delivery.tag, how});
        --in_flight_;
      }
    }
  }

  const std::function<Disposition(const Delivery&)>& handler_;
  std::mutex mutex_;
  std::condition_variable ready_;
  detail::LanePicker picker_;
  std::deque<Job> dead_;
  std::deque<Job> interactive_;
  std::deque<Job> bulk_;
  std::vector<Settlement> settled_;
  std::size_t in_flight_ = 0;
  bool shut_down_ = false;
  std::vector<std::thread> threads_;
};

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// One connection's life: set-up, the I/O loop, the graceful stop.
class Session {
 public:
  Session(const detail::Endpoint& endpoint, const Topology& topology, int prefetch,
          bool consume_dead, const std::string& only_queue, std::uint64_t generation,
          Dispatcher& dispatcher)
      : topology_(topology), only_queue_(only_queue), generation_(generation), dispatcher_(dispatcher) {
    detail::ConnectOptions options;
    options.heartbeat_s = kHeartbeatSeconds;
    options.connection_name = "gradeq consumer";
    connection_ = detail::Connection(endpoint, options);
    // Dead, then interactive, then bulk: each consumer exists before the next lane's
    // deliveries start flowing.
    if (!only_queue_.empty()) {
      channels_.push_back(kInteractive);  // the one queue, handled as the interactive lane
    } else {
      if (consume_dead) channels_.push_back(kDead);
      channels_.push_back(kInteractive);
      channels_.push_back(kBulk);
    }
    for (amqp_channel_t channel : channels_) {
      const std::string queue = queue_of(channel);
      connection_.open_channel(channel);
      amqp_basic_qos(connection_.get(), channel, 0, static_cast<std::uint16_t>(prefetch), 0);
      connection_.check_rpc(channel, "basic.qos");
      const amqp_basic_consume_ok_t* ok =
          amqp_basic_consume(connection_.get(), channel, detail::to_bytes(queue), amqp_empty_bytes,
                             /*no_local=*/0, /*no_ack=*/0, /*exclusive=*/0, amqp_empty_table);
      connection_.check_rpc(channel, ("basic.consume '" + queue + "'").c_str());
      tags_[channel - 1] = detail::to_string(ok->consumer_tag);
    }
  }

  const detail::Connection& connection() const { return connection_; }

  // Returns after a graceful stop; throws AmqpError when the connection is lost.
  void serve(const std::atomic<bool>& stop) {
    for (;;) {
      settle();
      if (!stopping_ && stop.load()) begin_stop();
      if (stopping_ && dispatcher_.idle()) {
        finish();
        return;
      }
      amqp_maybe_release_buffers(connection_.get());
      const timeval wait =
          to_timeval(stopping_ || dispatcher_.busy() ? kBusyWait : kIdleWait);
      amqp_envelope_t envelope{};
      const amqp_rpc_reply_t r = amqp_consume_message(connection_.get(), &envelope, &wait, 0);
      if (r.reply_type == AMQP_RESPONSE_NORMAL) {
        accept(envelope);
        continue;
      }
      if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
        if (r.library_error == AMQP_STATUS_TIMEOUT) continue;
        if (r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
          // A frame other than basic.deliver: amqp_consume_message put it back; read it.
          amqp_frame_t frame{};
          connection_.check_status(amqp_simple_wait_frame(connection_.get(), &frame),
                                   "reading a frame");
          handle(frame);
          continue;
        }
        connection_.mark_broken();
      }
      throw detail::error(connection_, "consume", detail::reply_text(r));
    }
  }

 private:
  std::string queue_of(amqp_channel_t channel) const {
    if (!only_queue_.empty()) return only_queue_;
    return channel == kDead          ? topology_.dead()
           : channel == kInteractive ? topology_.interactive()
                                     : topology_.bulk();
  }

  void accept(amqp_envelope_t& envelope) {
    Job job{generation_, envelope.channel, Delivery{}};
    job.delivery.tag = envelope.delivery_tag;
    job.delivery.queue = queue_of(envelope.channel);
    job.delivery.body = detail::to_string(envelope.message.body);
    job.delivery.redelivered = envelope.redelivered != 0;
    detail::read_properties(envelope.message.properties, job.delivery);
    amqp_destroy_envelope(&envelope);
    if (stopping_) {
      // Arrived after the cancel: give it back.
      requeue(job.channel, job.delivery.tag);
    } else {
      dispatcher_.push(std::move(job));
    }
  }

  void requeue(amqp_channel_t channel, std::uint64_t tag) {
    connection_.check_status(amqp_basic_nack(connection_.get(), channel, tag, 0, 1), "basic.nack");
  }

  void settle() {
    for (const Settlement& s : dispatcher_.take_settlements()) {
      // A delivery of an earlier connection: its tag means nothing here, and the broker has
      // already requeued the message.
      if (s.generation != generation_) continue;
      switch (s.how) {
        case Settle::ack:
          connection_.check_status(amqp_basic_ack(connection_.get(), s.channel, s.tag, 0),
                                   "basic.ack");
          break;
        case Settle::reject:
          connection_.check_status(amqp_basic_reject(connection_.get(), s.channel, s.tag, 0),
                                   "basic.reject");
          break;
        case Settle::requeue:
          requeue(s.channel, s.tag);
          break;
      }
    }
  }

  void handle(const amqp_frame_t& frame) {
    if (frame.frame_type != AMQP_FRAME_METHOD) return;  // stray content: ignore
    const amqp_method_t& method = frame.payload.method;
    switch (method.id) {
      case AMQP_BASIC_CANCEL_METHOD:
        // The broker cancelled a consumer (its queue was deleted): start over, which fails
        // and backs off until the queue exists again.
        if (!stopping_) {
          throw detail::error(connection_, "consume '" + queue_of(frame.channel) + "'",
                              "the broker cancelled the consumer (queue deleted?)");
        }
        break;
      case AMQP_CHANNEL_CLOSE_METHOD:
      case AMQP_CONNECTION_CLOSE_METHOD:
        connection_.fail_on_close(frame, "consume");
      case AMQP_CONNECTION_BLOCKED_METHOD:
        spdlog::warn("amqp consumer: the broker blocked the connection (resource alarm)");
        break;
      default:
        break;  // basic.cancel-ok, connection.unblocked, ...
    }
  }

  void begin_stop() {
    stopping_ = true;
    for (amqp_channel_t channel : channels_) {
      amqp_basic_cancel(connection_.get(), channel, detail::to_bytes(tags_[channel - 1]));
      connection_.check_rpc(channel, "basic.cancel");
    }
    for (const Job& job : dispatcher_.shut_down()) requeue(job.channel, job.delivery.tag);
  }

  void finish() {
    settle();
    for (amqp_channel_t channel : channels_) {
      amqp_channel_close(connection_.get(), channel, AMQP_REPLY_SUCCESS);
    }
    connection_.close();
  }

  Topology topology_;
  std::string only_queue_;  // ConsumerOptions::queue
  std::uint64_t generation_;
  Dispatcher& dispatcher_;
  detail::Connection connection_;
  std::vector<amqp_channel_t> channels_;  // the consumed queues' channels, in set-up order
  std::string tags_[3];                   // consumer tags, by channel - 1
  bool stopping_ = false;
};

void sleep_unless_stopped(std::chrono::milliseconds total, const std::atomic<bool>& stop) {
  const auto until = std::chrono::steady_clock::now() + total;
  while (!stop.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

Consumer::Consumer(std::string url, Topology topology, int prefetch, ConsumerOptions options)
    : url_(std::move(url)), topology_(std::move(topology)), prefetch_(prefetch), options_(options) {
  if (prefetch_ < 1 || prefetch_ > 65535) {
    throw std::invalid_argument("amqp consumer: prefetch must be in 1..65535");
  }
  if (options_.interactive_burst < 1) {
    throw std::invalid_argument("amqp consumer: interactive_burst must be at least 1");
  }
  if (options_.reserved_interactive < 0 || options_.reserved_interactive > 64) {
    throw std::invalid_argument("amqp consumer: reserved_interactive must be in 0..64");
  }
  detail::parse_endpoint(url_);  // a malformed URL fails here, not in run()
}

void Consumer::run(const std::function<Disposition(const Delivery&)>& handler, int workers,
                   const std::atomic<bool>& stop) {
  if (workers < 1) throw std::invalid_argument("amqp consumer: workers must be at least 1");
  const detail::Endpoint endpoint = detail::parse_endpoint(url_);
  Dispatcher dispatcher(handler, workers, options_.interactive_burst, options_.reserved_interactive);
  std::uint64_t generation = 0;
  std::chrono::milliseconds backoff = kFirstBackoff;
  bool lost = false;
  while (!stop.load()) {
    std::optional<Session> session;
    try {
      session.emplace(endpoint, topology_, prefetch_, options_.consume_dead, options_.queue,
                      ++generation, dispatcher);
      if (lost) spdlog::info("amqp consumer: reconnected to {}", endpoint.display);
      lost = false;
      backoff = kFirstBackoff;
      session->serve(stop);
      break;  // stopped gracefully
    } catch (const AmqpError& e) {
      session.reset();  // closes (politely if the connection is still sound)
      // Deliveries of the dead connection that no worker started: the broker requeues them.
      dispatcher.take_pending();
      lost = true;
      if (stop.load()) break;
      spdlog::warn("{}; reconnecting in {} ms", e.what(), backoff.count());
      sleep_unless_stopped(backoff, stop);
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }
  dispatcher.join();  // handlers in flight finish; a lost connection's dispositions are dropped
}

}  // namespace gradeq::amqp
