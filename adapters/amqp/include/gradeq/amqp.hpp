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
#include <optional>
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

// Idempotently declares the dead queue (durable quorum queue, no delivery limit, no
// dead-lettering) and the two lane queues: durable quorum queues with
// x-delivery-limit=<delivery_limit> (>= 1), dead-lettering to the dead queue through the default
// exchange (x-dead-letter-exchange="", x-dead-letter-routing-key=<dead>).
//
// The delivery limit, as observed on RabbitMQ 3.10.8 (and asserted by tests/integration/
// amqp_rmqtest.cpp): a quorum queue counts every time a delivered message comes back to it
// (basic.nack/reject with requeue=true, and also its consumer's channel closing or connection
// dying, politely or not, with the message unsettled) and shows the count to the next delivery
// as x-delivery-count (Delivery::delivery_count): 0, 1, 2... When the message comes back for the
// (L+1)-th time (L = delivery_limit), i.e. when it would be delivered for the (L+2)-th time, it
// is dead-lettered instead, with x-death reason "delivery_limit": it is delivered at most L + 1
// times, with delivery_count 0..L. E.g. L=1: delivered with counts 0 and 1, then dead.
// Returns of deliveries no handler ever started count too (Consumer gives back its unstarted
// prefetched deliveries at a stop, and a lost connection returns them): a message can reach the
// limit without having been handled L + 1 times.
// A basic.reject/nack with requeue=false dead-letters it at once (reason "rejected").
//
// Throws AmqpError if a queue exists with other arguments (PRECONDITION_FAILED) or the broker is
// unreachable.
void declare_topology(const std::string& url, const Topology& topology, int delivery_limit = 5);

// Deletes the three queues (with their messages). Deleting a missing queue is not an error.
void delete_topology(const std::string& url, const Topology& topology);

// Number of messages ready for delivery in `queue` (passive declare; messages delivered to a
// consumer and not yet settled are not counted). Throws AmqpError if the queue does not exist.
std::uint32_t queue_depth(const std::string& url, const std::string& queue);

// Result events (README "Webhooks"): a durable topic exchange <prefix>.events where each event
// is published with its kind as routing key ("submission.graded", "submission.error"); the
// webhook dispatcher's durable quorum queue <prefix>.webhooks bound to it with "submission.*";
// and one wait queue per retry delay, <prefix>.webhooks.wait.<ms>ms: a durable classic queue
// with x-message-ttl = the delay that dead-letters expired messages back to <prefix>.webhooks
// (through the default exchange). A retry is published to the wait queue of its delay: nothing
// sleeps holding a message.
struct EventTopology {
  std::string prefix = "gradeq";
  std::string exchange() const;  // prefix + ".events"
  std::string webhooks() const;  // prefix + ".webhooks"
  std::string wait_queue(std::chrono::milliseconds delay) const;  // prefix + ".webhooks.wait.<ms>ms"
};

// Idempotently declares the exchange, the webhooks queue and its binding, and a wait queue per
// delay. Throws AmqpError (broker unreachable, a queue exists with other arguments).
void declare_event_topology(const std::string& url, const EventTopology& topology,
                            const std::vector<std::chrono::milliseconds>& delays);
