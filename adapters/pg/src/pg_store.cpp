#include "gradeq/pg_store.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "gradeq/text.hpp"

namespace gradeq::pg {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Runs `body` and turns libpqxx's connection-level failures into DatabaseError.
template <typename F>
auto guarded(const char* what, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const pqxx::broken_connection& e) {
    throw Unavailable(std::string(what) + ": database connection lost: " + e.what());
  } catch (const pqxx::in_doubt_error& e) {
    throw Unavailable(std::string(what) + ": transaction outcome unknown: " + e.what());
  } catch (const pqxx::sql_error& e) {
    // Class 08 (connection exception) and 57 (operator intervention: admin shutdown, cannot
    // connect now, crash shutdown) mean the server went away, not that the statement is wrong.
    const std::string state = e.sqlstate();
    if (state.rfind("08", 0) == 0 || state.rfind("57", 0) == 0) {
      throw Unavailable(std::string(what) + ": database unavailable: " + e.what());
    }
    throw DatabaseError(std::string(what) + ": " + e.what());
  } catch (const pqxx::failure& e) {  // libpq reported a failure outside any statement
    throw Unavailable(std::string(what) + ": database failure: " + e.what());
  }
}

std::vector<std::string> parse_text_array(const pqxx::field& f) {
  std::vector<std::string> out;
  if (f.is_null()) return out;
  auto parser = f.as_array();
  for (auto item = parser.get_next(); item.first != pqxx::array_parser::done;
       item = parser.get_next()) {
    if (item.first == pqxx::array_parser::string_value) out.push_back(item.second);
  }
  return out;
}

// {"a","b\\"c"}: a PostgreSQL array literal of field(item) for every item, each one quoted, with
// backslashes and double quotes escaped (any text is safe; uuids and integers read as they are).
template <typename T, typename F>
std::string array_literal(const std::vector<T>& items, F&& field) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : field(items[i])) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string array_literal(const std::vector<std::string>& items) {
  return array_literal(items, [](const std::string& s) -> const std::string& { return s; });
}

// A double as the shortest text that reads back as the same double ("0.1", not libpqxx's
// "0.10000000000000001"): what numeric columns store and staff then see in the views.
std::string numeric_text(double x) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}


std::string ids_of(const std::vector<Job>& jobs) {
  return array_literal(jobs, [](const Job& j) { return j.submission_id; });
}
std::string attempts_of(const std::vector<Job>& jobs) {
  return array_literal(jobs, [](const Job& j) { return std::to_string(j.attempt); });
}

Job job_of(const pqxx::row& row) {
  return {row[0].as<std::string>(), row[1].as<int>(),
          lane_from_string(row[2].as<std::string>()).value_or(Lane::bulk)};
}

void mark_published_in(pqxx::work& tx, const std::vector<Job>& jobs) {
  if (jobs.empty()) return;
  tx.exec_params(
      "UPDATE gradeq.jobs j SET published_at = now(), publish_count = j.publish_count + 1"
      "  FROM unnest($1::uuid[], $2::int[]) AS x(id, attempt)"
      " WHERE j.submission_id = x.id AND j.attempt = x.attempt",
      ids_of(jobs), attempts_of(jobs));
}

std::string iso_time(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return std::to_string(ms / 1000) + "." + std::to_string(1000 + ms % 1000).substr(1);
}

// PostgreSQL type OIDs (pg_type.h) of the columns reports show as numbers, booleans or arrays.
report::Kind kind_of(pqxx::oid type) {
  switch (type) {
    case 16:  // bool
      return report::Kind::boolean;
    case 20: case 21: case 23: case 26: case 700: case 701: case 1700:  // int8 int2 int4 oid float4 float8 numeric
      return report::Kind::number;
    case 1005: case 1007: case 1016: case 1021: case 1022: case 1231:  // their arrays
      return report::Kind::number_array;
    case 1009: case 1015: case 1000: case 2951: case 1182: case 1185:  // text varchar bool uuid date timestamptz arrays
      return report::Kind::text_array;
    default:
      return report::Kind::text;
  }
}

std::vector<std::optional<std::string>> array_items(const pqxx::field& f) {
  std::vector<std::optional<std::string>> out;
  auto parser = f.as_array();
  for (auto item = parser.get_next(); item.first != pqxx::array_parser::done;
       item = parser.get_next()) {
    if (item.first == pqxx::array_parser::string_value) out.emplace_back(item.second);
    if (item.first == pqxx::array_parser::null_value) out.emplace_back(std::nullopt);
  }
  return out;
}

}  // namespace

const std::vector<ReportView>& report_views() {
  static const std::vector<ReportView> views = {
      {"results", "v_results", "one row per submission: status, score, failed tests", true,
       "course, assignment, student, graded_at NULLS LAST, submission_id"},
      {"test_results", "v_test_results", "one row per test of each submission's latest grading", true,
       "course, assignment, student, submission_id, ordinal"},
      {"gradebook", "v_gradebook", "latest graded score per course, assignment and student", true,
       "course, assignment, student"},
      {"test_pass_rates", "v_test_pass_rates", "per test: how many submissions pass it", true,
       "course, assignment, ordinal, test_name"},
      {"test_times", "v_test_times", "per test: wall time percentiles in ms", true,
       "course, assignment, ordinal, test_name"},
      {"students_at_risk", "v_students_at_risk",
       "students missing an assignment, failing it (< 50%), or whose submission errored", true,
       "course, assignment, reason, student"},
      {"grading_latency", "v_grading_latency",
       "per assignment and lane: wait, run and total time percentiles in s", true,
       "course, assignment, lane"},
      {"queue_health", "v_queue_health",
       "per course and lane: queued, running, oldest wait, unpublished jobs, errors, dead letters",
       false, "course, lane"},
  };
  return views;
}

const ReportView* find_report_view(const std::string& name) {
  for (const auto& view : report_views()) {
    if (name == view.name || name == view.view) return &view;
  }
  return nullptr;
}

