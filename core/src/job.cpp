#include "gradeq/job.hpp"

#include <cctype>

#include <nlohmann/json.hpp>

namespace gradeq {

namespace {
constexpr const char* kJobSchema = "gradeq.job/v1";
}

const char* to_string(Lane lane) { return lane == Lane::bulk ? "bulk" : "interactive"; }

std::optional<Lane> lane_from_string(const std::string& text) {
  if (text == "interactive") return Lane::interactive;
  if (text == "bulk") return Lane::bulk;
  return std::nullopt;
}

bool is_uuid(const std::string& text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!(std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

std::string to_json(const Job& job) {
  return nlohmann::json{{"schema", kJobSchema},
                        {"submission_id", job.submission_id},
                        {"attempt", job.attempt},
                        {"lane", to_string(job.lane)}}
      .dump();
}

Job job_from_json(const std::string& text) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error&) {
    throw JobError("job message is not JSON");
  }
  if (!doc.is_object()) throw JobError("job message is not a JSON object");
  // Not value("schema", ""): that throws a json type_error, not a JobError, for a non-string.
  auto schema = doc.find("schema");
  if (schema == doc.end() || !schema->is_string() || schema->get<std::string>() != kJobSchema) {
    throw JobError("job message schema is not gradeq.job/v1");
  }
  Job job;
  auto id = doc.find("submission_id");
  if (id == doc.end() || !id->is_string() || !is_uuid(id->get<std::string>())) {
    throw JobError("job message has no valid submission_id");
  }
  job.submission_id = id->get<std::string>();
  auto attempt = doc.find("attempt");
  if (attempt == doc.end() || !attempt->is_number_integer() || attempt->get<long long>() < 1 ||
      attempt->get<long long>() > 1000000) {
    throw JobError("job message has no valid attempt");
  }
  job.attempt = attempt->get<int>();
  auto lane = doc.find("lane");
  if (lane == doc.end() || !lane->is_string() || !lane_from_string(lane->get<std::string>())) {
    throw JobError("job message has no valid lane");
  }
  job.lane = *lane_from_string(lane->get<std::string>());
  return job;
}

}  // namespace gradeq
