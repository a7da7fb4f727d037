// Publisher with publisher confirms. rabbitmq-c 0.11 has confirm.select but no helper to wait
// for confirms: they are read here as basic.ack / basic.nack frames (with the `multiple` flag),
// and a basic.return (mandatory, unroutable) is read with its content and counted as a failure.
#include <spdlog/spdlog.h>
#include <sys/time.h>

#include <algorithm>
#include <optional>
#include <random>

#include "connection.hpp"

namespace gradeq::amqp {

namespace {
constexpr amqp_channel_t kChannel = 1;
// Between publishes, read whatever confirms have arrived every this many messages, so that a
// large batch never leaves the broker's acks piling up unread.
constexpr std::size_t kDrainEvery = 128;

// 128 bits from a generator seeded by std::random_device; not secret, only unique.
std::mt19937_64 seeded_generator() {
  std::random_device device;
  std::seed_seq seed{device(), device(), device(), device(),
                     device(), device(), device(), device()};
  return std::mt19937_64(seed);
}

// A random (version 4) UUID: 8-4-4-4-12 lowercase hex digits.
std::string random_uuid(std::mt19937_64& generator) {
  std::uint64_t high = generator();
  std::uint64_t low = generator();
  high = (high & ~std::uint64_t{0xF000}) | 0x4000;                          // version 4
  low = (low & ~(std::uint64_t{0xC} << 60)) | (std::uint64_t{0x8} << 60);   // variant 10
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 32; ++i) {
    const std::uint64_t word = i < 16 ? high : low;
    const int shift = 60 - 4 * (i % 16);
    out.push_back(digits[(word >> shift) & 0xF]);
    if (i == 7 || i == 11 || i == 15 || i == 19) out.push_back('-');
  }
  return out;
}
}  // namespace

struct Publisher::Impl {
  detail::Endpoint endpoint;
  std::chrono::milliseconds confirm_timeout;
  detail::Connection connection;
  std::uint64_t next_seq = 1;  // publish sequence number of the next message on this channel

  // The batch in progress: sequence numbers [first, first + confirmed.size()).
  std::uint64_t first = 0;
  std::vector<char> confirmed;
  std::size_t low = 0;        // every index below is confirmed
  std::size_t remaining = 0;  // messages of the batch not yet confirmed
  std::size_t nacked = 0;
  std::size_t returned = 0;
  std::string return_text;
  std::string blocked_reason;  // connection.blocked from the broker (alarm), if any
  std::mt19937_64 ids = seeded_generator();  // message ids

  void reset() {
    connection.mark_broken();
    connection.close();
  }

  void connect() {
    detail::ConnectOptions options;
    options.connection_name = "gradeq publisher";
    // No heartbeats: between calls nothing reads the socket, so with heartbeats an idle
    // publisher would be dropped by the broker after two intervals. A dead connection is found
    // by the check at the start of publish() or by the confirm timeout.
    options.heartbeat_s = 0;
    detail::Connection c(endpoint, options);
    c.open_channel(kChannel);
    amqp_confirm_select(c.get(), kChannel);
    c.check_rpc(kChannel, "confirm.select");
    connection = std::move(c);
    next_seq = 1;
    blocked_reason.clear();
  }

  void mark(std::uint64_t tag, bool multiple, bool ack) {
    // Not of this batch (cannot happen: a batch completes or its connection is reset).
    if (confirmed.empty() || tag < first) return;
    const std::uint64_t end = first + confirmed.size();
    const std::uint64_t last = std::min(tag, end - 1);
    auto settle = [&](std::size_t i) {
      if (confirmed[i]) return;
      confirmed[i] = 1;
      --remaining;
      if (!ack) ++nacked;
    };
    if (multiple) {
      for (std::size_t i = low; i <= last - first; ++i) settle(i);
      low = std::max<std::size_t>(low, static_cast<std::size_t>(last - first + 1));
    } else if (tag < end) {
      settle(static_cast<std::size_t>(tag - first));
    }
  }

  // Handles one frame read from the connection; throws AmqpError when the channel or the
  // connection is gone.
  void handle(const amqp_frame_t& frame) {
    if (frame.frame_type != AMQP_FRAME_METHOD) return;  // stray content: ignored
    const amqp_method_t& method = frame.payload.method;
    switch (method.id) {
      case AMQP_BASIC_ACK_METHOD: {
        const auto* m = static_cast<const amqp_basic_ack_t*>(method.decoded);
        mark(m->delivery_tag, m->multiple != 0, true);
        break;
      }
      case AMQP_BASIC_NACK_METHOD: {
        const auto* m = static_cast<const amqp_basic_nack_t*>(method.decoded);
        mark(m->delivery_tag, m->multiple != 0, false);
        break;
      }
      case AMQP_BASIC_RETURN_METHOD: {
        const auto* m = static_cast<const amqp_basic_return_t*>(method.decoded);
        ++returned;
        if (return_text.empty()) {
          return_text = std::to_string(m->reply_code) + " " + detail::to_string(m->reply_text);
        }
        // The returned message's header and body frames follow: consume them.
        amqp_message_t message{};
        const amqp_rpc_reply_t r = amqp_read_message(connection.get(), frame.channel, &message, 0);
        if (r.reply_type == AMQP_RESPONSE_NORMAL) {
          amqp_destroy_message(&message);
        } else {
          connection.mark_broken();
          throw detail::error(connection, "reading a returned message", detail::reply_text(r));
        }
        break;
      }
      case AMQP_CONNECTION_BLOCKED_METHOD: {
        const auto* m = static_cast<const amqp_connection_blocked_t*>(method.decoded);
        blocked_reason = detail::to_string(m->reason);
        spdlog::warn("amqp: broker blocked the publisher's connection: {}", blocked_reason);
        break;
      }
      case AMQP_CONNECTION_UNBLOCKED_METHOD:
        blocked_reason.clear();
        break;
      case AMQP_CHANNEL_CLOSE_METHOD:
      case AMQP_CONNECTION_CLOSE_METHOD:
        connection.fail_on_close(frame, "publish");
      default:
        break;
    }
  }

