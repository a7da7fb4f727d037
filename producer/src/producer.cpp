#include "gradeq/producer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "gradeq/amqp.hpp"
#include "gradeq/api.hpp"
#include "gradeq/dispatch.hpp"
#include "gradeq/text.hpp"
#include "internal.hpp"
#include "gradeq/webhook.hpp"

#ifndef GRADEQ_MIGRATIONS_DIR
#error "GRADEQ_MIGRATIONS_DIR must name the migrations/ folder"
#endif

namespace gradeq::producer {

namespace fs = std::filesystem;

namespace detail {

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read " + path.string());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool valid_student(const std::string& id) {
  static const std::regex re(R"([A-Za-z0-9][A-Za-z0-9_.@+-]{0,127})");
  return std::regex_match(id, re);
}

// Checks one student's files against the spec and the size limits; returns what is wrong
// (empty if nothing).
std::vector<std::string> check_files(const Settings& settings, const Spec& spec,
                                     const std::vector<wire::File>& files) {
  std::vector<std::string> problems;
  std::size_t total = 0;
  for (const auto& f : files) {
    total += f.content.size();
    if (f.content.size() > settings.max_file_bytes) {
      problems.push_back(f.path + " is " + std::to_string(f.content.size()) + " bytes (limit " +
                         std::to_string(settings.max_file_bytes) + ")");
    }
  }
  if (total > settings.max_submission_bytes) {
    problems.push_back("the files add up to " + std::to_string(total) + " bytes (limit " +
                       std::to_string(settings.max_submission_bytes) + ")");
  }
  if (files.size() > static_cast<std::size_t>(settings.max_files)) {
    problems.push_back(std::to_string(files.size()) + " files (limit " +
                       std::to_string(settings.max_files) + ")");
  }
  for (const auto& required : spec.files) {
    bool found = std::any_of(files.begin(), files.end(),
                             [&](const wire::File& f) { return f.path == required; });
    if (!found) problems.push_back("missing required file " + required);
  }
  return problems;
}

// Publishes after commit (the jobs are already in the outbox). A broker that does not answer is
// retried for `settings.publish_retry`, then PublishError: the jobs stay unpublished and the
// sweeper (or `republish`) publishes them later. Never reports success for an unconfirmed job.
void publish_jobs(const Settings& settings, pg::Store& store, dispatch::JobPublisher& publisher,
                  const std::vector<Job>& jobs) {
  if (jobs.empty()) return;
  const auto deadline = std::chrono::steady_clock::now() + settings.publish_retry;
  std::chrono::milliseconds backoff{250};
  for (;;) {
    try {
      publisher.publish(jobs);
      break;
    } catch (const amqp::AmqpError& e) {
      if (std::chrono::steady_clock::now() + backoff > deadline) {
        std::vector<std::string> ids;
        for (const auto& job : jobs) ids.push_back(job.submission_id);
        throw PublishError(std::to_string(jobs.size()) +
                               " submission(s) stored but their jobs were not published (" +
                               e.what() +
                               "); they stay queued and are published by the sweeper, or now by"
                               " `gradeq-producer republish`, when the broker is back",
                           ids);
      }
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(4000));
    }
  }
  try {
    store.mark_published(jobs);
  } catch (const pg::DatabaseError&) {
    // The jobs are on the queue; unmarked, the sweeper publishes them once more: harmless.
  }
}

void publish_jobs(const Settings& settings, pg::Store& store, const std::vector<Job>& jobs) {
  if (jobs.empty()) return;
  dispatch::JobPublisher publisher(settings.amqp_url, settings.queue_prefix);
  publish_jobs(settings, store, publisher, jobs);
}

// The assignment's newest version; an unknown assignment is the user's mistake (InputError).
pg::AssignmentVersion latest_version(pg::Store& store, const std::string& course, const std::string& name) {
  try {
    return store.latest_version(course, name);
  } catch (const pg::NotFound& e) {
    throw InputError(e.what(), "assignment");
  }
}

}  // namespace detail

using namespace detail;

