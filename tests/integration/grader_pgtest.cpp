// The grader's job handling against a real PostgreSQL, with the sandbox replaced by a scripted
// one: the ack contract (ack after commit, reject poison, throw on system faults), duplicates,
// superseded attempts, and that a system fault is never charged to the student.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include <pqxx/pqxx>

#include "gradeq/grader.hpp"
#include "support.hpp"

namespace gradeq {
namespace {

const char* kSpec = R"(
course: cs101
assignment: double
language: python
files: [double.py]
run: python3 double.py
limits: {memory_mb: 512, cpus: 2, time_s: 1.5}
tests:
  - name: two
    stdin: "2\n"
    expect_stdout: "4\n"
  - name: ten
    stdin: "10\n"
    expect_stdout: "20\n"
    points: 3
)";

// A sandbox whose behaviour each test scripts; it records the requests it was given.
class ScriptedSandbox : public Sandbox {
 public:
  std::function<SandboxOutcome(const SandboxRequest&)> behaviour;
  std::function<bool()> answers = [] { return true; };  // available()
  std::vector<SandboxRequest> requests;
  int availability_checks = 0;
  SandboxOutcome run(const SandboxRequest& request) override {
    {
      std::lock_guard<std::mutex> lock(mutex);
      requests.push_back(request);
    }
    return behaviour(request);
  }
  std::mutex mutex;
  bool available() override {
    ++availability_checks;
    return answers();
  }
};

wire::StepResult ran(const std::string& name, const std::string& out, int exit_code = 0) {
  wire::StepResult r;
  r.name = name;
  r.started = true;
  r.exit_code = exit_code;
  r.wall_ms = 30;
  r.stdout_data = out;
  return r;
}

class GraderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store.add_assignment(parse_spec(kSpec, "spec.yaml", "."), kSpec);
    version = store.latest_version("cs101", "double");
    settings.database_url = db.url();
    settings.grader_id = "test:1";
  }

  std::string submit(const std::string& student) {
    pg::NewSubmission s{student, {{"double.py", "print(2 * int(input()))\n", false}}};
    return store.add_submissions(version, {s}, Lane::interactive, std::nullopt).first.at(0);
  }

  std::string message(const std::string& id, int attempt = 1) {
    return to_json(Job{id, attempt, Lane::interactive});
  }

  // The delivery of `id` that the broker makes after `returns` earlier deliveries came back.
  amqp::Delivery delivery(const std::string& id, std::uint32_t returns) {
    amqp::Delivery d{};
    d.queue = "gradeq.interactive";
    d.body = message(id);
    d.redelivered = returns > 0;
    d.delivery_count = returns;
    return d;
  }

  std::string status(const std::string& id) {
    pqxx::connection c(db.url());
    pqxx::read_transaction tx(c);
    return tx.exec1("SELECT status || ':' || COALESCE(error_reason, '') FROM gradeq.submissions"
                    " WHERE id = '" + id + "'")[0]
        .as<std::string>();
  }

  testing::TempDatabase db;
  pg::Store store{db.url()};
  pg::AssignmentVersion version;
  grader::Settings settings;
  ScriptedSandbox sandbox;
};

TEST_F(GraderTest, GradesStoresAndAcksOnceThenAcksDuplicatesWithoutWriting) {
  sandbox.behaviour = [](const SandboxRequest&) {
    SandboxOutcome o;
    o.report.tests = {ran("two", "4\n"), ran("ten", "21\n")};
    o.container_ms = 400;
    return o;
  };
  grader::JobHandler handler(settings, sandbox);
  std::string id = submit("ann");
  grader::Outcome outcome;
  EXPECT_EQ(handler.handle(message(id), &outcome), amqp::Disposition::ack);
  EXPECT_EQ(outcome, grader::Outcome::graded);
  EXPECT_EQ(handler.handle(message(id), &outcome), amqp::Disposition::ack);
  EXPECT_EQ(outcome, grader::Outcome::duplicate);
  EXPECT_EQ(sandbox.requests.size(), 1u) << "a duplicate delivery must not run the code again";
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.grading_runs"), 1);
  auto rows = store.gradebook(std::nullopt, std::nullopt, std::nullopt);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_DOUBLE_EQ(*rows[0].score, 1);
  EXPECT_EQ(rows[0].failed_tests, std::vector<std::string>{"ten"});
}

