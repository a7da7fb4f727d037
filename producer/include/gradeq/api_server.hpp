// The HTTP API server of `gradeq-producer serve` (cpp-httplib; README "HTTP API"): the routes of
// api.hpp over a pool of producer sessions (store + publisher per worker), API-key
// authentication, backpressure from the lane queues' depths, Prometheus metrics, and one access
// log line per request (JSON with --log-format json).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "gradeq/producer.hpp"

namespace gradeq::api {

struct ServerOptions {
  std::string host = "0.0.0.0";
  int port = 8080;                             // 0: an ephemeral port (see Server::port)
  std::size_t max_body_bytes = 16u << 20;      // larger request bodies: 413
  std::uint32_t max_queue_depth = 10000;       // per lane: a deeper queue answers 503
  int threads = 8;                             // requests handled at once
  int retry_after_s = 5;                       // Retry-After of a 503
  std::chrono::milliseconds depth_ttl{1000};   // how long a queue depth read is reused
};

class Server {
 public:
  // Binds at once (throws std::runtime_error if it cannot) and serves on its own thread until
  // stop() or destruction. The queues are declared on first use.
  Server(producer::Settings settings, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  int port() const;
  // Stops accepting, finishes the requests in hand, joins.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gradeq::api
