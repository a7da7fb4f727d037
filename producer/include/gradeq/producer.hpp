// The producer's operations, one function per command of gradeq-producer. main.cpp only parses
// the command line and calls these; the tests call them directly.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradeq/grade_export.hpp"
#include "gradeq/job.hpp"
#include "gradeq/pg_store.hpp"
#include "gradeq/wire.hpp"

namespace gradeq::dispatch {
class JobPublisher;
}

namespace gradeq::producer {

struct Settings {
  std::string database_url = "postgresql://gradeq:gradeq@127.0.0.1:55432/gradeq";
  std::string amqp_url = "amqp://guest:guest@127.0.0.1:5672/%2f";
  std::string queue_prefix = "gradeq";
  std::string migrations_dir;           // default: the source tree's migrations/
  std::size_t max_file_bytes = 1 << 20;  // per submitted file
  std::size_t max_submission_bytes = 8 << 20;
  int max_files = 64;
  // How long a broker that does not answer is retried after the submissions are stored, before
  // PublishError (the jobs stay in the outbox for the sweeper).
  std::chrono::milliseconds publish_retry{5000};
};

// The input is wrong (bad path, missing required file, unknown assignment ...): exit 1, nothing
// stored, nothing published.
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& what, std::string field = "")
      : std::runtime_error(what), field_(std::move(field)) {}
  // The input it is about, when one: "assignment", "student", "files", "files/NAME" (the HTTP
  // API's problem documents name it).
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

// Stored but not published (the broker refused or is down): the submissions stay `queued` and
// `gradeq-producer republish` publishes them. Exit 2.
class PublishError : public std::runtime_error {
 public:
  PublishError(const std::string& what, std::vector<std::string> submission_ids)
      : std::runtime_error(what), ids(std::move(submission_ids)) {}
  std::vector<std::string> ids;
};

std::vector<std::string> migrate(const Settings& settings);

// Validates and stores a spec file (SpecError lists every problem).
pg::StoredAssignment add_assignment(const Settings& settings, const std::string& spec_path,
                                    pg::AssignmentVersion* stored = nullptr);

// "COURSE/ASSIGNMENT" -> {course, assignment}; InputError otherwise.
std::pair<std::string, std::string> split_assignment(const std::string& text);

struct SubmitResult {
  std::vector<std::string> submission_ids;
  std::vector<std::string> students;
  std::string batch_id;  // empty for a single submission
};

// One student's files (each stored under its base name).
SubmitResult submit(const Settings& settings, const std::string& assignment,
                    const std::string& student, const std::vector<std::string>& files,
                    Lane lane = Lane::interactive);

// The connections one caller reuses across submissions (a server thread): a store and a job
// publisher, each opened on first use and reopened after a loss. Not thread-safe.
class Session {
 public:
  explicit Session(const Settings& settings);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  pg::Store& store();
  dispatch::JobPublisher& publisher();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "" when `name` may name a submitted file; else what is wrong with it. A relative path of
// non-empty components, none of them "." or "..", at most 255 bytes, no control characters and
// no backslash.
std::string file_name_problem(const std::string& name);

// One student's files given as contents (the HTTP API): validated like submit (student ID, file
// names, duplicates, the size and count caps, the spec's required files), then stored and
// published. InputError (with its field) when anything is wrong: nothing stored then.
// `before_store`, when given, runs once the input is found valid, just before it is stored; what
// it throws propagates and nothing is stored (the HTTP API's backpressure check).
SubmitResult submit_files(const Settings& settings, Session& session, const std::string& assignment,
                          const std::string& student, const std::vector<wire::File>& files,
                          Lane lane = Lane::interactive,
                          const std::function<void()>& before_store = nullptr);

// API keys (`gradeq-producer apikey`). create_api_key returns the new key (shown once; only its
// SHA-256 is stored); InputError for a bad name or one an active key has.
std::string create_api_key(const Settings& settings, const std::string& name,
                           const std::optional<std::string>& course);
std::vector<pg::ApiKey> list_api_keys(const Settings& settings);
// InputError when no active key has that name.
void revoke_api_key(const Settings& settings, const std::string& name);

// A folder holding one folder per student, each holding that student's files (relative paths
// kept). Every student folder is checked first; one bad folder stores nothing.
SubmitResult submit_batch(const Settings& settings, const std::string& assignment,
                          const std::string& dir, Lane lane = Lane::bulk);

// Publishes jobs for every submission still `queued` (of one batch, or all). Returns how many.
std::size_t republish(const Settings& settings, const std::optional<std::string>& batch_id);

// One pass of the sweeper: publishes outbox jobs left unpublished past the grace period and
// republishes running submissions past their lease (see pg::Store::sweep).
pg::SweepResult sweep(const Settings& settings, const pg::SweepPolicy& policy);

// Polls until every submission of the batch is graded or errored, calling `progress` after each
// poll. Returns the final progress; std::nullopt if `timeout` passed first.
std::optional<pg::BatchProgress> wait_batch(
    const Settings& settings, const std::string& batch_id, std::chrono::seconds timeout,
    const std::function<void(const pg::BatchProgress&)>& progress);

// The gradebook as a text table (student, assignment, score, failed tests).
std::string format_gradebook(const std::vector<pg::GradebookRow>& rows);

// The reporting views, one per line: name and what it shows (`report --list`).
std::string list_reports();

// `report NAME`: a reporting view (by name, with or without "v_") as a table, CSV or JSON,
// optionally of one course and one assignment ("ASSIGNMENT" with `course`, or
// "COURSE/ASSIGNMENT"). InputError for an unknown name or format, or an assignment filter on a
// view without assignments.
std::string report(const Settings& settings, const std::string& name, const std::string& format,
                   const std::optional<std::string>& course,
                   const std::optional<std::string>& assignment);

struct ExportResult {
  std::string content;                  // the file's bytes
  std::size_t exported = 0;             // students in it
  std::vector<std::string> left_out;    // students with submissions but none graded: not in it
  std::vector<std::string> older_grade; // students whose newest submission is not graded yet:
                                        // their latest *graded* score is in it
};

// `export`: the latest graded score of every student of one assignment ("COURSE/ASSIGNMENT",
// the v_gradebook view) as a Canvas or Moodle import file, or plain CSV / JSON (format
// "canvas" | "moodle" | "csv" | "json"). InputError for an unknown assignment or format.
ExportResult export_grades(const Settings& settings, const std::string& assignment,
                           const std::string& format, const grade_export::Options& options);

// Sets the identifier columns from their command-line names ("sis-login-id", "idnumber" ...);
// InputError for an unknown name (exit 1, like an unknown format).
void set_export_ids(grade_export::Options& options, const std::string& canvas_id,
                    const std::string& moodle_id);

// Writes `content` to `path` atomically: a temporary file in the same folder, flushed to disk,
// then renamed over `path`. On failure nothing is left behind and InputError names the path.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace gradeq::producer