TEST_F(GraderTest, TheContainerRequestCarriesTheOperatorCapsLabelsAndADeadline) {
  sandbox.behaviour = [](const SandboxRequest&) -> SandboxOutcome { throw SandboxError("scripted"); };
  grader::JobHandler handler(settings, sandbox);
  std::string id = submit("bea");
  EXPECT_THROW(handler.handle(message(id)), SandboxError);
  ASSERT_EQ(sandbox.requests.size(), 1u);
  const SandboxRequest& r = sandbox.requests[0];
  EXPECT_EQ(r.image, "gradeq-runner-python:latest");
  EXPECT_EQ(r.limits.memory_mb, 128) << "the spec asked for 512; the operator allows 128";
  EXPECT_DOUBLE_EQ(r.limits.cpus, 0.5) << "the spec asked for 2 CPUs";
  EXPECT_FALSE(r.limits.network);
  EXPECT_EQ(r.labels.at("gradeq.submission"), id);
  EXPECT_EQ(r.labels.at("gradeq.grader"), "test:1");
  EXPECT_EQ(r.deadline.count(), static_cast<long long>((1.5 + 1.5 + settings.grace_s) * 1000));
  ASSERT_EQ(r.bundle.tests.size(), 2u);
  EXPECT_EQ(r.bundle.tests[0].memory_mb, 128);
  EXPECT_EQ(r.bundle.files.at(0).path, "double.py");
  EXPECT_EQ(r.limits.cpu_shares, 0) << "an interactive container keeps the engine's default weight";
}

// A bulk job does not start its container while an interactive one runs (up to bulk_hold_s),
// and starts anyway once the bound has passed.
TEST_F(GraderTest, ABulkJobWaitsForRunningInteractiveContainersBoundedly) {
  std::mutex mutex;
  std::condition_variable changed;
  bool interactive_started = false, release = false, bulk_started = false, bulk_started_before_release = false;
  sandbox.behaviour = [&](const SandboxRequest& r) {
    std::unique_lock<std::mutex> lock(mutex);
    if (r.labels.at("gradeq.attempt") == "1" && r.limits.cpu_shares == 0) {  // the interactive job
      interactive_started = true;
      changed.notify_all();
      changed.wait_for(lock, std::chrono::seconds(30), [&] { return release; });
    } else {
      bulk_started = true;
      bulk_started_before_release = !release;
      changed.notify_all();
    }
    SandboxOutcome o;
    o.report.tests = {ran("two", "4\n"), ran("ten", "20\n")};
    return o;
  };
  auto bulk_delivery = [&](const std::string& id) {
    amqp::Delivery d = delivery(id, 0);
    d.queue = "gradeq.bulk";
    d.body = to_json(Job{id, 1, Lane::bulk});
    return d;
  };
  settings.bulk_hold_s = 30;  // longer than the test: only the interactive job's end lets it go
  {
    grader::JobHandler handler(settings, sandbox);
    const std::string first = submit("ivy"), second = submit("bo");
    std::thread interactive([&] { handler.handle(message(first)); });
    {
      std::unique_lock<std::mutex> lock(mutex);
      ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(30), [&] { return interactive_started; }));
    }
    std::thread bulk([&] { handler.handle(bulk_delivery(second)); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    {
      std::lock_guard<std::mutex> lock(mutex);
      EXPECT_FALSE(bulk_started) << "a bulk container started while an interactive one ran";
      release = true;
    }
    changed.notify_all();
    interactive.join();
    bulk.join();
    EXPECT_TRUE(bulk_started);
    EXPECT_FALSE(bulk_started_before_release);
  }
  // With a short bound, the bulk job goes ahead while the interactive one still runs.
  interactive_started = release = bulk_started = false;
  settings.bulk_hold_s = 0.2;
  grader::JobHandler handler(settings, sandbox);
  const std::string third = submit("cy"), fourth = submit("di");
  std::thread interactive([&] { handler.handle(message(third)); });
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(30), [&] { return interactive_started; }));
  }
  handler.handle(bulk_delivery(fourth));
  {
    std::lock_guard<std::mutex> lock(mutex);
    EXPECT_TRUE(bulk_started_before_release) << "the hold is bounded";
    release = true;
  }
  changed.notify_all();
  interactive.join();
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions WHERE status = 'graded'"), 4);
}

