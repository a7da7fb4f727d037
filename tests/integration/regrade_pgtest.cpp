// Regrading in the store, against a real PostgreSQL: what is picked, what is recorded, that the
// regrade's attempt is graded with the latest spec, that a late result of a replaced attempt
// never overwrites the regrade's, that a system fault during a regrade keeps the student's score,
// and that superseded submissions stay superseded.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "gradeq/pg_store.hpp"
#include "support.hpp"

namespace gradeq {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

std::string spec_text(const std::string& expect_three) {
  return "course: cs101\nassignment: echo\nlanguage: python\nfiles: [echo.py]\nrun: python3 echo.py\n"
         "tests:\n"
         "  - name: one\n    stdin: \"1\\n\"\n    expect_stdout: \"1\\n\"\n"
         "  - name: three\n    stdin: \"3\\n\"\n    expect_stdout: \"" + expect_three + "\\n\"\n    points: 2\n";
}

class RegradeStoreTest : public ::testing::Test {
 protected:
  testing::TempDatabase db;
  pg::Store store{db.url()};

  pg::AssignmentVersion add(const std::string& expect_three) {
    std::string text = spec_text(expect_three);
    store.add_assignment(parse_spec(text, "spec.yaml", "."), text);
    return store.latest_version("cs101", "echo");
  }

  std::string submit(const pg::AssignmentVersion& v, const std::string& student) {
    pg::NewSubmission s{student, {{"echo.py", "print(input())\n", false}}};
    return store.add_submissions(v, {s}, Lane::interactive, std::nullopt).first.at(0);
  }

  // A result of `score` out of 3 ("three" failed unless score is 3).
  static GradeResult result(double score) {
    GradeResult r;
    r.max_score = 3;
    r.score = score;
    TestOutcome one;
    one.name = "one";
    one.verdict = Verdict::passed;
    one.points = one.max_points = 1;
    TestOutcome three;
    three.name = "three";
    three.verdict = score >= 3 ? Verdict::passed : Verdict::wrong_answer;
    three.points = score >= 3 ? 2 : 0;
    three.max_points = 2;
    r.tests = {one, three};
    if (score < 3) r.failed_tests = {"three"};
    return r;
  }

  void grade(const std::string& id, int attempt, double score) {
    pg::Work work;
    ASSERT_EQ(store.claim({id, attempt, Lane::bulk}, work), pg::Claim::claimed);
    ASSERT_TRUE(store.store_result({id, attempt, Lane::bulk}, result(score),
                                   {std::chrono::system_clock::now(), 5}, "test", 1000));
  }

  pg::RegradeRequest request() {
    pg::RegradeRequest r;
    r.course = "cs101";
    r.assignment = "echo";
    r.label = "test";
    return r;
  }

  std::string text(const std::string& sql) {
    pqxx::connection c(db.url());
    pqxx::read_transaction tx(c);
    auto r = tx.exec1(sql);
    return r[0].is_null() ? "NULL" : r[0].as<std::string>();
  }
};

TEST_F(RegradeStoreTest, ARegradeIsANewAttemptOnTheBulkLaneGradedWithTheLatestSpec) {
  auto v1 = add("3");
  std::string ann = submit(v1, "ann");
  grade(ann, 1, 1);
  auto v2 = add("33");
  ASSERT_EQ(v2.version, 2);

  pg::RegradeBatch batch = store.regrade(request());
  ASSERT_FALSE(batch.batch_id.empty());
  EXPECT_EQ(batch.version, 2);
  ASSERT_EQ(batch.jobs.size(), 1u);
  EXPECT_EQ(batch.jobs[0].submission_id, ann);
  EXPECT_EQ(batch.jobs[0].attempt, 2);
  EXPECT_EQ(batch.jobs[0].lane, Lane::bulk);
  EXPECT_EQ(text("SELECT kind FROM gradeq.batches WHERE id = '" + batch.batch_id + "'"), "regrade");
  EXPECT_EQ(text("SELECT status || ' ' || lane || ' ' || attempt FROM gradeq.submissions"), "queued bulk 2");
  EXPECT_EQ(text("SELECT count(*) FROM gradeq.jobs WHERE attempt = 2 AND published_at IS NULL"
                 " AND assignment_version_id = " + std::to_string(v2.version_id)),
            "1")
      << "the job waits in the outbox for the producer (or the sweeper) to publish it";
  EXPECT_EQ(text("SELECT submission_id FROM gradeq.v_gradebook"), ann)
      << "the score stays in the gradebook while the regrade is queued";
  EXPECT_EQ(text("SELECT score FROM gradeq.v_gradebook"), "1");

  pg::Work work;
  EXPECT_EQ(store.claim({ann, 1, Lane::interactive}, work), pg::Claim::superseded);
  ASSERT_EQ(store.claim({ann, 2, Lane::bulk}, work), pg::Claim::claimed);
  EXPECT_EQ(work.spec.tests.at(1).expected_stdout, "33\n") << "graded with version 2";
  EXPECT_EQ(text("SELECT assignment_version_id FROM gradeq.submissions"), std::to_string(v1.version_id))
      << "the submission still says which version it was made against";
  ASSERT_TRUE(store.store_result({ann, 2, Lane::bulk}, result(3), {std::chrono::system_clock::now(), 5}, "t", 100));
  EXPECT_EQ(text("SELECT score FROM gradeq.v_gradebook"), "3");
  EXPECT_EQ(text("SELECT array_length(failed_tests, 1) IS NULL FROM gradeq.v_results"), "t");
  EXPECT_EQ(text("SELECT string_agg(attempt || ':' || score || ':' || assignment_version_id, ',' ORDER BY attempt)"
                 " FROM gradeq.grading_runs"),
            "1:1:" + std::to_string(v1.version_id) + ",2:3:" + std::to_string(v2.version_id))
      << "the old run stays, and each run says which version graded it";

  auto items = store.regrade_items(batch.batch_id);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].student, "ann");
  EXPECT_EQ(items[0].before.status, "graded");
  EXPECT_EQ(items[0].before.score, "1");
  EXPECT_THAT(items[0].before.failed_tests, ElementsAre("three"));
  EXPECT_EQ(items[0].state, regrade::State::graded);
  EXPECT_EQ(items[0].after.score, "3");
  EXPECT_TRUE(items[0].after.failed_tests.empty());
  EXPECT_TRUE(store.batch_progress(batch.batch_id).done());
}

