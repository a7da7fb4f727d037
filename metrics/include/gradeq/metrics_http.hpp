// The metrics endpoint: GET /metrics (the registry, text format 0.0.4) and GET /healthz
// (200 "ok", or 503 and the reason the health callback gives), on its own thread so that a
// scrape never waits on grading.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "gradeq/metrics.hpp"

namespace gradeq::metrics {

// Returns "" when healthy, else a one-line reason.
using HealthCheck = std::function<std::string()>;

class Server {
 public:
  // Binds at once (throws std::runtime_error if it cannot) and serves until stop() or
  // destruction. Port 0 binds an ephemeral port (see port()).
  Server(const Registry& registry, HealthCheck health, const std::string& address, int port);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  int port() const;
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct HttpAnswer {
  int status = 0;      // 0: no answer (connection refused, timeout); see error
  std::string body;
  std::string content_type;
  std::string error;
};

// GET http://host:port/path, connection and read bounded by `timeout`.
HttpAnswer http_get(const std::string& host, int port, const std::string& path, std::chrono::milliseconds timeout);

}  // namespace gradeq::metrics