std::vector<std::string> migrate(const std::string& url, const std::string& migrations_dir) {
  std::vector<std::pair<int, fs::path>> files;
  static const std::regex name_re(R"((\d{4})_[A-Za-z0-9_]+\.sql)");
  for (const auto& entry : fs::directory_iterator(migrations_dir)) {
    std::smatch m;
    std::string name = entry.path().filename().string();
    if (std::regex_match(name, m, name_re)) files.emplace_back(std::stoi(m[1].str()), entry.path());
  }
  std::sort(files.begin(), files.end());
  for (std::size_t i = 1; i < files.size(); ++i) {
    if (files[i].first == files[i - 1].first) {
      throw std::runtime_error("two migrations share number " + std::to_string(files[i].first));
    }
  }
  return guarded("migrate", [&] {
    pqxx::connection conn(url);
    std::vector<std::string> applied;
    // A session lock: held across the per-file transactions, released on disconnect.
    pqxx::nontransaction(conn).exec("SELECT pg_advisory_lock(hashtext('gradeq.migrate'))");
    {
      pqxx::work tx(conn);
      tx.exec(
          "CREATE TABLE IF NOT EXISTS public.gradeq_schema_migrations ("
          " version integer PRIMARY KEY, name text NOT NULL,"
          " applied_at timestamptz NOT NULL DEFAULT now())");
      tx.commit();
    }
    for (const auto& [version, path] : files) {
      pqxx::work tx(conn);
      auto done = tx.exec_params("SELECT 1 FROM public.gradeq_schema_migrations WHERE version = $1",
                                 version);
      if (!done.empty()) continue;
      std::ifstream in(path);
      std::stringstream sql;
      sql << in.rdbuf();
      try {
        tx.exec(sql.str());
      } catch (const pqxx::sql_error& e) {
        throw std::runtime_error("migration " + path.filename().string() + " failed: " + e.what());
      }
      tx.exec_params("INSERT INTO public.gradeq_schema_migrations (version, name) VALUES ($1, $2)",
                     version, path.filename().string());
      tx.commit();
      applied.push_back(path.filename().string());
    }
    pqxx::nontransaction(conn).exec("SELECT pg_advisory_unlock(hashtext('gradeq.migrate'))");
    return applied;
  });
}

// LISTEN gradeq_events on a Store's connection (see Store::wait_for_events).
class EventListener : public pqxx::notification_receiver {
 public:
  explicit EventListener(pqxx::connection_base& c) : pqxx::notification_receiver(c, "gradeq_events") {}
  void operator()(const std::string&, int) override { notified = true; }
  bool notified = false;
};

class Store::Impl {
 public:
  explicit Impl(std::string url) : url_(std::move(url)) {}
  ~Impl() { listener_.reset(); }

  pqxx::connection& conn() {
    if (!conn_ || !conn_->is_open()) {
      listener_.reset();
      conn_.reset();
      try {
        conn_ = std::make_unique<pqxx::connection>(url_);
      } catch (const pqxx::broken_connection& e) {
        throw Unavailable(std::string("cannot connect to the database: ") + e.what());
      }
    }
    return *conn_;
  }
  void drop() {
    listener_.reset();  // before its connection
    conn_.reset();
  }

  // The listener on the current connection, created (LISTEN) on first use.
  EventListener& listener(pqxx::connection& c) {
    if (!listener_) listener_ = std::make_unique<EventListener>(c);
    return *listener_;
  }

  template <typename F>
  auto run(const char* what, F&& body) -> decltype(body(std::declval<pqxx::connection&>())) {
    try {
      return guarded(what, [&] { return body(conn()); });
    } catch (const DatabaseError&) {
      drop();
      throw;
    }
  }

 private:
  std::string url_;
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<EventListener> listener_;
};

Store::Store(std::string url) : impl_(std::make_unique<Impl>(std::move(url))) {}
Store::~Store() = default;

StoredAssignment Store::add_assignment(const Spec& spec, const std::string& source_yaml) {
  return impl_->run("add assignment", [&](pqxx::connection& c) {
    std::string normalized = spec_to_json(spec).dump();
    pqxx::work tx(c);
    // Serialize versioning of one assignment: two concurrent adds must not both be version N.
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))",
                   "gradeq.assignment:" + spec.course + "/" + spec.assignment);
    tx.exec_params("INSERT INTO gradeq.courses (code) VALUES ($1) ON CONFLICT (code) DO NOTHING",
                   spec.course);
    auto a = tx.exec_params1(
        "INSERT INTO gradeq.assignments (course_id, name)"
        " SELECT id, $2 FROM gradeq.courses WHERE code = $1"
        " ON CONFLICT (course_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
        spec.course, spec.assignment);
    StoredAssignment out;
    out.assignment_id = a[0].as<std::int64_t>();
    auto existing = tx.exec_params(
        "SELECT id, version FROM gradeq.assignment_versions"
        " WHERE assignment_id = $1 AND spec_sha256 = encode(sha256(convert_to($2::text, 'UTF8')), 'hex')",
        out.assignment_id, normalized);
    if (!existing.empty()) {
      out.version_id = existing[0][0].as<std::int64_t>();
      out.version = existing[0][1].as<int>();
      tx.commit();
      return out;
    }
    auto v = tx.exec_params1(
        "INSERT INTO gradeq.assignment_versions"
        " (assignment_id, version, spec, spec_source, spec_sha256, max_score)"
        " SELECT $1, COALESCE(MAX(version), 0) + 1, $2::text::jsonb, $3,"
        "        encode(sha256(convert_to($2::text, 'UTF8')), 'hex'), $4"
        "   FROM gradeq.assignment_versions WHERE assignment_id = $1"
        " RETURNING id, version",
        out.assignment_id, normalized, storable_text(source_yaml, 1 << 20), numeric_text(spec.max_score()));
    out.version_id = v[0].as<std::int64_t>();
    out.version = v[1].as<int>();
    out.new_version = true;
    tx.commit();
    return out;
  });
}

namespace {

// The newest version of course/assignment, in the caller's transaction; NotFound if none.
AssignmentVersion newest_version(pqxx::transaction_base& tx, const std::string& course,
                                 const std::string& assignment) {
  auto r = tx.exec_params(
      "SELECT a.id, v.id, v.version, v.spec::text FROM gradeq.assignment_versions v"
      " JOIN gradeq.assignments a ON a.id = v.assignment_id"
      " JOIN gradeq.courses c ON c.id = a.course_id"
      " WHERE c.code = $1 AND a.name = $2 ORDER BY v.version DESC LIMIT 1",
      course, assignment);
  if (r.empty()) throw NotFound("no assignment " + course + "/" + assignment + " (add it first)");
  AssignmentVersion out;
  out.assignment_id = r[0][0].as<std::int64_t>();
  out.version_id = r[0][1].as<std::int64_t>();
  out.version = r[0][2].as<int>();
  out.spec = spec_from_json(json::parse(r[0][3].as<std::string>()));
  return out;
}

}  // namespace

AssignmentVersion Store::latest_version(const std::string& course, const std::string& assignment) {
  return impl_->run("load assignment", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return newest_version(tx, course, assignment);
  });
}

