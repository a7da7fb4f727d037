// Log formats. text: "2024-05-01T12:00:00.123 info submission=ID attempt=1 ..." (the wording that
// people and tests grep). json: one JSON object a line, {"time","level","message"} plus
// "submission_id" (and "attempt") when the message names a submission ("submission=ID",
// "submission ID").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <spdlog/formatter.h>

namespace gradeq::log {

// Sets the format of every spdlog logger: "text" or "json"; throws std::invalid_argument else.
void use_format(const std::string& format);

// Extra members of the JSON lines this thread logs while the object lives (an access log's
// method, path, status, submission_id ...); text lines leave them out. Nesting replaces.
class ScopedFields {
 public:
  using Value = std::variant<std::string, std::int64_t, double>;
  explicit ScopedFields(std::vector<std::pair<std::string, Value>> fields);
  ~ScopedFields();
  ScopedFields(const ScopedFields&) = delete;
  ScopedFields& operator=(const ScopedFields&) = delete;

 private:
  std::vector<std::pair<std::string, Value>> saved_;
};

// The JSON formatter itself (for tests and other sinks).
std::unique_ptr<spdlog::formatter> json_formatter();

}  // namespace gradeq::log