namespace {

// One InputError listing every problem, so that a batch is corrected in one round.
void throw_if_any(const std::string& headline, const std::vector<std::string>& problems) {
  if (problems.empty()) return;
  std::string text = headline;
  for (const auto& p : problems) text += "\n  " + p;
  throw InputError(text);
}

SubmitResult store_and_publish(const Settings& settings, pg::Store& store, dispatch::JobPublisher& publisher,
                               const std::string& assignment,
                               const std::vector<pg::NewSubmission>& submissions, Lane lane,
                               const std::optional<std::string>& batch_label,
                               const std::function<void()>& before_store = nullptr) {
  auto [course, name] = split_assignment(assignment);
  pg::AssignmentVersion version = latest_version(store, course, name);
  std::vector<std::string> problems;
  for (const auto& s : submissions) {
    for (const auto& p : check_files(settings, version.spec, s.files)) {
      problems.push_back(s.student + ": " + p);
    }
  }
  throw_if_any("nothing was submitted:", problems);
  if (before_store) before_store();
  auto [ids, batch_id] = store.add_submissions(version, submissions, lane, batch_label);
  std::vector<Job> jobs;
  for (const auto& id : ids) jobs.push_back({id, 1, lane});
  publish_jobs(settings, store, publisher, jobs);
  SubmitResult result;
  result.submission_ids = ids;
  result.batch_id = batch_id;
  for (const auto& s : submissions) result.students.push_back(s.student);
  return result;
}

SubmitResult store_and_publish(const Settings& settings, const std::string& assignment,
                               const std::vector<pg::NewSubmission>& submissions, Lane lane,
                               const std::optional<std::string>& batch_label) {
  split_assignment(assignment);  // a malformed name is reported before any connection
  pg::Store store(settings.database_url);
  dispatch::JobPublisher publisher(settings.amqp_url, settings.queue_prefix);
  return store_and_publish(settings, store, publisher, assignment, submissions, lane, batch_label);
}

bool valid_key_name(const std::string& name) {
  static const std::regex re(R"([A-Za-z0-9][A-Za-z0-9_.@+-]{0,63})");
  return std::regex_match(name, re);
}

}  // namespace

std::vector<std::string> migrate(const Settings& settings) {
  std::string dir = settings.migrations_dir.empty() ? GRADEQ_MIGRATIONS_DIR : settings.migrations_dir;
  return pg::migrate(settings.database_url, dir);
}

pg::StoredAssignment add_assignment(const Settings& settings, const std::string& spec_path,
                                    pg::AssignmentVersion* stored) {
  Spec spec = load_spec_file(spec_path);
  pg::Store store(settings.database_url);
  auto result = store.add_assignment(spec, read_bytes(spec_path));
  if (stored) *stored = store.latest_version(spec.course, spec.assignment);
  return result;
}

std::pair<std::string, std::string> split_assignment(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size() ||
      text.find('/', slash + 1) != std::string::npos) {
    throw InputError("\"" + text + "\" is not COURSE/ASSIGNMENT", "assignment");
  }
  return {text.substr(0, slash), text.substr(slash + 1)};
}

SubmitResult submit(const Settings& settings, const std::string& assignment,
                    const std::string& student, const std::vector<std::string>& files, Lane lane,
                    const std::optional<std::string>& webhook_url) {
  if (!valid_student(student)) throw InputError("\"" + student + "\" is not a valid student ID");
  if (files.empty()) throw InputError("no files given");
  pg::NewSubmission s;  // its files; submit_files checks the rest (the webhook URL too) before connecting
  s.student = student;
  for (const auto& path : files) {
    fs::path p(path);
    if (!fs::is_regular_file(p)) throw InputError(path + ": no such file");
    std::string name = p.filename().string();
    for (const auto& f : s.files) {
      if (f.path == name) throw InputError(path + ": two files named " + name);
    }
    s.files.push_back({name, read_bytes(p), false});
  }
  Session session(settings);
  return submit_files(settings, session, assignment, student, s.files, lane, webhook_url);
}

