#include "gradeq/api_server.hpp"

#include <array>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "gradeq/amqp.hpp"
#include "gradeq/api.hpp"
#include "gradeq/dispatch.hpp"
#include "gradeq/log.hpp"
#include "gradeq/metrics.hpp"
#include "gradeq/report_table.hpp"

#ifndef GRADEQ_VERSION
#define GRADEQ_VERSION "unknown"
#endif

namespace gradeq::api {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// What the access log and the metrics need to know about the request this thread is handling
// (cpp-httplib runs a request on one thread from the pre-routing handler to the logger).
struct RequestContext {
  bool started = false;
  Clock::time_point start;
  std::string route;
  std::string key;
  std::string submission_id;
};
thread_local RequestContext t_request;

// Sessions (a store and a publisher each) shared by the worker threads: borrowed for one
// request and given back, so that connections are reused.
class SessionPool {
 public:
  explicit SessionPool(producer::Settings settings) : settings_(std::move(settings)) {}

  class Lease {
   public:
    Lease(SessionPool& pool, std::unique_ptr<producer::Session> s) : pool_(pool), session_(std::move(s)) {}
    ~Lease() { pool_.give_back(std::move(session_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    producer::Session& operator*() { return *session_; }
    producer::Session* operator->() { return session_.get(); }

   private:
    SessionPool& pool_;
    std::unique_ptr<producer::Session> session_;
  };

  Lease borrow() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        auto s = std::move(free_.back());
        free_.pop_back();
        return Lease(*this, std::move(s));
      }
    }
    return Lease(*this, std::make_unique<producer::Session>(settings_));
  }

 private:
  void give_back(std::unique_ptr<producer::Session> s) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(s));
  }
  producer::Settings settings_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<producer::Session>> free_;
};

// The lane queues' depths (ready messages), read from the broker at most once per `ttl` per lane
// and counted up locally for every job published since, so that a burst cannot outrun the bound.
class DepthCache {
 public:
  struct Reading {
    std::optional<std::uint32_t> depth;
    std::string error;  // when the broker could not be asked
  };

  DepthCache(const producer::Settings& s, std::chrono::milliseconds ttl, metrics::Family<metrics::Gauge>& gauge)
      : url_(s.amqp_url), declarer_(s.amqp_url, s.queue_prefix), ttl_(ttl), gauge_(gauge) {}

  Reading read(Lane lane) {
    std::lock_guard<std::mutex> lock(mutex_);
    Entry& e = entries_[static_cast<int>(lane)];
    if (e.valid && Clock::now() - e.at < ttl_) return e.reading;
    const std::string queue =
        lane == Lane::bulk ? declarer_.topology().bulk() : declarer_.topology().interactive();
    try {
      declarer_.declare();
      e.reading = {amqp::queue_depth(url_, queue), ""};
      gauge_.with({to_string(lane)}).set(*e.reading.depth);
    } catch (const amqp::AmqpError& err) {
      e.reading = {std::nullopt, err.what()};
    }
    e.valid = true;
    e.at = Clock::now();
    return e.reading;
  }

  // One more job published to `lane`.
  void added(Lane lane) {
    std::lock_guard<std::mutex> lock(mutex_);
    Entry& e = entries_[static_cast<int>(lane)];
    if (e.valid && e.reading.depth) {
      e.reading.depth = *e.reading.depth + 1;
      gauge_.with({to_string(lane)}).set(*e.reading.depth);
    }
  }

 private:
  struct Entry {
    bool valid = false;
    Clock::time_point at;
    Reading reading;
  };
  std::string url_;
  dispatch::JobPublisher declarer_;
  std::chrono::milliseconds ttl_;
  metrics::Family<metrics::Gauge>& gauge_;
  std::mutex mutex_;
  std::array<Entry, 2> entries_;
};

std::string number_text(double v) { return metrics::format_value(v); }

json number(double v) {
  // Scores as the shortest decimal that reads back the same (0.1, not 0.1000000000000000055).
  return json::parse(number_text(v));
}