TEST_F(RegradeStoreTest, ReportingViewsCountARegradeFromWhenItWasQueuedAndKeepItsResultMeanwhile) {
  auto v1 = add("3");
  std::string ann = submit(v1, "ann");
  grade(ann, 1, 1);
  {
    // Handed in (and graded) thirty days ago.
    pqxx::connection c(db.url());
    pqxx::work tx(c);
    tx.exec("UPDATE gradeq.submissions SET submitted_at = submitted_at - interval '30 days'");
    tx.commit();
  }
  add("33");
  ASSERT_FALSE(store.regrade(request()).batch_id.empty());
  EXPECT_EQ(text("SELECT oldest_queued_age_s < 3600 FROM gradeq.v_queue_health WHERE lane = 'bulk'"), "t")
      << "the regrade has waited seconds, not since the hand-in";
  EXPECT_EQ(text("SELECT passed || '/' || submissions FROM gradeq.v_test_pass_rates WHERE test_name = 'three'"), "0/1")
      << "the submission's result still counts while it is regraded";
  EXPECT_EQ(text("SELECT count(*) FROM gradeq.v_test_times"), "2");
  grade(ann, 2, 3);
  EXPECT_EQ(text("SELECT wait_p50_s < 3600 AND total_max_s < 3600 FROM gradeq.v_grading_latency"
                 " WHERE lane = 'bulk'"),
            "t")
      << "latency is measured from when the attempt was queued";
  EXPECT_EQ(text("SELECT passed || '/' || submissions FROM gradeq.v_test_pass_rates WHERE test_name = 'three'"), "1/1")
      << "and the regrade's result replaces it";
  EXPECT_EQ(text("SELECT queued_at > submitted_at FROM gradeq.submissions"), "t");
}

TEST_F(RegradeStoreTest, ALateResultOfTheReplacedAttemptNeverOverwritesTheRegrade) {
  auto v1 = add("3");
  std::string id = submit(v1, "bob");
  grade(id, 1, 3);
  add("33");
  // Attempt 2 is claimed by a grader that then stalls; a second regrade makes attempt 3.
  store.regrade(request());
  pg::Work work;
  ASSERT_EQ(store.claim({id, 2, Lane::bulk}, work), pg::Claim::claimed);
  pg::RegradeBatch second = store.regrade(request());
  ASSERT_EQ(second.jobs.at(0).attempt, 3);
  EXPECT_EQ(text("SELECT score FROM gradeq.v_gradebook"), "3") << "attempt 1's score meanwhile";

  grade(id, 3, 1);
  // Attempt 2's grader comes back late: its run is kept, but it moves nothing.
  EXPECT_TRUE(store.store_result({id, 2, Lane::bulk}, result(3), {std::chrono::system_clock::now(), 5}, "slow", 100));
  store.mark_error({id, 2, Lane::bulk}, "late fault of the old attempt");
  EXPECT_EQ(text("SELECT status || ' ' || attempt FROM gradeq.submissions"), "graded 3");
  EXPECT_EQ(text("SELECT score FROM gradeq.v_results"), "1");
  EXPECT_EQ(text("SELECT score FROM gradeq.v_gradebook"), "1");
  EXPECT_EQ(text("SELECT count(*) FROM gradeq.grading_runs"), "3");
  EXPECT_EQ(text("SELECT r.attempt FROM gradeq.submissions s JOIN gradeq.grading_runs r ON r.id = s.latest_run_id"), "3");

  auto items = store.regrade_items(second.batch_id);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].before.status, "running");
  EXPECT_EQ(items[0].before.score, "3") << "the latest result when the second regrade was made";
  EXPECT_EQ(items[0].after.score, "1");
  EXPECT_TRUE(regrade::changed(items[0]));
}

