// The PostgreSQL store against a real server: migrations, versioned specs, submissions, the
// grader's claim / store / error paths, idempotence, and the reporting views and role.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <thread>

#include <pqxx/pqxx>

#include "gradeq/pg_store.hpp"
#include "support.hpp"

namespace gradeq {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const char* kSpec = R"(
course: cs101
assignment: echo
language: python
files: [echo.py]
run: python3 echo.py
tests:
  - name: one
    stdin: "1\n"
    expect_stdout: "1\n"
  - name: two
    stdin: "2\n"
    expect_stdout: "2\n"
    points: 2
  - name: three
    stdin: "3\n"
    expect_stdout: "3\n"
    hidden: true
)";

class StoreTest : public ::testing::Test {
 protected:
  testing::TempDatabase db;
  pg::Store store{db.url()};

  pg::AssignmentVersion add_echo() {
    store.add_assignment(parse_spec(kSpec, "spec.yaml", "."), kSpec);
    return store.latest_version("cs101", "echo");
  }

  std::string submit(const pg::AssignmentVersion& v, const std::string& student) {
    pg::NewSubmission s{student, {{"echo.py", "print(input())\n", false}}};
    return store.add_submissions(v, {s}, Lane::interactive, std::nullopt).first.at(0);
  }

  // A result in which test "two" failed.
  static GradeResult result_with_two_failed() {
    GradeResult r;
    r.max_score = 4;
    r.score = 2;
    for (auto [name, verdict, pts, max] :
         {std::tuple{"one", Verdict::passed, 1.0, 1.0}, std::tuple{"two", Verdict::wrong_answer, 0.0, 2.0},
          std::tuple{"three", Verdict::passed, 1.0, 1.0}}) {
      TestOutcome t;
      t.name = name;
      t.verdict = verdict;
      t.points = pts;
      t.max_points = max;
      t.duration_ms = 12;
      t.exit_code = 0;
      t.stdout_data = std::string("out\0put \xff\xfe", 10);  // NUL and invalid UTF-8
      r.tests.push_back(t);
    }
    r.failed_tests = {"two"};
    return r;
  }
};

TEST_F(StoreTest, MigrationsAreRecordedAndIdempotent) {
  EXPECT_THAT(pg::migrate(db.url(), GRADEQ_SOURCE_DIR "/migrations"), IsEmpty());
  long files = 0;  // every NNNN_name.sql of migrations/ (each branch may add its own)
  for (const auto& entry : std::filesystem::directory_iterator(GRADEQ_SOURCE_DIR "/migrations")) {
    if (entry.path().extension() == ".sql") ++files;
  }
  EXPECT_GE(files, 7);
  EXPECT_EQ(db.count("SELECT count(*) FROM public.gradeq_schema_migrations"), files);
}