json submission_json(const pg::SubmissionView& s) {
  auto time_or_null = [](const std::string& t) { return t.empty() ? json(nullptr) : json(t); };
  json tests = json::array();
  for (const auto& t : s.tests) {
    json one{{"name", t.name}, {"verdict", t.verdict}, {"points", number(t.points)},
             {"max_points", number(t.max_points)}, {"hidden", t.hidden}};
    one["duration_ms"] = t.duration_ms ? json(*t.duration_ms) : json(nullptr);
    if (!t.hidden && !t.message.empty()) one["message"] = t.message;
    tests.push_back(std::move(one));
  }
  json doc{{"id", s.id},
           {"course", s.course},
           {"assignment", s.assignment},
           {"student", s.student},
           {"lane", s.lane},
           {"status", s.status},
           {"attempt", s.attempt},
           {"score", s.score ? number(*s.score) : json(nullptr)},
           {"max_score", number(s.max_score)},
           {"failed_tests", s.tests.empty() && s.status != "graded" ? json(nullptr) : json(s.failed_tests)},
           {"tests", tests},
           {"submitted_at", time_or_null(s.submitted_at)},
           {"picked_up_at", time_or_null(s.picked_up_at)},
           {"started_at", time_or_null(s.started_at)},
           {"finished_at", time_or_null(s.finished_at)}};
  doc["graded_at"] = s.status == "graded" ? time_or_null(s.finished_at) : json(nullptr);
  if (!s.error_reason.empty()) doc["error_reason"] = s.error_reason;
  return doc;
}

// The InputError's lines after the first ("nothing was submitted:\n  ann: missing ...") as
// problem errors of `field`.
std::vector<std::pair<std::string, std::string>> error_lines(const std::string& text, const std::string& field) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = text.find('\n');
  while (start != std::string::npos) {
    std::size_t end = text.find('\n', start + 1);
    std::string line = text.substr(start + 1, end == std::string::npos ? std::string::npos : end - start - 1);
    auto b = line.find_first_not_of(' ');
    if (b != std::string::npos) out.emplace_back(field, line.substr(b));
    start = end;
  }
  return out;
}

}  // namespace

struct Server::Impl {
  Impl(producer::Settings s, ServerOptions o)
      : settings(std::move(s)),
        options(std::move(o)),
        requests(registry.counter("gradeq_api_requests_total", "HTTP requests answered, by route and status code",
                                  {"route", "code"})),
        request_seconds(registry.histogram("gradeq_api_request_duration_seconds",
                                           "Time from reading a request's headers to answering it", {"route"},
                                           {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30})),
        accepted(registry.counter("gradeq_api_submissions_accepted_total", "Submissions stored (202), by lane",
                                  {"lane"})),
        unpublished(registry.counter("gradeq_api_submissions_unpublished_total",
                                     "Submissions stored whose job the broker did not confirm (the sweeper publishes them)")),
        rejected(registry.counter("gradeq_api_submissions_rejected_total",
                                  "Submissions refused, by reason: backpressure, bad_input, auth, unavailable",
                                  {"reason"})),
        depth_gauge(registry.gauge("gradeq_api_queue_depth",
                                   "Ready messages in the lane's queue at the last reading", {"lane"})),
        build_info(registry.gauge("gradeq_api_build_info", "gradeq version", {"version"})),
        sessions(settings),
        depths(settings, options.depth_ttl, depth_gauge) {
    build_info.with({GRADEQ_VERSION}).set(1);
    for (const char* reason : {"backpressure", "bad_input", "auth", "unavailable"}) rejected.with({reason});
    for (const char* lane : {"interactive", "bulk"}) accepted.with({lane});
  }

  // --- answers ---------------------------------------------------------------------------------

  void send_json(httplib::Response& res, int status, const json& doc) {
    res.status = status;
    res.set_content(doc.dump(-1, ' ', false, json::error_handler_t::replace), kJsonContentType);
  }

  void send_problem(const httplib::Request& req, httplib::Response& res, Problem p) {
    if (p.instance.empty()) p.instance = req.path;
    if (p.retry_after_s > 0) res.set_header("Retry-After", std::to_string(p.retry_after_s));
    if (p.status == 401) {
      res.set_header("WWW-Authenticate",
                     p.type == "missing-key" ? std::string("Bearer realm=\"gradeq\"")
                                             : "Bearer realm=\"gradeq\", error=\"invalid_token\"");
    }
    res.status = p.status;
    res.set_content(p.to_json(), kProblemContentType);
    if (match_route(req.method, req.path).route == Route::submit) {
      const char* reason = p.type == "backpressure"                  ? "backpressure"
                           : p.status == 401 || p.status == 403      ? "auth"
                           : p.status >= 500                         ? "unavailable"
                                                                     : "bad_input";
      rejected.with({reason}).inc();
    }
  }

  // --- the routes ------------------------------------------------------------------------------

