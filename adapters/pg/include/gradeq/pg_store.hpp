// PostgreSQL, the source of truth (libpqxx 6.4).
//
// A Store owns one connection and is not thread-safe: one Store per thread. Every method that
// writes does so in one transaction. Connection loss surfaces as DatabaseError (a system fault:
// callers retry or requeue, never charge the student); the next call reconnects.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradeq/grading.hpp"
#include "gradeq/job.hpp"
#include "gradeq/spec.hpp"
#include "gradeq/wire.hpp"

namespace gradeq::pg {

// The database could not be reached or failed for a reason that is not the caller's input.
class DatabaseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The caller asked for something that does not exist (unknown assignment, batch, ...).
class NotFound : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Applies migrations/NNNN_name.sql files not yet recorded in public.gradeq_schema_migrations, in
// order, each in its own transaction, under a session advisory lock (concurrent callers wait).
// Returns the names applied now.
std::vector<std::string> migrate(const std::string& url, const std::string& migrations_dir);

struct StoredAssignment {
  std::int64_t assignment_id = 0;
  std::int64_t version_id = 0;
  int version = 0;
  bool new_version = false;  // false: this exact spec was already the stored version
};

struct AssignmentVersion {
  std::int64_t assignment_id = 0;
  std::int64_t version_id = 0;
  int version = 0;
  Spec spec;
};

struct NewSubmission {
  std::string student;
  std::vector<wire::File> files;
};

struct BatchProgress {
  int total = 0;
  int queued = 0;
  int running = 0;
  int graded = 0;
  int error = 0;
  bool done() const { return graded + error == total; }
};

// A submission as the grader needs it.
struct Work {
  std::string submission_id;
  int attempt = 1;
  std::string student;
  Spec spec;
  std::vector<wire::File> files;
};

enum class Claim {
  claimed,     // work to do: Work is filled
  missing,     // no such submission (a poison job)
  superseded,  // the job's attempt is not the submission's current one (a newer regrade exists)
  finished,    // this attempt already has a stored result (a duplicate delivery)
};

struct GradebookRow {
  std::string course;
  std::string assignment;
  std::string student;
  std::string status;
  std::optional<double> score;
  double max_score = 0;
  std::vector<std::string> failed_tests;
  std::string error_reason;
};

struct ResultTimes {
  std::chrono::system_clock::time_point started;  // container start
  std::int64_t container_ms = 0;
};

class Store {
 public:
  explicit Store(std::string url);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Stores a spec as the assignment's newest version, unless the identical spec (by SHA-256 of
  // its normalized form) is already a version of it.
  StoredAssignment add_assignment(const Spec& spec, const std::string& source_yaml);
  // Throws NotFound.
  AssignmentVersion latest_version(const std::string& course, const std::string& assignment);

  // Stores submissions (and a batch, when `batch_label` is given) in one transaction; returns
  // their IDs in input order and the batch ID (empty without a batch).
  std::pair<std::vector<std::string>, std::string> add_submissions(
      const AssignmentVersion& version, const std::vector<NewSubmission>& submissions, Lane lane,
      const std::optional<std::string>& batch_label);

  // Throws NotFound.
  BatchProgress batch_progress(const std::string& batch_id);
  std::vector<GradebookRow> gradebook(const std::optional<std::string>& course,
                                      const std::optional<std::string>& assignment,
                                      const std::optional<std::string>& batch_id);

  // Jobs of submissions still `queued` (of one batch, or all), for republishing.
  std::vector<Job> queued_jobs(const std::optional<std::string>& batch_id);

  // The grader's side. claim() marks the submission running (picked_up_at) and loads it.
  Claim claim(const Job& job, Work& work);
  // Stores the whole result in one transaction; returns false if this attempt already had one
  // (nothing is written then). Output is capped at `stored_output_cap` bytes per stream.
  bool store_result(const Job& job, const GradeResult& result, const ResultTimes& times,
                    const std::string& grader, std::size_t stored_output_cap);
  // Marks the submission `error` with a reason (a system fault), unless it is already graded.
  void mark_error(const Job& job, const std::string& reason);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gradeq::pg