namespace {

// Inserts submissions, their files and their outbox jobs in `tx`; returns their IDs in input
// order.
std::vector<std::string> insert_submissions(pqxx::work& tx, const AssignmentVersion& version,
                                            const std::vector<NewSubmission>& submissions, Lane lane,
                                            const std::string& batch_id) {
  // A few statements per chunk instead of two round trips per submission (a 10,000 batch
  // took 2 s that way; see bench/README.md): the IDs first, then every submission and every
  // file of the chunk through unnest(). Chunks keep each statement's parameters bounded.
  std::vector<std::string> ids;
  ids.reserve(submissions.size());
  constexpr std::size_t kChunkBytes = 16u << 20;
  for (std::size_t first = 0; first < submissions.size();) {
    std::size_t last = first, bytes = 0;
    while (last < submissions.size() && (last == first || bytes < kChunkBytes)) {
      for (const auto& f : submissions[last].files) bytes += 2 * f.content.size() + f.path.size();
      ++last;
    }
    std::vector<std::string> chunk_ids;
    for (const auto& row : tx.exec_params("SELECT gen_random_uuid()::text FROM generate_series(1, $1)",
                                          static_cast<long>(last - first))) {
      chunk_ids.push_back(row[0].as<std::string>());
    }
    std::vector<std::string> students, file_ids, paths, contents;
    for (std::size_t i = first; i < last; ++i) {
      students.push_back(submissions[i].student);
      for (const auto& f : submissions[i].files) {
        file_ids.push_back(chunk_ids[i - first]);
        paths.push_back(f.path);
        contents.push_back(to_hex(f.content));
      }
    }
    tx.exec_params(
        "INSERT INTO gradeq.submissions (id, assignment_version_id, student, batch_id, lane)"
        " SELECT id, $3, student, $4, $5 FROM unnest($1::uuid[], $2::text[]) AS x(id, student)",
        array_literal(chunk_ids), array_literal(students), version.version_id,
        batch_id.empty() ? nullptr : batch_id.c_str(), to_string(lane));
    if (!file_ids.empty()) {
      tx.exec_params(
          "INSERT INTO gradeq.submission_files (submission_id, path, content)"
          " SELECT id, path, decode(content, 'hex')"
          "   FROM unnest($1::uuid[], $2::text[], $3::text[]) AS x(id, path, content)",
          array_literal(file_ids), array_literal(paths), array_literal(contents));
    }
    std::vector<std::string> hook_ids, hook_urls;
    for (std::size_t i = first; i < last; ++i) {
      if (submissions[i].webhook_url) {
        hook_ids.push_back(chunk_ids[i - first]);
        hook_urls.push_back(*submissions[i].webhook_url);
      }
    }
    if (!hook_ids.empty()) {
      tx.exec_params(
          "UPDATE gradeq.submissions s SET webhook_url = x.url"
          "  FROM unnest($1::uuid[], $2::text[]) AS x(id, url) WHERE s.id = x.id",
          array_literal(hook_ids), array_literal(hook_urls));
    }
    ids.insert(ids.end(), chunk_ids.begin(), chunk_ids.end());
    first = last;
  }
  // The outbox: the jobs are part of the submissions' transaction, published after commit.
  if (!ids.empty()) {
    tx.exec_params(
        "INSERT INTO gradeq.jobs (submission_id, attempt, lane)"
        " SELECT id, 1, $2 FROM unnest($1::uuid[]) AS id",
        array_literal(ids), to_string(lane));
  }
  return ids;
}

std::string insert_batch(pqxx::work& tx, const AssignmentVersion& version, const std::string& label) {
  return tx.exec_params1("INSERT INTO gradeq.batches (assignment_id, label) VALUES ($1, $2) RETURNING id",
                         version.assignment_id, label)[0]
      .as<std::string>();
}

}  // namespace

std::pair<std::vector<std::string>, std::string> Store::add_submissions(
    const AssignmentVersion& version, const std::vector<NewSubmission>& submissions, Lane lane,
    const std::optional<std::string>& batch_label) {
  return impl_->run("store submissions", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    std::string batch_id;
    if (batch_label) batch_id = insert_batch(tx, version, *batch_label);
    auto ids = insert_submissions(tx, version, submissions, lane, batch_id);
    tx.commit();
    return std::make_pair(ids, batch_id);
  });
}

namespace {

// The submissions of a batch: submitted in it, or (a regrade batch) regraded by it. $N is the
// batch's uuid parameter, possibly NULL (then every submission).
std::string in_batch(const std::string& submission, const std::string& param) {
  return "(" + param + "::uuid IS NULL OR " + submission + ".batch_id = " + param +
         "::uuid OR EXISTS (SELECT 1 FROM gradeq.regrade_items ri WHERE ri.batch_id = " + param +
         "::uuid AND ri.submission_id = " + submission + ".id))";
}

}  // namespace

RegradeBatch Store::regrade(const RegradeRequest& request) {
  return impl_->run("regrade", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    const AssignmentVersion latest = newest_version(tx, request.course, request.assignment);
    const auto assignment_id = latest.assignment_id;
    const auto version_id = latest.version_id;
    RegradeBatch out;
    out.version = latest.version;
    const std::string students = array_literal(request.students);
    const char* only = request.students.empty() ? nullptr : students.c_str();
    if (only) {
      std::vector<std::string> unknown;
      for (const auto& row : tx.exec_params(
               "SELECT x FROM unnest($2::text[]) WITH ORDINALITY AS u(x, n)"
               " WHERE NOT EXISTS (SELECT 1 FROM gradeq.submissions s"
               "   JOIN gradeq.assignment_versions v ON v.id = s.assignment_version_id"
               "  WHERE v.assignment_id = $1 AND s.student = u.x) ORDER BY n",
               assignment_id, only)) {
        unknown.push_back(row[0].as<std::string>());
      }
      if (!unknown.empty()) {
        std::string names;
        for (const auto& n : unknown) names += (names.empty() ? "" : ", ") + n;
        throw NotFound("no submission of " + request.course + "/" + request.assignment +
                       " by student(s): " + names);
      }
    }
    // The submissions to regrade, as they are now; `ids` narrows to those already chosen.
    const std::string pick =
        "WITH subs AS ("
        "  SELECT s.id, s.student, s.status, s.submitted_at, s.latest_run_id,"
        "         row_number() OVER (PARTITION BY s.student ORDER BY s.submitted_at DESC, s.id) AS newest"
        "    FROM gradeq.submissions s"
        "    JOIN gradeq.assignment_versions v ON v.id = s.assignment_version_id"
        "   WHERE v.assignment_id = $1 AND ($2::text[] IS NULL OR s.student = ANY($2::text[])))"
        " SELECT subs.id FROM subs LEFT JOIN gradeq.grading_runs r ON r.id = subs.latest_run_id"
        "  WHERE ($3 OR subs.newest = 1)"
        "    AND (NOT $4 OR subs.status = 'error' OR (subs.status = 'graded' AND r.score < r.max_score))"
        "    AND ($5::uuid[] IS NULL OR subs.id = ANY($5::uuid[]))"
        "  ORDER BY subs.student, subs.submitted_at, subs.id";
    std::vector<std::string> ids;
    for (const auto& row : tx.exec_params(pick, assignment_id, only, request.all_submissions,
                                          request.failed_only, static_cast<const char*>(nullptr))) {
      ids.push_back(row[0].as<std::string>());
    }
    if (ids.empty()) return out;
    // Lock them (a grader storing a result meanwhile waits, or went first), then choose again
    // from what is committed now, so that what is recorded as "before" is exact.
    tx.exec_params("SELECT 1 FROM gradeq.submissions WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
                   array_literal(ids));
    std::vector<std::string> locked = ids;
    ids.clear();
    for (const auto& row : tx.exec_params(pick, assignment_id, only, request.all_submissions,
                                          request.failed_only, array_literal(locked))) {
      ids.push_back(row[0].as<std::string>());
    }
    if (ids.empty()) return out;
    const std::string id_list = array_literal(ids);
    out.batch_id = tx.exec_params1(
                         "INSERT INTO gradeq.batches (assignment_id, label, kind)"
                         " VALUES ($1, $2, 'regrade') RETURNING id",
                         assignment_id, request.label)[0]
                       .as<std::string>();
    tx.exec_params(
        "INSERT INTO gradeq.regrade_items (batch_id, submission_id, attempt, assignment_version_id,"
        "  previous_status, previous_run_id, previous_score, previous_max_score, previous_error_reason)"
        " SELECT $1::uuid, s.id, s.attempt + 1, $3, s.status, s.latest_run_id, r.score, r.max_score,"
        "        s.error_reason"
        "   FROM gradeq.submissions s LEFT JOIN gradeq.grading_runs r ON r.id = s.latest_run_id"
        "  WHERE s.id = ANY($2::uuid[])",
        out.batch_id, id_list, version_id);
    // A new attempt: its own lane, lease, deliveries and faults. The latest run stays until the
    // new attempt stores its own.
    auto jobs = tx.exec_params(
        "WITH moved AS ("
        "  UPDATE gradeq.submissions SET attempt = attempt + 1, status = 'queued', lane = 'bulk', queued_at = now(),"
        "         error_reason = NULL, last_fault = NULL, deliveries = 0, lease_until = NULL"
        "   WHERE id = ANY($1::uuid[]) RETURNING id, attempt)"
        " INSERT INTO gradeq.jobs (submission_id, attempt, lane, assignment_version_id)"
        " SELECT id, attempt, 'bulk', $2 FROM moved RETURNING submission_id, attempt, lane",
        id_list, version_id);
    for (const auto& row : jobs) out.jobs.push_back(job_of(row));
    tx.commit();
    return out;
  });
}

