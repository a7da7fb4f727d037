// The reporting views of migrations/0003_reporting.sql against a real server: what each view
// says on a small hand-made course, what the reporting and course staff roles may see (row-level
// security, two courses), `report` in every format, and on 100,000 graded submissions that every
// view is answered through its indexes (EXPLAIN; the times are printed, not asserted).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <set>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "gradeq/pg_store.hpp"
#include "gradeq/producer.hpp"
#include "support.hpp"

namespace gradeq {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

void exec(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  tx.exec(sql);
  tx.commit();
}

// Synthetic graded history made in SQL (no client round trips): `courses` courses c00.. with five
// assignments a0..a4 of five tests t0..t4 (one point each), `n` submissions spread over them and
// the last 30 days, 99 % graded, some queued, running or errored, each graded one with a run and
// five test results, its outbox job (half of the queued ones unpublished) and a dead letter per
// error.
std::string synthetic_history(int courses, int n) {
  const std::string assignments = std::to_string(courses * 5);
  return "INSERT INTO gradeq.courses (code) SELECT 'c' || lpad(i::text, 2, '0') FROM generate_series(0, " +
         std::to_string(courses - 1) + R"() i;
INSERT INTO gradeq.assignments (course_id, name) SELECT c.id, 'a' || k FROM gradeq.courses c CROSS JOIN generate_series(0, 4) k;
INSERT INTO gradeq.assignment_versions (assignment_id, version, spec, spec_source, spec_sha256, max_score)
SELECT id, 1, '{}', '', md5(id::text), 5 FROM gradeq.assignments;
INSERT INTO gradeq.submissions (id, assignment_version_id, student, lane, status, submitted_at,
                                picked_up_at, finished_at, lease_until, error_reason)
SELECT md5('s' || n)::uuid, v.id,
       's' || lpad(((n / 50) % 950 + (v.id % 5) * 10)::text, 4, '0'),
       CASE WHEN n % 10 = 0 THEN 'interactive' ELSE 'bulk' END, st.status,
       now() - (n % 43200) * interval '1 minute',
       CASE WHEN st.status <> 'queued' THEN now() - (n % 43200) * interval '1 minute' + (n % 17) * interval '1 second' END,
       CASE WHEN st.status IN ('graded', 'error') THEN now() - (n % 43200) * interval '1 minute' + (n % 17 + 2 + n % 5) * interval '1 second' END,
       CASE WHEN st.status = 'running' THEN now() + interval '5 minutes' END,
       CASE WHEN st.status = 'error' THEN 'synthetic fault' END
  FROM generate_series(0, )" + std::to_string(n - 1) + R"() n
  JOIN gradeq.assignment_versions v ON v.id = (SELECT min(id) FROM gradeq.assignment_versions) + n % )" +
         assignments + R"(
 CROSS JOIN LATERAL (SELECT CASE WHEN n % 1000 < 5 THEN 'error' WHEN n % 1000 < 8 THEN 'queued'
                                 WHEN n % 1000 < 10 THEN 'running' ELSE 'graded' END AS status) st;
INSERT INTO gradeq.grading_runs (submission_id, attempt, score, max_score, compile_ok, started_at, finished_at)
SELECT id, 1, abs(hashtext(id::text)) % 6, 5, true, picked_up_at, finished_at
  FROM gradeq.submissions WHERE status = 'graded';
UPDATE gradeq.submissions s SET latest_run_id = r.id FROM gradeq.grading_runs r WHERE r.submission_id = s.id;
INSERT INTO gradeq.test_results (run_id, ordinal, test_name, verdict, points, max_points, duration_ms)
SELECT r.id, k, 't' || k,
       CASE WHEN k < r.score THEN 'passed' WHEN (r.id + k) % 7 = 0 THEN 'time_limit' ELSE 'wrong_answer' END,
       CASE WHEN k < r.score THEN 1 ELSE 0 END, 1, 20 + (r.id * 13 + k * 7) % 400
  FROM gradeq.grading_runs r CROSS JOIN generate_series(0, 4) k;
INSERT INTO gradeq.jobs (submission_id, attempt, lane, created_at, published_at, publish_count)
SELECT id, 1, lane, submitted_at, CASE WHEN status = 'queued' AND hashtext(id::text) % 2 = 0 THEN NULL ELSE submitted_at END, 1
  FROM gradeq.submissions;
INSERT INTO gradeq.dead_letters (dead_key, queue, death_reason, reason, submission_id, attempt, body, dead_at)
SELECT 'k' || id, 'gradeq.' || lane, 'rejected', 'synthetic', id, 1, '{}', finished_at
  FROM gradeq.submissions WHERE status = 'error';
ANALYZE gradeq.courses, gradeq.assignments, gradeq.assignment_versions, gradeq.submissions,
        gradeq.grading_runs, gradeq.test_results, gradeq.jobs, gradeq.dead_letters;
)";
}