TEST_F(RegradeStoreTest, ASystemFaultDuringARegradeKeepsThePreviousScore) {
  auto v1 = add("3");
  std::string id = submit(v1, "cy");
  grade(id, 1, 1);
  pg::RegradeBatch batch = store.regrade(request());
  store.mark_error(batch.jobs.at(0), "docker engine unreachable");
  EXPECT_EQ(text("SELECT status FROM gradeq.v_results"), "error");
  EXPECT_EQ(text("SELECT score FROM gradeq.v_results"), "1") << "the latest result is still shown";
  EXPECT_EQ(text("SELECT score FROM gradeq.v_gradebook"), "1") << "and counts in the gradebook";
  EXPECT_EQ(text("SELECT count(*) FROM gradeq.v_students_at_risk WHERE reason = 'error'"), "0");
  auto p = store.batch_progress(batch.batch_id);
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.error, 1);
  auto items = store.regrade_items(batch.batch_id);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].state, regrade::State::error);
  EXPECT_EQ(items[0].after.reason, "docker engine unreachable");
}

TEST_F(RegradeStoreTest, PicksLatestPerStudentOrEveryOneOrTheFailingOrSomeStudents) {
  auto v1 = add("3");
  std::string ann_old = submit(v1, "ann");
  grade(ann_old, 1, 1);
  std::string ann = submit(v1, "ann");
  grade(ann, 1, 3);
  std::string bob = submit(v1, "bob");
  grade(bob, 1, 1);
  std::string cy = submit(v1, "cy");
  store.mark_error({cy, 1, Lane::bulk}, "engine gone");
  std::string dee = submit(v1, "dee");  // still queued

  auto picked = [&](const pg::RegradeRequest& r) {
    std::vector<std::string> ids;
    for (const auto& job : store.regrade(r).jobs) ids.push_back(job.submission_id);
    return ids;
  };
  auto failed = request();
  failed.failed_only = true;
  EXPECT_THAT(picked(failed), UnorderedElementsAre(bob, cy)) << "not full marks, or errored";
  auto some = request();
  some.students = {"ann", "dee"};
  EXPECT_THAT(picked(some), UnorderedElementsAre(ann, dee)) << "ann's newest only";
  auto every = request();
  every.all_submissions = true;
  every.students = {"ann"};
  EXPECT_THAT(picked(every), UnorderedElementsAre(ann, ann_old));

  EXPECT_EQ(text("SELECT submission_id FROM gradeq.v_gradebook WHERE student = 'ann'"), ann)
      << "the newer submission still supersedes the older one while both are regraded";
  grade(ann_old, 2, 1);
  EXPECT_EQ(text("SELECT submission_id FROM gradeq.v_gradebook WHERE student = 'ann'"), ann)
      << "and after the older one's regrade is in";
}

TEST_F(RegradeStoreTest, UnknownInputAndNothingToDoWriteNothing) {
  auto v1 = add("3");
  std::string ann = submit(v1, "ann");
  grade(ann, 1, 3);
  auto nope = request();
  nope.assignment = "nope";
  EXPECT_THROW(store.regrade(nope), pg::NotFound);
  auto zed = request();
  zed.students = {"ann", "zed", "yo"};
  try {
    store.regrade(zed);
    ADD_FAILURE() << "no error for unknown students";
  } catch (const pg::NotFound& e) {
    EXPECT_THAT(e.what(), HasSubstr("by student(s): zed, yo"));
  }
  auto failed = request();
  failed.failed_only = true;
  EXPECT_TRUE(store.regrade(failed).batch_id.empty()) << "ann has full marks";
  EXPECT_EQ(text("SELECT count(*) FROM gradeq.batches"), "0");
  EXPECT_EQ(text("SELECT count(*) FROM gradeq.regrade_items"), "0");
  EXPECT_EQ(text("SELECT attempt FROM gradeq.submissions"), "1");
  EXPECT_THROW(store.regrade_items("6f1c2a34-0000-4000-8000-000000000001"), pg::NotFound);
}

TEST_F(RegradeStoreTest, ARegradeBatchIsABatchForRepublishAndTheGradebook) {
  auto v1 = add("3");
  std::string ann = submit(v1, "ann");
  grade(ann, 1, 3);
  std::string bob = submit(v1, "bob");
  grade(bob, 1, 1);
  auto only_bob = request();
  only_bob.students = {"bob"};
  pg::RegradeBatch batch = store.regrade(only_bob);
  auto jobs = store.queued_jobs(batch.batch_id);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].submission_id, bob);
  EXPECT_EQ(jobs[0].attempt, 2);
  EXPECT_EQ(jobs[0].lane, Lane::bulk);
  auto rows = store.gradebook(std::nullopt, std::nullopt, batch.batch_id);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].student, "bob");
  auto p = store.batch_progress(batch.batch_id);
  EXPECT_EQ(p.total, 1);
  EXPECT_EQ(p.queued, 1);
}

}  // namespace
}  // namespace gradeq
