// PostgreSQL, the source of truth (libpqxx 6.4).
//
// A Store owns one connection and is not thread-safe: one Store per thread. Every method that
// writes does so in one transaction. Connection loss surfaces as DatabaseError (a system fault:
// callers retry or requeue, never charge the student); the next call reconnects.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradeq/grading.hpp"
#include "gradeq/job.hpp"
#include "gradeq/report_table.hpp"
#include "gradeq/spec.hpp"
#include "gradeq/wire.hpp"

namespace gradeq::pg {

// The database could not be reached or failed for a reason that is not the caller's input.
class DatabaseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The database is unreachable or went away mid-transaction (connection refused or lost, server
// shutting down, outcome in doubt): retrying later is the remedy. Every other DatabaseError is a
// failure of the statement itself, which a retry will not fix.
class Unavailable : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
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
  // Seconds from when this attempt's job was queued (its outbox row; the submission's
  // submitted_at without one) to the claim, by the database's clock: the queue lag.
  double queued_s = 0;
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

// What the sweeper republishes (see Store::sweep).
struct SweepPolicy {
  // A job still unpublished this long after it was stored lost its producer (or found the broker
  // down): publish it. Longer than a producer takes between commit and confirm.
  std::chrono::seconds unpublished_grace{60};
  // A republished expired submission gets this much more lease before it is republished again.
  std::chrono::seconds relet{600};
  // A queued submission whose job was published this long ago while its lane's queue holds no
  // ready message lost its message (the queue was purged or deleted, the broker lost its data):
  // publish it again. Only lanes listed in `empty_lanes` are considered; the caller fills it
  // from the queue depths it read just before the sweep.
  std::chrono::seconds stranded_grace{600};
  std::vector<Lane> empty_lanes;
  std::size_t limit = 10000;  // jobs per sweep
};

struct SweepResult {
  std::size_t unpublished = 0;  // queued submissions whose job had not been published
  std::size_t expired = 0;      // running submissions past their lease (their grader died)
  std::size_t stranded = 0;     // queued submissions whose published message is gone
  std::size_t total() const { return unpublished + expired + stranded; }
};

// A message that reached the dead-letter queue.
struct DeadLetter {
  std::string queue;         // the lane queue it died in
  std::string death_reason;  // RabbitMQ's: rejected | delivery_limit | expired | maxlen
  std::string reason;        // ours, in words
  std::string body;
  std::int64_t dead_at = 0;  // unix seconds (x-death time)
  int deliveries = 0;         // how many times it was delivered from its lane queue; 0: unknown
  std::optional<Job> job;    // when the body is a valid job message
};

struct DeadLetterRecord {
  bool recorded = false;      // false: this death was recorded before (a redelivered dead letter)
  bool marked_error = false;  // the submission's attempt was queued or running and is now `error`
  std::string reason;         // the reason stored (the grader's own words when it had given some)
  std::optional<Job> revive;  // publish this job again instead (see record_dead_letter)
};

struct ResultTimes {
  std::chrono::system_clock::time_point started;  // container start
  std::int64_t container_ms = 0;
};

// A reporting view `gradeq-producer report NAME` prints (README "SQL reporting").
struct ReportView {
  std::string name;         // the report's name: the view's without "v_"
  std::string view;         // gradeq.<view>
  std::string description;
  bool has_assignment = true;  // has an `assignment` column (every view has `course`)
  std::string order_by;        // the rows' order
};

// An API key as `apikey list` shows it (never the key itself: only its hash is stored).
struct ApiKey {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::string> course;  // the course it is scoped to; none: every course
  std::string created_at, revoked_at, last_used_at;  // ISO 8601 UTC; "" when NULL
};

// One test of a submission's latest grading, as the HTTP API shows it: no outputs, no expected
// outputs; the runner's message only of tests that are not hidden.
struct SubmissionTest {
  std::string name;
  std::string verdict;
  double points = 0, max_points = 0;
  std::optional<std::int64_t> duration_ms;
  bool hidden = false;
  std::string message;
};

// A submission's state and latest result (GET /v1/submissions/{id}).
struct SubmissionView {
  std::string id, course, assignment, student, lane, status;
  int attempt = 1;
  std::string error_reason;
  std::optional<double> score;
  double max_score = 0;
  std::vector<std::string> failed_tests;  // spec order; empty until graded
  std::vector<SubmissionTest> tests;
  std::string submitted_at, picked_up_at, started_at, finished_at;  // ISO 8601 UTC; "" when NULL
};

// A unique name is taken (an active API key of that name exists ...).
class Conflict : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Every reporting view, in the README's order.
const std::vector<ReportView>& report_views();
// By name, with or without the "v_"; nullptr when there is none.
const ReportView* find_report_view(const std::string& name);

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

  // The rows of a reporting view, optionally of one course and assignment, in the view's order,
  // read in a read-only transaction with times in UTC. Only the view is read: a reporting or
  // course staff role's connection suffices (and sees what row-level security lets it).
  report::Table report(const ReportView& view, const std::optional<std::string>& course,
                       const std::optional<std::string>& assignment);

  // Jobs of submissions still `queued` (of one batch, or all), for republishing.
  std::vector<Job> queued_jobs(const std::optional<std::string>& batch_id);

  // Records that the broker confirmed these jobs (the outbox rows' published_at).
  void mark_published(const std::vector<Job>& jobs);

  // The sweeper, in one transaction: selects the jobs due for (re)publishing, i.e. queued
  // submissions whose current job is unpublished after `policy.unpublished_grace`, running
  // submissions past their lease, and stranded ones (see SweepPolicy); locks them (FOR UPDATE SKIP LOCKED: concurrent sweepers share
  // the work), calls `publish` (which must return only once the broker confirmed them, or throw),
  // then marks them published, moves expired leases `policy.relet` ahead and commits. If
  // `publish` throws, nothing is marked and the exception propagates.
  SweepResult sweep(const SweepPolicy& policy,
                    const std::function<void(const std::vector<Job>&)>& publish);

  // The grader's side. claim() marks the submission running (picked_up_at), counts the delivery,
  // sets its lease to now + lease(spec) and loads it.
  Claim claim(const Job& job, Work& work,
              const std::function<std::chrono::milliseconds(const Spec&)>& lease = nullptr);
  // Stores the whole result in one transaction; returns false if this attempt already had one
  // (nothing is written then). Output is capped at `stored_output_cap` bytes per stream.
  bool store_result(const Job& job, const GradeResult& result, const ResultTimes& times,
                    const std::string& grader, std::size_t stored_output_cap);
  // Marks the submission `error` with a reason (a system fault), unless it is already graded.
  void mark_error(const Job& job, const std::string& reason);

  // Remembers the last system fault met while grading this attempt (shown if it is given up).
  void record_fault(const Job& job, const std::string& fault);

  // Records a dead letter once (keyed by body, queue and time of death) and, when it is the job
  // of a submission attempt still queued or running, marks that attempt `error` with the reason
  // (the grader's own reason if it gave one; otherwise `reason` plus the last fault recorded).
  //
  // Except: a job over the delivery limit whose attempt was claimed by a grader fewer than
  // `revive_below_claims` times was mostly given back unstarted (graders stopping, connections
  // dropping: RabbitMQ counts those returns too) rather than failing; it is not the job's fault,
  // so the attempt stays as it is and `revive` says to publish the job again.
  DeadLetterRecord record_dead_letter(const DeadLetter& letter, int revive_below_claims = 0);

  // One round trip (health checks). Throws Unavailable when the database does not answer.
  void ping();

  // A submission and its latest grading; nullopt when there is none with this ID (or the ID is
  // not a UUID). With `course`, a submission of another course is not found either.
  std::optional<SubmissionView> submission(const std::string& id,
                                           const std::optional<std::string>& course = std::nullopt);

  // API keys (gradeq.api_keys). add_api_key throws Conflict when an active key has that name.
  void add_api_key(const std::string& name, const std::optional<std::string>& course,
                   const std::string& key_sha256);
  std::vector<ApiKey> api_keys();
  // Revokes the active key of that name; false when there is none.
  bool revoke_api_key(const std::string& name);
  // The active key with this SHA-256 (hex), refreshing its last_used_at (at most once a minute);
  // nullopt when there is none (unknown or revoked). ApiKey's key hash is compared again by the
  // caller in constant time.
  std::optional<std::pair<ApiKey, std::string>> find_api_key(const std::string& key_sha256);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gradeq::pg