// One course `k`, assignments a1 and a2 (two tests, t1 1 point and t2 3 points, max 4), and:
//   ann: a1 4/4;               a2 nothing                     -> at risk: a2 missing
//   bob: a1 1/4 (t2 failed);   a2 4/4                         -> at risk: a1 failing
//   cat: a1 error;             a2 queued                      -> at risk: a1 error
//   dan: a1 0/4, then 4/4;     a2 2/4 (exactly half: not failing)
const char* kSmallCourse = R"(
INSERT INTO gradeq.courses (code) VALUES ('k');
INSERT INTO gradeq.assignments (course_id, name) SELECT id, x FROM gradeq.courses, (VALUES ('a1'), ('a2')) v(x);
INSERT INTO gradeq.assignment_versions (assignment_id, version, spec, spec_source, spec_sha256, max_score)
SELECT id, 1, '{}', '', name, 4 FROM gradeq.assignments;
CREATE TEMP TABLE plan (student text, assignment text, status text, score numeric, t2 text, minute int, lane text);
INSERT INTO plan VALUES ('ann', 'a1', 'graded', 4, 'passed', 1, 'bulk'),
                        ('bob', 'a1', 'graded', 1, 'wrong_answer', 2, 'bulk'),
                        ('bob', 'a2', 'graded', 4, 'passed', 3, 'interactive'),
                        ('cat', 'a1', 'error', NULL, NULL, 4, 'bulk'),
                        ('cat', 'a2', 'queued', NULL, NULL, 5, 'bulk'),
                        ('dan', 'a1', 'graded', 0, 'time_limit', 6, 'bulk'),
                        ('dan', 'a1', 'graded', 4, 'passed', 7, 'bulk'),
                        ('dan', 'a2', 'graded', 2, 'passed', 8, 'bulk');
INSERT INTO gradeq.submissions (id, assignment_version_id, student, lane, status, submitted_at, picked_up_at, finished_at)
SELECT md5(p.student || p.minute)::uuid, v.id, p.student, p.lane, p.status,
       timestamptz '2024-01-01 00:00:00+00' + p.minute * interval '1 minute',
       CASE WHEN p.status <> 'queued' THEN timestamptz '2024-01-01 00:00:00+00' + p.minute * interval '1 minute' + interval '1 second' END,
       CASE WHEN p.status <> 'queued' THEN timestamptz '2024-01-01 00:00:00+00' + p.minute * interval '1 minute' + interval '3 seconds' END
  FROM plan p JOIN gradeq.assignments a ON a.name = p.assignment
  JOIN gradeq.assignment_versions v ON v.assignment_id = a.id;
INSERT INTO gradeq.grading_runs (submission_id, attempt, score, max_score, compile_ok, started_at, finished_at)
SELECT md5(p.student || p.minute)::uuid, 1, p.score, 4, true, now(), now() FROM plan p WHERE p.status = 'graded';
UPDATE gradeq.submissions s SET latest_run_id = r.id FROM gradeq.grading_runs r WHERE r.submission_id = s.id;
INSERT INTO gradeq.test_results (run_id, ordinal, test_name, verdict, points, max_points, duration_ms)
SELECT r.id, 0, 't1', CASE WHEN r.score IN (1, 4) THEN 'passed' ELSE 'wrong_answer' END,
       CASE WHEN r.score IN (1, 4) THEN 1 ELSE 0 END, 1, 10
  FROM gradeq.grading_runs r
UNION ALL
SELECT r.id, 1, 't2', p.t2, CASE WHEN p.t2 = 'passed' THEN 3 ELSE 0 END, 3, 100 * p.minute
  FROM gradeq.grading_runs r JOIN plan p ON md5(p.student || p.minute)::uuid = r.submission_id;
INSERT INTO gradeq.jobs (submission_id, attempt, lane, created_at, published_at)
SELECT id, 1, lane, submitted_at, CASE WHEN status <> 'queued' THEN submitted_at END FROM gradeq.submissions;
)";

// Rows of a query as "a|b|c" strings (NULL as "-"), as the given role when one is given.
std::vector<std::string> rows_of(const std::string& url, const std::string& sql,
                                 const std::string& role = "") {
  pqxx::connection c(url);
  pqxx::work tx(c);
  if (!role.empty()) tx.exec("SET LOCAL ROLE " + role);
  std::vector<std::string> out;
  for (const auto& row : tx.exec(sql)) {
    std::string line;
    for (const auto& f : row) line += (line.empty() ? "" : "|") + std::string(f.is_null() ? "-" : f.c_str());
    out.push_back(line);
  }
  return out;
}

class SmallCourse : public ::testing::Test {
 protected:
  void SetUp() override { exec(db.url(), kSmallCourse); }
  testing::TempDatabase db;
};

