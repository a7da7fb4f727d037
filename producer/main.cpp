// gradeq-producer: validates specs, stores assignments and submissions, publishes jobs.
// Only wiring: the operations live in gradeq_producer_lib (producer/src).
//
// Exit codes: 0 done; 1 bad input (nothing stored, nothing published); 2 a system fault
// (database or broker unreachable; for submit: stored but not published — see republish);
// 3 wait (and regrade --wait): the batch finished but some submissions ended in `error`;
// 4 wait (and regrade --wait): timed out;
// 5 import: some students were refused (the others were imported; the summary says why).
// `sweep --every S`, `serve` and `webhooks` run until SIGTERM/SIGINT and exit 0 (serve: 2 if it
// cannot listen).
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <csignal>
#include <iostream>
#include <optional>
#include <thread>
#include <tuple>

#include <CLI/CLI.hpp>

#include <spdlog/spdlog.h>

#include "gradeq/amqp.hpp"
#include "gradeq/api.hpp"
#include "gradeq/api_server.hpp"
#include "gradeq/log.hpp"
#include "gradeq/producer.hpp"

namespace {

using namespace gradeq;

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

void show_progress(const pg::BatchProgress& p, bool tty) {
  static int last_done = -1;
  static auto last_print = std::chrono::steady_clock::time_point{};
  int done = p.graded + p.error;
  if (tty) {
    constexpr int kWidth = 30;
    int filled = p.total ? done * kWidth / p.total : kWidth;
    std::cerr << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, '.') << "] "
              << done << "/" << p.total << " done (" << p.running << " running, " << p.queued
              << " queued, " << p.error << " errors)   " << std::flush;
    if (p.done()) std::cerr << '\n';
    return;
  }
  auto now = std::chrono::steady_clock::now();
  if (done != last_done && (p.done() || now - last_print > std::chrono::seconds(2))) {
    std::cerr << done << "/" << p.total << " done (" << p.running << " running, " << p.queued
              << " queued, " << p.error << " errors)\n";
    last_done = done;
    last_print = now;
  }
}

// The report on stdout; its summary after it for a table, on stderr for CSV and JSON (which
// stay machine-readable).
void print_regrade_report(const producer::RegradeReport& r, const std::string& format) {
  std::cout << r.text;
  if (format == "table") {
    std::cout << regrade::summary_line(r.summary) << "\n";
  } else {
    std::cerr << regrade::summary_line(r.summary) << "\n";
  }
}

// The import's progress on a terminal: one bar redrawn in place; nothing when stderr is not one
// (the summary at the end says it all).
void show_import_progress(const producer::ImportProgress& p) {
  static auto last_print = std::chrono::steady_clock::time_point{};
  auto now = std::chrono::steady_clock::now();
  bool end = p.done >= p.total;
  if (!end && now - last_print < std::chrono::milliseconds(100)) return;
  last_print = now;
  constexpr int kWidth = 30;
  int filled = p.total ? static_cast<int>(p.done * kWidth / p.total) : kWidth;
  auto amount = [&](std::uint64_t n) {
    return p.unit == "bytes" ? std::to_string(n / 1024) + " KiB" : std::to_string(n);
  };
  std::cerr << "\r" << p.phase << " [" << std::string(filled, '#') << std::string(kWidth - filled, '.')
            << "] " << amount(p.done) << "/" << amount(p.total)
            << (p.unit == "bytes" ? "" : " " + p.unit) << "   " << std::flush;
  if (end) std::cerr << '\n';
}

}  // namespace