SubmitResult submit_batch(const Settings& settings, const std::string& assignment,
                          const std::string& dir, Lane lane) {
  if (!fs::is_directory(dir)) throw InputError(dir + ": not a directory");
  std::vector<fs::path> students;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_directory()) students.push_back(entry.path());
  }
  std::sort(students.begin(), students.end());
  if (students.empty()) throw InputError(dir + ": no student folders in it");
  std::vector<pg::NewSubmission> submissions;
  std::vector<std::string> problems;
  for (const auto& folder : students) {
    pg::NewSubmission s;
    s.student = folder.filename().string();
    if (!valid_student(s.student)) {
      problems.push_back(folder.string() + ": \"" + s.student + "\" is not a valid student ID");
      continue;
    }
    for (const auto& entry : fs::recursive_directory_iterator(folder)) {
      if (entry.is_symlink()) {
        problems.push_back(entry.path().string() + ": symbolic links are not accepted");
      } else if (entry.is_regular_file()) {
        s.files.push_back({fs::relative(entry.path(), folder).generic_string(),
                           read_bytes(entry.path()), false});
      }
    }
    std::sort(s.files.begin(), s.files.end(),
              [](const wire::File& a, const wire::File& b) { return a.path < b.path; });
    submissions.push_back(std::move(s));
  }
  throw_if_any("nothing was submitted:", problems);
  return store_and_publish(settings, assignment, submissions, lane,
                           fs::path(dir).lexically_normal().string());
}

struct Session::Impl {
  explicit Impl(const Settings& s) : store(s.database_url), publisher(s.amqp_url, s.queue_prefix) {}
  pg::Store store;
  dispatch::JobPublisher publisher;
};

Session::Session(const Settings& settings) : impl_(std::make_unique<Impl>(settings)) {}
Session::~Session() = default;
pg::Store& Session::store() { return impl_->store; }
dispatch::JobPublisher& Session::publisher() { return impl_->publisher; }

std::string file_name_problem(const std::string& name) {
  if (name.empty()) return "a file name is empty";
  const std::string shown = "\"" + storable_text(name, 300) + "\"";
  if (name.size() > 255) return "file name " + shown + " is longer than 255 bytes";
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "file name " + shown + " holds a control character";
    if (c == '\\') return "file name " + shown + " holds a backslash (use / between folders)";
  }
  if (name.front() == '/') return "file name " + shown + " is absolute (give a relative path)";
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    const std::string part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") {
      return "file name " + shown + " has an empty, \".\" or \"..\" component";
    }
    start = end + 1;
  }
  return "";
}

SubmitResult submit_files(const Settings& settings, Session& session, const std::string& assignment,
                          const std::string& student, const std::vector<wire::File>& files, Lane lane,
                          const std::optional<std::string>& webhook_url,
                          const std::function<void()>& before_store) {
  split_assignment(assignment);
  if (!valid_student(student)) throw InputError("\"" + student + "\" is not a valid student ID", "student");
  if (files.empty()) throw InputError("no files given", "files");
  if (webhook_url) {
    const std::string problem = webhook::url_problem(*webhook_url);
    if (!problem.empty()) throw InputError("webhook URL \"" + *webhook_url + "\": " + problem, "webhook_url");
  }
  pg::NewSubmission s;
  s.student = student;
  s.webhook_url = webhook_url;
  for (const auto& f : files) {
    const std::string problem = file_name_problem(f.path);
    if (!problem.empty()) throw InputError(problem, "files");
    for (const auto& seen : s.files) {
      if (seen.path == f.path) throw InputError("two files named " + f.path, "files");
    }
    s.files.push_back({f.path, f.content, false});
  }
  try {
    return store_and_publish(settings, session.store(), session.publisher(), assignment, {s}, lane,
                             std::nullopt, before_store);
  } catch (const InputError& e) {
    if (!e.field().empty()) throw;
    throw InputError(e.what(), "files");  // the caps and the spec's required files
  }
}

std::string create_api_key(const Settings& settings, const std::string& name,
                           const std::optional<std::string>& course) {
  if (!valid_key_name(name)) {
    throw InputError("\"" + name + "\" is not a valid key name (letters, digits, _.@+-; at most 64)");
  }
  if (course && course->empty()) throw InputError("--course must not be empty");
  const std::string key = api::generate_key();
  pg::Store store(settings.database_url);
  try {
    store.add_api_key(name, course, api::key_sha256(key));
  } catch (const pg::Conflict& e) {
    throw InputError(e.what());
  }
  return key;
}

