// Result events and webhooks: the pure part (README "Webhooks"). The event message on the
// exchange, the body POSTed to a webhook and its signature, the retry schedule, URL checks.
// No I/O: the dispatcher (producer/src/webhooks.cpp) does the HTTP, the queues and the database.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gradeq::webhook {

// A message that is not a gradeq.event/v1 document.
class EventError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// One result event (a row of gradeq.events) as it travels on the queues.
struct Event {
  std::int64_t id = 0;        // gradeq.events.id: the X-Gradeq-Delivery header
  std::string kind;           // "submission.graded" | "submission.error": the routing key
  std::string submission_id;
  nlohmann::json payload;     // the result (gradeq.events.payload)
  int attempt = 1;            // the webhook POST attempt this message is for (1 on the exchange)
};

// {"schema":"gradeq.event/v1","event_id":..,"kind":..,"submission_id":..,"attempt":..,"payload":{..}}
std::string to_message(const Event& event);
// Throws EventError naming what is wrong.
Event event_from_message(const std::string& text);

// The JSON body POSTed to the webhook: {"event": kind, "event_id": id, then the payload's fields
// (submission_id, course, assignment, student, status, score, max_score, failed_tests,
// graded_at, error_reason, attempt)}, keys in alphabetical order, no spaces. The same event
// always gives the same bytes, whichever attempt.
std::string request_body(const Event& event);

// Lowercase hex of HMAC-SHA256(key, message) (OpenSSL).
std::string hmac_sha256_hex(const std::string& key, const std::string& message);
// The X-Gradeq-Signature header's value: "sha256=" + hmac_sha256_hex(secret, body).
std::string signature(const std::string& secret, const std::string& body);

// A 2xx status is a delivery; anything else (and no response at all) is retried.
bool delivered(int status);

// How long to wait after failed attempt `attempt` (1, 2, ...) before the next one:
// base x 1, 6, 24, 120, 720 (with the default base of 5 s: 5 s, 30 s, 2 min, 10 min, 1 h), the
// last step repeated for later attempts.
std::chrono::milliseconds retry_delay(int attempt, std::chrono::milliseconds base);
// Every distinct delay used by up to `max_attempts` attempts (one wait queue each), ascending.
std::vector<std::chrono::milliseconds> retry_delays(int max_attempts, std::chrono::milliseconds base);

// A URL split for the HTTP client: "http://h:8080/a?b" -> {"http://h:8080", "/a?b"}.
struct Target {
  std::string origin;  // scheme://host[:port], scheme lowercased
  std::string path;    // "/" when the URL has none
};

// "" when `url` is an acceptable webhook URL, else why not: only http:// and https://, a host,
// an optional port 1..65535, no user:password@, no spaces or control characters, no fragment,
// at most 2048 characters.
std::string url_problem(const std::string& url);
// Throws std::invalid_argument("webhook URL \"...\": <problem>") unless url_problem is "".
Target split_url(const std::string& url);

}  // namespace gradeq::webhook