ImportOutcome Store::import_submissions(const AssignmentVersion& version,
                                        const std::vector<ImportItem>& items, Lane lane,
                                        const std::string& batch_label) {
  return impl_->run("store imported submissions", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    // One import of an assignment at a time: the check for known keys and the inserts must not
    // interleave with another import's (the unique key would refuse the second one anyway).
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))",
                   "gradeq.import:" + std::to_string(version.assignment_id));
    std::vector<std::string> keys;
    for (const auto& item : items) keys.push_back(item.key);
    std::map<std::string, std::string> known;  // key -> submission
    for (const auto& row : tx.exec_params(
             "SELECT idempotency_key, submission_id::text FROM gradeq.imports"
             " WHERE assignment_id = $1 AND idempotency_key = ANY ($2::text[])",
             version.assignment_id, array_literal(keys))) {
      known[row[0].as<std::string>()] = row[1].as<std::string>();
    }
    ImportOutcome out;
    out.submission_ids.resize(items.size());
    out.duplicate.resize(items.size(), false);
    std::vector<NewSubmission> fresh;
    std::vector<std::size_t> fresh_at;
    for (std::size_t i = 0; i < items.size(); ++i) {
      auto it = known.find(items[i].key);
      if (it != known.end()) {
        out.submission_ids[i] = it->second;
        out.duplicate[i] = true;
      } else {
        fresh.push_back(items[i].submission);
        fresh_at.push_back(i);
        known[items[i].key] = "";  // the same key twice in one import: the first one counts
      }
    }
    if (fresh.empty()) {
      tx.commit();
      return out;
    }
    out.batch_id = insert_batch(tx, version, batch_label);
    auto ids = insert_submissions(tx, version, fresh, lane, out.batch_id);
    std::vector<std::string> fresh_keys;
    for (std::size_t k = 0; k < ids.size(); ++k) {
      out.submission_ids[fresh_at[k]] = ids[k];
      fresh_keys.push_back(items[fresh_at[k]].key);
    }
    tx.exec_params(
        "INSERT INTO gradeq.imports (assignment_id, idempotency_key, submission_id)"
        " SELECT $1, key, id FROM unnest($2::text[], $3::uuid[]) AS x(key, id)",
        version.assignment_id, array_literal(fresh_keys), array_literal(ids));
    tx.commit();
    return out;
  });
}

std::vector<regrade::Item> Store::regrade_items(const std::string& batch_id) {
  return impl_->run("regrade report", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    auto kind = tx.exec_params("SELECT kind FROM gradeq.batches WHERE id = $1::uuid", batch_id);
    if (kind.empty()) throw NotFound("no batch " + batch_id);
    if (kind[0][0].as<std::string>() != "regrade") {
      throw NotFound("batch " + batch_id + " is a " + kind[0][0].as<std::string>() +
                     " batch, not a regrade");
    }
    auto failed = [](const std::string& run) {
      return "(SELECT array_agg(t.test_name ORDER BY t.ordinal) FROM gradeq.test_results t"
             "  WHERE t.run_id = " + run + " AND t.verdict <> 'passed')";
    };
    auto rows = tx.exec_params(
        "SELECT s.student, s.id, i.previous_status, i.previous_score::text, i.previous_max_score::text,"
        "       " + failed("i.previous_run_id") + ", COALESCE(i.previous_error_reason, ''),"
        "       r.id IS NOT NULL, r.score::text, r.max_score::text, " + failed("r.id") + ","
        "       s.attempt = i.attempt, s.status, COALESCE(s.error_reason, '')"
        "  FROM gradeq.regrade_items i"
        "  JOIN gradeq.submissions s ON s.id = i.submission_id"
        "  LEFT JOIN gradeq.grading_runs r ON r.submission_id = i.submission_id AND r.attempt = i.attempt"
        " WHERE i.batch_id = $1::uuid"
        " ORDER BY s.student, s.submitted_at, s.id",
        batch_id);
    std::vector<regrade::Item> items;
    auto optional_text = [](const pqxx::field& f) {
      return f.is_null() ? std::nullopt : std::optional<std::string>(f.as<std::string>());
    };
    for (const auto& row : rows) {
      regrade::Item item;
      item.student = row[0].as<std::string>();
      item.submission_id = row[1].as<std::string>();
      item.before.status = row[2].as<std::string>();
      item.before.score = optional_text(row[3]);
      item.before.max_score = optional_text(row[4]);
      item.before.failed_tests = parse_text_array(row[5]);
      item.before.reason = row[6].as<std::string>();
      const std::string status = row[12].as<std::string>();
      if (row[7].as<bool>()) {
        item.state = regrade::State::graded;
        item.after.score = optional_text(row[8]);
        item.after.max_score = optional_text(row[9]);
        item.after.failed_tests = parse_text_array(row[10]);
      } else if (!row[11].as<bool>()) {
        item.state = regrade::State::superseded;
      } else if (status == "error") {
        item.state = regrade::State::error;
        item.after.reason = row[13].as<std::string>();
      } else {
        item.state = regrade::State::pending;
      }
      item.after.status = regrade::to_string(item.state);
      items.push_back(std::move(item));
    }
    return items;
  });
}

