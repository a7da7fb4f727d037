#include "connection.hpp"

#include <amqp_tcp_socket.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace gradeq::amqp::detail {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

amqp_table_entry_t bool_entry(const char* key, bool value) {
  amqp_table_entry_t e{};
  e.key = amqp_cstring_bytes(key);
  e.value.kind = AMQP_FIELD_KIND_BOOLEAN;
  e.value.value.boolean = value ? 1 : 0;
  return e;
}

amqp_table_entry_t string_entry(const char* key, const char* value) {
  amqp_table_entry_t e{};
  e.key = amqp_cstring_bytes(key);
  e.value.kind = AMQP_FIELD_KIND_UTF8;
  e.value.value.bytes = amqp_cstring_bytes(value);
  return e;
}

// rabbitmq-c 0.11 reports every failed TCP connect as "a socket error occurred" and drops the
// reason (it reads SO_ERROR and discards it; errno is left at EINPROGRESS). After a failure,
// one more plain connect finds the reason to show ("Connection refused"). Empty if it connects.
std::string tcp_failure_reason(const std::string& host, int port, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return gai_strerror(rc);
  }
  std::string reason;
  for (addrinfo* a = found; a; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                          a->ai_protocol);
    if (fd < 0) {
      reason = std::strerror(errno);
      continue;
    }
    int err = 0;
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        const int ready = poll(&p, 1, static_cast<int>(timeout.count()));
        socklen_t len = sizeof(err);
        if (ready == 0) {
          err = ETIMEDOUT;
        } else if (ready < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
          err = errno;
        }
      }
    }
    close(fd);
    if (err == 0) {
      reason.clear();
      break;
    }
    reason = std::strerror(err);
  }
  freeaddrinfo(found);
  return reason;
}

std::string method_close_text(const amqp_method_t& method) {
  if (method.id == AMQP_CONNECTION_CLOSE_METHOD) {
    const auto* m = static_cast<const amqp_connection_close_t*>(method.decoded);
    return "the broker closed the connection: " + std::to_string(m->reply_code) + " " +
           to_string(m->reply_text);
  }
  if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
    const auto* m = static_cast<const amqp_channel_close_t*>(method.decoded);
    return "the broker closed the channel: " + std::to_string(m->reply_code) + " " +
           to_string(m->reply_text);
  }
  return "unexpected method " + std::to_string(method.id) + " (" +
         amqp_method_name(method.id) + ")";
}

}  // namespace

Endpoint parse_endpoint(const std::string& url) {
  std::vector<char> buffer(url.begin(), url.end());
  buffer.push_back('\0');
  amqp_connection_info info{};
  amqp_default_connection_info(&info);
  if (amqp_parse_url(buffer.data(), &info) != AMQP_STATUS_OK) {
    throw AmqpError("malformed AMQP URL (expected amqp://user:password@host:port/vhost)");
  }
  if (info.ssl) throw AmqpError("amqps:// URLs are not supported (no TLS in this adapter)");
  Endpoint e;
  e.user = info.user ? info.user : "guest";
  e.password = info.password ? info.password : "guest";
  e.host = info.host ? info.host : "localhost";
  e.vhost = info.vhost ? info.vhost : "/";
  e.port = info.port;
  e.display = "amqp://" + e.user + "@" + e.host + ":" + std::to_string(e.port) + "/" +
              (e.vhost == "/" ? std::string("%2f") : e.vhost);
  return e;
}

std::string status_text(int status) {
  std::string text = amqp_error_string2(status);
  if (status == AMQP_STATUS_TIMEOUT) text += " (timed out)";
  return text;
}

std::string reply_text(const amqp_rpc_reply_t& reply) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return "ok";
    case AMQP_RESPONSE_NONE:
      return "no reply from the broker";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return status_text(reply.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      return method_close_text(reply.reply);
  }
  return "unknown reply";
}

AmqpError error(const Connection& connection, const std::string& what, const std::string& text) {
  return AmqpError("amqp: " + what + " on " + connection.display() + ": " + text);
}

