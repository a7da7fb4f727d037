// Internal: URL parsing, an owning wrapper of an amqp_connection_state_t, and error text.
#pragma once

#include <amqp.h>
#include <amqp_framing.h>

#include <chrono>
#include <string>

#include "gradeq/amqp.hpp"

namespace gradeq::amqp::detail {

struct Endpoint {
  std::string user;
  std::string password;
  std::string host;
  std::string vhost;
  int port = 5672;
  std::string display;  // amqp://user@host:port/vhost, without the password
};

// Parses with amqp_parse_url; throws AmqpError on a malformed URL or amqps://.
Endpoint parse_endpoint(const std::string& url);

// "a socket error occurred" style text for a library status code.
std::string status_text(int status);

// Text of a failed amqp_rpc_reply_t ("server closed the channel: 404 NOT_FOUND - ...").
std::string reply_text(const amqp_rpc_reply_t& reply);

// amqp_bytes_t <-> std::string.
inline std::string to_string(amqp_bytes_t bytes) {
  return bytes.len ? std::string(static_cast<const char*>(bytes.bytes), bytes.len) : std::string();
}
inline amqp_bytes_t to_bytes(const std::string& s) {
  amqp_bytes_t b;
  b.len = s.size();
  b.bytes = const_cast<char*>(s.data());
  return b;
}

struct ConnectOptions {
  int heartbeat_s = 0;                            // 0: no heartbeats
  std::chrono::milliseconds connect_timeout{10000};  // TCP connect
  std::chrono::milliseconds rpc_timeout{30000};      // each synchronous method (declare, qos...)
  const char* connection_name = "gradeq";         // shown by rabbitmqctl list_connections
};

// One connection, closed cleanly (connection.close) when possible and destroyed on scope exit.
class Connection {
 public:
  Connection() = default;
  // Opens the socket and logs in; throws AmqpError ("cannot connect to amqp://...: ...").
  Connection(const Endpoint& endpoint, const ConnectOptions& options);
  ~Connection();
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  amqp_connection_state_t get() const { return state_; }
  explicit operator bool() const { return state_ != nullptr; }
  const std::string& display() const { return display_; }

  // Opens `channel`; throws AmqpError.
  void open_channel(amqp_channel_t channel);

  // Throws AmqpError("amqp: <what> on <display>: <reply text>") unless the last RPC (made on
  // `channel`) succeeded. A channel.close received instead of the reply is acknowledged (the
  // connection stays usable for a polite close); a connection.close or a library error marks
  // the connection broken, so that close() skips the handshake.
  void check_rpc(amqp_channel_t channel, const char* what);
  void check_status(int status, const char* what);

  // Remember that the connection is unusable (socket error, connection.close received, a
  // protocol state we cannot recover): destroy without the close handshake.
  void mark_broken() { broken_ = true; }
  bool broken() const { return broken_; }

  // Answers a server-initiated channel.close / connection.close frame.
  void answer_close(const amqp_frame_t& frame);

  // For a channel.close / connection.close the broker sent in the middle of `what`: answers it,
  // marks the connection broken (the next user reconnects) and throws the broker's reason.
  [[noreturn]] void fail_on_close(const amqp_frame_t& frame, const std::string& what);

  // Polite close (connection.close with a short timeout) unless broken, then destroy.
  void close() noexcept;

 private:
  amqp_connection_state_t state_ = nullptr;
  std::string display_;
  bool broken_ = false;
};

// "<what> on <display>: <text>"
AmqpError error(const Connection& connection, const std::string& what, const std::string& text);

}  // namespace gradeq::amqp::detail