TEST_F(SmallCourse, StudentsAtRiskAreThoseMissingFailingOrErrored) {
  EXPECT_THAT(rows_of(db.url(),
                      "SELECT assignment, student, reason, score, max_score FROM gradeq.v_students_at_risk"
                      " ORDER BY assignment, student"),
              ElementsAre("a1|bob|failing|1|4", "a1|cat|error|-|-", "a2|ann|missing|-|-"));
}

TEST_F(SmallCourse, TestPassRatesAndTimesCountEachGradedSubmissionsLatestRun) {
  // a1 graded: ann 4, bob 1, dan 0, dan 4 -> t1 passed 3 of 4, t2 passed 2 of 4 (one time limit).
  EXPECT_THAT(rows_of(db.url(),
                      "SELECT test_name, submissions, passed, failed, pass_rate, avg_points, max_points,"
                      " most_common_failure FROM gradeq.v_test_pass_rates WHERE assignment = 'a1'"
                      " ORDER BY ordinal"),
              ElementsAre("t1|4|3|1|0.7500|0.7500|1|wrong_answer", "t2|4|2|2|0.5000|1.5000|3|time_limit"));
  // t2 of a1 took 100 * minute ms: 100, 200, 600, 700.
  EXPECT_THAT(rows_of(db.url(),
                      "SELECT test_name, runs, avg_ms, p50_ms, max_ms, time_limits FROM gradeq.v_test_times"
                      " WHERE assignment = 'a1' ORDER BY ordinal"),
              ElementsAre("t1|4|10.0|10|10|0", "t2|4|400.0|400|700|1"));
}

TEST_F(SmallCourse, LatencyAndQueueHealthComeFromTheSubmissionsAndTheOutbox) {
  EXPECT_THAT(rows_of(db.url(),
                      "SELECT assignment, lane, finished, errors, wait_p50_s, run_p95_s, total_p99_s"
                      " FROM gradeq.v_grading_latency ORDER BY assignment, lane"),
              ElementsAre("a1|bulk|5|1|1.000|2.000|3.000", "a2|bulk|1|0|1.000|2.000|3.000",
                          "a2|interactive|1|0|1.000|2.000|3.000"));
  auto health = rows_of(db.url(),
                        "SELECT course, lane, queued, running, unpublished_jobs, oldest_queued_age_s > 0,"
                        " errors_24h, dead_letters_24h FROM gradeq.v_queue_health ORDER BY lane");
  EXPECT_THAT(health, ElementsAre("k|bulk|1|0|1|t|0|0", "k|interactive|0|0|0|-|0|0"));
}

std::set<std::string> courses_in(const std::string& url, const std::string& view, const std::string& role) {
  auto rows = rows_of(url, "SELECT DISTINCT course FROM gradeq." + view, role);
  return {rows.begin(), rows.end()};
}

// Two courses; gradeq_reporting stands in for a course's staff role (roles are cluster-wide and
// the test's login may not create them, but course_staff is per database).
TEST(ReportingRoles, ACourseStaffRoleSeesOnlyItsCoursesInEveryView) {
  testing::TempDatabase db;
  exec(db.url(), synthetic_history(2, 2000));
  const std::set<std::string> both{"c00", "c01"};
  for (const auto& view : pg::report_views()) {
    EXPECT_EQ(courses_in(db.url(), view.view, "gradeq_reporting"), both) << view.view;
  }
  exec(db.url(), "INSERT INTO gradeq.course_staff (role_name, course) VALUES ('gradeq_reporting', 'c00')");
  for (const auto& view : pg::report_views()) {
    EXPECT_EQ(courses_in(db.url(), view.view, "gradeq_reporting"), std::set<std::string>{"c00"})
        << view.view;
    // The owner (a member of gradeq_reporting) is never restricted: the producer and grader work on.
    EXPECT_EQ(courses_in(db.url(), view.view, ""), both) << view.view;
  }
  exec(db.url(), "INSERT INTO gradeq.course_staff VALUES ('gradeq_reporting', 'c01');"
                 "DELETE FROM gradeq.course_staff WHERE course = 'c00'");
  EXPECT_EQ(courses_in(db.url(), "v_results", "gradeq_reporting"), std::set<std::string>{"c01"});
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.v_results"), 2000);
}

TEST(ReportingRoles, TheReportingRoleReadsEveryViewButNoTableNorTheStaffMapping) {
  testing::TempDatabase db;
  pqxx::connection c(db.url());
  auto allowed = [&c](const std::string& sql) {
    pqxx::work tx(c);
    tx.exec("SET LOCAL ROLE gradeq_reporting");
    try {
      tx.exec(sql);
      return true;
    } catch (const pqxx::insufficient_privilege&) {
      return false;
    }
  };
  for (const auto& view : pg::report_views()) EXPECT_TRUE(allowed("SELECT * FROM gradeq." + view.view)) << view.view;
  for (const char* table : {"submission_files", "assignment_versions", "test_results", "submissions",
                            "grading_runs", "courses", "jobs", "dead_letters", "course_staff",
                            "v_latest_submissions"}) {
    EXPECT_FALSE(allowed(std::string("SELECT * FROM gradeq.") + table)) << table;
  }
  EXPECT_FALSE(allowed("INSERT INTO gradeq.course_staff VALUES ('gradeq_reporting', 'x')"));
}