  pg::ApiKey authenticate(const httplib::Request& req, producer::Session& session) {
    const std::string header = req.get_header_value("Authorization");
    if (header.empty()) {
      throw ProblemError(make_problem(401, "missing-key", "this route needs an API key: Authorization: Bearer KEY"));
    }
    auto token = bearer_token(header);
    if (!token) {
      throw ProblemError(make_problem(401, "invalid-key", "the Authorization header is not \"Bearer KEY\""));
    }
    const std::string hash = key_sha256(*token);
    auto found = session.store().find_api_key(hash);
    if (!found || !equal_constant_time(found->second, hash)) {
      throw ProblemError(make_problem(401, "invalid-key", "the API key is unknown or revoked"));
    }
    t_request.key = found->first.name;
    return found->first;
  }

  void submit(const httplib::Request& req, httplib::Response& res, const pg::ApiKey& key,
              producer::Session& session) {
    const std::string content_type = req.get_header_value("Content-Type");
    SubmitRequest sr;
    switch (body_kind(content_type)) {
      case BodyKind::json:
        sr = parse_submit_json(req.body);
        break;
      case BodyKind::multipart: {
        std::vector<FormPart> parts;
        for (const auto& [name, part] : req.files) parts.push_back({name, part.filename, part.content_type, part.content});
        sr = parse_submit_multipart(parts);
        break;
      }
      case BodyKind::other: {
        res.set_header("Accept-Post", "application/json, multipart/form-data");
        throw ProblemError(make_problem(415, "unsupported-media-type",
                                        "send application/json or multipart/form-data, not \"" +
                                            (content_type.empty() ? std::string("(none)") : content_type) + "\""));
      }
    }
    std::string course;
    try {
      course = producer::split_assignment(sr.assignment).first;
    } catch (const producer::InputError& e) {
      throw ProblemError(make_problem(422, "invalid-submission", e.what(), "assignment"));
    }
    if (key.course && *key.course != course) {
      throw ProblemError(make_problem(403, "forbidden-course",
                                      "this API key may only submit to course " + *key.course, "assignment"));
    }
    // Backpressure: checked once the input is valid, before anything is stored.
    auto backpressure = [&] {
      const DepthCache::Reading depth = depths.read(sr.lane);
      if (!depth.depth) {
        Problem p = make_problem(503, "broker-unavailable",
                                 "the queue broker does not answer, so the queue's depth is unknown; nothing was "
                                 "stored, try again later");
        p.retry_after_s = options.retry_after_s;
        spdlog::warn("refusing a submission: {}", depth.error);
        throw ProblemError(p);
      }
      if (*depth.depth > options.max_queue_depth) {
        Problem p = make_problem(503, "backpressure",
                                 "the " + std::string(to_string(sr.lane)) + " queue holds " +
                                     std::to_string(*depth.depth) + " jobs, more than " +
                                     std::to_string(options.max_queue_depth) + "; nothing was stored, try again later");
        p.retry_after_s = options.retry_after_s;
        throw ProblemError(p);
      }
    };
    std::string id;
    bool published = true;
    std::string publish_error;
    try {
      auto r = producer::submit_files(settings, session, sr.assignment, sr.student, sr.files, sr.lane, backpressure);
      id = r.submission_ids.front();
    } catch (const producer::InputError& e) {
      const std::string text = e.what();
      const std::string field = e.field().empty() ? "files" : e.field();
      Problem p = make_problem(422, "invalid-submission", text, field);
      p.errors = error_lines(text, field);
      if (!p.errors.empty()) p.detail = text.substr(0, text.find('\n')) + " " + p.errors.front().second +
                                        (p.errors.size() > 1 ? " (and " + std::to_string(p.errors.size() - 1) + " more)" : "");
      throw ProblemError(p);
    } catch (const producer::PublishError& e) {
      id = e.ids.front();
      published = false;
      publish_error = e.what();
    }
    depths.added(sr.lane);
    accepted.with({to_string(sr.lane)}).inc();
    t_request.submission_id = id;
    json doc{{"id", id}, {"status", "queued"}, {"status_url", "/v1/submissions/" + id}, {"lane", to_string(sr.lane)},
             {"published", published}};
    if (!published) {
      unpublished.with({}).inc();
      doc["detail"] = "stored, but the broker did not confirm its job; it stays queued and the sweeper publishes it "
                      "when the broker is back";
      spdlog::warn("submission={} stored but not published: {}", id, publish_error);
    }
    spdlog::info("submission={} accepted: {} student={} lane={} files={} key={}", id, sr.assignment, sr.student,
                 to_string(sr.lane), sr.files.size(), t_request.key);
    res.set_header("Location", "/v1/submissions/" + id);
    send_json(res, 202, doc);
  }