// Deletes them (with their messages); missing ones are not an error.
void delete_event_topology(const std::string& url, const EventTopology& topology,
                           const std::vector<std::chrono::milliseconds>& delays);

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
  // application/json, message_id a fresh random version-4 UUID per message and per call, e.g.
  // "1b4e28ba-2fa1-4d2e-883f-0016d3cca427") to the default exchange with routing key `queue`,
  // mandatory, and returns only when the broker has confirmed all of them (publish all, then
  // read the confirms). An empty `bodies` is a no-op. Throws AmqpError when any message is
  // nacked or returned (unroutable: e.g. the queue does not exist), when the confirms do not
  // all arrive within `confirm_timeout`, or when the connection is lost; after a throw, some of
  // the messages may have been enqueued: retry the whole batch (consumers must tolerate
  // duplicates anyway). After a timeout or a connection loss the next call reconnects.
  void publish(const std::string& queue, const std::vector<std::string>& bodies);

  // The same, to `exchange` with `routing_key` (mandatory: a message no queue is bound for is
  // returned, and that is an AmqpError too).
  void publish_to(const std::string& exchange, const std::string& routing_key,
                  const std::vector<std::string>& bodies);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The most recent dead-lettering of a message: the first entry of its x-death header (RabbitMQ
// keeps one entry per (queue, reason), the most recent first).
struct Death {
  std::string reason;      // "rejected" (basic.reject/nack with requeue=false), "delivery_limit"
                           // (a quorum queue's x-delivery-limit), "expired" (TTL), "maxlen"
  std::string queue;       // the queue it died in, e.g. topology.interactive()
  std::int64_t count = 0;  // how many times it died in that queue for that reason
  std::int64_t time = 0;   // unix seconds: the entry's 'time' timestamp (when it died there)
};

struct Delivery {
  std::uint64_t tag = 0;     // the broker's delivery tag (per channel; informational)
  std::string queue;         // the queue it came from: topology.interactive(), .bulk(), or
                             // .dead() (only with ConsumerOptions::consume_dead)
  std::string body;
  bool redelivered = false;  // the broker delivered it before (to this or another consumer)

  // The x-delivery-count header that quorum queues add: how many times this message went back
  // to the queue it is delivered from before this delivery; 0 on the first delivery (the
  // header is absent then). RabbitMQ 3.10 increments it on every return: basic.nack/reject with
  // requeue=true (a handler that threw; a delivery run() gave back at stop or dropped on a
  // connection loss without handling it), and the consumer's channel closing or connection
  // dying with the message unsettled. See declare_topology for how it meets x-delivery-limit.
  // It is per queue: a message dead-lettered after N returns to its lane starts over at 0 in
  // the dead queue (which counts its own returns, with no limit).
  std::uint32_t delivery_count = 0;
  // Set when the message carries an x-death header, i.e. it was dead-lettered (the deliveries
  // from topology.dead()): the header's first entry, its most recent death.
  std::optional<Death> death;
  // The message_id property ("" if none). Publisher gives every message a fresh random one
  // (a UUID); dead-lettering keeps it. A batch republished after a failed publish() gets new
  // ids: the id names one publish of a message, not the job it carries.
  std::string message_id;
};
// Malformed headers (a wrong field type, a missing entry) leave the defaults above; an integer
// header of any AMQP integer type is accepted; out-of-range values are clamped (a negative
// count reads as 0).

enum class Disposition {
  ack,     // the work is durably done: basic.ack
  reject,  // poison: basic.reject(requeue=false); a lane queue dead-letters it to
           // topology.dead(), the dead queue drops it
};

struct ConsumerOptions {
  // Also consume topology.dead() (on a third channel, with the same prefetch). Its deliveries
  // have Delivery::queue == topology.dead() and Delivery::death set (unless the message was
  // published straight to the dead queue, never dead-lettered); they go to the same handler
  // and worker pool as the lanes' and are handed out before any lane delivery (they are rare and
  // meant to be cheap: record and ack). The ack contract is the same; note that the dead queue
  // dead-letters nothing, so rejecting a dead-queue delivery drops the message for good, and a
  // handler that throws on one gets it back with no limit.
  bool consume_dead = false;
  // Fairness between the lanes (>= 1). A worker that is free takes, in this order: a waiting
  // dead-queue delivery; else an interactive one, unless `interactive_burst` interactive ones
  // have been handed out in a row and a bulk one is waiting, in which case that bulk one (and
  // the count starts over); else a bulk one. The count also starts over when a worker finds no
  // interactive delivery waiting. So when both lanes have deliveries waiting, at most
  // `interactive_burst` interactive ones go before each bulk one: under a flood of interactive
  // work, bulk work still gets at least 1 of every interactive_burst + 1 handler starts.
  // "Waiting" means received by this consumer and not yet started (see prefetch).
  int interactive_burst = 4;
  // Workers started on top of run()'s `workers` that take only dead-queue and interactive
  // deliveries (never bulk ones): an interactive delivery starts at once even while every
  // other worker is busy with bulk work. Prefetch them too (prefetch >= workers + reserved).
  int reserved_interactive = 0;
  // When not empty: consume this one queue instead of the lanes (and the dead queue), e.g. the
  // webhooks queue. Its deliveries have Delivery::queue == queue and are handled like
  // interactive ones; the ack contract is the same.
  std::string queue;
};

class Consumer {
 public:
  // `prefetch` (1..65535) is the basic.qos prefetch count of each consumed queue's channel: up
  // to `prefetch` interactive, `prefetch` bulk (and, with consume_dead, `prefetch` dead)
  // deliveries may be held by this consumer at once. Use prefetch >= workers, or workers sit
  // idle. Throws AmqpError for a malformed URL and std::invalid_argument for a prefetch out of
  // range or options.interactive_burst < 1. Connects nothing until run().
  Consumer(std::string url, Topology topology, int prefetch, ConsumerOptions options = {});

  // Consumes both lane queues, and the dead queue if options.consume_dead (the queues must
  // exist: see declare_topology), until `stop` becomes true. Every delivery is handed to one of
  // `workers` (>= 1) threads running `handler`; the handler is called concurrently from those
  // threads. Which waiting delivery a free worker takes next: see ConsumerOptions.
  //
  // The ack contract:
  //  - handler returns Disposition::ack: the work is durably done (e.g. the result's transaction
  //    has committed); the delivery is basic.ack'ed and gone.
  //  - handler returns Disposition::reject: basic.reject(requeue=false); a lane queue
  //    dead-letters the message to topology.dead() (x-death reason "rejected"); the dead queue
  //    drops it.
  //  - handler throws (anything): basic.nack(requeue=true); the message is redelivered (with
  //    redelivered=true and delivery_count one higher) until a lane queue's delivery limit
  //    dead-letters it (x-death reason "delivery_limit").
  //  Delivery is at least once: a message may be handled again after a connection loss, a stop,
  //  or a crash, possibly while a previous handler of it is still running. Handlers must be
  //  idempotent.
  //
  // Only the calling thread (the I/O thread) touches the connection: workers hand their
  // dispositions back through a queue that it drains between short waits for deliveries.
  //
  // On connection loss (broker restart, network, a channel error, the consumer cancelled by the
  // broker), run() logs, reconnects with capped exponential backoff (0.5 s doubling up to 30 s)
  // and goes on; deliveries not yet handed to a worker are dropped and dispositions of
  // deliveries from the dead connection are discarded: the broker redelivers those messages
  // (each such return counts in delivery_count).
  // run() never gives up on its own (a wrong password or a missing queue is retried and
  // logged), except that it throws std::invalid_argument for workers < 1.
  //
  // When `stop` becomes true (checked at least every 100 ms): cancels the consumers, gives back
  // (basic.nack requeue=true) deliveries no handler has started (this counts in their
  // delivery_count too), waits for the handlers in flight to finish, settles their deliveries
  // as they said, closes the channels and the connection cleanly, joins the workers and
  // returns. A handler that never returns blocks run() forever.
  void run(const std::function<Disposition(const Delivery&)>& handler, int workers,
           const std::atomic<bool>& stop);

 private:
  std::string url_;
  Topology topology_;
  int prefetch_;
  ConsumerOptions options_;
};

}  // namespace gradeq::amqp