TEST_F(SmallCourse, ReportPrintsAViewAsTypedJsonCsvOrTableAndRejectsUnknownNames) {
  producer::Settings settings;
  settings.database_url = db.url();
  auto json = nlohmann::json::parse(producer::report(settings, "results", "json", "k", "a1"));
  ASSERT_EQ(json.size(), 5u);
  const auto& bob = json[1];
  EXPECT_EQ(bob["student"], "bob");
  EXPECT_TRUE(bob["score"].is_number());
  EXPECT_DOUBLE_EQ(bob["score"].get<double>(), 1);
  EXPECT_EQ(bob["failed_tests"], nlohmann::json::array({"t2"}));
  EXPECT_TRUE(json[2]["score"].is_null());  // cat: error
  EXPECT_EQ(json[2]["status"], "error");

  auto csv = producer::report(settings, "v_students_at_risk", "csv", std::nullopt, "k/a2");
  EXPECT_EQ(csv.substr(0, csv.find("\r\n")),
            "course,assignment,student,reason,score,max_score,graded_at,submission_id,last_submitted_at");
  EXPECT_NE(csv.find("\r\nk,a2,ann,missing,,,,,\r\n"), std::string::npos) << csv;

  auto table = producer::report(settings, "queue_health", "table", "k", std::nullopt);
  EXPECT_NE(table.find("(2 rows)"), std::string::npos) << table;

  EXPECT_THROW(producer::report(settings, "nope", "table", std::nullopt, std::nullopt), producer::InputError);
  EXPECT_THROW(producer::report(settings, "queue_health", "table", "k", "a1"), producer::InputError);
  EXPECT_THROW(producer::report(settings, "results", "xml", std::nullopt, std::nullopt), producer::InputError);
}

// Every Seq Scan in a plan (EXPLAIN FORMAT JSON), by relation.
void seq_scans(const nlohmann::json& node, std::vector<std::string>& out) {
  if (node.value("Node Type", "") == "Seq Scan") out.push_back(node.value("Relation Name", "?"));
  if (node.contains("Plans")) {
    for (const auto& child : node["Plans"]) seq_scans(child, out);
  }
}

TEST(ReportingScale, OnAHundredThousandSubmissionsEveryViewOfOneAssignmentUsesIndexes) {
  testing::TempDatabase db;
  auto t0 = std::chrono::steady_clock::now();
  exec(db.url(), synthetic_history(10, 100000));
  std::cout << "[ info ] loaded 100,000 submissions in "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
  ASSERT_EQ(db.count("SELECT count(*) FROM gradeq.submissions"), 100000);
  ASSERT_EQ(db.count("SELECT count(*) FROM gradeq.test_results"), 5 * db.count("SELECT count(*) FROM gradeq.grading_runs"));

  pqxx::connection c(db.url());
  const std::set<std::string> big{"submissions", "test_results", "grading_runs", "jobs", "dead_letters"};
  for (const auto& view : pg::report_views()) {
    // The question staff ask: one assignment (queue health: the whole system, it has no
    // assignment column).
    std::string sql = "SELECT * FROM gradeq." + view.view + " WHERE course = 'c03'" +
                      (view.has_assignment ? " AND assignment = 'a2'" : "");
    pqxx::work tx(c);
    auto plan = nlohmann::json::parse(tx.exec1("EXPLAIN (FORMAT JSON) " + sql)[0].c_str());
    std::vector<std::string> scans;
    seq_scans(plan[0]["Plan"], scans);
    for (const auto& rel : scans) EXPECT_EQ(big.count(rel), 0u) << view.view << " scans all of " << rel;
    std::vector<double> ms;
    for (int i = 0; i < 3; ++i) {
      auto analyzed = nlohmann::json::parse(tx.exec1("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)[0].c_str());
      ms.push_back(analyzed[0]["Execution Time"].get<double>());
    }
    std::sort(ms.begin(), ms.end());
    auto whole = nlohmann::json::parse(
        tx.exec1("EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM gradeq." + view.view)[0].c_str());
    std::cout << "[ info ] " << view.view << ": one " << (view.has_assignment ? "assignment" : "course")
              << " " << ms[1] << " ms (median of 3), every course "
              << whole[0]["Execution Time"].get<double>() << " ms\n";
  }
}

}  // namespace
}  // namespace gradeq