BatchProgress Store::batch_progress(const std::string& batch_id) {
  return impl_->run("batch progress", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    auto kind = tx.exec_params("SELECT kind FROM gradeq.batches WHERE id = $1::uuid", batch_id);
    if (kind.empty()) throw NotFound("no batch " + batch_id);
    // A regrade batch: each item's attempt has a result (graded), was replaced by a newer
    // attempt (done: counted as graded), or is what the submission is doing now.
    auto r = kind[0][0].as<std::string>() == "regrade"
                 ? tx.exec_params(
                       "SELECT CASE WHEN EXISTS (SELECT 1 FROM gradeq.grading_runs g"
                       "                          WHERE g.submission_id = i.submission_id AND g.attempt = i.attempt)"
                       "              OR s.attempt <> i.attempt THEN 'graded' ELSE s.status END, count(*)"
                       "  FROM gradeq.regrade_items i JOIN gradeq.submissions s ON s.id = i.submission_id"
                       " WHERE i.batch_id = $1::uuid GROUP BY 1",
                       batch_id)
                 : tx.exec_params(
                       "SELECT status, count(*) FROM gradeq.submissions WHERE batch_id = $1::uuid GROUP BY status",
                       batch_id);
    BatchProgress p;
    for (const auto& row : r) {
      std::string status = row[0].as<std::string>();
      int n = row[1].as<int>();
      p.total += n;
      if (status == "queued") p.queued = n;
      if (status == "running") p.running = n;
      if (status == "graded") p.graded = n;
      if (status == "error") p.error = n;
    }
    return p;
  });
}

std::vector<GradebookRow> Store::gradebook(const std::optional<std::string>& course,
                                           const std::optional<std::string>& assignment,
                                           const std::optional<std::string>& batch_id) {
  return impl_->run("gradebook", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    auto r = tx.exec_params(
        "SELECT r.course, r.assignment, r.student, r.status, r.score, r.max_score, r.failed_tests,"
        "       COALESCE(s.error_reason, '')"
        "  FROM gradeq.v_results r JOIN gradeq.submissions s ON s.id = r.submission_id"
        " WHERE ($1::text IS NULL OR r.course = $1)"
        "   AND ($2::text IS NULL OR r.assignment = $2)"
        "   AND " + in_batch("s", "$3") +
        " ORDER BY r.course, r.assignment, r.student, s.submitted_at",
        course ? course->c_str() : nullptr, assignment ? assignment->c_str() : nullptr,
        batch_id ? batch_id->c_str() : nullptr);
    std::vector<GradebookRow> rows;
    for (const auto& row : r) {
      GradebookRow g;
      g.course = row[0].as<std::string>();
      g.assignment = row[1].as<std::string>();
      g.student = row[2].as<std::string>();
      g.status = row[3].as<std::string>();
      if (!row[4].is_null()) g.score = row[4].as<double>();
      g.max_score = row[5].as<double>();
      g.failed_tests = parse_text_array(row[6]);
      g.error_reason = row[7].as<std::string>();
      rows.push_back(std::move(g));
    }
    return rows;
  });
}

report::Table Store::report(const ReportView& view, const std::optional<std::string>& course,
                             const std::optional<std::string>& assignment) {
  // view.view and view.order_by come from report_views(), never from the caller.
  std::string sql = "SELECT * FROM gradeq." + view.view;
  std::vector<std::string> values;
  for (const auto& [column, value] : {std::pair{"course", &course}, std::pair{"assignment", &assignment}}) {
    if (!*value) continue;
    values.push_back(**value);
    sql += (values.size() == 1 ? " WHERE " : " AND ") + std::string(column) + " = $" +
           std::to_string(values.size());
  }
  sql += " ORDER BY " + view.order_by;
  return impl_->run("report", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    tx.exec("SET LOCAL TimeZone = 'UTC'");
    tx.exec("SET LOCAL DateStyle = 'ISO, YMD'");
    pqxx::result rows = values.empty()      ? tx.exec(sql)
                        : values.size() == 1 ? tx.exec_params(sql, values[0])
                                             : tx.exec_params(sql, values[0], values[1]);
    report::Table table;
    for (pqxx::row::size_type i = 0; i < rows.columns(); ++i) {
      table.columns.push_back({rows.column_name(i), kind_of(rows.column_type(i))});
    }
    table.rows.reserve(rows.size());
    for (const auto& row : rows) {
      std::vector<report::Cell> cells(table.columns.size());
      for (std::size_t i = 0; i < cells.size(); ++i) {
        const auto& field = row[static_cast<pqxx::row::size_type>(i)];
        if (field.is_null()) continue;
        cells[i].null = false;
        auto kind = table.columns[i].kind;
        if (kind == report::Kind::text_array || kind == report::Kind::number_array) {
          cells[i].items = array_items(field);
        } else {
          cells[i].text = field.c_str();
        }
      }
      table.rows.push_back(std::move(cells));
    }
    return table;
  });
}

std::vector<Job> Store::queued_jobs(const std::optional<std::string>& batch_id) {
  return impl_->run("queued submissions", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    auto r = tx.exec_params(
        "SELECT s.id, s.attempt, s.lane FROM gradeq.submissions s"
        " WHERE s.status = 'queued' AND " + in_batch("s", "$1") +
        " ORDER BY s.submitted_at, s.id",
        batch_id ? batch_id->c_str() : nullptr);
    std::vector<Job> jobs;
    for (const auto& row : r) jobs.push_back(job_of(row));
    return jobs;
  });
}

void Store::mark_published(const std::vector<Job>& jobs) {
  if (jobs.empty()) return;
  impl_->run("mark published", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    mark_published_in(tx, jobs);
    tx.commit();
  });
}