  // Reads frames until none is available right now.
  void drain_now() {
    for (;;) {
      timeval zero{0, 0};
      amqp_frame_t frame{};
      const int status = amqp_simple_wait_frame_noblock(connection.get(), &frame, &zero);
      if (status == AMQP_STATUS_TIMEOUT) return;
      connection.check_status(status, "reading confirms");
      handle(frame);
      amqp_maybe_release_buffers(connection.get());
    }
  }

  // Before publishing on a connection kept from an earlier call: notice a broker that closed
  // it meanwhile (restart, connection.close), and reconnect before anything is sent.
  void ensure_connected() {
    if (connection && !connection.broken()) {
      try {
        first = next_seq;
        confirmed.clear();
        drain_now();
        return;
      } catch (const AmqpError& e) {
        spdlog::info("amqp: publisher connection was lost while idle ({}); reconnecting",
                     e.what());
        reset();
      }
    } else if (connection) {
      reset();
    }
    connect();
  }

  void publish(const std::string& exchange_name, const std::string& key,
               const std::vector<std::string>& bodies) {
    if (bodies.empty()) return;
    // What the errors name: the queue, or the exchange and the routing key.
    const std::string queue =
        exchange_name.empty() ? key : "exchange " + exchange_name + "' key '" + key;
    ensure_connected();

    first = next_seq;
    confirmed.assign(bodies.size(), 0);
    low = 0;
    remaining = bodies.size();
    nacked = 0;
    returned = 0;
    return_text.clear();

    amqp_basic_properties_t props{};
    props._flags =
        AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG;
    props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    props.content_type = amqp_cstring_bytes("application/json");
    const amqp_bytes_t exchange =
        exchange_name.empty() ? amqp_empty_bytes : detail::to_bytes(exchange_name);
    const amqp_bytes_t routing_key = detail::to_bytes(key);

    const auto deadline = std::chrono::steady_clock::now() + confirm_timeout;
    try {
      for (std::size_t i = 0; i < bodies.size(); ++i) {
        const std::string message_id = random_uuid(ids);
        props.message_id = detail::to_bytes(message_id);
        const int status =
            amqp_basic_publish(connection.get(), kChannel, exchange, routing_key,
                               /*mandatory=*/1, /*immediate=*/0, &props, detail::to_bytes(bodies[i]));
        connection.check_status(status, ("publish to '" + queue + "'").c_str());
        ++next_seq;
        if ((i + 1) % kDrainEvery == 0) drain_now();
      }
      while (remaining > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
          std::string text = "timed out after " + std::to_string(confirm_timeout.count()) +
                             " ms waiting for " + std::to_string(remaining) + " of " +
                             std::to_string(bodies.size()) + " confirms";
          if (!blocked_reason.empty()) {
            text += " (the broker blocked publishing: " + blocked_reason + ")";
          }
          AmqpError failure = detail::error(connection, "publish to '" + queue + "'", text);
          reset();  // late confirms of this batch must not be counted in the next one
          throw failure;
        }
        timeval tv{};
        tv.tv_sec = static_cast<time_t>(left.count() / 1000000);
        tv.tv_usec = static_cast<suseconds_t>(left.count() % 1000000);
        amqp_frame_t frame{};
        const int status = amqp_simple_wait_frame_noblock(connection.get(), &frame, &tv);
        if (status == AMQP_STATUS_TIMEOUT) continue;  // the deadline check above reports it
        connection.check_status(status, ("waiting for confirms of '" + queue + "'").c_str());
        handle(frame);
        amqp_maybe_release_buffers(connection.get());
      }
    } catch (const AmqpError&) {
      if (connection.broken()) reset();
      throw;
    }

    if (nacked > 0 || returned > 0) {
      std::string text;
      if (returned > 0) {
        text = std::to_string(returned) + " of " + std::to_string(bodies.size()) +
               " messages returned as unroutable (" + return_text +
               "): does the queue exist (or one bound to the exchange)?";
      }
      if (nacked > 0) {
        if (!text.empty()) text += "; ";
        text += std::to_string(nacked) + " of " + std::to_string(bodies.size()) +
                " messages nacked by the broker";
      }
      throw detail::error(connection, "publish to '" + queue + "'", text);
    }
  }
};

Publisher::Publisher(std::string url, std::chrono::milliseconds confirm_timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->endpoint = detail::parse_endpoint(url);
  impl_->confirm_timeout = confirm_timeout;
}

Publisher::~Publisher() = default;
Publisher::Publisher(Publisher&&) noexcept = default;
Publisher& Publisher::operator=(Publisher&&) noexcept = default;

void Publisher::publish(const std::string& queue, const std::vector<std::string>& bodies) {
  if (!impl_) throw AmqpError("amqp: publish on a moved-from Publisher");
  impl_->publish("", queue, bodies);
}

void Publisher::publish_to(const std::string& exchange, const std::string& routing_key,
                           const std::vector<std::string>& bodies) {
  if (!impl_) throw AmqpError("amqp: publish on a moved-from Publisher");
  impl_->publish(exchange, routing_key, bodies);
}

}  // namespace gradeq::amqp
