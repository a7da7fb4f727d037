// The grader's job handling against a real PostgreSQL, with the sandbox replaced by a scripted
// one: the ack contract (ack after commit, reject poison, throw on system faults), duplicates,
// superseded attempts, and that a system fault is never charged to the student.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

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
  std::vector<SandboxRequest> requests;
  SandboxOutcome run(const SandboxRequest& request) override {
    requests.push_back(request);
    return behaviour(request);
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
}

TEST_F(GraderTest, SystemFaultsRequeueAndThenMarkErrorNeverAGrade) {
  sandbox.behaviour = [](const SandboxRequest&) -> SandboxOutcome {
    throw SandboxError("Cannot connect to the Docker daemon");
  };
  grader::JobHandler handler(settings, sandbox);
  std::string id = submit("cid");
  EXPECT_THROW(handler.handle(message(id)), SandboxError);
  EXPECT_EQ(status(id), "running:");
  EXPECT_THROW(handler.handle(message(id)), SandboxError);
  grader::Outcome outcome;
  EXPECT_EQ(handler.handle(message(id), &outcome), amqp::Disposition::reject);
  EXPECT_EQ(outcome, grader::Outcome::gave_up);
  EXPECT_THAT(status(id), ::testing::StartsWith("error:system error after 3 attempts"));
  EXPECT_THAT(status(id), ::testing::HasSubstr("Docker daemon"));
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.grading_runs"), 0) << "nothing charged to the student";
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
  EXPECT_TRUE(sandbox.requests.empty());
}

}  // namespace
}  // namespace gradeq