SweepResult Store::sweep(const SweepPolicy& policy,
                         const std::function<void(const std::vector<Job>&)>& publish) {
  return impl_->run("sweep", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto unpublished = tx.exec_params(
        "SELECT s.id, s.attempt, j.lane FROM gradeq.jobs j"
        "  JOIN gradeq.submissions s ON s.id = j.submission_id AND s.attempt = j.attempt"
        " WHERE j.published_at IS NULL AND s.status = 'queued'"
        "   AND j.created_at < now() - make_interval(secs => $1)"
        " ORDER BY j.created_at LIMIT $2 FOR UPDATE OF s, j SKIP LOCKED",
        static_cast<double>(policy.unpublished_grace.count()), policy.limit);
    auto expired = tx.exec_params(
        "SELECT s.id, s.attempt, s.lane FROM gradeq.submissions s"
        " WHERE s.status = 'running' AND s.lease_until < now()"
        " ORDER BY s.lease_until LIMIT $1 FOR UPDATE OF s SKIP LOCKED",
        policy.limit);
    std::vector<std::string> empty_lanes;
    for (Lane lane : policy.empty_lanes) empty_lanes.push_back(to_string(lane));
    auto stranded = tx.exec_params(
        "SELECT s.id, s.attempt, j.lane FROM gradeq.jobs j"
        "  JOIN gradeq.submissions s ON s.id = j.submission_id AND s.attempt = j.attempt"
        " WHERE s.status = 'queued' AND j.lane = ANY($1::text[])"
        "   AND j.published_at < now() - make_interval(secs => $2)"
        " ORDER BY j.published_at LIMIT $3 FOR UPDATE OF s, j SKIP LOCKED",
        array_literal(empty_lanes),
        static_cast<double>(policy.stranded_grace.count()), policy.limit);
    SweepResult out;
    std::vector<Job> jobs;
    for (const auto& row : unpublished) jobs.push_back(job_of(row));
    out.unpublished = jobs.size();
    for (const auto& row : stranded) jobs.push_back(job_of(row));
    out.stranded = jobs.size() - out.unpublished;
    std::vector<Job> late;
    for (const auto& row : expired) late.push_back(job_of(row));
    out.expired = late.size();
    jobs.insert(jobs.end(), late.begin(), late.end());
    if (jobs.empty()) return out;
    publish(jobs);
    mark_published_in(tx, jobs);
    if (!late.empty()) {
      tx.exec_params(
          "UPDATE gradeq.submissions s SET lease_until = now() + make_interval(secs => $3)"
          "  FROM unnest($1::uuid[], $2::int[]) AS x(id, attempt)"
          " WHERE s.id = x.id AND s.attempt = x.attempt AND s.status = 'running'",
          ids_of(late), attempts_of(late), static_cast<double>(policy.relet.count()));
    }
    tx.commit();
    return out;
  });
}

Claim Store::claim(const Job& job, Work& work,
                   const std::function<std::chrono::milliseconds(const Spec&)>& lease) {
  return impl_->run("claim submission", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto r = tx.exec_params(
        "SELECT s.attempt, s.status, s.student, v.spec::text,"
        "       EXISTS (SELECT 1 FROM gradeq.grading_runs g"
        "                WHERE g.submission_id = s.id AND g.attempt = $2),"
        "       extract(epoch FROM now() - COALESCE((SELECT j.created_at FROM gradeq.jobs j"
        "         WHERE j.submission_id = s.id AND j.attempt = $2), s.submitted_at))::double precision"
        "  FROM gradeq.submissions s"
        // The spec of the current attempt: its job's version (a regrade's), else the submission's.
        "  JOIN gradeq.assignment_versions v ON v.id = COALESCE((SELECT j.assignment_version_id"
        "    FROM gradeq.jobs j WHERE j.submission_id = s.id AND j.attempt = s.attempt), s.assignment_version_id)"
        " WHERE s.id = $1::uuid FOR UPDATE OF s",
        job.submission_id, job.attempt);
    if (r.empty()) return Claim::missing;
    if (r[0][0].as<int>() != job.attempt) return Claim::superseded;
    if (r[0][4].as<bool>()) return Claim::finished;
    work.submission_id = job.submission_id;
    work.attempt = job.attempt;
    work.student = r[0][2].as<std::string>();
    work.queued_s = r[0][5].as<double>();
    work.spec = spec_from_json(json::parse(r[0][3].as<std::string>()));
    work.files.clear();
    auto files = tx.exec_params(
        "SELECT path, content FROM gradeq.submission_files WHERE submission_id = $1::uuid ORDER BY path",
        job.submission_id);
    for (const auto& f : files) {
      work.files.push_back({f[0].as<std::string>(), pqxx::binarystring(f[1]).str(), false});
    }
    const double lease_s = lease ? static_cast<double>(lease(work.spec).count()) / 1000.0 : 3600.0;
    tx.exec_params(
        "UPDATE gradeq.submissions SET status = 'running', picked_up_at = now(), error_reason = NULL,"
        "  lease_until = now() + make_interval(secs => $2), deliveries = deliveries + 1"
        " WHERE id = $1::uuid",
        job.submission_id, lease_s);
    tx.commit();
    return Claim::claimed;
  });
}

bool Store::store_result(const Job& job, const GradeResult& result, const ResultTimes& times,
                         const std::string& grader, std::size_t stored_output_cap) {
  return impl_->run("store result", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    // The conditional write that makes redelivery harmless: only the first result of an attempt
    // is stored.
    auto run = tx.exec_params(
        "INSERT INTO gradeq.grading_runs (submission_id, attempt, score, max_score, compile_ok,"
        "  compile_output, container_ms, grader, started_at, assignment_version_id)"
        " VALUES ($1::uuid, $2, $3::numeric, $4::numeric, $5, $6, $7, $8, to_timestamp($9::double precision),"
        "         (SELECT COALESCE(j.assignment_version_id, s.assignment_version_id)"
        "            FROM gradeq.submissions s LEFT JOIN gradeq.jobs j"
        "              ON j.submission_id = s.id AND j.attempt = $2"
        "           WHERE s.id = $1::uuid))"
        " ON CONFLICT (submission_id, attempt) DO NOTHING RETURNING id",
        job.submission_id, job.attempt, numeric_text(result.score), numeric_text(result.max_score), result.compile_ok,
        storable_text(result.compile_output, stored_output_cap), times.container_ms, grader,
        iso_time(times.started));
    if (run.empty()) return false;
    std::int64_t run_id = run[0][0].as<std::int64_t>();
    int ordinal = 0;
    for (const auto& t : result.tests) {
      tx.exec_params(
          "INSERT INTO gradeq.test_results (run_id, ordinal, test_name, verdict, points, max_points,"
          "  duration_ms, exit_code, term_signal, hidden, message, stdout, stderr)"
          " VALUES ($1, $2, $3, $4, $5::numeric, $6::numeric, $7, $8, $9, $10, $11, $12, $13)",
          run_id, ordinal++, t.name, to_string(t.verdict), numeric_text(t.points), numeric_text(t.max_points), t.duration_ms,
          t.exit_code, t.term_signal, t.hidden, storable_text(t.message, 4096),
          storable_text(t.stdout_data, stored_output_cap),
          storable_text(t.stderr_data, stored_output_cap));
    }
    // The run is kept (history), but only the submission's current attempt moves its status and
    // latest run: a late result of an attempt a regrade replaced must not overwrite the regrade's
    // (the regrade holds the row while it bumps the attempt, so this re-reads it after).
    tx.exec_params(
        "UPDATE gradeq.submissions SET status = 'graded', latest_run_id = $2, error_reason = NULL,"
        "  lease_until = NULL, started_at = to_timestamp($3::double precision), finished_at = now()"
        " WHERE id = $1::uuid AND attempt = $4",
        job.submission_id, run_id, iso_time(times.started), job.attempt);
    tx.commit();
    return true;
  });
}

