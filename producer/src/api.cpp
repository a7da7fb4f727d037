#include "gradeq/api.hpp"

#include "gradeq/sha256.hpp"
#include "gradeq/text.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace gradeq::api {

using nlohmann::json;

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  std::size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}


[[noreturn]] void unprocessable(const std::string& field, const std::string& detail) {
  throw ProblemError(make_problem(422, "invalid-submission", detail, field));
}

std::string json_type(const json& v) { return v.type_name(); }

std::string required_string(const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end()) unprocessable(key, std::string("\"") + key + "\" is required");
  if (!it->is_string()) {
    unprocessable(key, std::string("\"") + key + "\" must be a string, not " + json_type(*it));
  }
  return it->get<std::string>();
}

Lane lane_of(const std::string& text) {
  auto lane = lane_from_string(text);
  if (!lane) unprocessable("lane", "\"lane\" must be \"interactive\" or \"bulk\", not \"" + text + "\"");
  return *lane;
}

// The parse error's text without nlohmann's "[json.exception.parse_error.101] " prefix.
std::string parse_message(const json::parse_error& e) {
  std::string text = e.what();
  auto close = text.find("] ");
  if (text.rfind("[json.exception", 0) == 0 && close != std::string::npos) text = text.substr(close + 2);
  return text;
}

}  // namespace

std::string status_title(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return status >= 500 ? "Server Error" : "Client Error";
  }
}

Problem make_problem(int status, std::string type, std::string detail, std::string field) {
  Problem p;
  p.status = status;
  p.type = std::move(type);
  p.title = status_title(status);
  p.detail = std::move(detail);
  p.field = std::move(field);
  return p;
}

std::string Problem::to_json() const {
  json doc;
  doc["type"] = "urn:gradeq:problem:" + type;
  doc["title"] = title.empty() ? status_title(status) : title;
  doc["status"] = status;
  doc["detail"] = detail;
  if (!instance.empty()) doc["instance"] = instance;
  if (!field.empty()) doc["field"] = field;
  if (!errors.empty()) {
    doc["errors"] = json::array();
    for (const auto& [f, d] : errors) doc["errors"].push_back({{"field", f}, {"detail", d}});
  }
  if (position) doc["position"] = *position;
  if (line) doc["line"] = *line;
  if (column) doc["column"] = *column;
  if (retry_after_s > 0) doc["retry_after"] = retry_after_s;
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::pair<std::string, int> parse_listen(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    throw std::invalid_argument("\"" + text + "\" is not HOST:PORT");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = text.substr(colon + 1);
  if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    throw std::invalid_argument("\"" + text + "\" is not HOST:PORT");
  }
  const int port = std::stoi(port_text);
  if (port > 65535 || host.empty()) throw std::invalid_argument("\"" + text + "\" is not HOST:PORT");
  return {host, port};
}

std::pair<std::size_t, std::size_t> line_column(const std::string& text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

SubmitRequest parse_submit_json(const std::string& body) {
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::parse_error& e) {
    // e.byte: 1-based index of the byte where parsing stopped (0 when the input was empty).
    Problem p = make_problem(400, "malformed-json", "the body is not valid JSON: " + parse_message(e));
    const std::size_t at = e.byte > 0 ? e.byte - 1 : 0;
    auto [l, c] = line_column(body, at);
    p.position = at;
    p.line = l;
    p.column = c;
    throw ProblemError(p);
  }
  if (!doc.is_object()) unprocessable("", "the body must be a JSON object, not " + json_type(doc));
  for (const auto& [key, value] : doc.items()) {
    (void)value;
    if (key != "assignment" && key != "student" && key != "files" && key != "lane" && key != "webhook_url") {
      unprocessable(key, "unknown member \"" + key + "\" (assignment, student, files, lane, webhook_url)");
    }
  }
  SubmitRequest r;
  r.assignment = required_string(doc, "assignment");
  r.student = required_string(doc, "student");
  if (doc.contains("lane")) {
    if (!doc["lane"].is_string()) unprocessable("lane", "\"lane\" must be a string, not " + json_type(doc["lane"]));
    r.lane = lane_of(doc["lane"].get<std::string>());
  }
  if (doc.contains("webhook_url")) {
    if (!doc["webhook_url"].is_string()) {
      unprocessable("webhook_url", "\"webhook_url\" must be a string, not " + json_type(doc["webhook_url"]));
    }
    r.webhook_url = doc["webhook_url"].get<std::string>();
  }
  auto files = doc.find("files");
  if (files == doc.end()) unprocessable("files", "\"files\" is required");
  if (files->is_object()) {
    for (const auto& [name, content] : files->items()) {
      if (!content.is_string()) {
        unprocessable("files/" + name, "the content of file \"" + name + "\" must be a string, not " +
                                           json_type(content) + " (use the array form with \"encoding\": \"base64\" for bytes)");
      }
      r.files.push_back({name, content.get<std::string>(), false});
    }
  } else if (files->is_array()) {
    for (std::size_t i = 0; i < files->size(); ++i) {
      const json& f = (*files)[i];
      const std::string at = "files/" + std::to_string(i);
      if (!f.is_object()) unprocessable(at, "files[" + std::to_string(i) + "] must be an object with name and content");
      for (const auto& [key, value] : f.items()) {
        (void)value;
        if (key != "name" && key != "content" && key != "encoding") {
          unprocessable(at + "/" + key, "unknown member \"" + key + "\" of files[" + std::to_string(i) +
                                            "] (name, content, encoding)");
        }
      }
      for (const char* key : {"name", "content"}) {
        if (!f.contains(key) || !f[key].is_string()) {
          unprocessable(at + "/" + key, "files[" + std::to_string(i) + "]." + key + " must be a string");
        }
      }
      std::string encoding = "utf-8";
      if (f.contains("encoding")) {
        if (!f["encoding"].is_string()) unprocessable(at + "/encoding", "encoding must be \"utf-8\" or \"base64\"");
        encoding = lower(f["encoding"].get<std::string>());
      }
      std::string content = f["content"].get<std::string>();
      if (encoding == "base64") {
        try {
          content = wire::base64_decode(content);
        } catch (const std::invalid_argument& e) {
          unprocessable(at + "/content", "files[" + std::to_string(i) + "].content is not valid base64: " + e.what());
        }
      } else if (encoding != "utf-8" && encoding != "utf8" && encoding != "text") {
        unprocessable(at + "/encoding", "encoding must be \"utf-8\" or \"base64\", not \"" + encoding + "\"");
      }
      r.files.push_back({f["name"].get<std::string>(), std::move(content), false});
    }
  } else {
    unprocessable("files", "\"files\" must be an object {name: text} or an array of {name, content, encoding}, not " +
                               json_type(*files));
  }
  if (r.files.empty()) unprocessable("files", "no files given");
  return r;
}