TEST_F(GraderTest, BulkContainersWeighLessThanInteractiveOnesUnderContention) {
  sandbox.behaviour = [](const SandboxRequest&) -> SandboxOutcome { throw SandboxError("scripted"); };
  grader::JobHandler handler(settings, sandbox);
  std::string id = submit("bob");
  amqp::Delivery d = delivery(id, 0);
  d.queue = "gradeq.bulk";
  d.body = to_json(Job{id, 1, Lane::bulk});
  EXPECT_THROW(handler.handle(d), SandboxError);
  ASSERT_EQ(sandbox.requests.size(), 1u);
  EXPECT_EQ(sandbox.requests[0].limits.cpu_shares, 256);
  EXPECT_DOUBLE_EQ(sandbox.requests[0].limits.cpus, 0.5) << "the weight is not a cap";

  settings.bulk_cpu_shares = 0;  // the operator turned it off
  grader::JobHandler same(settings, sandbox);
  EXPECT_THROW(same.handle(d), SandboxError);
  ASSERT_EQ(sandbox.requests.size(), 2u);
  EXPECT_EQ(sandbox.requests[1].limits.cpu_shares, 0);
}

TEST_F(GraderTest, AJobsOwnFaultsAreRequeuedUntilTheLastDeliveryThenMarkedErrorNeverAGrade) {
  // The engine answers, but this job's container cannot start: the job's fault, counted by the
  // broker (x-delivery-count); the grader gives up on the last delivery the queue allows.
  sandbox.behaviour = [](const SandboxRequest&) -> SandboxOutcome {
    throw SandboxError("docker run failed: image gradeq-runner-python:latest not found");
  };
  settings.delivery_limit = 5;
  grader::JobHandler handler(settings, sandbox);
  std::string id = submit("cid");
  for (std::uint32_t returns = 0; returns < 5; ++returns) {
    EXPECT_THROW(handler.handle(delivery(id, returns)), SandboxError) << "delivery " << returns + 1;
    EXPECT_EQ(status(id), "running:");
  }
  grader::Outcome outcome;
  EXPECT_EQ(handler.handle(delivery(id, 5), &outcome), amqp::Disposition::reject);
  EXPECT_EQ(outcome, grader::Outcome::gave_up);
  EXPECT_THAT(status(id), ::testing::StartsWith("error:system error, given up after 6 deliveries"));
  EXPECT_THAT(status(id), ::testing::HasSubstr("image gradeq-runner-python:latest not found"));
  EXPECT_EQ(db.count("SELECT deliveries FROM gradeq.submissions"), 6);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions WHERE last_fault LIKE '%not found%'"), 1);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.grading_runs"), 0) << "nothing charged to the student";
}

TEST_F(GraderTest, AnEngineOutageIsWaitedOutInPlaceAndNotCountedAgainstTheJob) {
  // The engine goes away under the first run and answers again on the third check.
  int runs = 0;
  sandbox.behaviour = [&runs](const SandboxRequest&) -> SandboxOutcome {
    if (++runs == 1) throw SandboxError("Cannot connect to the Docker daemon");
    SandboxOutcome o;
    o.report.tests = {ran("two", "4\n"), ran("ten", "20\n")};
    return o;
  };
  int checks = 0;
  sandbox.answers = [&checks] { return ++checks >= 3; };
  grader::JobHandler handler(settings, sandbox);
  std::string id = submit("cy");
  grader::Outcome outcome;
  // Even on what would be the last delivery: an outage is never the job's fault.
  EXPECT_EQ(handler.handle(delivery(id, 5), &outcome), amqp::Disposition::ack);
  EXPECT_EQ(outcome, grader::Outcome::graded);
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(sandbox.availability_checks, 3);
  EXPECT_EQ(status(id), "graded:");
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions WHERE last_fault IS NULL"), 1);
}

