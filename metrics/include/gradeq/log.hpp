// Log formats. text: "2024-05-01T12:00:00.123 info submission=ID attempt=1 ..." (the wording that
// people and tests grep). json: one JSON object a line, {"time","level","message"} plus
// "submission_id" (and "attempt") when the message names a submission ("submission=ID",
// "submission ID").
#pragma once

#include <memory>
#include <string>

#include <spdlog/formatter.h>

namespace gradeq::log {

// Sets the format of every spdlog logger: "text" or "json"; throws std::invalid_argument else.
void use_format(const std::string& format);

// The JSON formatter itself (for tests and other sinks).
std::unique_ptr<spdlog::formatter> json_formatter();

}  // namespace gradeq::log
