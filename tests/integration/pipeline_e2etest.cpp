// The whole path a submission takes, against the real services: producer -> PostgreSQL +
// RabbitMQ -> grader -> Docker -> PostgreSQL. Every sample suite in test-suites/ is graded and
// each submission's score and failed tests are compared with the suite's grades.yaml.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <pqxx/pqxx>
#include <yaml-cpp/yaml.h>

#include "gradeq/amqp.hpp"
#include "gradeq/docker_sandbox.hpp"
#include "gradeq/grader.hpp"
#include "gradeq/producer.hpp"
#include "support.hpp"

namespace gradeq {
namespace {

namespace fs = std::filesystem;

class PipelineTest : public ::testing::Test {
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

  static producer::Settings producer_settings() {
    producer::Settings s;
    s.database_url = db_->url();
    s.amqp_url = testing::amqp_url();
    s.queue_prefix = topology_.prefix;
    return s;
  }

  static long count(const std::string& sql) {
    pqxx::connection c(db_->url());
    pqxx::read_transaction tx(c);
    return tx.exec1(sql)[0].as<long>();
  }

  static inline testing::TempDatabase* db_ = nullptr;
  static inline amqp::Topology topology_;
  static inline DockerSandbox* sandbox_ = nullptr;
  static inline std::atomic<bool> stop_{false};
  static inline std::thread* grader_ = nullptr;
};

struct Expected {
  double score;
  std::vector<std::string> failed;
};

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST_F(PipelineTest, SampleSuitesGetTheGradesTheirStaffExpect) {
  auto settings = producer_settings();
  std::map<std::string, Expected> expected;  // "course/assignment/student"
  std::vector<std::string> batches;
  int suites = 0;
  for (const auto& entry : fs::directory_iterator(GRADEQ_SOURCE_DIR "/test-suites")) {
    fs::path suite = entry.path();
    if (!fs::exists(suite / "grades.yaml")) continue;
    ++suites;
    pg::AssignmentVersion stored;
    producer::add_assignment(settings, (suite / "spec.yaml").string(), &stored);
    std::string name = stored.spec.course + "/" + stored.spec.assignment;
    batches.push_back(producer::submit_batch(settings, name, (suite / "submissions").string()).batch_id);
    producer::submit(settings, name, "solution", files_in(suite / "solution"));

    YAML::Node grades = YAML::LoadFile((suite / "grades.yaml").string());
    auto add = [&](const std::string& student, const YAML::Node& g) {
      expected[name + "/" + student] = {g["score"].as<double>(),
                                        g["failed_tests"].as<std::vector<std::string>>()};
    };
    add("solution", grades["solution"]);
    for (const auto& kv : grades["students"]) add(kv.first.as<std::string>(), kv.second);
  }
  ASSERT_GE(suites, 3) << "test-suites/ must hold at least three suites";

  for (const auto& batch : batches) {
    auto done = producer::wait_batch(settings, batch, std::chrono::minutes(15), nullptr);
    ASSERT_TRUE(done.has_value()) << "batch " << batch << " did not finish";
  }
  // The single (interactive) submissions are not in a batch: wait for them too.
  for (int i = 0; i < 600 && count("SELECT count(*) FROM gradeq.submissions WHERE status IN "
                                   "('queued','running')") > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }

  pg::Store store(db_->url());
  auto rows = store.gradebook(std::nullopt, std::nullopt, std::nullopt);
  EXPECT_EQ(rows.size(), expected.size());
  for (const auto& row : rows) {
    std::string key = row.course + "/" + row.assignment + "/" + row.student;
    SCOPED_TRACE(key);
    auto it = expected.find(key);
    ASSERT_NE(it, expected.end()) << "a submission grades.yaml does not mention";
    EXPECT_EQ(row.status, "graded") << row.error_reason;
    ASSERT_TRUE(row.score.has_value());
    EXPECT_DOUBLE_EQ(*row.score, it->second.score);
    EXPECT_EQ(row.failed_tests, it->second.failed);
  }
  // Exactly one result per submission, and no container left behind.
  EXPECT_EQ(count("SELECT count(*) FROM gradeq.grading_runs"), static_cast<long>(expected.size()));
  EXPECT_EQ(count("SELECT count(*) FROM (SELECT submission_id FROM gradeq.grading_runs"
                  " GROUP BY submission_id HAVING count(*) > 1) d"),
            0);
}

TEST_F(PipelineTest, AnInvalidSpecStoresNothing) {
  fs::path dir = fs::temp_directory_path() / ("gradeq-spec-" + testing::unique_token());
  fs::create_directories(dir);
  std::ofstream(dir / "spec.yaml") << "course: cs101\nassignment: broken\nlanguage: cobol\n"
                                      "files: [a.py]\nrun: python3 a.py\ntests:\n  - name: t\n"
                                      "    expect_stdout: x\n    timout: 3\n";
  auto before = count("SELECT count(*) FROM gradeq.assignment_versions");
  try {
    producer::add_assignment(producer_settings(), (dir / "spec.yaml").string());
    FAIL() << "an invalid spec was accepted";
  } catch (const SpecError& e) {
    EXPECT_EQ(e.diagnostics().size(), 2u) << e.what();
    EXPECT_THAT(e.what(), ::testing::HasSubstr("spec.yaml:3:11:"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("spec.yaml:9:5: unknown key \"timout\""));
  }
  EXPECT_EQ(count("SELECT count(*) FROM gradeq.assignment_versions"), before);
  fs::remove_all(dir);
}

TEST_F(PipelineTest, ASubmissionMissingARequiredFileStoresAndPublishesNothing) {
  auto settings = producer_settings();
  pg::AssignmentVersion stored;
  fs::path suite = fs::path(GRADEQ_SOURCE_DIR "/test-suites/python-wordfreq");
  producer::add_assignment(settings, (suite / "spec.yaml").string(), &stored);
  fs::path dir = fs::temp_directory_path() / ("gradeq-batch-" + testing::unique_token());
  fs::create_directories(dir / "zoe");
  fs::create_directories(dir / "yan");
  std::ofstream(dir / "zoe" / "notes.txt") << "forgot the code\n";
  for (const auto& f : stored.spec.files) std::ofstream(dir / "yan" / f) << "print(1)\n";
  auto before = count("SELECT count(*) FROM gradeq.submissions");
  std::string name = stored.spec.course + "/" + stored.spec.assignment;
  EXPECT_THROW(producer::submit_batch(settings, name, dir.string()), producer::InputError);
  EXPECT_EQ(count("SELECT count(*) FROM gradeq.submissions"), before);
  EXPECT_EQ(count("SELECT count(*) FROM gradeq.batches WHERE label LIKE '%gradeq-batch-%'"), 0);
  fs::remove_all(dir);
}

TEST_F(PipelineTest, APoisonMessageIsDeadLetteredAndDoesNotBlockTheQueue) {
  amqp::Publisher publisher(testing::amqp_url());
  publisher.publish(topology_.interactive(), {"this is not json"});
  publisher.publish(topology_.interactive(),
                    {to_json(Job{"00000000-0000-4000-8000-000000000000", 1, Lane::interactive})});
  std::uint32_t dead = 0;
  for (int i = 0; i < 120 && dead < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    dead = amqp::queue_depth(testing::amqp_url(), topology_.dead());
  }
  EXPECT_EQ(dead, 2u);
}

}  // namespace
}  // namespace gradeq