TEST_F(StoreTest, ConcurrentMigrationsWaitForEachOther) {
  testing::TempDatabase other;
  // `other` is migrated already; two more concurrent runs must both see nothing to do and fail
  // on nothing (the advisory lock serializes them).
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      try {
        pg::migrate(other.url(), GRADEQ_SOURCE_DIR "/migrations");
      } catch (...) {
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(StoreTest, ChangedSpecIsANewVersionAndTheSameSpecIsNot) {
  Spec spec = parse_spec(kSpec, "spec.yaml", ".");
  auto first = store.add_assignment(spec, kSpec);
  EXPECT_TRUE(first.new_version);
  EXPECT_EQ(first.version, 1);
  auto again = store.add_assignment(spec, kSpec);
  EXPECT_FALSE(again.new_version);
  EXPECT_EQ(again.version_id, first.version_id);
  spec.tests[0].points = 5;
  auto changed = store.add_assignment(spec, kSpec);
  EXPECT_TRUE(changed.new_version);
  EXPECT_EQ(changed.version, 2);
  auto latest = store.latest_version("cs101", "echo");
  EXPECT_EQ(latest.version, 2);
  EXPECT_DOUBLE_EQ(latest.spec.tests[0].points, 5);
  EXPECT_THROW(store.latest_version("cs101", "nope"), pg::NotFound);
}

TEST_F(StoreTest, SubmissionsAreStoredWithTheirFilesAndBatch) {
  auto v = add_echo();
  std::vector<pg::NewSubmission> subs{{"alice", {{"echo.py", std::string("a\0b", 3), false}}},
                                      {"bob", {{"echo.py", "print(2)\n", false}}}};
  auto [ids, batch] = store.add_submissions(v, subs, Lane::bulk, std::string("export-1"));
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_TRUE(is_uuid(ids[0]));
  EXPECT_TRUE(is_uuid(batch));
  auto progress = store.batch_progress(batch);
  EXPECT_EQ(progress.total, 2);
  EXPECT_EQ(progress.queued, 2);
  EXPECT_FALSE(progress.done());
  pg::Work work;
  ASSERT_EQ(store.claim({ids[0], 1, Lane::bulk}, work), pg::Claim::claimed);
  ASSERT_EQ(work.files.size(), 1u);
  EXPECT_EQ(work.files[0].content, std::string("a\0b", 3));  // bytes survive
  EXPECT_EQ(work.student, "alice");
  EXPECT_EQ(work.spec.tests.size(), 3u);
  EXPECT_EQ(store.batch_progress(batch).running, 1);
  EXPECT_THAT(store.queued_jobs(batch).size(), 1u);
}

TEST_F(StoreTest, ClaimTellsMissingSupersededAndFinished) {
  auto v = add_echo();
  std::string id = submit(v, "carol");
  pg::Work work;
  EXPECT_EQ(store.claim({"00000000-0000-0000-0000-000000000000", 1, Lane::bulk}, work), pg::Claim::missing);
  EXPECT_EQ(store.claim({id, 2, Lane::bulk}, work), pg::Claim::superseded);
  ASSERT_EQ(store.claim({id, 1, Lane::bulk}, work), pg::Claim::claimed);
  ASSERT_TRUE(store.store_result({id, 1, Lane::bulk}, result_with_two_failed(),
                                 {std::chrono::system_clock::now(), 300}, "test", 8192));
  EXPECT_EQ(store.claim({id, 1, Lane::bulk}, work), pg::Claim::finished);
}

TEST_F(StoreTest, ResultIsStoredOnceAndTheViewsShowIt) {
  auto v = add_echo();
  std::string id = submit(v, "dave");
  pg::Work work;
  ASSERT_EQ(store.claim({id, 1, Lane::interactive}, work), pg::Claim::claimed);
  Job job{id, 1, Lane::interactive};
  pg::ResultTimes times{std::chrono::system_clock::now(), 250};
  EXPECT_TRUE(store.store_result(job, result_with_two_failed(), times, "test", 8192));
  EXPECT_FALSE(store.store_result(job, result_with_two_failed(), times, "test", 8192));
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.grading_runs"), 1);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.test_results"), 3);

  pqxx::connection c(db.url());
  pqxx::read_transaction tx(c);
  auto r = tx.exec1(
      "SELECT course, assignment, student, status, score, max_score, array_to_string(failed_tests, ','),"
      " graded_at IS NOT NULL FROM gradeq.v_results WHERE submission_id = '" + id + "'");
  EXPECT_EQ(r[0].as<std::string>(), "cs101");
  EXPECT_EQ(r[1].as<std::string>(), "echo");
  EXPECT_EQ(r[2].as<std::string>(), "dave");
  EXPECT_EQ(r[3].as<std::string>(), "graded");
  EXPECT_DOUBLE_EQ(r[4].as<double>(), 2);
  EXPECT_DOUBLE_EQ(r[5].as<double>(), 4);
  EXPECT_EQ(r[6].as<std::string>(), "two");
  EXPECT_TRUE(r[7].as<bool>());
  auto times_row = tx.exec1(
      "SELECT submitted_at <= picked_up_at, picked_up_at IS NOT NULL, started_at IS NOT NULL,"
      " finished_at >= picked_up_at FROM gradeq.submissions WHERE id = '" + id + "'");
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(times_row[i].as<bool>()) << "column " << i;
  auto tests = tx.exec("SELECT test_name, verdict, points, max_points FROM gradeq.v_test_results"
                       " WHERE submission_id = '" + id + "' ORDER BY test_name");
  ASSERT_EQ(tests.size(), 3u);
  EXPECT_EQ(tests[2][0].as<std::string>(), "two");
  EXPECT_EQ(tests[2][1].as<std::string>(), "wrong_answer");
  auto stored = tx.exec1("SELECT stdout FROM gradeq.test_results LIMIT 1")[0].as<std::string>();
  EXPECT_EQ(stored, "out\xe2\x90\x80put \xef\xbf\xbd\xef\xbf\xbd");
  auto book = tx.exec1("SELECT student, score FROM gradeq.v_gradebook");
  EXPECT_EQ(book[0].as<std::string>(), "dave");
}

