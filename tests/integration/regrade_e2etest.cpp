// Regrading as staff do it, against the real services: a class graded with spec v1, a v2 that
// fixes an expected output, `gradeq-producer regrade` (the real binary) on the bulk lane, a real
// grader (in this process) running the containers, and the report of who changed from what to
// what. Also: one student, failed only, nothing to regrade, bad input, and a broker that is down
// when the regrade is made.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "gradeq/amqp.hpp"
#include "gradeq/docker_sandbox.hpp"
#include "gradeq/grader.hpp"
#include "gradeq/job.hpp"
#include "process.hpp"
#include "support.hpp"

namespace gradeq {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

using Outcome = testing::CommandOutcome;

// "three" expects `three` (v1 says 7: the staff's mistake; v2 fixes it to 6).
std::string spec(const std::string& assignment, const std::string& three) {
  return "course: cs101\nassignment: " + assignment +
         "\nlanguage: python\nfiles: [double.py]\nrun: python3 double.py\nlimits: {time_s: 5}\n"
         "tests:\n"
         "  - name: one\n    stdin: \"1\\n\"\n    expect_stdout: \"2\\n\"\n"
         "  - name: two\n    stdin: \"2\\n\"\n    expect_stdout: \"4\\n\"\n"
         "  - name: three\n    stdin: \"3\\n\"\n    expect_stdout: \"" + three + "\\n\"\n";
}

// What each student hands in; scores under v1 / v2 (out of 3):
const char* kAnn = "n = int(input())\nprint(2 * n)\n";                   // 2 / 3
const char* kBob = "n = int(input())\nprint(7 if n == 3 else 2 * n)\n";  // 3 / 2
const char* kCy = "n = int(input())\nprint(n + 1)\n";                     // 1 / 1
const char* kDee = "input()\nprint(0)\n";                                 // 0 / 0

class RegradeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new testing::TempDatabase();
    topology_.prefix = "gradeq-test-" + testing::unique_token();
    amqp::declare_topology(testing::amqp_url(), topology_);
    sandbox_ = new DockerSandbox();
    grader::Settings gs;
    gs.database_url = db_->url();
    gs.amqp_url = testing::amqp_url();
    gs.queue_prefix = topology_.prefix;
    gs.concurrency = 2;
    gs.grader_id = "e2e-" + testing::unique_token();
    gs.image_prefix = testing::env_or("GRADEQ_IMAGE_PREFIX", gs.image_prefix);
    gs.sweep_interval_s = 0;  // the tests sweep themselves, when they mean to
    stop_ = false;
    grader_ = new std::thread([gs] { grader::run(gs, *sandbox_, stop_); });
  }

  static void TearDownTestSuite() {
    stop_ = true;
    grader_->join();
    delete grader_;
    amqp::delete_topology(testing::amqp_url(), topology_);
    delete sandbox_;
    delete db_;
  }

  void SetUp() override {
    dir = fs::temp_directory_path() / ("gradeq-regrade-" + testing::unique_token());
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  Outcome producer(const std::string& args, const std::string& prefix = topology_.prefix,
                   const std::string& amqp = testing::amqp_url()) {
    return testing::run_command("GRADEQ_DATABASE_URL='" + db_->url() + "' GRADEQ_AMQP_URL='" + amqp +
                                    "' GRADEQ_QUEUE_PREFIX='" + prefix + "' " GRADEQ_BINARY_DIR
                                    "/producer/gradeq-producer " + args,
                                dir);
  }


  static std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

  void write(const fs::path& path, const std::string& content) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << content;
  }

  // Stores spec `three` of `assignment` as its newest version.
  void add_spec(const std::string& assignment, const std::string& three) {
    write(dir / (assignment + "-" + three + ".yaml"), spec(assignment, three));
    Outcome r = producer("assignment add " + (dir / (assignment + "-" + three + ".yaml")).string());
    ASSERT_EQ(r.status, 0) << r.err;
  }

  // Submits one folder per student as a batch and waits until it is graded.
  void grade_class(const std::string& assignment, const std::map<std::string, std::string>& students) {
    fs::path folder = dir / ("class-" + assignment);
    for (const auto& [student, code] : students) write(folder / student / "double.py", code);
    Outcome batch = producer("submit-batch --assignment cs101/" + assignment + " " + folder.string());
    ASSERT_EQ(batch.status, 0) << batch.err;
    Outcome waited = producer("wait --timeout 900 " + first_line(batch.out));
    ASSERT_EQ(waited.status, 0) << waited.err;
  }

  std::map<std::string, std::string> gradebook(const std::string& assignment) {
    pqxx::connection c(db_->url());
    pqxx::read_transaction tx(c);
    std::map<std::string, std::string> out;
    for (const auto& row : tx.exec_params("SELECT student, score::text FROM gradeq.v_gradebook"
                                          " WHERE course = 'cs101' AND assignment = $1",
                                          assignment)) {
      out[row[0].as<std::string>()] = row[1].as<std::string>();
    }
    return out;
  }

  long count(const std::string& sql) { return db_->count(sql); }

  static inline testing::TempDatabase* db_ = nullptr;
  static inline amqp::Topology topology_;
  static inline DockerSandbox* sandbox_ = nullptr;
  static inline std::atomic<bool> stop_{false};
  static inline std::thread* grader_ = nullptr;
  fs::path dir;
};