  void submission(const httplib::Request&, httplib::Response& res, const std::string& id, const pg::ApiKey& key,
                  producer::Session& session) {
    auto s = session.store().submission(id, key.course);
    if (!s) throw ProblemError(make_problem(404, "not-found", "no submission " + id));
    t_request.submission_id = s->id;
    send_json(res, 200, submission_json(*s));
  }

  void gradebook(const httplib::Request& req, httplib::Response& res, const std::string& course,
                 const std::string& assignment, const pg::ApiKey& key, producer::Session& session) {
    std::string format = req.has_param("format") ? req.get_param_value("format") : "json";
    if (format != "json" && format != "csv") {
      throw ProblemError(make_problem(400, "bad-parameter", "format must be json or csv, not \"" + format + "\"", "format"));
    }
    if (key.course && *key.course != course) {
      throw ProblemError(make_problem(403, "forbidden-course", "this API key may only read course " + *key.course));
    }
    try {
      session.store().latest_version(course, assignment);
    } catch (const pg::NotFound&) {
      throw ProblemError(make_problem(404, "not-found", "no assignment " + course + "/" + assignment));
    }
    report::Table table = session.store().report(*pg::find_report_view("gradebook"), course, assignment);
    res.status = 200;
    if (format == "csv") {
      res.set_content(report::format_csv(table), "text/csv; charset=utf-8");
    } else {
      res.set_content(report::format_json(table), kJsonContentType);
    }
  }

  void healthz(httplib::Response& res) {
    json doc{{"status", "ok"}};
    bool ok = true;
    try {
      auto session = sessions.borrow();
      session->store().ping();
      doc["database"] = "ok";
    } catch (const std::exception& e) {
      ok = false;
      doc["database"] = e.what();
    }
    for (Lane lane : {Lane::interactive, Lane::bulk}) {
      auto r = depths.read(lane);
      if (!r.depth) {
        ok = false;
        doc["broker"] = r.error;
        break;
      }
      doc["broker"] = "ok";
    }
    if (!ok) doc["status"] = "unavailable";
    send_json(res, ok ? 200 : 503, doc);
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    const RouteMatch m = match_route(req.method, req.path);
    t_request.route = m.label;
    try {
      if (m.route == Route::none) {
        if (!m.allow.empty()) {
          res.set_header("Allow", m.allow);
          throw ProblemError(make_problem(405, "method-not-allowed",
                                          req.method + " is not allowed on " + req.path + " (" + m.allow + ")"));
        }
        throw ProblemError(make_problem(404, "not-found", "no route " + req.path));
      }
      if (m.route == Route::healthz) return healthz(res);
      if (m.route == Route::metrics) {
        for (Lane lane : {Lane::interactive, Lane::bulk}) depths.read(lane);
        res.status = 200;
        res.set_content(registry.render(), metrics::kContentType);
        return;
      }
      auto session = sessions.borrow();
      const pg::ApiKey key = authenticate(req, *session);
      switch (m.route) {
        case Route::submit: return submit(req, res, key, *session);
        case Route::submission: return submission(req, res, m.params[0], key, *session);
        case Route::gradebook: return gradebook(req, res, m.params[0], m.params[1], key, *session);
        default: throw std::logic_error("unrouted " + m.label);
      }
    } catch (const ProblemError& e) {
      send_problem(req, res, e.problem);
    } catch (const pg::Unavailable& e) {
      spdlog::warn("{} {}: {}", req.method, req.path, e.what());
      Problem p = make_problem(503, "database-unavailable", "the database does not answer; nothing was stored, try again later");
      p.retry_after_s = options.retry_after_s;
      send_problem(req, res, p);
    } catch (const std::exception& e) {
      spdlog::error("{} {}: {}", req.method, req.path, e.what());
      send_problem(req, res, make_problem(500, "internal", "the server failed to answer (see its log)"));
    }
  }

  // Problems cpp-httplib found before a handler ran (an unreadable or too large body ...).
  httplib::Server::HandlerResponse on_error(const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    Problem p;
    switch (res.status) {
      case 413:
        p = make_problem(413, "body-too-large",
                         "the request body" +
                             (req.has_header("Content-Length") ? " (" + req.get_header_value("Content-Length") + " bytes)"
                                                               : std::string()) +
                             " is larger than the limit of " + std::to_string(options.max_body_bytes) + " bytes");
        break;
      case 400:
        p = make_problem(400, "bad-request", "the request could not be read (malformed HTTP, multipart body or encoding)");
        break;
      default:
        p = make_problem(res.status, "http-" + std::to_string(res.status), status_title(res.status));
    }
    send_problem(req, res, p);
    return httplib::Server::HandlerResponse::Handled;
  }