// Scores and points are stored as the shortest decimal that reads back as the same double:
// staff and LMS exports see 0.1 and 4.1, not 0.10000000000000001.
TEST_F(StoreTest, FractionalPointsAreStoredAsTheirShortestDecimal) {
  auto v = add_echo();
  std::string id = submit(v, "frac");
  pg::Work work;
  ASSERT_EQ(store.claim({id, 1, Lane::interactive}, work), pg::Claim::claimed);
  GradeResult r = result_with_two_failed();
  r.score = 0.1 + 0.2;  // 0.30000000000000004: a sum of spread points
  r.max_score = 4.1;
  r.tests[0].points = 0.1;
  r.tests[0].max_points = 1.0 / 3.0;
  ASSERT_TRUE(store.store_result({id, 1, Lane::interactive}, r, {std::chrono::system_clock::now(), 1}, "test", 8192));
  pqxx::connection c(db.url());
  pqxx::read_transaction tx(c);
  auto run = tx.exec1("SELECT score::text, max_score::text FROM gradeq.v_results WHERE submission_id = '" + id + "'");
  EXPECT_EQ(run[0].as<std::string>(), "0.30000000000000004") << "the double's own value, no more digits";
  EXPECT_EQ(run[1].as<std::string>(), "4.1");
  auto t = tx.exec1("SELECT points::text, max_points::text FROM gradeq.test_results WHERE ordinal = 0");
  EXPECT_EQ(t[0].as<std::string>(), "0.1");
  EXPECT_EQ(t[1].as<std::string>(), "0.3333333333333333");
  EXPECT_EQ(tx.exec1("SELECT max_score::text FROM gradeq.assignment_versions")[0].as<std::string>(), "4");
}

TEST_F(StoreTest, StoredOutputIsCappedWithAVisibleMarker) {
  auto v = add_echo();
  std::string id = submit(v, "erin");
  pg::Work work;
  ASSERT_EQ(store.claim({id, 1, Lane::bulk}, work), pg::Claim::claimed);
  GradeResult r = result_with_two_failed();
  r.tests[0].stdout_data = std::string(100000, 'x');
  ASSERT_TRUE(store.store_result({id, 1, Lane::bulk}, r, {std::chrono::system_clock::now(), 1}, "t", 1000));
  pqxx::connection c(db.url());
  pqxx::read_transaction tx(c);
  auto out = tx.exec1("SELECT stdout FROM gradeq.test_results WHERE ordinal = 0")[0].as<std::string>();
  EXPECT_EQ(out.substr(0, 1000), std::string(1000, 'x'));
  EXPECT_NE(out.find("truncated by gradeq: 100000 bytes"), std::string::npos);
  EXPECT_LT(out.size(), 1200u);
}

TEST_F(StoreTest, ErrorIsASystemFaultWithAReasonAndNeverOverwritesAGrade) {
  auto v = add_echo();
  std::string id = submit(v, "frank");
  store.mark_error({id, 1, Lane::bulk}, "docker engine unreachable");
  auto rows = store.gradebook(std::nullopt, std::nullopt, std::nullopt);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, "error");
  EXPECT_EQ(rows[0].error_reason, "docker engine unreachable");
  EXPECT_FALSE(rows[0].score.has_value());

  std::string graded = submit(v, "gina");
  pg::Work work;
  ASSERT_EQ(store.claim({graded, 1, Lane::bulk}, work), pg::Claim::claimed);
  ASSERT_TRUE(store.store_result({graded, 1, Lane::bulk}, result_with_two_failed(),
                                 {std::chrono::system_clock::now(), 1}, "t", 100));
  store.mark_error({graded, 1, Lane::bulk}, "late fault");
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions WHERE status = 'graded'"), 1);
}

TEST_F(StoreTest, ReportingRoleSeesViewsButNotSourceOrExpectations) {
  auto v = add_echo();
  submit(v, "hal");
  pqxx::connection c(db.url());  // scripts/lib.sh makes the app role a member of the reporting role
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
  EXPECT_TRUE(allowed("SELECT * FROM gradeq.v_results"));
  EXPECT_TRUE(allowed("SELECT * FROM gradeq.v_test_results"));
  EXPECT_TRUE(allowed("SELECT * FROM gradeq.v_gradebook"));
  EXPECT_FALSE(allowed("SELECT * FROM gradeq.submission_files"));
  EXPECT_FALSE(allowed("SELECT spec FROM gradeq.assignment_versions"));
  EXPECT_FALSE(allowed("SELECT stdout FROM gradeq.test_results"));
}