TEST_F(GraderTest, AStopDuringAnOutageGivesTheJobBackInsteadOfWaiting) {
  sandbox.behaviour = [](const SandboxRequest&) -> SandboxOutcome {
    throw SandboxError("Cannot connect to the Docker daemon");
  };
  std::atomic<bool> stop{false};
  sandbox.answers = [&stop] {
    stop.store(true);  // SIGTERM arrives while the engine is down
    return false;
  };
  grader::JobHandler handler(settings, sandbox, &stop);
  std::string id = submit("cyd");
  EXPECT_THROW(handler.handle(delivery(id, 0)), SandboxError) << "requeued, not graded, not error";
  EXPECT_EQ(status(id), "running:");
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.grading_runs"), 0);
}

TEST_F(GraderTest, ADatabaseThatCannotBeReachedIsWaitedForUntilStop) {
  settings.database_url = testing::with_database("postgresql://gradeq:gradeq@127.0.0.1:1/", "gradeq");
  sandbox.behaviour = [](const SandboxRequest&) -> SandboxOutcome { throw SandboxError("not expected"); };
  std::atomic<bool> stop{false};
  grader::JobHandler handler(settings, sandbox, &stop);
  std::thread later([&stop] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    stop.store(true);
  });
  // The claim waits (retrying with backoff) instead of failing the job; the stop requeues it.
  EXPECT_THROW(handler.handle(message("6f1c2a34-0000-4000-8000-000000000002")), pg::Unavailable);
  later.join();
  EXPECT_TRUE(sandbox.requests.empty());
}

TEST_F(GraderTest, TheLeaseCoversTheContainerDeadlinePlusTheMargin) {
  sandbox.behaviour = [](const SandboxRequest&) -> SandboxOutcome { throw SandboxError("x"); };
  settings.lease_margin_s = 40;
  grader::JobHandler handler(settings, sandbox);
  std::string id = submit("dee");
  EXPECT_THROW(handler.handle(delivery(id, 0)), SandboxError);
  // time_s 1.5 per test, two tests, grace 20, margin 40.
  EXPECT_EQ(db.count("SELECT round(extract(epoch FROM lease_until - picked_up_at))::int"
                     "  FROM gradeq.submissions"), 63);
}

TEST_F(GraderTest, ARunnerFailureIsASystemFaultNotAGrade) {
  sandbox.behaviour = [](const SandboxRequest&) {
    SandboxOutcome o;
    o.report.runner_error = "cannot write the files";
    return o;
  };
  grader::JobHandler handler(settings, sandbox);
  std::string id = submit("dov");
  EXPECT_THROW(handler.handle(message(id)), std::exception);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.grading_runs"), 0);
}

TEST_F(GraderTest, PoisonIsRejectedAndSupersededAttemptsAreAckedUnrun) {
  sandbox.behaviour = [](const SandboxRequest&) -> SandboxOutcome { throw SandboxError("not expected"); };
  grader::JobHandler handler(settings, sandbox);
  grader::Outcome outcome;
  EXPECT_EQ(handler.handle("{not json", &outcome), amqp::Disposition::reject);
  EXPECT_EQ(outcome, grader::Outcome::poison);
  EXPECT_EQ(handler.handle(message("6f1c2a34-0000-4000-8000-000000000001"), &outcome),
            amqp::Disposition::reject);
  EXPECT_EQ(outcome, grader::Outcome::poison);
  std::string id = submit("eve");
  EXPECT_EQ(handler.handle(message(id, 7), &outcome), amqp::Disposition::ack);
  EXPECT_EQ(outcome, grader::Outcome::superseded);
  // A stored spec that no longer loads (e.g. written by a newer gradeq): poison, with the reason.
  std::string broken = submit("fox");
  {
    pqxx::connection c(db.url());
    pqxx::work tx(c);
    tx.exec(R"(UPDATE gradeq.assignment_versions SET spec = '{"course": 1}')");
    tx.commit();
  }
  EXPECT_EQ(handler.handle(message(broken), &outcome), amqp::Disposition::reject);
  EXPECT_EQ(outcome, grader::Outcome::poison);
  EXPECT_THAT(status(broken), ::testing::StartsWith("error:unusable job: the stored spec does not load"));
  EXPECT_TRUE(sandbox.requests.empty());
}

}  // namespace
}  // namespace gradeq