Connection::Connection(const Endpoint& endpoint, const ConnectOptions& options)
    : display_(endpoint.display) {
  state_ = amqp_new_connection();
  if (!state_) throw AmqpError("amqp: out of memory creating a connection");
  amqp_socket_t* socket = amqp_tcp_socket_new(state_);
  if (!socket) {
    mark_broken();
    close();
    throw AmqpError("amqp: cannot create a TCP socket for " + display_);
  }
  const timeval connect_timeout = to_timeval(options.connect_timeout);
  const int status =
      amqp_socket_open_noblock(socket, endpoint.host.c_str(), endpoint.port, &connect_timeout);
  if (status != AMQP_STATUS_OK) {
    mark_broken();
    close();
    std::string text = status_text(status);
    if (status == AMQP_STATUS_SOCKET_ERROR) {
      const std::string reason =
          tcp_failure_reason(endpoint.host, endpoint.port, std::chrono::milliseconds(2000));
      if (!reason.empty()) text = reason;
    }
    throw AmqpError("amqp: cannot connect to RabbitMQ at " + display_ + ": " + text +
                    " (is the broker running and listening there?)");
  }
  const timeval rpc_timeout = to_timeval(options.rpc_timeout);
  amqp_set_rpc_timeout(state_, &rpc_timeout);
  amqp_set_handshake_timeout(state_, &rpc_timeout);

  // rabbitmq-c 0.11 advertises only authentication_failure_close and exchange_exchange_bindings;
  // consumer_cancel_notify makes the broker tell a consumer whose queue was deleted, and
  // connection.blocked tells why publishes stall (memory or disk alarm). Merged by the library.
  amqp_table_entry_t capabilities[] = {bool_entry("consumer_cancel_notify", true),
                                       bool_entry("connection.blocked", true),
                                       bool_entry("publisher_confirms", true),
                                       bool_entry("basic.nack", true)};
  amqp_table_entry_t properties[2];
  properties[0] = string_entry("connection_name", options.connection_name);
  properties[1].key = amqp_cstring_bytes("capabilities");
  properties[1].value.kind = AMQP_FIELD_KIND_TABLE;
  properties[1].value.value.table.num_entries = 4;
  properties[1].value.value.table.entries = capabilities;
  amqp_table_t client_properties;
  client_properties.num_entries = 2;
  client_properties.entries = properties;

  const amqp_rpc_reply_t reply = amqp_login_with_properties(
      state_, endpoint.vhost.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE, options.heartbeat_s,
      &client_properties, AMQP_SASL_METHOD_PLAIN, endpoint.user.c_str(),
      endpoint.password.c_str());
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
    mark_broken();
    std::string text = reply_text(reply);
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        reply.library_error == AMQP_STATUS_CONNECTION_CLOSED) {
      text += " (wrong user or password, or no access to the vhost?)";
    }
    close();
    throw AmqpError("amqp: cannot log in to RabbitMQ at " + display_ + ": " + text);
  }
}

Connection::~Connection() { close(); }

Connection::Connection(Connection&& other) noexcept
    : state_(std::exchange(other.state_, nullptr)),
      display_(std::move(other.display_)),
      broken_(other.broken_) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    close();
    state_ = std::exchange(other.state_, nullptr);
    display_ = std::move(other.display_);
    broken_ = other.broken_;
  }
  return *this;
}

void Connection::open_channel(amqp_channel_t channel) {
  amqp_channel_open(state_, channel);
  check_rpc(channel, "channel.open");
}

void Connection::check_rpc(amqp_channel_t channel, const char* what) {
  const amqp_rpc_reply_t reply = amqp_get_rpc_reply(state_);
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) return;
  if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION) {
    // rabbitmq-c does not acknowledge a close it receives in place of an RPC reply: do it, so
    // that a channel error leaves the connection usable for a polite connection.close.
    amqp_frame_t frame{};
    frame.frame_type = AMQP_FRAME_METHOD;
    frame.payload.method = reply.reply;
    frame.channel = reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD ? channel : 0;
    answer_close(frame);
  } else {
    broken_ = true;
  }
  throw error(*this, what, reply_text(reply));
}

void Connection::check_status(int status, const char* what) {
  if (status == AMQP_STATUS_OK) return;
  broken_ = true;
  throw error(*this, what, status_text(status));
}

void Connection::answer_close(const amqp_frame_t& frame) {
  if (!state_ || frame.frame_type != AMQP_FRAME_METHOD) return;
  if (frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD) {
    amqp_connection_close_ok_t ok{};
    amqp_send_method(state_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
    broken_ = true;  // the broker closes the socket now
  } else if (frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD) {
    amqp_channel_close_ok_t ok{};
    if (amqp_send_method(state_, frame.channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok) !=
        AMQP_STATUS_OK) {
      broken_ = true;
    }
  }
}

void Connection::fail_on_close(const amqp_frame_t& frame, const std::string& what) {
  amqp_rpc_reply_t reply{};
  reply.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
  reply.reply = frame.payload.method;
  const std::string text = reply_text(reply);
  answer_close(frame);
  broken_ = true;
  throw error(*this, what, text);
}

void Connection::close() noexcept {
  if (!state_) return;
  if (!broken_) {
    const timeval short_timeout{2, 0};
    amqp_set_rpc_timeout(state_, &short_timeout);
    amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
  }
  amqp_destroy_connection(state_);
  state_ = nullptr;
}

}  // namespace gradeq::amqp::detail
