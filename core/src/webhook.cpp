#include "gradeq/webhook.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "gradeq/job.hpp"
#include "gradeq/text.hpp"

namespace gradeq::webhook {

using nlohmann::json;

namespace {

constexpr const char* kSchema = "gradeq.event/v1";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::string to_message(const Event& event) {
  json doc = {{"schema", kSchema},
              {"event_id", event.id},
              {"kind", event.kind},
              {"submission_id", event.submission_id},
              {"attempt", event.attempt},
              {"payload", event.payload}};
  return doc.dump();
}

Event event_from_message(const std::string& text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) throw EventError("event message: not a JSON object");
  auto field = [&](const char* name) -> const json& {
    auto it = doc.find(name);
    if (it == doc.end()) throw EventError(std::string("event message: no \"") + name + "\"");
    return *it;
  };
  if (field("schema") != kSchema) throw EventError("event message: schema is not gradeq.event/v1");
  Event event;
  const json& id = field("event_id");
  if (!id.is_number_integer() || id.get<std::int64_t>() < 1) {
    throw EventError("event message: event_id is not a positive integer");
  }
  event.id = id.get<std::int64_t>();
  const json& kind = field("kind");
  if (!kind.is_string() || (kind != "submission.graded" && kind != "submission.error")) {
    throw EventError("event message: unknown kind");
  }
  event.kind = kind.get<std::string>();
  const json& submission = field("submission_id");
  if (!submission.is_string() || !is_uuid(submission.get<std::string>())) {
    throw EventError("event message: submission_id is not a UUID");
  }
  event.submission_id = submission.get<std::string>();
  const json& attempt = field("attempt");
  if (!attempt.is_number_integer() || attempt.get<std::int64_t>() < 1 ||
      attempt.get<std::int64_t>() > 1000) {
    throw EventError("event message: attempt is not an integer in 1..1000");
  }
  event.attempt = attempt.get<int>();
  event.payload = field("payload");
  if (!event.payload.is_object()) throw EventError("event message: payload is not an object");
  return event;
}

std::string request_body(const Event& event) {
  json body = event.payload;  // an object: keys sorted by nlohmann::json's std::map
  body["event"] = event.kind;
  body["event_id"] = event.id;
  return body.dump();
}

std::string hmac_sha256_hex(const std::string& key, const std::string& message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
           &length) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return to_hex({reinterpret_cast<const char*>(mac.data()), length});
}

std::string signature(const std::string& secret, const std::string& body) {
  return "sha256=" + hmac_sha256_hex(secret, body);
}

bool delivered(int status) { return status >= 200 && status <= 299; }

std::chrono::milliseconds retry_delay(int attempt, std::chrono::milliseconds base) {
  static constexpr std::array<int, 5> kFactors{1, 6, 24, 120, 720};
  const std::size_t step =
      std::min<std::size_t>(static_cast<std::size_t>(std::max(attempt, 1) - 1), kFactors.size() - 1);
  return base * kFactors[step];
}

std::vector<std::chrono::milliseconds> retry_delays(int max_attempts, std::chrono::milliseconds base) {
  std::vector<std::chrono::milliseconds> out;
  for (int attempt = 1; attempt < max_attempts; ++attempt) {
    auto delay = retry_delay(attempt, base);
    if (std::find(out.begin(), out.end(), delay) == out.end()) out.push_back(delay);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string url_problem(const std::string& url) {
  if (url.empty()) return "empty";
  if (url.size() > 2048) return "longer than 2048 characters";
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f) return "contains a space or a control character";
  }
  const auto colon = url.find("://");
  if (colon == std::string::npos) return "not an absolute URL (http://HOST/... or https://HOST/...)";
  const std::string scheme = lower(url.substr(0, colon));
  if (scheme != "http" && scheme != "https") {
    return "scheme \"" + url.substr(0, colon) + "\" is not http or https";
  }
  const std::size_t start = colon + 3;
  const std::size_t end = url.find_first_of("/?#", start);
  const std::string authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (authority.find('@') != std::string::npos) return "user:password@ is not supported (use the signature)";
  if (url.find('#') != std::string::npos) return "a fragment (#...) is not sent over HTTP";
  std::string host = authority;
  std::string port;
  if (!authority.empty() && authority[0] == '[') {  // [IPv6]:port
    const auto close = authority.find(']');
    if (close == std::string::npos) return "unclosed [ in the host";
    host = authority.substr(0, close + 1);
    const std::string rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return "junk after the host";
      port = rest.substr(1);
      if (port.empty()) return "empty port";
    }
  } else if (const auto p = authority.rfind(':'); p != std::string::npos) {
    host = authority.substr(0, p);
    port = authority.substr(p + 1);
    if (port.empty()) return "empty port";
  }
  if (host.empty() || host == "[]") return "no host";
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); })) {
      return "port \"" + port + "\" is not a number";
    }
    const int n = std::stoi(port);
    if (n < 1 || n > 65535) return "port " + port + " is not in 1..65535";
  }
  return "";
}

Target split_url(const std::string& url) {
  const std::string problem = url_problem(url);
  if (!problem.empty()) throw std::invalid_argument("webhook URL \"" + url + "\": " + problem);
  const auto colon = url.find("://");
  const std::size_t start = colon + 3;
  const std::size_t end = url.find_first_of("/?", start);
  Target t;
  t.origin = lower(url.substr(0, colon)) + "://" +
             url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  t.path = end == std::string::npos ? "/" : url.substr(end);
  if (t.path[0] == '?') t.path = "/" + t.path;
  return t;
}

}  // namespace gradeq::webhook