namespace gradeq {
namespace {

amqp::Delivery dead(const std::string& body, const std::string& reason, std::int64_t when) {
  amqp::Delivery d{};
  d.queue = "gradeq.dead";
  d.body = body;
  d.death = amqp::Death{reason, "gradeq.bulk", 1, when};
  return d;
}

TEST_F(GraderTest, DeadLettersAreRecordedOnceAndEndTheirSubmissionWithTheReason) {
  sandbox.behaviour = [](const SandboxRequest&) -> SandboxOutcome { throw SandboxError("not expected"); };
  grader::JobHandler handler(settings, sandbox);
  std::string id = submit("fay");
  {
    pqxx::connection c(db.url());  // graders claimed it every time: it crashed them
    pqxx::work tx(c);
    tx.exec("UPDATE gradeq.submissions SET status = 'running', deliveries = 6 WHERE id = '" + id + "'");
    tx.commit();
  }
  pg::DeadLetterRecord record;
  // Over the delivery limit (a grader crashed on it every time).
  EXPECT_EQ(handler.handle_dead(dead(message(id), "delivery_limit", 1790000000), &record),
            amqp::Disposition::ack);
  EXPECT_TRUE(record.recorded);
  EXPECT_TRUE(record.marked_error);
  EXPECT_THAT(status(id), ::testing::StartsWith("error:delivered 6 times without a result"));
  EXPECT_EQ(handler.handle_dead(dead(message(id), "delivery_limit", 1790000000), &record),
            amqp::Disposition::ack);
  EXPECT_FALSE(record.recorded) << "a dead letter redelivered to its recorder is recorded once";
  // Poison the grader rejected: not JSON; a job of no submission.
  handler.handle_dead(dead("{not json", "rejected", 1790000001), &record);
  EXPECT_THAT(record.reason, ::testing::StartsWith("not a job message: "));
  handler.handle_dead(dead(message("6f1c2a34-0000-4000-8000-000000000003"), "rejected", 1790000002), &record);
  EXPECT_THAT(record.reason, ::testing::StartsWith("no such submission 6f1c2a34-0000-4000-8000-000000000003"));
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.dead_letters"), 3);
  EXPECT_TRUE(sandbox.requests.empty());
}

TEST_F(GraderTest, AJobMostlyGivenBackIsRevivedOntoItsLaneNotFailed) {
  amqp::Topology topology{"gradeq-test-" + testing::unique_token()};
  settings.amqp_url = testing::amqp_url();
  settings.queue_prefix = topology.prefix;
  amqp::declare_topology(settings.amqp_url, topology);
  sandbox.behaviour = [](const SandboxRequest&) -> SandboxOutcome { throw SandboxError("not expected"); };
  grader::JobHandler handler(settings, sandbox);
  std::string id = submit("gil");  // never claimed: six graders stopped holding it
  pg::DeadLetterRecord record;
  EXPECT_EQ(handler.handle_dead(dead(message(id), "delivery_limit", 1790000200), &record),
            amqp::Disposition::ack);
  EXPECT_TRUE(record.revive.has_value());
  EXPECT_EQ(status(id), "queued:");
  EXPECT_EQ(amqp::queue_depth(settings.amqp_url, topology.interactive()), 1u) << "published again";
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.dead_letters WHERE reason LIKE '%revived%'"), 1);
  amqp::delete_topology(settings.amqp_url, topology);
}

}  // namespace
}  // namespace gradeq
