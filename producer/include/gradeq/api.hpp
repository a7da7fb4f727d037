// The HTTP API's request handling that needs no socket (README "HTTP API"): routes, the bearer
// header, parsing a submission from JSON or multipart/form-data, problem documents (RFC 9457),
// and API keys (generation, SHA-256, constant-time comparison; OpenSSL). The server
// (api_server.hpp) wires these to cpp-httplib, the store and the broker.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gradeq/job.hpp"
#include "gradeq/wire.hpp"

namespace gradeq::api {

inline constexpr const char* kProblemContentType = "application/problem+json";
inline constexpr const char* kJsonContentType = "application/json";

// An RFC 9457 problem document. `type` is a slug: the document's "type" member is
// "urn:gradeq:problem:<slug>" (README lists them).
struct Problem {
  int status = 500;
  std::string type = "internal";
  std::string title;
  std::string detail;
  std::string field;                                        // the offending request field, if one
  std::vector<std::pair<std::string, std::string>> errors;  // every (field, detail) when several
  std::optional<std::size_t> position, line, column;        // where a JSON body stopped parsing
  int retry_after_s = 0;                                    // > 0: also a Retry-After header
  std::string instance;                                     // the request path

  std::string to_json() const;
};

// Thrown by the parsers below; carries the document to answer with.
class ProblemError : public std::runtime_error {
 public:
  explicit ProblemError(Problem p) : std::runtime_error(p.detail), problem(std::move(p)) {}
  Problem problem;
};

// A problem with the standard title of `status` (404 "Not Found" ...).
Problem make_problem(int status, std::string type, std::string detail, std::string field = "");
std::string status_title(int status);

// What POST /v1/submissions asks for; validated further by producer::submit_files.
struct SubmitRequest {
  std::string assignment;  // COURSE/NAME
  std::string student;
  Lane lane = Lane::interactive;
  std::vector<wire::File> files;
};

// {"assignment":"COURSE/NAME","student":"ID","lane":"interactive"|"bulk",
//  "files":{"NAME":"TEXT",...} | [{"name":NAME,"content":TEXT,"encoding":"utf-8"|"base64"},...]}
// Unknown members are refused. Throws ProblemError: 400 (not JSON; with position, line and
// column) or 422 (wrong shape, naming the field).
SubmitRequest parse_submit_json(const std::string& body);

// One part of a multipart/form-data body.
struct FormPart {
  std::string name;
  std::string filename;  // set: a file of the submission, named by it
  std::string content_type;
  std::string content;
};
// Fields assignment, student, lane (parts without a filename) and file parts. Throws
// ProblemError (422).
SubmitRequest parse_submit_multipart(const std::vector<FormPart>& parts);

enum class BodyKind { json, multipart, other };
// application/json (or any +json), multipart/form-data; parameters and case ignored.
BodyKind body_kind(const std::string& content_type);

enum class Route { none, healthz, metrics, submit, submission, gradebook };

struct RouteMatch {
  Route route = Route::none;  // none: 404 (or 405 when `allow` is set)
  std::string label;          // the route's pattern, for metrics ("other" when none)
  std::vector<std::string> params;
  std::string allow;  // the path exists but not for this method: the methods it allows
  bool needs_key() const { return route == Route::submit || route == Route::submission || route == Route::gradebook; }
};
RouteMatch match_route(const std::string& method, const std::string& path);

// The token of "Bearer TOKEN" (scheme case-insensitive); nullopt for anything else.
std::optional<std::string> bearer_token(const std::string& authorization);

// "gq_" and 64 lowercase hex digits of 32 bytes from OpenSSL's CSPRNG. Throws std::runtime_error
// if the generator fails.
std::string generate_key();
// Lowercase hex SHA-256 of the key (what is stored).
std::string key_sha256(const std::string& key);
// Equal contents, in time that depends on the lengths only (CRYPTO_memcmp).
bool equal_constant_time(const std::string& a, const std::string& b);

// "HOST:PORT" ("[::]:8080" for IPv6) -> {host, port}; std::invalid_argument otherwise.
std::pair<std::string, int> parse_listen(const std::string& text);

// Line and column (1-based) of byte offset `offset` (0-based) of `text`.
std::pair<std::size_t, std::size_t> line_column(const std::string& text, std::size_t offset);

}  // namespace gradeq::api