nlohmann::json row_of(const nlohmann::json& rows, const std::string& student) {
  for (const auto& row : rows) {
    if (row["student"] == student) return row;
  }
  return nullptr;
}

TEST_F(RegradeTest, ANewSpecVersionRegradedShowsWhoChangedFromWhatToWhat) {
  add_spec("double", "7");
  // ann's first try (all wrong), superseded by her second in the class batch.
  write(dir / "ann-first" / "double.py", kDee);
  Outcome first = producer("submit --lane bulk --assignment cs101/double --student ann " +
                           (dir / "ann-first" / "double.py").string());
  ASSERT_EQ(first.status, 0) << first.err;
  const std::string ann_first = first_line(first.out);
  for (int i = 0; i < 1800 && count("SELECT count(*) FROM gradeq.submissions WHERE id = '" + ann_first +
                                    "' AND status = 'graded'") == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  grade_class("double", {{"ann", kAnn}, {"bob", kBob}, {"cy", kCy}, {"dee", kDee}});
  ASSERT_EQ(gradebook("double"),
            (std::map<std::string, std::string>{{"ann", "2"}, {"bob", "3"}, {"cy", "1"}, {"dee", "0"}}));

  add_spec("double", "6");
  Outcome r = producer("regrade --assignment cs101/double --wait --timeout 900 --format json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("regrading 4 submission(s) of cs101/double with spec version 2 on the bulk lane"));
  EXPECT_THAT(r.err, HasSubstr("4 regraded: 2 changed, 2 unchanged"));
  const std::string batch = first_line(r.out);
  ASSERT_TRUE(is_uuid(batch)) << r.out;
  auto rows = nlohmann::json::parse(r.out.substr(r.out.find('\n') + 1));
  ASSERT_EQ(rows.size(), 2u) << rows.dump(1) << "\nonly those whose score changed";
  auto ann = row_of(rows, "ann");
  ASSERT_FALSE(ann.is_null()) << rows.dump(1);
  EXPECT_EQ(ann["old_status"], "graded");
  EXPECT_EQ(ann["new_status"], "graded");
  EXPECT_EQ(ann["old_score"], 2);
  EXPECT_EQ(ann["new_score"], 3);
  EXPECT_EQ(ann["now_passing"], nlohmann::json::array({"three"}));
  EXPECT_EQ(ann["now_failing"], nlohmann::json::array());
  EXPECT_NE(ann["submission_id"], ann_first) << "her latest submission, not the superseded one";
  auto bob = row_of(rows, "bob");
  ASSERT_FALSE(bob.is_null()) << rows.dump(1);
  EXPECT_EQ(bob["old_score"], 3);
  EXPECT_EQ(bob["new_score"], 2);
  EXPECT_EQ(bob["now_failing"], nlohmann::json::array({"three"}));

  EXPECT_EQ(gradebook("double"),
            (std::map<std::string, std::string>{{"ann", "3"}, {"bob", "2"}, {"cy", "1"}, {"dee", "0"}}));
  EXPECT_EQ(count("SELECT attempt FROM gradeq.submissions WHERE id = '" + ann_first + "'"), 1)
      << "the superseded submission was not regraded";
  EXPECT_EQ(count("SELECT count(*) FROM gradeq.jobs j JOIN gradeq.regrade_items i"
                  " ON i.submission_id = j.submission_id AND i.attempt = j.attempt"
                  " WHERE i.batch_id = '" + batch + "' AND j.lane = 'bulk' AND j.published_at IS NOT NULL"),
            4)
      << "published on the bulk lane";
  EXPECT_EQ(count("SELECT count(*) FROM gradeq.grading_runs r JOIN gradeq.submissions s ON s.id = r.submission_id"
                  " WHERE s.student = 'bob' AND s.id <> '" + ann_first + "'"),
            2)
      << "bob's v1 run is still there";

  // The same report as a table and as CSV, every row.
  Outcome table = producer("regrade-report " + batch);
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("4 regraded: 2 changed, 2 unchanged"));
  Outcome csv = producer("regrade-report --all --format csv " + batch);
  ASSERT_EQ(csv.status, 0) << csv.err;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 5) << csv.out;

  // Only the failing, with the same spec: bob, cy and dee; nothing changes.
  Outcome failing = producer("regrade --assignment cs101/double --failed-only --wait --timeout 900 --format json");
  ASSERT_EQ(failing.status, 0) << failing.err;
  EXPECT_THAT(failing.err, HasSubstr("3 regraded: 0 changed, 3 unchanged"));
  const std::string failing_batch = first_line(failing.out);
  {
    pqxx::connection c(db_->url());
    pqxx::read_transaction tx(c);
    std::vector<std::string> students;
    for (const auto& row : tx.exec_params("SELECT s.student FROM gradeq.regrade_items i JOIN gradeq.submissions s"
                                          " ON s.id = i.submission_id WHERE i.batch_id = $1::uuid",
                                          failing_batch)) {
      students.push_back(row[0].as<std::string>());
    }
    EXPECT_THAT(students, UnorderedElementsAre("bob", "cy", "dee"));
  }

  // One student, published where no grader listens: it is on the bulk lane, nothing on the
  // interactive one; republishing the batch where the grader listens finishes it.
  amqp::Topology quiet;
  quiet.prefix = "gradeq-test-" + testing::unique_token();
  Outcome one = producer("regrade --assignment cs101/double --student cy", quiet.prefix);
  ASSERT_EQ(one.status, 0) << one.err;
  const std::string one_batch = first_line(one.out);
  EXPECT_EQ(amqp::queue_depth(testing::amqp_url(), quiet.bulk()), 1u);
  EXPECT_EQ(amqp::queue_depth(testing::amqp_url(), quiet.interactive()), 0u);
  amqp::delete_topology(testing::amqp_url(), quiet);
  EXPECT_EQ(count("SELECT count(*) FROM gradeq.regrade_items WHERE batch_id = '" + one_batch + "'"), 1);
  Outcome again = producer("republish --batch " + one_batch);
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("republished 1 job(s)"));
  Outcome waited = producer("wait --timeout 900 " + one_batch);
  EXPECT_EQ(waited.status, 0) << waited.err;
  Outcome report = producer("regrade-report --all --format json " + one_batch);
  ASSERT_EQ(report.status, 0) << report.err;
  auto only = nlohmann::json::parse(report.out);
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0]["student"], "cy");
  EXPECT_EQ(only[0]["new_score"], 1);
}