std::vector<pg::ApiKey> list_api_keys(const Settings& settings) {
  pg::Store store(settings.database_url);
  return store.api_keys();
}

void revoke_api_key(const Settings& settings, const std::string& name) {
  pg::Store store(settings.database_url);
  if (!store.revoke_api_key(name)) throw InputError("no active API key named " + name);
}

std::size_t republish(const Settings& settings, const std::optional<std::string>& batch_id) {
  pg::Store store(settings.database_url);
  auto jobs = store.queued_jobs(batch_id);
  publish_jobs(settings, store, jobs);
  return jobs.size();
}

pg::SweepResult sweep(const Settings& settings, const pg::SweepPolicy& policy) {
  pg::Store store(settings.database_url);
  dispatch::JobPublisher publisher(settings.amqp_url, settings.queue_prefix);
  return dispatch::sweep(store, publisher, policy);
}

std::optional<pg::BatchProgress> wait_batch(
    const Settings& settings, const std::string& batch_id, std::chrono::seconds timeout,
    const std::function<void(const pg::BatchProgress&)>& progress) {
  if (!is_uuid(batch_id)) throw InputError("\"" + batch_id + "\" is not a batch ID");
  pg::Store store(settings.database_url);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    pg::BatchProgress p;
    try {
      p = store.batch_progress(batch_id);
    } catch (const pg::NotFound& e) {
      throw InputError(e.what());
    }
    if (progress) progress(p);
    if (p.done()) return p;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

std::string format_gradebook(const std::vector<pg::GradebookRow>& rows) {
  std::vector<std::array<std::string, 4>> cells;
  cells.push_back({"STUDENT", "ASSIGNMENT", "SCORE", "FAILED TESTS"});
  auto number = [](double v) {
    std::ostringstream out;
    out << std::setprecision(6) << v;
    return out.str();
  };
  for (const auto& r : rows) {
    std::string score;
    std::string failed;
    if (r.status == "graded" && r.score) {
      score = number(*r.score) + "/" + number(r.max_score);
      for (const auto& t : r.failed_tests) failed += (failed.empty() ? "" : ", ") + t;
      if (failed.empty()) failed = "-";
    } else {
      score = r.status;
      failed = r.error_reason;
    }
    cells.push_back({r.student, r.course + "/" + r.assignment, score, failed});
  }
  std::array<std::size_t, 4> width{};
  for (const auto& row : cells) {
    for (std::size_t i = 0; i < 4; ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::ostringstream out;
  for (const auto& row : cells) {
    for (std::size_t i = 0; i < 4; ++i) {
      out << row[i];
      if (i < 3) out << std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << '\n';
  }
  return out.str();
}

std::string list_reports() {
  std::size_t width = 0;
  for (const auto& view : pg::report_views()) width = std::max(width, view.name.size());
  std::string out;
  for (const auto& view : pg::report_views()) {
    out += view.name + std::string(width - view.name.size() + 2, ' ') + view.description + "\n";
  }
  return out;
}

std::string report(const Settings& settings, const std::string& name, const std::string& format,
                   const std::optional<std::string>& course,
                   const std::optional<std::string>& assignment) {
  const pg::ReportView* view = pg::find_report_view(name);
  if (!view) {
    std::string names;
    for (const auto& v : pg::report_views()) names += (names.empty() ? "" : ", ") + v.name;
    throw InputError("no report named \"" + name + "\" (reports: " + names + ")");
  }
  auto how = report::format_from_string(format);
  if (!how) throw InputError("unknown format \"" + format + "\" (table, csv or json)");
  std::optional<std::string> only_course = course;
  std::optional<std::string> only_assignment = assignment;
  if (assignment && assignment->find('/') != std::string::npos) {
    auto [c, a] = split_assignment(*assignment);
    if (course && *course != c) {
      throw InputError("--course " + *course + " and --assignment " + *assignment + " disagree");
    }
    only_course = c;
    only_assignment = a;
  }
  if (only_assignment && !view->has_assignment) {
    throw InputError("report " + view->name + " has no assignment column: use --course only");
  }
  pg::Store store(settings.database_url);
  return report::format(store.report(*view, only_course, only_assignment), *how);
}

ExportResult export_grades(const Settings& settings, const std::string& assignment,
                           const std::string& format, const grade_export::Options& options) {
  auto layout = grade_export::layout_from_string(format);
  if (!layout) throw InputError("unknown format \"" + format + "\" (canvas, moodle, csv or json)");
  auto [course, name] = split_assignment(assignment);
  pg::Store store(settings.database_url);
  pg::AssignmentVersion version = latest_version(store, course, name);
  grade_export::Sheet sheet;
  sheet.course = course;
  sheet.assignment = name;
  char buffer[64];
  auto written = std::to_chars(buffer, buffer + sizeof buffer, version.spec.max_score());
  sheet.max_score.assign(buffer, written.ptr);

  report::Table table = store.report(*pg::find_report_view("gradebook"), course, name);
  auto column = [&](const std::string& wanted) {
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      if (table.columns[i].name == wanted) return i;
    }
    throw std::runtime_error("v_gradebook has no column " + wanted);
  };
  std::size_t student_at = column("student");
  std::size_t score_at = column("score");
  std::map<std::string, std::string> graded;
  for (const auto& row : table.rows) {
    sheet.grades.push_back({row[student_at].text, row[score_at].text});
    graded[row[student_at].text] = row[score_at].text;
  }

  ExportResult result;
  // Every submission, oldest first: the last one seen per student is the newest.
  std::map<std::string, std::string> newest_status;
  for (const auto& row : store.gradebook(course, name, std::nullopt)) newest_status[row.student] = row.status;
  for (const auto& [student, status] : newest_status) {
    if (!graded.count(student)) {
      result.left_out.push_back(student + " (" + status + ")");
    } else if (status != "graded") {
      result.older_grade.push_back(student + " (" + status + ")");
    }
  }
  result.exported = sheet.grades.size();
  grade_export::Options with_time = options;
  if (with_time.modified_at.empty()) {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
    with_time.modified_at = stamp;
  }
  try {
    result.content = grade_export::format(sheet, *layout, with_time);
  } catch (const std::invalid_argument& e) {
    throw InputError(e.what());
  }
  return result;
}

void set_export_ids(grade_export::Options& options, const std::string& canvas_id,
                    const std::string& moodle_id) {
  auto canvas = grade_export::canvas_id_from_string(canvas_id);
  if (!canvas) throw InputError("unknown --canvas-id \"" + canvas_id + "\" (id, sis-user-id or sis-login-id)");
  auto moodle = grade_export::moodle_id_from_string(moodle_id);
  if (!moodle) {
    throw InputError("unknown --moodle-id \"" + moodle_id + "\" (username, email, idnumber or participant)");
  }
  options.canvas_id = *canvas;
  options.moodle_id = *moodle;
}

void write_file_atomically(const std::string& path, const std::string& content) {
  fs::path target(path);
  fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::string temp = (folder / ("." + target.filename().string() + ".XXXXXX")).string();
  int fd = ::mkstemp(temp.data());
  if (fd < 0) throw InputError(path + ": cannot create a file there: " + std::strerror(errno));
  auto fail = [&](const std::string& what) {
    int saved = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    throw InputError(path + ": " + what + ": " + std::strerror(saved));
  };
  for (std::size_t done = 0; done < content.size();) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write");
    done += static_cast<std::size_t>(n);
  }
  mode_t mask = ::umask(0);  // mkstemp makes 0600: give the file what a plain open would
  ::umask(mask);
  if (::fchmod(fd, 0666 & ~mask) != 0) fail("cannot set its mode");
  if (::fsync(fd) != 0) fail("cannot flush");
  if (::close(fd) != 0) {
    int saved = errno;
    ::unlink(temp.c_str());
    throw InputError(path + ": cannot close: " + std::strerror(saved));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(temp.c_str());
    throw InputError(path + ": cannot rename into place: " + std::strerror(saved));
  }
}

}  // namespace gradeq::producer
