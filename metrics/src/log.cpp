#include "gradeq/log.hpp"

#include <ctime>
#include <regex>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace gradeq::log {

namespace {

thread_local std::vector<std::pair<std::string, ScopedFields::Value>> t_fields;

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string text(msg.payload.data(), msg.payload.size());
    nlohmann::json line;
    line["time"] = utc_time(msg.time);
    const auto level = spdlog::level::to_string_view(msg.level);
    line["level"] = std::string(level.data(), level.size());
    line["message"] = text;
    static const std::regex kSubmission(
        R"(submission[= ]([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}))");
    static const std::regex kAttempt(R"(\battempt=([0-9]{1,9})\b)");
    std::smatch m;
    if (std::regex_search(text, m, kSubmission)) {
      line["submission_id"] = m[1].str();
      if (std::regex_search(text, m, kAttempt)) line["attempt"] = std::stoi(m[1].str());
    }
    for (const auto& [key, value] : t_fields) {
      std::visit([&line, &key = key](const auto& v) { line[key] = v; }, value);
    }
    // Invalid UTF-8 in a message (a student's output, a broken body) is replaced, never thrown.
    const std::string out = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    dest.append(out.data(), out.data() + out.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }

 private:
  static std::string utc_time(spdlog::log_clock::time_point t) {
    const auto since = t.time_since_epoch();
    const std::time_t secs = std::chrono::duration_cast<std::chrono::seconds>(since).count();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[64];
    std::snprintf(out, sizeof out, "%.*s.%03dZ", static_cast<int>(n), buf, static_cast<int>(ms));
    return out;
  }
};

}  // namespace

ScopedFields::ScopedFields(std::vector<std::pair<std::string, Value>> fields) : saved_(std::move(t_fields)) {
  t_fields = std::move(fields);
}

ScopedFields::~ScopedFields() { t_fields = std::move(saved_); }

std::unique_ptr<spdlog::formatter> json_formatter() { return std::make_unique<JsonFormatter>(); }

void use_format(const std::string& format) {
  if (format == "text") {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  } else if (format == "json") {
    spdlog::set_formatter(json_formatter());
  } else {
    throw std::invalid_argument("unknown log format \"" + format + "\" (text or json)");
  }
}

}  // namespace gradeq::log