// --- delivery guarantees: the outbox, the sweeper, leases, dead letters -----------------------

// Submissions are stored in chunks through unnest(): quoting, every byte value, empty files,
// submissions with several files or none, input order of the returned IDs, and a batch bigger
// than one chunk (16 MiB of hex per statement) all come out as they went in.
TEST_F(StoreTest, ABigBatchIsStoredInChunksWithEveryNameAndByteIntact) {
  auto v = add_echo();
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte += static_cast<char>(b);
  std::vector<pg::NewSubmission> subs;
  subs.push_back({"quote\"back\\slash{,}", {{"echo.py", every_byte, false}, {"dir/a b\"c.txt", "", false}}});
  subs.push_back({"ünïcødé", {{"echo.py", "print('é')\n", false}}});
  subs.push_back({"NULL", {}});
  const std::string big(1u << 20, 'x');  // 30 x 1 MiB = 60 MiB of hex: four chunks
  for (int i = 0; i < 30; ++i) subs.push_back({"big" + std::to_string(i), {{"echo.py", big + std::to_string(i), false}}});
  auto [ids, batch] = store.add_submissions(v, subs, Lane::bulk, std::string("chunks"));
  ASSERT_EQ(ids.size(), subs.size());
  EXPECT_EQ(db.count("SELECT count(DISTINCT id) FROM gradeq.submissions"), static_cast<long>(subs.size()));
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.jobs WHERE published_at IS NULL"), static_cast<long>(subs.size()));
  for (std::size_t i = 0; i < subs.size(); ++i) {
    pg::Work work;
    ASSERT_EQ(store.claim({ids[i], 1, Lane::bulk}, work), pg::Claim::claimed) << i;
    EXPECT_EQ(work.student, subs[i].student) << "IDs come back in input order";
    ASSERT_EQ(work.files.size(), subs[i].files.size()) << subs[i].student;
    std::map<std::string, std::string> want, got;
    for (const auto& f : subs[i].files) want[f.path] = f.content;
    for (const auto& f : work.files) got[f.path] = f.content;
    EXPECT_TRUE(want == got) << subs[i].student << ": files differ";
  }
}

TEST_F(StoreTest, SubmissionsAndTheirJobsAreWrittenInOneTransactionUnpublished) {
  auto v = add_echo();
  std::string id = submit(v, "ida");
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.jobs WHERE submission_id = '" + id +
                     "' AND attempt = 1 AND lane = 'interactive' AND published_at IS NULL"), 1);
  store.mark_published({{id, 1, Lane::interactive}});
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.jobs WHERE published_at IS NOT NULL AND publish_count = 1"), 1);

  // A failing batch stores neither submissions nor jobs.
  pg::NewSubmission ok{"jo", {{"echo.py", "x", false}}};
  pg::NewSubmission bad{"ki", {{"echo.py", "x", false}, {"echo.py", "twice", false}}};  // duplicate path
  EXPECT_THROW(store.add_submissions(v, {ok, bad}, Lane::bulk, std::string("b")), pg::DatabaseError);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions"), 1);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.jobs"), 1);
}