TEST_F(RegradeTest, ARegradeMadeWhileTheBrokerIsDownIsFinishedByTheSweeper) {
  add_spec("late", "7");
  grade_class("late", {{"ann", kAnn}});
  add_spec("late", "6");
  Outcome r = producer("--publish-retry 0 regrade --assignment cs101/late", topology_.prefix,
                       "amqp://guest:guest@127.0.0.1:1/%2f");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("regrade batch "));
  EXPECT_THAT(r.err, HasSubstr("not published"));
  const long batch_rows = count("SELECT count(*) FROM gradeq.batches WHERE kind = 'regrade' AND label LIKE '%cs101/late%'");
  ASSERT_EQ(batch_rows, 1) << "the regrade is stored whole";
  EXPECT_EQ(count("SELECT count(*) FROM gradeq.jobs WHERE published_at IS NULL AND lane = 'bulk'"), 1);
  Outcome sweep = producer("sweep --grace 0");
  ASSERT_EQ(sweep.status, 0) << sweep.err;
  EXPECT_THAT(sweep.out, HasSubstr("published 1 unpublished job(s)"));
  for (int i = 0; i < 1800 && gradebook("late")["ann"] != "3"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_EQ(gradebook("late")["ann"], "3");
}

TEST_F(RegradeTest, NothingToRegradeIsExitOneWithoutABatch) {
  add_spec("empty", "6");
  const long batches = count("SELECT count(*) FROM gradeq.batches");
  Outcome r = producer("regrade --assignment cs101/empty");
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("nothing to regrade: cs101/empty has no submissions"));
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(count("SELECT count(*) FROM gradeq.batches"), batches);
}