void Store::mark_error(const Job& job, const std::string& reason) {
  impl_->run("mark error", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec_params(
        "UPDATE gradeq.submissions SET status = 'error', error_reason = $2, finished_at = now(),"
        "  lease_until = NULL"
        " WHERE id = $1::uuid AND attempt = $3 AND status IN ('queued', 'running')",
        job.submission_id, storable_text(reason, 4096), job.attempt);
    tx.commit();
  });
}

void Store::record_fault(const Job& job, const std::string& fault) {
  impl_->run("record fault", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec_params("UPDATE gradeq.submissions SET last_fault = $2 WHERE id = $1::uuid AND attempt = $3",
                   job.submission_id, storable_text(fault, 4096), job.attempt);
    tx.commit();
  });
}

DeadLetterRecord Store::record_dead_letter(const DeadLetter& letter, int revive_below_claims) {
  return impl_->run("record dead letter", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    DeadLetterRecord out;
    out.reason = letter.reason;
    bool current = false;  // the letter is the job of the submission's attempt, not yet finished
    bool exists = false;
    if (letter.job) {
      auto s = tx.exec_params(
          "SELECT s.status, s.attempt, COALESCE(s.error_reason, ''), COALESCE(s.last_fault, ''),"
          "       s.deliveries, COALESCE(j.lane, s.lane)"
          "  FROM gradeq.submissions s"
          "  LEFT JOIN gradeq.jobs j ON j.submission_id = s.id AND j.attempt = s.attempt"
          " WHERE s.id = $1::uuid FOR UPDATE OF s",
          letter.job->submission_id);
      if (s.empty()) {
        out.reason = "no such submission " + letter.job->submission_id + " (" + letter.reason + ")";
      } else {
        exists = true;
        const std::string status = s[0][0].as<std::string>();
        const bool same_attempt = s[0][1].as<int>() == letter.job->attempt;
        const std::string error_reason = s[0][2].as<std::string>();
        const std::string last_fault = s[0][3].as<std::string>();
        current = same_attempt && (status == "queued" || status == "running");
        const int claims = s[0][4].as<int>();
        if (current && letter.death_reason == "delivery_limit" && claims < revive_below_claims) {
          out.revive = Job{letter.job->submission_id, letter.job->attempt,
                           lane_from_string(s[0][5].as<std::string>()).value_or(Lane::bulk)};
          out.reason = letter.reason + "; revived: only " + std::to_string(claims) +
                       " of those deliveries were claimed by a grader, the rest were given back";
          current = false;
        }
        if (same_attempt && status == "error" && !error_reason.empty()) {
          out.reason = error_reason;  // the grader gave up on it and said why
        } else if (same_attempt && !last_fault.empty()) {
          out.reason += "; last fault: " + last_fault;
        }
      }
    }
    const std::string body = storable_text(letter.body, 65536);
    const std::string attempt = letter.job ? std::to_string(letter.job->attempt) : std::string();
    const std::string deliveries = std::to_string(letter.deliveries);
    auto row = tx.exec_params(
        "INSERT INTO gradeq.dead_letters (dead_key, queue, death_reason, reason, deliveries,"
        "  submission_id, attempt, body, dead_at)"
        " VALUES (md5($6) || ':' || $1 || ':' || $8, $1, $2, $3, $4::int, $5::uuid, $7::int, $6,"
        "         to_timestamp($8::double precision))"
        " ON CONFLICT (dead_key) DO NOTHING RETURNING id",
        letter.queue, letter.death_reason, storable_text(out.reason, 4096),
        letter.deliveries > 0 ? deliveries.c_str() : nullptr,
        exists ? letter.job->submission_id.c_str() : nullptr, body,
        letter.job ? attempt.c_str() : nullptr,
        std::to_string(letter.dead_at));
    out.recorded = !row.empty();
    if (current) {
      tx.exec_params(
          "UPDATE gradeq.submissions SET status = 'error', error_reason = $2, finished_at = now(),"
          "  lease_until = NULL WHERE id = $1::uuid",
          letter.job->submission_id, storable_text(out.reason, 4096));
      out.marked_error = true;
    }
    tx.commit();
    return out;
  });
}

void Store::ping() {
  impl_->run("ping", [&](pqxx::connection& c) { pqxx::nontransaction(c).exec("SELECT 1"); });
}

namespace {

// A timestamptz column as ISO 8601 UTC with milliseconds ("" for NULL, the empty text).
std::string utc(const std::string& column) {
  return "COALESCE(to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), '')";
}

}  // namespace

std::optional<SubmissionView> Store::submission(const std::string& id, const std::optional<std::string>& course) {
  if (!is_uuid(id)) return std::nullopt;
  return impl_->run("load submission", [&](pqxx::connection& c) -> std::optional<SubmissionView> {
    pqxx::read_transaction tx(c);
    auto r = tx.exec_params(
        "SELECT s.id::text, co.code, a.name, s.student, s.lane, s.status, s.attempt,"
        "       COALESCE(s.error_reason, ''), g.score::double precision,"
        "       COALESCE(g.max_score, v.max_score)::double precision, s.latest_run_id, " +
            utc("s.submitted_at") + ", " + utc("s.picked_up_at") + ", " + utc("s.started_at") + ", " +
            utc("s.finished_at") +
            "  FROM gradeq.submissions s"
            "  JOIN gradeq.assignment_versions v ON v.id = s.assignment_version_id"
            "  JOIN gradeq.assignments a ON a.id = v.assignment_id"
            "  JOIN gradeq.courses co ON co.id = a.course_id"
            "  LEFT JOIN gradeq.grading_runs g ON g.id = s.latest_run_id"
            " WHERE s.id = $1::uuid AND ($2::text IS NULL OR co.code = $2)",
        id, course ? course->c_str() : nullptr);
    if (r.empty()) return std::nullopt;
    const auto& row = r[0];
    SubmissionView out;
    out.id = row[0].as<std::string>();
    out.course = row[1].as<std::string>();
    out.assignment = row[2].as<std::string>();
    out.student = row[3].as<std::string>();
    out.lane = row[4].as<std::string>();
    out.status = row[5].as<std::string>();
    out.attempt = row[6].as<int>();
    out.error_reason = row[7].as<std::string>();
    if (!row[8].is_null()) out.score = row[8].as<double>();
    out.max_score = row[9].as<double>();
    out.submitted_at = row[11].as<std::string>();
    out.picked_up_at = row[12].as<std::string>();
    out.started_at = row[13].as<std::string>();
    out.finished_at = row[14].as<std::string>();
    if (!row[10].is_null()) {
      auto tests = tx.exec_params(
          "SELECT test_name, verdict, points::double precision, max_points::double precision, duration_ms,"
          "       hidden, CASE WHEN hidden THEN '' ELSE message END"
          "  FROM gradeq.test_results WHERE run_id = $1 ORDER BY ordinal",
          row[10].as<std::int64_t>());
      for (const auto& t : tests) {
        SubmissionTest test;
        test.name = t[0].as<std::string>();
        test.verdict = t[1].as<std::string>();
        test.points = t[2].as<double>();
        test.max_points = t[3].as<double>();
        if (!t[4].is_null()) test.duration_ms = t[4].as<std::int64_t>();
        test.hidden = t[5].as<bool>();
        test.message = t[6].as<std::string>();
        if (test.verdict != "passed") out.failed_tests.push_back(test.name);
        out.tests.push_back(std::move(test));
      }
    }
    return out;
  });
}