  // One access log line and the request metrics, for every answer.
  void on_answered(const httplib::Request& req, const httplib::Response& res) {
    RequestContext& c = t_request;
    const std::string route = c.route.empty() ? match_route(req.method, req.path).label : c.route;
    const double seconds = c.started ? std::chrono::duration<double>(Clock::now() - c.start).count() : 0.0;
    requests.with({route, std::to_string(res.status)}).inc();
    if (c.started) request_seconds.with({route}).observe(seconds);
    std::vector<std::pair<std::string, log::ScopedFields::Value>> fields{
        {"kind", std::string("access")},
        {"method", req.method},
        {"path", req.path},
        {"route", route},
        {"status", static_cast<std::int64_t>(res.status)},
        {"duration_ms", seconds * 1000.0},
        {"remote", req.remote_addr},
        {"bytes_in", static_cast<std::int64_t>(req.has_header("Content-Length")
                                                   ? req.get_header_value<std::uint64_t>("Content-Length")
                                                   : req.body.size())},
        {"bytes_out", static_cast<std::int64_t>(res.body.size())}};
    if (!c.key.empty()) fields.emplace_back("key", c.key);
    if (!c.submission_id.empty()) fields.emplace_back("submission_id", c.submission_id);
    {
      log::ScopedFields scoped(std::move(fields));
      char ms[32];
      std::snprintf(ms, sizeof ms, "%.1f", seconds * 1000.0);
      spdlog::info("{} {} {} {} ms{}{}", req.method, req.path, res.status, ms,
                   c.key.empty() ? "" : " key=" + c.key,
                   c.submission_id.empty() ? "" : " submission=" + c.submission_id);
    }
    c = RequestContext{};
  }

  producer::Settings settings;
  ServerOptions options;
  metrics::Registry registry;
  metrics::Family<metrics::Counter>& requests;
  metrics::Family<metrics::Histogram>& request_seconds;
  metrics::Family<metrics::Counter>& accepted;
  metrics::Family<metrics::Counter>& unpublished;
  metrics::Family<metrics::Counter>& rejected;
  metrics::Family<metrics::Gauge>& depth_gauge;
  metrics::Family<metrics::Gauge>& build_info;
  SessionPool sessions;
  DepthCache depths;
  httplib::Server server;
  std::thread thread;
  int port = 0;
};

Server::Server(producer::Settings settings, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(settings), std::move(options))) {
  Impl& impl = *impl_;
  auto& srv = impl.server;
  const int threads = std::max(1, impl.options.threads);
  srv.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  srv.set_payload_max_length(impl.options.max_body_bytes);
  srv.set_pre_routing_handler([&impl](const httplib::Request& req, httplib::Response& res) {
    t_request = RequestContext{};
    t_request.started = true;
    t_request.start = Clock::now();
    t_request.route = match_route(req.method, req.path).label;
    // cpp-httplib bounds a body by its Content-Length only: a chunked one could grow unbounded.
    if (req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos) {
      impl.send_problem(req, res, make_problem(411, "length-required", "send the body with a Content-Length, not chunked"));
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  auto handler = [&impl](const httplib::Request& req, httplib::Response& res) { impl.handle(req, res); };
  srv.Get(".*", handler);
  srv.Post(".*", handler);
  srv.Put(".*", handler);
  srv.Patch(".*", handler);
  srv.Delete(".*", handler);
  srv.Options(".*", handler);
  srv.set_error_handler(httplib::Server::HandlerWithResponse(
      [&impl](const httplib::Request& req, httplib::Response& res) { return impl.on_error(req, res); }));
  srv.set_exception_handler([&impl](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
    impl.send_problem(req, res, make_problem(500, "internal", "the server failed to answer (see its log)"));
  });
  srv.set_logger([&impl](const httplib::Request& req, const httplib::Response& res) { impl.on_answered(req, res); });

  impl.port = impl.options.port == 0 ? srv.bind_to_any_port(impl.options.host)
                                     : (srv.bind_to_port(impl.options.host, impl.options.port) ? impl.options.port : -1);
  if (impl.port <= 0) {
    throw std::runtime_error("cannot listen on " + impl.options.host + ":" + std::to_string(impl.options.port));
  }
  impl.thread = std::thread([&impl] { impl.server.listen_after_bind(); });
}

Server::~Server() { stop(); }

int Server::port() const { return impl_->port; }

void Server::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

}  // namespace gradeq::api