TEST_F(StoreTest, TheSweeperPublishesLeftOverJobsAndExpiredLeasesAndMarksNothingWhenPublishFails) {
  auto v = add_echo();
  std::string fresh = submit(v, "lu");      // unpublished, but younger than the grace period
  std::string left = submit(v, "mo");       // unpublished and old: its producer died
  std::string published = submit(v, "ned"); // published and waiting in the queue: not swept
  std::string lost = submit(v, "ola");      // running past its lease: its grader died
  std::string busy = submit(v, "pia");      // running within its lease
  store.mark_published({{published, 1, Lane::interactive}, {lost, 1, Lane::interactive},
                        {busy, 1, Lane::interactive}});
  pg::Work work;
  ASSERT_EQ(store.claim({lost, 1, Lane::interactive}, work), pg::Claim::claimed);
  ASSERT_EQ(store.claim({busy, 1, Lane::interactive}, work), pg::Claim::claimed);
  {
    pqxx::connection c(db.url());
    pqxx::work tx(c);
    tx.exec("UPDATE gradeq.jobs SET created_at = now() - interval '5 minutes' WHERE submission_id = '" + left + "'");
    tx.exec("UPDATE gradeq.submissions SET lease_until = now() - interval '1 second' WHERE id = '" + lost + "'");
    tx.commit();
  }
  pg::SweepPolicy policy;
  policy.unpublished_grace = std::chrono::seconds(60);

  auto failing = [](const std::vector<Job>&) { throw std::runtime_error("broker down"); };
  EXPECT_THROW(store.sweep(policy, failing), std::runtime_error);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.jobs WHERE published_at IS NULL"), 2)
      << "a failed publish marks nothing";

  std::vector<Job> sent;
  auto r = store.sweep(policy, [&](const std::vector<Job>& jobs) { sent = jobs; });
  EXPECT_EQ(r.unpublished, 1u);
  EXPECT_EQ(r.expired, 1u);
  std::vector<std::string> ids;
  for (const auto& j : sent) ids.push_back(j.submission_id);
  EXPECT_THAT(ids, ElementsAre(left, lost));
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.jobs WHERE published_at IS NULL"), 1);  // fresh
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions WHERE id = '" + lost +
                     "' AND lease_until > now() + interval '5 minutes'"), 1)
      << "a republished submission gets a new lease, so the next sweep does not send it again";
  EXPECT_EQ(store.sweep(policy, [&](const std::vector<Job>& jobs) { sent = jobs; }).total(), 0u);
  (void)fresh;
}

TEST_F(StoreTest, AQueuedSubmissionWhoseMessageIsGoneIsRepublishedOnlyWhenItsLaneIsEmpty) {
  auto v = add_echo();
  std::string waiting = submit(v, "uma");  // published an hour ago, still queued
  std::string recent = submit(v, "vic");   // published just now
  store.mark_published({{waiting, 1, Lane::interactive}, {recent, 1, Lane::interactive}});
  {
    pqxx::connection c(db.url());
    pqxx::work tx(c);
    tx.exec("UPDATE gradeq.jobs SET published_at = now() - interval '1 hour' WHERE submission_id = '" + waiting + "'");
    tx.commit();
  }
  std::vector<Job> sent;
  auto capture = [&](const std::vector<Job>& jobs) { sent = jobs; };
  pg::SweepPolicy policy;
  policy.empty_lanes = {Lane::bulk};  // the interactive queue still holds messages: it may be there
  EXPECT_EQ(store.sweep(policy, capture).total(), 0u);
  policy.empty_lanes = {Lane::interactive, Lane::bulk};  // nothing ready: its message is gone
  auto r = store.sweep(policy, capture);
  EXPECT_EQ(r.stranded, 1u);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].submission_id, waiting);
  EXPECT_EQ(store.sweep(policy, capture).total(), 0u) << "published again just now: not stranded";
}

TEST_F(StoreTest, AClaimCountsTheDeliveryAndHoldsALeaseForTheGivenTime) {
  auto v = add_echo();
  std::string id = submit(v, "quin");
  pg::Work work;
  ASSERT_EQ(store.claim({id, 1, Lane::interactive}, work,
                        [](const Spec& spec) {
                          EXPECT_EQ(spec.tests.size(), 3u);
                          return std::chrono::milliseconds(90000);
                        }),
            pg::Claim::claimed);
  EXPECT_EQ(db.count("SELECT deliveries FROM gradeq.submissions"), 1);
  EXPECT_EQ(db.count("SELECT round(extract(epoch FROM lease_until - picked_up_at))::int FROM gradeq.submissions"), 90);
  ASSERT_EQ(store.claim({id, 1, Lane::interactive}, work), pg::Claim::claimed);
  EXPECT_EQ(db.count("SELECT deliveries FROM gradeq.submissions"), 2);
  ASSERT_TRUE(store.store_result({id, 1, Lane::bulk}, result_with_two_failed(),
                                 {std::chrono::system_clock::now(), 1}, "t", 100));
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions WHERE lease_until IS NULL"), 1);
}