TEST_F(RegradeTest, BadInputIsExitOneAndWritesNothing) {
  add_spec("bad", "6");
  // One submission, never graded (published where no grader listens): failed-only finds nothing.
  amqp::Topology quiet;
  quiet.prefix = "gradeq-test-" + testing::unique_token();
  write(dir / "ann" / "double.py", kAnn);
  ASSERT_EQ(producer("submit --assignment cs101/bad --student ann " + (dir / "ann" / "double.py").string(),
                     quiet.prefix).status,
            0);
  amqp::delete_topology(testing::amqp_url(), quiet);
  const std::string state = "SELECT (SELECT count(*) FROM gradeq.batches) * 1000000 + (SELECT count(*) FROM gradeq.jobs) * 1000"
                            " + (SELECT count(*) FROM gradeq.regrade_items)";
  const long before = count(state);

  Outcome unknown = producer("regrade --assignment cs101/nope");
  EXPECT_EQ(unknown.status, 1);
  EXPECT_THAT(unknown.err, HasSubstr("no assignment cs101/nope"));
  Outcome student = producer("regrade --assignment cs101/bad --student ann --student zed");
  EXPECT_EQ(student.status, 1);
  EXPECT_THAT(student.err, HasSubstr("no submission of cs101/bad by student(s): zed"));
  Outcome invalid = producer("regrade --assignment cs101/bad --student 'a b'");
  EXPECT_EQ(invalid.status, 1);
  EXPECT_THAT(invalid.err, HasSubstr("not a valid student ID: \"a b\""));
  Outcome shape = producer("regrade --assignment bad");
  EXPECT_EQ(shape.status, 1);
  EXPECT_THAT(shape.err, HasSubstr("is not COURSE/ASSIGNMENT"));
  Outcome failing = producer("regrade --assignment cs101/bad --failed-only");
  EXPECT_EQ(failing.status, 1);
  EXPECT_THAT(failing.err, HasSubstr("nothing to regrade: cs101/bad has no submission that is errored or below full marks"));
  EXPECT_EQ(count(state), before) << "no batch, job or item";

  Outcome not_id = producer("regrade-report nope");
  EXPECT_EQ(not_id.status, 1);
  EXPECT_THAT(not_id.err, HasSubstr("\"nope\" is not a batch ID"));
  Outcome no_batch = producer("regrade-report 6f1c2a34-0000-4000-8000-000000000001");
  EXPECT_EQ(no_batch.status, 1);
  EXPECT_THAT(no_batch.err, HasSubstr("no batch"));
}

}  // namespace
}  // namespace gradeq
