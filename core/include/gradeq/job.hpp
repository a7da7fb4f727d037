// The job message: what the producer publishes per submission (schemas/job.schema.json).
// The queue carries only IDs; PostgreSQL is the source of truth.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

namespace gradeq {

enum class Lane { interactive = 0, bulk = 1 };

const char* to_string(Lane lane);
std::optional<Lane> lane_from_string(const std::string& text);

struct Job {
  std::string submission_id;  // uuid, lowercase
  int attempt = 1;
  Lane lane = Lane::interactive;
};

class JobError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

std::string to_json(const Job& job);
// Throws JobError naming what is wrong (not JSON, wrong schema, bad id, ...).
Job job_from_json(const std::string& text);

bool is_uuid(const std::string& text);

}  // namespace gradeq
