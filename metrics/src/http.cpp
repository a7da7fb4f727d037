#include "gradeq/metrics_http.hpp"

#include <stdexcept>
#include <thread>

#include <httplib.h>

namespace gradeq::metrics {

struct Server::Impl {
  httplib::Server server;
  std::thread thread;
  int port = 0;
};

Server::Server(const Registry& registry, HealthCheck health, const std::string& address, int port)
    : impl_(std::make_unique<Impl>()) {
  auto& srv = impl_->server;
  srv.Get("/metrics", [&registry](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry.render(), kContentType);
  });
  srv.Get("/healthz", [health = std::move(health)](const httplib::Request&, httplib::Response& res) {
    const std::string reason = health ? health() : std::string();
    res.status = reason.empty() ? 200 : 503;
    res.set_content(reason.empty() ? "ok\n" : reason + "\n", "text/plain; charset=utf-8");
  });
  impl_->port = port == 0 ? srv.bind_to_any_port(address) : (srv.bind_to_port(address, port) ? port : -1);
  if (impl_->port <= 0) {
    throw std::runtime_error("cannot listen on " + address + ":" + std::to_string(port) + " for metrics");
  }
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
}

Server::~Server() { stop(); }

int Server::port() const { return impl_->port; }

void Server::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

HttpAnswer http_get(const std::string& host, int port, const std::string& path, std::chrono::milliseconds timeout) {
  httplib::Client client(host, port);
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout - s);
  client.set_connection_timeout(static_cast<time_t>(s.count()), static_cast<time_t>(us.count()));
  client.set_read_timeout(static_cast<time_t>(s.count()), static_cast<time_t>(us.count()));
  client.set_write_timeout(static_cast<time_t>(s.count()), static_cast<time_t>(us.count()));
  HttpAnswer answer;
  auto res = client.Get(path);
  if (!res) {
    answer.error = httplib::to_string(res.error());
    return answer;
  }
  answer.status = res->status;
  answer.body = res->body;
  answer.content_type = res->get_header_value("Content-Type");
  return answer;
}

}  // namespace gradeq::metrics