TEST_F(StoreTest, ADeadLetterIsRecordedOnceAndEndsItsAttemptWithTheReason) {
  auto v = add_echo();
  std::string id = submit(v, "rey");
  pg::Work work;
  for (int i = 0; i < 6; ++i) ASSERT_EQ(store.claim({id, 1, Lane::bulk}, work), pg::Claim::claimed);
  store.record_fault({id, 1, Lane::bulk}, "container could not start: image missing");
  pg::DeadLetter letter;
  letter.queue = "gradeq.bulk";
  letter.death_reason = "delivery_limit";
  letter.reason = "delivered 6 times without a result";
  letter.body = to_json(Job{id, 1, Lane::bulk});
  letter.dead_at = 1790000000;
  letter.deliveries = 6;
  letter.job = Job{id, 1, Lane::bulk};
  auto first = store.record_dead_letter(letter, 5);
  EXPECT_TRUE(first.recorded);
  EXPECT_TRUE(first.marked_error);
  EXPECT_EQ(first.reason, "delivered 6 times without a result; last fault: container could not start: image missing");
  auto rows = store.gradebook(std::nullopt, std::nullopt, std::nullopt);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, "error");
  EXPECT_EQ(rows[0].error_reason, first.reason);

  auto again = store.record_dead_letter(letter);  // the dead letter redelivered to its recorder
  EXPECT_FALSE(again.recorded);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.dead_letters"), 1);

  // A dead duplicate of an attempt that was graded leaves the grade alone.
  std::string graded = submit(v, "sam");
  ASSERT_EQ(store.claim({graded, 1, Lane::bulk}, work), pg::Claim::claimed);
  ASSERT_TRUE(store.store_result({graded, 1, Lane::bulk}, result_with_two_failed(),
                                 {std::chrono::system_clock::now(), 1}, "t", 100));
  letter.body = to_json(Job{graded, 1, Lane::bulk});
  letter.job = Job{graded, 1, Lane::bulk};
  auto late = store.record_dead_letter(letter);
  EXPECT_TRUE(late.recorded);
  EXPECT_FALSE(late.marked_error);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions WHERE status = 'graded'"), 1);

  // Not a job at all, and a job of no submission: recorded with what is known.
  pg::DeadLetter junk;
  junk.queue = "gradeq.interactive";
  junk.death_reason = "rejected";
  junk.reason = "not a job message: not JSON";
  junk.body = "\xff{not json";
  junk.dead_at = 1790000001;
  EXPECT_TRUE(store.record_dead_letter(junk).recorded);
  pg::DeadLetter ghost = junk;
  ghost.reason = "rejected by a grader as poison";
  ghost.job = Job{"6f1c2a34-0000-4000-8000-000000000001", 1, Lane::interactive};
  ghost.body = to_json(*ghost.job);
  auto g = store.record_dead_letter(ghost);
  EXPECT_TRUE(g.recorded);
  EXPECT_EQ(g.reason, "no such submission 6f1c2a34-0000-4000-8000-000000000001 (rejected by a grader as poison)");
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.dead_letters WHERE submission_id IS NULL"), 2);
}

TEST_F(StoreTest, AJobOverTheLimitThatWasMostlyGivenBackIsRevivedNotFailed) {
  // RabbitMQ counts a delivery given back unstarted (a grader stopping, a dropped connection) like
  // a failed one. A job that reached the limit that way is not at fault.
  auto v = add_echo();
  std::string id = submit(v, "tia");
  pg::Work work;
  ASSERT_EQ(store.claim({id, 1, Lane::bulk}, work), pg::Claim::claimed);  // one real start
  pg::DeadLetter letter;
  letter.queue = "gradeq.interactive";
  letter.death_reason = "delivery_limit";
  letter.reason = "delivered 6 times without a result";
  letter.body = to_json(Job{id, 1, Lane::interactive});
  letter.dead_at = 1790000100;
  letter.job = Job{id, 1, Lane::interactive};
  auto r = store.record_dead_letter(letter, 5);
  EXPECT_TRUE(r.recorded);
  EXPECT_FALSE(r.marked_error);
  ASSERT_TRUE(r.revive.has_value());
  EXPECT_EQ(r.revive->submission_id, id);
  EXPECT_EQ(r.revive->lane, Lane::interactive);
  EXPECT_THAT(r.reason, ::testing::HasSubstr("revived: only 1 of those deliveries were claimed"));
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions WHERE status = 'running'"), 1);
  // Without revival (the default), the same letter ends the attempt.
  letter.dead_at = 1790000101;
  auto plain = store.record_dead_letter(letter);
  EXPECT_FALSE(plain.revive.has_value());
  EXPECT_TRUE(plain.marked_error);
}

}  // namespace
}  // namespace gradeq