int main(int argc, char** argv) {
  producer::Settings settings;
  CLI::App app{"gradeq-producer: submit code for grading and read the results"};
  app.require_subcommand(0, 1);  // none only with --show-config
  app.option_defaults()->always_capture_default();
  app.add_option("--database-url", settings.database_url, "PostgreSQL URL")->envname("GRADEQ_DATABASE_URL");
  app.add_option("--amqp-url", settings.amqp_url, "RabbitMQ URL")->envname("GRADEQ_AMQP_URL");
  app.add_option("--queue-prefix", settings.queue_prefix, "Queue name prefix")->envname("GRADEQ_QUEUE_PREFIX");
  app.add_option("--migrations-dir", settings.migrations_dir, "Folder of NNNN_name.sql files")
      ->envname("GRADEQ_MIGRATIONS_DIR");
  double publish_retry_s = 5;
  app.add_option("--publish-retry", publish_retry_s,
                 "Seconds to keep retrying a broker that does not answer before exit 2")
      ->envname("GRADEQ_PUBLISH_RETRY_S")->check(CLI::Range(0.0, 3600.0));
  bool show_config = false;
  app.add_flag("--show-config", show_config, "Print the effective settings (passwords hidden) and exit");

  auto* migrate_cmd = app.add_subcommand("migrate", "Apply database migrations");

  auto* assignment_cmd = app.add_subcommand("assignment", "Manage assignments");
  assignment_cmd->require_subcommand(1);
  auto* add_cmd = assignment_cmd->add_subcommand("add", "Validate a spec and store it as the newest version");
  std::string spec_path;
  add_cmd->add_option("SPEC", spec_path, "Spec YAML file")->required();
  auto* check_cmd = assignment_cmd->add_subcommand("check", "Validate a spec without storing it");
  check_cmd->add_option("SPEC", spec_path, "Spec YAML file")->required();
  std::string hook_assignment;
  std::string hook_url;
  bool hook_clear = false;
  auto* hook_cmd = assignment_cmd->add_subcommand(
      "webhook", "Set the webhook URL of an assignment's submissions that have none of their own");
  hook_cmd->add_option("ASSIGNMENT", hook_assignment, "COURSE/ASSIGNMENT")->required();
  auto* hook_url_opt = hook_cmd->add_option("URL", hook_url, "http:// or https:// URL");
  hook_cmd->add_flag("--clear", hook_clear, "Remove the assignment's webhook")->excludes(hook_url_opt);

  std::string assignment;
  std::string student;
  std::string lane_text;
  std::vector<std::string> files;
  auto* submit_cmd = app.add_subcommand("submit", "Submit one student's files (interactive lane)");
  submit_cmd->add_option("--assignment", assignment, "COURSE/ASSIGNMENT")->required();
  submit_cmd->add_option("--student", student, "Student ID")->required();
  submit_cmd->add_option("--lane", lane_text, "interactive (default) or bulk")->check(CLI::IsMember({"interactive", "bulk"}));
  std::string webhook_url;
  submit_cmd->add_option("--webhook", webhook_url,
                         "POST the result here when graded (http:// or https://; overrides the assignment's)");
  submit_cmd->add_option("FILE", files, "Files of the submission")->required();

  std::string dir;
  auto* batch_cmd = app.add_subcommand("submit-batch", "Submit a folder of student folders (bulk lane); prints the batch ID");
  batch_cmd->add_option("--assignment", assignment, "COURSE/ASSIGNMENT")->required();
  batch_cmd->add_option("--lane", lane_text, "bulk (default) or interactive")->check(CLI::IsMember({"interactive", "bulk"}));
  batch_cmd->add_option("DIR", dir, "Folder holding one folder per student")->required();

  std::string source;
  std::string import_format = "auto";
  auto* import_cmd = app.add_subcommand(
      "import", "Import an LMS export (Canvas or Moodle zip, a folder of student folders, a CSV manifest) as one batch; prints the batch ID");
  import_cmd->add_option("ASSIGNMENT", assignment, "COURSE/ASSIGNMENT")->required();
  import_cmd->add_option("SOURCE", source, "The zip, folder or CSV manifest")->required();
  import_cmd->add_option("--format", import_format, "canvas, moodle, dir, csv or auto (by extension and entry names)")
      ->check(CLI::IsMember({"auto", "canvas", "moodle", "dir", "csv"}));
  import_cmd->add_option("--lane", lane_text, "bulk (default) or interactive")->check(CLI::IsMember({"interactive", "bulk"}));
  import_cmd->add_option("--max-file-bytes", settings.max_file_bytes, "Largest file (decompressed) a student may submit")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 40));
  import_cmd->add_option("--max-total-bytes", settings.max_submission_bytes, "Most bytes (decompressed) of one student's files")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 40));
  import_cmd->add_option("--max-ratio", settings.max_import_ratio,
                         "Largest compression ratio of a zip entry, measured while decompressing")
      ->check(CLI::Range(1.0, 1e9));
  import_cmd->add_option("--max-entries", settings.max_archive_entries, "Most entries a zip may hold")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30));

  std::string batch;
  int timeout_s = 3600;
  auto* wait_cmd = app.add_subcommand("wait", "Wait until every submission of a batch is graded or errored");
  wait_cmd->add_option("BATCH", batch, "Batch ID")->required();
  wait_cmd->add_option("--timeout", timeout_s, "Seconds to wait at most");

  std::string course;
  auto* book_cmd = app.add_subcommand("gradebook", "Print results: student, assignment, score, failed tests");
  book_cmd->add_option("--course", course, "Only this course");
  book_cmd->add_option("--assignment", assignment, "Only this COURSE/ASSIGNMENT");
  book_cmd->add_option("--batch", batch, "Only this batch");

  std::string report_name;
  std::string report_format = "table";
  bool report_list = false;
  auto* report_cmd = app.add_subcommand("report", "Print a reporting view as a table, CSV or JSON");
  report_cmd->add_option("NAME", report_name, "The view (see --list)");
  report_cmd->add_flag("--list", report_list, "List the reports and exit");
  report_cmd->add_option("--format", report_format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  report_cmd->add_option("--course", course, "Only this course");
  report_cmd->add_option("--assignment", assignment, "Only this ASSIGNMENT (with --course) or COURSE/ASSIGNMENT");

  std::string export_format;
  std::string output;
  std::string canvas_id = "sis-login-id";
  std::string moodle_id = "username";
  bool no_points_possible = false;
  grade_export::Options export_options;
  auto* export_cmd = app.add_subcommand(
      "export", "Write an assignment's latest graded scores for Canvas or Moodle grade import, or as CSV/JSON");
  export_cmd->add_option("--assignment", assignment, "COURSE/ASSIGNMENT")->required();
  export_cmd->add_option("--format", export_format, "canvas, moodle, csv or json")->required();
  export_cmd->add_option("--output", output, "Write to this file (atomically) instead of stdout");
  export_cmd->add_option("--column", export_options.column,
                         "Grade column title (Canvas: \"Title (assignment id)\"); default: the assignment's name");
  export_cmd->add_option("--canvas-id", canvas_id, "Canvas column holding the student ID: id, sis-user-id or sis-login-id");
  export_cmd->add_flag("--no-points-possible", no_points_possible, "Canvas: leave out the Points Possible row");
  export_cmd->add_option("--moodle-id", moodle_id,
                         "Moodle user field of the student ID: username, email or idnumber; or participant (the "
                         "assignment's grading worksheet, for students imported from a Moodle zip)");

  producer::RegradeOptions regrade_options;
  bool regrade_wait = false;
  std::string regrade_format = "table";
  auto* regrade_cmd = app.add_subcommand(
      "regrade", "Grade an assignment's submissions again with its latest spec (bulk lane); prints the batch ID");
  regrade_cmd->add_option("--assignment", regrade_options.assignment, "COURSE/ASSIGNMENT")->required();
  regrade_cmd->add_option("--student", regrade_options.students, "Only this student (repeatable)");
  regrade_cmd->add_flag("--failed-only", regrade_options.failed_only,
                        "Only submissions that errored or scored below full marks");
  regrade_cmd->add_flag("--all-submissions", regrade_options.all_submissions,
                        "Every submission, not only each student's latest");
  regrade_cmd->add_flag("--wait", regrade_wait, "Wait until it is done, then print the report");
  regrade_cmd->add_option("--timeout", timeout_s, "With --wait: seconds to wait at most");
  regrade_cmd->add_option("--format", regrade_format, "The report's format: table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));

  bool report_all = false;
  auto* regrade_report_cmd = app.add_subcommand(
      "regrade-report", "Whose score or status a regrade changed, from what to what");
  regrade_report_cmd->add_option("BATCH", batch, "Regrade batch ID")->required();
  regrade_report_cmd->add_flag("--all", report_all, "Every regraded submission, not only the changed and pending");
  regrade_report_cmd->add_option("--format", regrade_format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));

  auto* republish_cmd = app.add_subcommand("republish", "Publish jobs again for submissions still queued");
  republish_cmd->add_option("--batch", batch, "Only this batch");

  pg::SweepPolicy policy;
  double grace_s = 60;
  double relet_s = 600;
  double every_s = 0;
  auto* sweep_cmd = app.add_subcommand(
      "sweep", "Publish jobs left unpublished and republish submissions whose grader died");
  sweep_cmd->add_option("--grace", grace_s, "Seconds an unpublished job may wait before it is swept")
      ->check(CLI::Range(0.0, 86400.0));
  sweep_cmd->add_option("--relet", relet_s, "Seconds of lease a republished submission gets")
      ->check(CLI::Range(1.0, 86400.0));
  sweep_cmd->add_option("--every", every_s, "Sweep every this many seconds until SIGTERM (0: once)")
      ->check(CLI::Range(0.0, 86400.0));

  api::ServerOptions serve_options;
  std::string listen = "0.0.0.0:8080";
  std::string log_format = "text";
  auto* serve_cmd = app.add_subcommand("serve", "Serve the HTTP API until SIGTERM (README \"HTTP API\")");
  serve_cmd->add_option("--listen", listen, "HOST:PORT to listen on")->envname("GRADEQ_API_LISTEN");
  serve_cmd->add_option("--max-body-bytes", serve_options.max_body_bytes, "Largest request body (413 above)")
      ->envname("GRADEQ_API_MAX_BODY_BYTES")->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30));
  serve_cmd->add_option("--max-queue-depth", serve_options.max_queue_depth,
                        "Jobs a lane's queue may hold before submissions to it get 503 + Retry-After")
      ->envname("GRADEQ_API_MAX_QUEUE_DEPTH");
  serve_cmd->add_option("--threads", serve_options.threads, "Requests handled at once")
      ->envname("GRADEQ_API_THREADS")->check(CLI::Range(1, 256));
  serve_cmd->add_option("--retry-after", serve_options.retry_after_s, "Seconds a 503 asks clients to wait")
      ->envname("GRADEQ_API_RETRY_AFTER_S")->check(CLI::Range(1, 3600));
  serve_cmd->add_option("--log-format", log_format, "Log lines as text, or as one JSON object each")
      ->envname("GRADEQ_LOG_FORMAT")->check(CLI::IsMember({"text", "json"}));

  std::string key_name;
  std::string key_course;
  auto* apikey_cmd = app.add_subcommand("apikey", "Manage the HTTP API's keys");
  apikey_cmd->require_subcommand(1);
  auto* key_create_cmd = apikey_cmd->add_subcommand(
      "create", "Make a key and print it (last line; shown once: only its SHA-256 is stored)");
  key_create_cmd->add_option("NAME", key_name, "The key's name")->required();
  key_create_cmd->add_option("--course", key_course, "Scope the key to this course");
  auto* key_list_cmd = apikey_cmd->add_subcommand("list", "List the keys (never the keys themselves)");
  auto* key_revoke_cmd = apikey_cmd->add_subcommand("revoke", "Revoke the active key of this name");
  key_revoke_cmd->add_option("NAME", key_name, "The key's name")->required();
  producer::WebhookSettings webhook_settings;
  double retry_base_s = 5;
  auto* webhooks_cmd = app.add_subcommand(
      "webhooks", "Publish result events and deliver them to webhooks, signed, with retries, until SIGTERM");
  webhooks_cmd->add_option("--secret", webhook_settings.secret, "HMAC-SHA256 signing key (required)")
      ->envname("GRADEQ_WEBHOOK_SECRET")->always_capture_default(false);
  webhooks_cmd->add_option("--max-attempts", webhook_settings.max_attempts, "POSTs per event, the first included")
      ->check(CLI::Range(1, 1000));
  webhooks_cmd->add_option("--retry-base", retry_base_s,
                           "Seconds before the first retry; later ones wait 6, 24, 120, 720 times as long")
      ->check(CLI::Range(0.001, 86400.0));
  webhooks_cmd->add_option("--workers", webhook_settings.workers, "POSTs at once")->check(CLI::Range(1, 64));
  webhooks_cmd->add_option("--log-format", log_format, "Log lines as text, or as one JSON object each")
      ->envname("GRADEQ_LOG_FORMAT")->check(CLI::IsMember({"text", "json"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every mistake on the command line is bad input: 1, not
    // CLI11's own codes (105, 106, 108 ...), as the exit codes above say.
    return app.exit(e) == 0 ? 0 : 1;
  }
  webhook_settings.retry_base = std::chrono::milliseconds(static_cast<long long>(retry_base_s * 1000));
  settings.publish_retry = std::chrono::milliseconds(static_cast<long long>(publish_retry_s * 1000));
  policy.unpublished_grace = std::chrono::seconds(static_cast<long long>(grace_s));
  policy.relet = std::chrono::seconds(static_cast<long long>(relet_s));

  if (show_config) {
    auto hide = [](std::string url) {
      auto at = url.find('@');
      auto colon = url.find(':', url.find("//") + 2);
      if (at != std::string::npos && colon < at) url.replace(colon + 1, at - colon - 1, "***");
      return url;
    };
    std::cout << "database_url = " << hide(settings.database_url) << "\n"
              << "amqp_url     = " << hide(settings.amqp_url) << "\n"
              << "queue_prefix = " << settings.queue_prefix << "\n";
    return 0;
  }
  if (app.get_subcommands().empty()) {
    std::cerr << app.help() << "gradeq-producer: a command is required\n";
    return 1;
  }

  try {
    if (*migrate_cmd) {
      auto applied = producer::migrate(settings);
      for (const auto& name : applied) std::cout << "applied " << name << "\n";
      if (applied.empty()) std::cout << "database is up to date\n";
    } else if (*check_cmd) {
      Spec spec = load_spec_file(spec_path);
      std::cout << spec_path << ": ok (" << spec.course << "/" << spec.assignment << ", "
                << spec.tests.size() << " tests, " << spec.max_score() << " points)\n";
    } else if (*add_cmd) {
      pg::AssignmentVersion stored;
      auto r = producer::add_assignment(settings, spec_path, &stored);
      std::cout << stored.spec.course << "/" << stored.spec.assignment << " version " << r.version
                << (r.new_version ? " stored" : " unchanged") << " (" << stored.spec.tests.size()
                << " tests, " << stored.spec.max_score() << " points)\n";
    } else if (*hook_cmd) {
      if (!hook_clear && hook_url.empty()) {
        std::cerr << "gradeq-producer: assignment webhook: give a URL, or --clear\n";
        return 1;
      }
      producer::set_assignment_webhook(settings, hook_assignment,
                                       hook_clear ? std::nullopt : std::optional(hook_url));
      std::cout << hook_assignment << ": webhook " << (hook_clear ? "cleared" : "set to " + hook_url) << "\n";
    } else if (*webhooks_cmd) {
      log::use_format(log_format);
      std::signal(SIGTERM, on_signal);
      std::signal(SIGINT, on_signal);
      producer::run_webhooks(settings, webhook_settings, g_stop);
    } else if (*submit_cmd) {
      Lane lane = lane_from_string(lane_text).value_or(Lane::interactive);
      auto r = producer::submit(settings, assignment, student, files, lane,
                                webhook_url.empty() ? std::nullopt : std::optional(webhook_url));
      std::cout << r.submission_ids.front() << "\n";
    } else if (*batch_cmd) {
      Lane lane = lane_from_string(lane_text).value_or(Lane::bulk);
      auto r = producer::submit_batch(settings, assignment, dir, lane);
      std::cerr << "submitted " << r.submission_ids.size() << " submissions of " << assignment << "\n";
      std::cout << r.batch_id << "\n";
    } else if (*import_cmd) {
      producer::ImportOptions options;
      options.format = lms::format_from_string(import_format);  // nullopt for "auto"
      options.lane = lane_from_string(lane_text).value_or(Lane::bulk);
      bool tty = isatty(STDERR_FILENO);
      auto r = producer::import_submissions(settings, assignment, source, options,
                                            [tty](const producer::ImportProgress& p) {
                                              if (tty) show_import_progress(p);
                                            });
      std::cerr << producer::format_import_summary(assignment, r);
      if (!r.batch_id.empty()) std::cout << r.batch_id << "\n" << std::flush;
      if (!r.publish_error.empty()) {
        std::cerr << "gradeq-producer: " << r.publish_error << "\n";
        return 2;
      }
      return r.refused.empty() ? 0 : 5;
    } else if (*wait_cmd) {
      bool tty = isatty(STDERR_FILENO);
      auto p = producer::wait_batch(settings, batch, std::chrono::seconds(timeout_s),
                                    [tty](const pg::BatchProgress& bp) { show_progress(bp, tty); });
      if (!p) {
        std::cerr << "gradeq-producer: batch " << batch << " not finished after " << timeout_s << " s\n";
        return 4;
      }
      std::cerr << "batch " << batch << ": " << p->graded << " graded, " << p->error << " errors\n";
      return p->error ? 3 : 0;
    } else if (*book_cmd) {
      std::optional<std::string> only_course;
      std::optional<std::string> only_assignment;
      if (!course.empty()) only_course = course;
      if (!assignment.empty()) {
        auto [c, a] = producer::split_assignment(assignment);
        only_course = c;
        only_assignment = a;
      }
      std::optional<std::string> only_batch;
      if (!batch.empty()) only_batch = batch;
      pg::Store store(settings.database_url);
      std::cout << producer::format_gradebook(store.gradebook(only_course, only_assignment, only_batch));
    } else if (*report_cmd) {
      if (report_list) {
        std::cout << producer::list_reports();
        return 0;
      }
      if (report_name.empty()) {
        std::cerr << "gradeq-producer: report: a NAME is required; the reports are:\n"
                  << producer::list_reports();
        return 1;
      }
      auto optional = [](const std::string& s) { return s.empty() ? std::nullopt : std::optional(s); };
      std::cout << producer::report(settings, report_name, report_format, optional(course),
                                    optional(assignment));
    } else if (*export_cmd) {
      producer::set_export_ids(export_options, canvas_id, moodle_id);
      export_options.points_possible = !no_points_possible;
      auto r = producer::export_grades(settings, assignment, export_format, export_options);
      if (output.empty()) {
        std::cout << r.content << std::flush;
      } else {
        producer::write_file_atomically(output, r.content);
      }
      auto list = [](const std::vector<std::string>& names) {
        std::string text;
        for (const auto& n : names) text += (text.empty() ? "" : ", ") + n;
        return text;
      };
      std::cerr << "exported " << r.exported << " student(s) of " << assignment
                << (output.empty() ? "" : " to " + output) << "\n";
      if (!r.left_out.empty()) {
        std::cerr << "left out " << r.left_out.size() << " student(s) with nothing graded: " << list(r.left_out) << "\n";
      }
      if (!r.older_grade.empty()) {
        std::cerr << "exported an older graded score for " << r.older_grade.size()
                  << " student(s) whose newest submission is not graded: " << list(r.older_grade) << "\n";
      }
    } else if (*regrade_cmd) {
      auto r = producer::regrade(settings, regrade_options);
      std::cerr << "regrading " << r.submissions << " submission(s) of " << regrade_options.assignment
                << " with spec version " << r.version << " on the bulk lane\n";
      std::cout << r.batch_id << "\n" << std::flush;
      if (!regrade_wait) return 0;
      bool tty = isatty(STDERR_FILENO);
      auto p = producer::wait_batch(settings, r.batch_id, std::chrono::seconds(timeout_s),
                                    [tty](const pg::BatchProgress& bp) { show_progress(bp, tty); });
      print_regrade_report(producer::regrade_report(settings, r.batch_id, regrade_format, false),
                           regrade_format);
      if (!p) {
        std::cerr << "gradeq-producer: regrade " << r.batch_id << " not finished after " << timeout_s << " s\n";
        return 4;
      }
      return p->error ? 3 : 0;
    } else if (*regrade_report_cmd) {
      print_regrade_report(producer::regrade_report(settings, batch, regrade_format, report_all),
                           regrade_format);
    } else if (*serve_cmd) {
      try {
        std::tie(serve_options.host, serve_options.port) = api::parse_listen(listen);
      } catch (const std::invalid_argument& e) {
        std::cerr << "gradeq-producer: --listen: " << e.what() << "\n";
        return 1;
      }
      log::use_format(log_format);
      // A database host that drops packets must not hang /healthz or a request for libpq's
      // default (no limit): 5 s unless the URL or the environment says otherwise.
      ::setenv("PGCONNECT_TIMEOUT", "5", /*overwrite=*/0);
      std::signal(SIGTERM, on_signal);
      std::signal(SIGINT, on_signal);
      api::Server server(settings, serve_options);
      spdlog::info("serving the HTTP API on http://{}:{} (max body {} bytes, max queue depth {} per lane, {} threads)",
                   serve_options.host, server.port(), serve_options.max_body_bytes, serve_options.max_queue_depth,
                   serve_options.threads);
      while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      spdlog::info("stopping: finishing the requests in hand");
      server.stop();
      spdlog::info("stopped");
    } else if (*key_create_cmd) {
      std::optional<std::string> scope;
      if (!key_course.empty()) scope = key_course;
      std::string key = producer::create_api_key(settings, key_name, scope);
      std::cerr << "API key " << key_name << (scope ? " for course " + *scope : std::string(" for every course"))
                << " created; it is shown once, store it now:\n";
      std::cout << key << std::endl;
    } else if (*key_list_cmd) {
      auto keys = producer::list_api_keys(settings);
      std::cout << "NAME\tCOURSE\tCREATED\tLAST USED\tREVOKED\n";
      for (const auto& k : keys) {
        auto dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
        std::cout << k.name << "\t" << k.course.value_or("*") << "\t" << k.created_at << "\t" << dash(k.last_used_at)
                  << "\t" << dash(k.revoked_at) << "\n";
      }
    } else if (*key_revoke_cmd) {
      producer::revoke_api_key(settings, key_name);
      std::cout << "revoked " << key_name << "\n";
    } else if (*republish_cmd) {
      std::optional<std::string> only_batch;
      if (!batch.empty()) only_batch = batch;
      std::cout << "republished " << producer::republish(settings, only_batch) << " job(s)\n";
    } else if (*sweep_cmd) {
      if (every_s <= 0) {
        auto r = producer::sweep(settings, policy);
        std::cout << "published " << r.unpublished << " unpublished job(s), republished " << r.expired
                  << " submission(s) past their lease and " << r.stranded
                  << " whose message was lost\n";
        return 0;
      }
      std::signal(SIGTERM, on_signal);
      std::signal(SIGINT, on_signal);
      while (!g_stop.load()) {
        try {
          auto r = producer::sweep(settings, policy);
          if (r.total()) {
            std::cerr << "sweep: published " << r.unpublished << " unpublished job(s), republished "
                      << r.expired << " submission(s) past their lease and " << r.stranded
                      << " whose message was lost\n";
          }
        } catch (const std::exception& e) {  // an outage: try again next round
          std::cerr << "gradeq-producer: sweep failed: " << e.what() << "\n";
        }
        for (auto until = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<long long>(every_s * 1000));
             !g_stop.load() && std::chrono::steady_clock::now() < until;) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
    }
  } catch (const SpecError& e) {
    std::cerr << e.what() << "\n";
    std::cerr << "gradeq-producer: the spec has " << e.diagnostics().size()
              << " problem(s); nothing was stored\n";
    return 1;
  } catch (const producer::InputError& e) {
    std::cerr << "gradeq-producer: " << e.what() << "\n";
    return 1;
  } catch (const producer::PublishError& e) {
    std::cerr << "gradeq-producer: " << e.what() << "\n";
    return 2;
  } catch (const pg::DatabaseError& e) {
    std::cerr << "gradeq-producer: " << e.what() << "\n";
    return 2;
  } catch (const amqp::AmqpError& e) {
    std::cerr << "gradeq-producer: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "gradeq-producer: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