SubmitRequest parse_submit_multipart(const std::vector<FormPart>& parts) {
  SubmitRequest r;
  bool have_assignment = false, have_student = false;
  for (const auto& part : parts) {
    if (!part.filename.empty()) {
      r.files.push_back({part.filename, part.content, false});
      continue;
    }
    if (part.name == "assignment") {
      r.assignment = part.content;
      have_assignment = true;
    } else if (part.name == "student") {
      r.student = part.content;
      have_student = true;
    } else if (part.name == "lane") {
      r.lane = lane_of(part.content);
    } else if (part.name == "webhook_url") {
      r.webhook_url = part.content;
    } else {
      unprocessable(part.name, "unknown form field \"" + part.name +
                                   "\" (assignment, student, lane, webhook_url, and file parts with a filename)");
    }
  }
  if (!have_assignment) unprocessable("assignment", "form field \"assignment\" is required");
  if (!have_student) unprocessable("student", "form field \"student\" is required");
  if (r.files.empty()) unprocessable("files", "no files given (file parts need a filename)");
  return r;
}

BodyKind body_kind(const std::string& content_type) {
  std::string type = lower(trim(content_type.substr(0, content_type.find(';'))));
  if (type == "application/json" || (type.rfind("application/", 0) == 0 && type.size() > 5 &&
                                     type.compare(type.size() - 5, 5, "+json") == 0)) {
    return BodyKind::json;
  }
  if (type == "multipart/form-data") return BodyKind::multipart;
  return BodyKind::other;
}

RouteMatch match_route(const std::string& method, const std::string& path) {
  std::vector<std::string> parts;
  if (path.empty() || path[0] != '/') return {Route::none, "other", {}, ""};
  for (std::size_t start = 1; start <= path.size();) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  auto nonempty = [&] { return std::all_of(parts.begin(), parts.end(), [](const std::string& p) { return !p.empty(); }); };
  const bool get = method == "GET" || method == "HEAD";
  RouteMatch m;
  m.label = "other";
  if (!nonempty()) return m;
  auto found = [&](Route route, const char* label, bool allowed, const char* allow, std::vector<std::string> params) {
    m.label = label;
    if (allowed) {
      m.route = route;
      m.params = std::move(params);
    } else {
      m.allow = allow;
    }
    return m;
  };
  if (parts.size() == 1 && parts[0] == "healthz") return found(Route::healthz, "/healthz", get, "GET, HEAD", {});
  if (parts.size() == 1 && parts[0] == "metrics") return found(Route::metrics, "/metrics", get, "GET, HEAD", {});
  if (parts.empty() || parts[0] != "v1") return m;
  if (parts.size() == 2 && parts[1] == "submissions") {
    return found(Route::submit, "/v1/submissions", method == "POST", "POST", {});
  }
  if (parts.size() == 3 && parts[1] == "submissions") {
    return found(Route::submission, "/v1/submissions/{id}", get, "GET, HEAD", {parts[2]});
  }
  if (parts.size() == 5 && parts[1] == "assignments" && parts[4] == "gradebook") {
    return found(Route::gradebook, "/v1/assignments/{course}/{assignment}/gradebook", get, "GET, HEAD",
                 {parts[2], parts[3]});
  }
  return m;
}

std::optional<std::string> bearer_token(const std::string& authorization) {
  std::string h = trim(authorization);
  auto space = h.find(' ');
  if (space == std::string::npos || lower(h.substr(0, space)) != "bearer") return std::nullopt;
  std::string token = trim(h.substr(space + 1));
  if (token.empty()) return std::nullopt;
  // token68: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/", then "="s.
  for (char c : token) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && std::string("-._~+/=").find(c) == std::string::npos) {
      return std::nullopt;
    }
  }
  return token;
}

std::string generate_key() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("the random number generator failed");
  return "gq_" + to_hex({reinterpret_cast<const char*>(bytes), sizeof bytes});
}

std::string key_sha256(const std::string& key) { return sha256_hex(key); }

bool equal_constant_time(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace gradeq::api
