// RabbitMQ access for gradeq (rabbitmq-c 0.11): the queue topology, a publisher with publisher
// confirms, and a consumer whose single I/O thread owns the connection while a pool of worker
// threads runs the handler.
//
// URLs are amqp://USER:PASSWORD@HOST:PORT/VHOST (the vhost percent-encoded: "/" is %2f), parsed
// by rabbitmq-c's amqp_parse_url. amqps:// is not supported. Every failure is an AmqpError whose
// message names the operation and the broker (never the password).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace gradeq::amqp {

class AmqpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Queue names derive from a prefix (GRADEQ_QUEUE_PREFIX) so that tests can use their own.
struct Topology {
  std::string prefix = "gradeq";
  std::string interactive() const;  // prefix + ".interactive"
  std::string bulk() const;         // prefix + ".bulk"
  std::string dead() const;         // prefix + ".dead"
};

// Idempotently declares the dead queue (durable quorum queue) and the two lane queues: durable
// quorum queues with x-delivery-limit=<delivery_limit>, dead-lettering to the dead queue through
// the default exchange (x-dead-letter-exchange="", x-dead-letter-routing-key=<dead>). RabbitMQ
// 3.10 counts every time a delivered message comes back to the queue (nack/requeue, and also its
// consumer's channel closing or connection dying with the message unsettled) and dead-letters it
// when that count exceeds `delivery_limit`: a message is handled at most delivery_limit + 1
// times. Throws AmqpError if a queue exists with other arguments (PRECONDITION_FAILED) or the
// broker is unreachable.
void declare_topology(const std::string& url, const Topology& topology, int delivery_limit = 5);

// Deletes the three queues (with their messages). Deleting a missing queue is not an error.
void delete_topology(const std::string& url, const Topology& topology);

// Number of messages ready for delivery in `queue` (passive declare; messages delivered to a
// consumer and not yet settled are not counted). Throws AmqpError if the queue does not exist.
std::uint32_t queue_depth(const std::string& url, const std::string& queue);

// One connection and one channel in confirm mode. Not thread-safe: one Publisher per thread.
// The connection is opened by the first publish() (the constructor only validates the URL) and
// kept open between calls; a connection found dead at the start of a call is reopened silently.
class Publisher {
 public:
  explicit Publisher(std::string url,
                     std::chrono::milliseconds confirm_timeout = std::chrono::seconds(30));
  ~Publisher();
  Publisher(Publisher&&) noexcept;
  Publisher& operator=(Publisher&&) noexcept;
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Publishes every body as a persistent message (delivery_mode 2, content_type
  // application/json) to the default exchange with routing key `queue`, mandatory, and returns
  // only when the broker has confirmed all of them (publish all, then read the confirms). An
  // empty `bodies` is a no-op. Throws AmqpError when any message is nacked or returned
  // (unroutable: e.g. the queue does not exist), when the confirms do not all arrive within
  // `confirm_timeout`, or when the connection is lost; after a throw, some of the messages may
  // have been enqueued: retry the whole batch (consumers must tolerate duplicates anyway). After
  // a timeout or a connection loss the next call reconnects.
  void publish(const std::string& queue, const std::vector<std::string>& bodies);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct Delivery {
  std::uint64_t tag;   // the broker's delivery tag (per channel; informational)
  std::string queue;   // the lane queue it came from: topology.interactive() or .bulk()
  std::string body;
  bool redelivered;    // the broker delivered it before (to this or another consumer)
};

enum class Disposition {
  ack,     // the work is durably done: basic.ack
  reject,  // poison: basic.reject(requeue=false); the queue dead-letters it to topology.dead()
};

class Consumer {
 public:
  // `prefetch` (1..65535) is the basic.qos prefetch count of each lane's channel: up to
  // `prefetch` interactive and `prefetch` bulk deliveries may be held by this consumer at once.
  // Use prefetch >= workers, or workers sit idle. Throws AmqpError for a malformed URL and
  // std::invalid_argument for a prefetch out of range. Connects nothing until run().
  Consumer(std::string url, Topology topology, int prefetch);

  // Consumes both lane queues (the queues must exist: see declare_topology) until `stop`
  // becomes true. Every delivery is handed to one of `workers` (>= 1) threads running `handler`;
  // the handler is called concurrently from those threads.
  //
  // The ack contract:
  //  - handler returns Disposition::ack: the work is durably done (e.g. the result's transaction
  //    has committed); the delivery is basic.ack'ed and gone.
  //  - handler returns Disposition::reject: basic.reject(requeue=false); the queue dead-letters
  //    the message to topology.dead().
  //  - handler throws (anything): basic.nack(requeue=true); the message is redelivered (with
  //    redelivered=true) until the queue's delivery limit dead-letters it.
  //  Delivery is at least once: a message may be handled again after a connection loss, a stop,
  //  or a crash, possibly while a previous handler of it is still running. Handlers must be
  //  idempotent.
  //
  // Only the calling thread (the I/O thread) touches the connection: workers hand their
  // dispositions back through a queue that it drains between short waits for deliveries. When
  // deliveries of both lanes are waiting locally, the interactive ones are handed out first.
  //
  // On connection loss (broker restart, network, a channel error, the consumer cancelled by the
  // broker), run() logs, reconnects with capped exponential backoff (0.5 s doubling up to 30 s)
  // and goes on; deliveries not yet handed to a worker are dropped and dispositions of
  // deliveries from the dead connection are discarded: the broker redelivers those messages.
  // run() never gives up on its own (a wrong password or a missing queue is retried and
  // logged), except that it throws std::invalid_argument for workers < 1.
  //
  // When `stop` becomes true (checked at least every 100 ms): cancels both consumers, gives back
  // (basic.nack requeue=true) deliveries no handler has started, waits for the handlers in flight
  // to finish, settles their deliveries as they said, closes the channels and the connection
  // cleanly, joins the workers and returns. A handler that never returns blocks run() forever.
  void run(const std::function<Disposition(const Delivery&)>& handler, int workers,
           const std::atomic<bool>& stop);

 private:
  std::string url_;
  Topology topology_;
  int prefetch_;
};

}  // namespace gradeq::amqp