void Store::add_api_key(const std::string& name, const std::optional<std::string>& course,
                        const std::string& key_sha256) {
  impl_->run("add API key", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    try {
      tx.exec_params("INSERT INTO gradeq.api_keys (name, course, key_sha256) VALUES ($1, $2, $3)", name,
                     course ? course->c_str() : nullptr, key_sha256);
    } catch (const pqxx::unique_violation&) {
      throw Conflict("an API key named " + name + " exists (revoke it first, or choose another name)");
    }
    tx.commit();
  });
}

std::vector<ApiKey> Store::api_keys() {
  return impl_->run("list API keys", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    std::vector<ApiKey> keys;
    for (const auto& row : tx.exec("SELECT id, name, course, " + utc("created_at") + ", " + utc("revoked_at") + ", " +
                                   utc("last_used_at") + " FROM gradeq.api_keys ORDER BY name, id")) {
      ApiKey k;
      k.id = row[0].as<std::int64_t>();
      k.name = row[1].as<std::string>();
      if (!row[2].is_null()) k.course = row[2].as<std::string>();
      k.created_at = row[3].as<std::string>();
      k.revoked_at = row[4].as<std::string>();
      k.last_used_at = row[5].as<std::string>();
      keys.push_back(std::move(k));
    }
    return keys;
  });
}

bool Store::revoke_api_key(const std::string& name) {
  return impl_->run("revoke API key", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto r = tx.exec_params(
        "UPDATE gradeq.api_keys SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL RETURNING id", name);
    tx.commit();
    return !r.empty();
  });
}

std::optional<std::pair<ApiKey, std::string>> Store::find_api_key(const std::string& key_sha256) {
  return impl_->run("find API key", [&](pqxx::connection& c) -> std::optional<std::pair<ApiKey, std::string>> {
    pqxx::work tx(c);
    auto r = tx.exec_params(
        "SELECT id, name, course, key_sha256, (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')"
        "  FROM gradeq.api_keys WHERE key_sha256 = $1 AND revoked_at IS NULL",
        key_sha256);
    if (r.empty()) return std::nullopt;
    ApiKey k;
    k.id = r[0][0].as<std::int64_t>();
    k.name = r[0][1].as<std::string>();
    if (!r[0][2].is_null()) k.course = r[0][2].as<std::string>();
    if (r[0][4].as<bool>()) {
      tx.exec_params("UPDATE gradeq.api_keys SET last_used_at = now() WHERE id = $1", k.id);
      tx.commit();
    }
    return std::make_pair(k, r[0][3].as<std::string>());
  });
}

void Store::set_assignment_webhook(const std::string& course, const std::string& assignment,
                                   const std::optional<std::string>& url) {
  impl_->run("set assignment webhook", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto r = tx.exec_params(
        "UPDATE gradeq.assignments a SET webhook_url = $3 FROM gradeq.courses c"
        " WHERE c.id = a.course_id AND c.code = $1 AND a.name = $2 RETURNING a.id",
        course, assignment, url ? url->c_str() : nullptr);
    if (r.empty()) throw NotFound("no assignment " + course + "/" + assignment + " (add it first)");
    tx.commit();
  });
}

std::size_t Store::publish_events(std::size_t limit,
                                  const std::function<void(const std::vector<OutboxEvent>&)>& publish) {
  return impl_->run("publish events", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto rows = tx.exec_params(
        "SELECT id, kind, submission_id::text, payload::text FROM gradeq.events"
        " WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit);
    std::vector<OutboxEvent> events;
    std::vector<std::string> ids;
    for (const auto& row : rows) {
      events.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(),
                        row[3].as<std::string>()});
      ids.push_back(std::to_string(events.back().id));
    }
    if (events.empty()) return std::size_t{0};
    publish(events);
    tx.exec_params("UPDATE gradeq.events SET published_at = now() WHERE id = ANY($1::bigint[])",
                   array_literal(ids));
    tx.commit();
    return events.size();
  });
}

bool Store::wait_for_events(std::chrono::milliseconds timeout) {
  return impl_->run("wait for events", [&](pqxx::connection& c) {
    EventListener& listener = impl_->listener(c);
    listener.notified = false;
    c.get_notifs();
    if (!listener.notified) {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
      c.await_notification(static_cast<long>(us / 1000000), static_cast<long>(us % 1000000));
    }
    return listener.notified;
  });
}

WebhookTarget Store::webhook_target(std::int64_t event_id, int attempt) {
  return impl_->run("webhook target", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    auto r = tx.exec_params(
        "SELECT COALESCE(s.webhook_url, a.webhook_url),"
        "       EXISTS (SELECT 1 FROM gradeq.webhook_deliveries d WHERE d.event_id = e.id"
        "                AND (d.attempt = $2 OR d.outcome IN ('delivered', 'failed')))"
        "  FROM gradeq.events e"
        "  JOIN gradeq.submissions s ON s.id = e.submission_id"
        "  JOIN gradeq.assignment_versions v ON v.id = s.assignment_version_id"
        "  JOIN gradeq.assignments a ON a.id = v.assignment_id"
        " WHERE e.id = $1",
        event_id, attempt);
    WebhookTarget out;
    if (r.empty()) return out;
    out.exists = true;
    if (!r[0][0].is_null()) out.url = r[0][0].as<std::string>();
    out.done = r[0][1].as<bool>();
    return out;
  });
}

bool Store::record_webhook_attempt(const WebhookAttempt& a) {
  return impl_->run("record webhook attempt", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    const std::string status = a.status_code ? std::to_string(*a.status_code) : std::string();
    auto r = tx.exec_params(
        "INSERT INTO gradeq.webhook_deliveries (event_id, attempt, url, status_code, error, outcome,"
        "  duration_ms) VALUES ($1, $2, $3, $4::int, $5, $6, $7)"
        " ON CONFLICT (event_id, attempt) DO NOTHING RETURNING id",
        a.event_id, a.attempt, storable_text(a.url, 4096), a.status_code ? status.c_str() : nullptr,
        a.error.empty() ? nullptr : storable_text(a.error, 4096).c_str(), a.outcome, a.duration_ms);
    tx.commit();
    return !r.empty();
  });
}

}  // namespace gradeq::pg
