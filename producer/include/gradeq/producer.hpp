// The producer's operations, one function per command of gradeq-producer. main.cpp only parses
// the command line and calls these; the tests call them directly.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradeq/grade_export.hpp"
#include "gradeq/job.hpp"
#include "gradeq/lms_import.hpp"
#include "gradeq/pg_store.hpp"
#include "gradeq/regrade.hpp"
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
  // Imports (LMS archives): an entry that decompresses to more than this many times the bytes
  // it took from the archive refuses its student; more entries than this refuse the archive.
  double max_import_ratio = 100;
  std::size_t max_archive_entries = 10000;
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

// One student's files (each stored under its base name). `webhook_url`: where to POST the
// result when it is final (README "Webhooks"); it overrides the assignment's. Only http:// and
// https:// URLs: InputError otherwise, before anything is stored.
SubmitResult submit(const Settings& settings, const std::string& assignment,
                    const std::string& student, const std::vector<std::string>& files,
                    Lane lane = Lane::interactive,
                    const std::optional<std::string>& webhook_url = std::nullopt);

// `assignment webhook COURSE/ASSIGNMENT URL` (or nullopt: `--clear`): the webhook of every
// submission of the assignment that has none of its own, read when its result is delivered.
// InputError for an unknown assignment or a URL that is not http:// or https://.
void set_assignment_webhook(const Settings& settings, const std::string& assignment,
                            const std::optional<std::string>& url);

struct WebhookSettings {
  std::string secret;                              // HMAC-SHA256 key; required
  int max_attempts = 6;                            // POSTs per event, the first included
  std::chrono::milliseconds retry_base{5000};      // see webhook::retry_delay
  int workers = 4;                                 // POSTs at once
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds read_timeout{10000};   // also the write timeout
  std::chrono::milliseconds poll{1000};            // outbox poll when no NOTIFY comes
};

// `gradeq-producer webhooks`: until `stop`, publishes the result events' outbox to the exchange
// <prefix>.events (after LISTEN/NOTIFY or a poll) and delivers each event from the queue
// <prefix>.webhooks to its webhook, signed, with retries through the wait queues (README
// "Webhooks"). Outages of the database or the broker are logged and waited out. InputError for
// bad settings (no secret, max_attempts < 1, ...).
void run_webhooks(const Settings& settings, const WebhookSettings& webhooks,
                  const std::atomic<bool>& stop);

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
                          const std::optional<std::string>& webhook_url = std::nullopt,
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

// `import`: an LMS export into one batch (see README "Importing from an LMS").
struct ImportOptions {
  std::optional<lms::Format> format;  // nullopt: detect it from SOURCE
  Lane lane = Lane::bulk;
};

struct ImportProgress {
  std::string phase;  // "reading", "storing"
  std::uint64_t done = 0;
  std::uint64_t total = 0;
  std::string unit;   // "bytes", "files", "submissions"
};

struct ImportedStudent {
  std::string student;        // the student ID stored
  std::string display;        // as the LMS names them: "doejane (12345)"
  std::string submission_id;  // the new submission, or for a duplicate the one imported before
  bool late = false;          // Canvas marked a file late
};

struct RefusedStudent {
  std::string display;
  std::string reason;
};

struct ImportResult {
  lms::Format format = lms::Format::dir;
  std::string batch_id;                       // empty when nothing was new
  std::vector<ImportedStudent> imported;      // stored now, in one batch, on its lane
  std::vector<ImportedStudent> duplicates;    // imported before: nothing stored
  std::vector<RefusedStudent> refused;        // nothing stored for them, and why
  std::vector<std::string> notes;             // entries not imported (not a student's file ...)
  std::string publish_error;                  // stored but not published (exit 2; see republish)
};

// Reads SOURCE (a Canvas or Moodle zip, a folder of student folders, a CSV manifest), maps its
// files to students by the LMS's naming, refuses per student what is unsafe or incomplete
// (unsafe paths, links, too big or too compressed entries, missing required files) and stores
// every other student's submission in one batch with its idempotency key, skipping those
// already imported; then publishes their jobs. InputError (nothing stored) for an unknown
// assignment, an unreadable or damaged source, or one with no submissions in it.
ImportResult import_submissions(const Settings& settings, const std::string& assignment,
                                const std::string& source, const ImportOptions& options,
                                const std::function<void(const ImportProgress&)>& progress = nullptr);

// The summary `import` prints: imported N, already imported N, refused N with one line each.
std::string format_import_summary(const std::string& assignment, const ImportResult& result);

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

struct RegradeOptions {
  std::string assignment;             // COURSE/ASSIGNMENT
  std::vector<std::string> students;  // empty: every student
  bool failed_only = false;           // only submissions errored or graded below full marks
  bool all_submissions = false;       // every submission, not only each student's latest
};

struct RegradeResult {
  std::string batch_id;
  int version = 0;                // the spec version they are graded with
  std::size_t submissions = 0;
};

// `regrade`: grades the chosen submissions of an assignment again with its latest spec version,
// as one batch of kind 'regrade' on the bulk lane (stored in one transaction, then published;
// PublishError leaves the batch to the sweeper, as for submit-batch). InputError, nothing
// written: unknown assignment, a student with no submission of it, or nothing to regrade.
RegradeResult regrade(const Settings& settings, const RegradeOptions& options);

struct RegradeReport {
  std::string text;  // the rows in the format asked for
  regrade::Summary summary;
};

// `regrade-report`: for each submission of a regrade batch, its score and status before and
// after and the failed tests that changed; only changed and pending rows unless `all`. format:
// table | csv | json. InputError for a bad or unknown batch, a batch that is not a regrade, or
// an unknown format.
RegradeReport regrade_report(const Settings& settings, const std::string& batch_id,
                             const std::string& format, bool all);

}  // namespace gradeq::producer
