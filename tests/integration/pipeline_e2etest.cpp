// The whole path a submission takes, against the real services: producer -> PostgreSQL +
// RabbitMQ -> grader -> Docker -> PostgreSQL. Every sample suite in test-suites/ is graded and
// each submission's score, failed tests and (where grades.yaml names them) per-test verdicts are
// compared with the suite's grades.yaml. The hostile suites (test-suites/hostile-*) go through
// the same path; afterwards no container of this grader may be left, the grader's memory must
// not have grown with the floods, and stored output must be capped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <boost/process/child.hpp>
#include <boost/process/io.hpp>
#include <boost/process/search_path.hpp>

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

// How late after its limit a time_limit test may end: the runner must get the CPU to see the
// deadline even when the test fills the container with spinning processes (hostile-c
// "spinners", "forkbomb": 2.5-3.1 s for a 1 s limit before step processes ran under SCHED_IDLE,
// at most 1.36 s since), then kill and reap them before the time is taken.
constexpr long kTimeLimitSlackMs = 600;

class PipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Credentials in the grader's own environment, as a deployed grader has them: none of this
    // may reach student code (test-suites/hostile-python/submissions/env-creds looks for it).
    ::setenv("GRADEQ_E2E_PASSWORD", "hunter2", 1);
    ::setenv("GRADEQ_E2E_BROKER_URL", "amqp://gradeq:hunter2@127.0.0.1:5672/%2f", 1);
    db_ = new testing::TempDatabase();
    topology_.prefix = "gradeq-test-" + testing::unique_token();
    amqp::declare_topology(testing::amqp_url(), topology_);
    sandbox_ = new DockerSandbox();
    grader::Settings gs;
    gs.database_url = db_->url();
    gs.amqp_url = testing::amqp_url();
    gs.queue_prefix = topology_.prefix;
    gs.concurrency = 2;
    gs.grader_id = grader_id_;
    gs.image_prefix = testing::env_or("GRADEQ_IMAGE_PREFIX", gs.image_prefix);
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

  // This grader's label value: the engine may be shared with other tests running at the same
  // time, so "no container left" is asked about this grader's containers only.
  static inline const std::string grader_id_ = "e2e-" + testing::unique_token();
  static inline testing::TempDatabase* db_ = nullptr;
  static inline amqp::Topology topology_;
  static inline DockerSandbox* sandbox_ = nullptr;
  static inline std::atomic<bool> stop_{false};
  static inline std::thread* grader_ = nullptr;
};

struct Expected {
  double score;
  std::vector<std::string> failed;
  std::map<std::string, std::string> verdicts;  // test -> verdict; only the tests named
  std::map<std::string, std::string> messages;  // test -> what its message must contain
};

// The resident set of this process (the grader runs in it), in KiB.
long vm_rss_kb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// IDs of the containers that carry all of `labels`, running or not.
std::vector<std::string> containers_labelled(const std::vector<std::string>& labels) {
  namespace bp = boost::process;
  std::vector<std::string> args{"ps", "-a", "-q"};
  for (const auto& l : labels) {
    args.push_back("--filter");
    args.push_back("label=" + l);
  }
  bp::ipstream out;
  bp::child docker(bp::search_path("docker"), args, bp::std_out > out, bp::std_err > bp::null);
  std::vector<std::string> ids;
  for (std::string line; std::getline(out, line);) {
    if (!line.empty()) ids.push_back(line);
  }
  docker.wait();
  if (docker.exit_code() != 0) ids.push_back("(docker ps failed)");
  return ids;
}

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST_F(PipelineTest, SampleSuitesGetTheGradesTheirStaffExpect) {
  const long rss_before = vm_rss_kb();
  const auto started = std::chrono::steady_clock::now();
  auto settings = producer_settings();
  std::map<std::string, Expected> expected;  // "course/assignment/student"
  std::map<std::string, double> time_limits;  // "course/assignment/test" -> seconds
  std::vector<std::string> batches;
  int suites = 0;
  int hostile_programs = 0;
  for (const auto& entry : fs::directory_iterator(GRADEQ_SOURCE_DIR "/test-suites")) {
    fs::path suite = entry.path();
    if (!fs::exists(suite / "grades.yaml")) continue;
    ++suites;
    pg::AssignmentVersion stored;
    producer::add_assignment(settings, (suite / "spec.yaml").string(), &stored);
    std::string name = stored.spec.course + "/" + stored.spec.assignment;
    for (const auto& t : stored.spec.tests) time_limits[name + "/" + t.name] = t.time_s;
    // The hostile suites must say what every test of every submission comes to.
    const bool hostile = suite.filename().string().rfind("hostile-", 0) == 0;
    batches.push_back(producer::submit_batch(settings, name, (suite / "submissions").string()).batch_id);
    producer::submit(settings, name, "solution", files_in(suite / "solution"));

    YAML::Node grades = YAML::LoadFile((suite / "grades.yaml").string());
    auto add = [&](const std::string& student, const YAML::Node& g) {
      Expected e{g["score"].as<double>(), g["failed_tests"].as<std::vector<std::string>>(), {}, {}};
      if (g["verdicts"]) e.verdicts = g["verdicts"].as<std::map<std::string, std::string>>();
      if (g["messages"]) e.messages = g["messages"].as<std::map<std::string, std::string>>();
      if (hostile) {
        EXPECT_EQ(e.verdicts.size(), stored.spec.tests.size())
            << suite.filename() << "/grades.yaml: " << student << " needs a verdict for every test";
      }
      expected[name + "/" + student] = e;
    };
    add("solution", grades["solution"]);
    for (const auto& kv : grades["students"]) {
      add(kv.first.as<std::string>(), kv.second);
      if (hostile) ++hostile_programs;
    }
  }
  ASSERT_GE(suites, 5) << "test-suites/ must hold the three sample suites and the hostile ones";
  EXPECT_GE(hostile_programs, 15) << "test-suites/hostile-*: at least 15 hostile programs";

  for (const auto& batch : batches) {
    auto done = producer::wait_batch(settings, batch, std::chrono::minutes(15), nullptr);
    ASSERT_TRUE(done.has_value()) << "batch " << batch << " did not finish";
  }
  // The single (interactive) submissions are not in a batch: wait for them too.
  for (int i = 0; i < 600 && db_->count("SELECT count(*) FROM gradeq.submissions WHERE status IN "
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
  // Per-test verdicts, where grades.yaml names them (as staff and the LMS read them).
  std::map<std::string, std::map<std::string, std::string>> verdicts;  // key -> test -> verdict
  std::map<std::string, long> time_limit_ms;  // "course/assignment/student/test" -> duration
  {
    pqxx::connection c(db_->url());
    pqxx::read_transaction tx(c);
    for (const auto& row : tx.exec(
             "SELECT r.course || '/' || r.assignment || '/' || r.student, t.test_name, t.verdict,"
             "       coalesce(t.duration_ms, -1)"
             "  FROM gradeq.v_results r JOIN gradeq.v_test_results t USING (submission_id)")) {
      verdicts[row[0].as<std::string>()][row[1].as<std::string>()] = row[2].as<std::string>();
      if (row[2].as<std::string>() == "time_limit") {
        time_limit_ms[row[0].as<std::string>() + "/" + row[1].as<std::string>()] = row[3].as<long>();
      }
    }
  }
  int checked = 0;
  for (const auto& [key, e] : expected) {
    for (const auto& [test, verdict] : e.verdicts) {
      SCOPED_TRACE(key + " test " + test);
      auto sub = verdicts.find(key);
      ASSERT_NE(sub, verdicts.end()) << "no test results stored";
      auto it = sub->second.find(test);
      ASSERT_NE(it, sub->second.end()) << "grades.yaml names a test the submission does not have";
      EXPECT_EQ(it->second, verdict);
      ++checked;
    }
  }
  EXPECT_GE(checked, 15 * 2);
  // Why a test failed, where grades.yaml says (a unit-test group's report not believed, ...).
  std::map<std::string, std::map<std::string, std::string>> messages;  // key -> test -> message
  {
    pqxx::connection c(db_->url());
    pqxx::read_transaction tx(c);
    for (const auto& row : tx.exec(
             "SELECT v.course || '/' || v.assignment || '/' || v.student, t.test_name, t.message"
             "  FROM gradeq.test_results t JOIN gradeq.submissions s ON t.run_id = s.latest_run_id"
             "  JOIN gradeq.v_results v ON v.submission_id = s.id")) {
      messages[row[0].as<std::string>()][row[1].as<std::string>()] = row[2].as<std::string>();
    }
  }
  for (const auto& [key, e] : expected) {
    for (const auto& [test, text] : e.messages) {
      SCOPED_TRACE(key + " test " + test);
      EXPECT_THAT(messages[key][test], ::testing::HasSubstr(text));
    }
  }
  // The wall clock holds, also against a container full of spinning processes.
  for (const auto& [test, ms] : time_limit_ms) {
    // "course/assignment/student/test" -> "course/assignment/test"
    auto last = test.rfind('/');
    auto student = test.rfind('/', last - 1);
    const double limit_s = time_limits.at(test.substr(0, student) + test.substr(last));
    EXPECT_LT(ms, static_cast<long>(limit_s * 1000) + kTimeLimitSlackMs) << test << " was stopped late";
    std::printf("time_limit %s: %ld ms (limit %g s)\n", test.c_str(), ms, limit_s);
  }

  // Exactly one result per submission, and no container left behind (the engine removes the
  // last ones just after their reports came in: drain waits for that).
  EXPECT_TRUE(sandbox_->drain(std::chrono::seconds(30)));
  EXPECT_EQ(db_->count("SELECT count(*) FROM gradeq.grading_runs"), static_cast<long>(expected.size()));
  EXPECT_EQ(db_->count("SELECT count(*) FROM (SELECT submission_id FROM gradeq.grading_runs"
                  " GROUP BY submission_id HAVING count(*) > 1) d"),
            0);
  EXPECT_THAT(containers_labelled({"gradeq.managed=1", "gradeq.grader=" + grader_id_}),
              ::testing::IsEmpty())
      << "containers of this grader outlived their jobs";

  // Floods were cut at the runner (64 KiB) and stored capped (8 KiB) with a visible marker.
  pqxx::connection c(db_->url());
  pqxx::read_transaction tx(c);
  auto stored = [&](const std::string& assignment, const std::string& student,
                    const std::string& column) {
    auto r = tx.exec_params1("SELECT t." + column + " FROM gradeq.test_results t"
                             "  JOIN gradeq.submissions s ON t.run_id = s.latest_run_id"
                             "  JOIN gradeq.v_results v ON v.submission_id = s.id"
                             " WHERE v.assignment = $1 AND v.student = $2 AND t.test_name = 'attack'",
                             assignment, student);
    return r[0].as<std::string>();
  };
  const std::size_t cap = grader::Settings{}.stored_output_cap;
  for (const auto& [student, column] : {std::pair<std::string, std::string>{"stdout-flood", "stdout"},
                                        {"stderr-flood", "stderr"}}) {
    SCOPED_TRACE(student);
    std::string text = stored("hostile-python", student, column);
    EXPECT_GE(text.size(), cap);
    EXPECT_LT(text.size(), cap + 200);
    EXPECT_THAT(text, ::testing::HasSubstr("[... output truncated by gradeq: 65536 bytes in all"));
  }
  // NUL bytes and invalid UTF-8 were stored, as replacement characters, with the rest.
  std::string binary = stored("hostile-python", "binary-output", "stdout");
  EXPECT_THAT(binary, ::testing::HasSubstr("blocked\xe2\x90\x80\xe2\x90\x80\xef\xbf\xbd"));
  EXPECT_THAT(stored("hostile-python", "binary-output", "stderr"),
              ::testing::StartsWith("\xe2\x90\x80\xe2\x90\x80"));

  // The grader kept its memory through all of it.
  const long rss_after = vm_rss_kb();
  std::printf("grader RSS %ld KiB -> %ld KiB; suites graded in %.1f s\n", rss_before, rss_after,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  EXPECT_LT(rss_after - rss_before, 64 * 1024) << "the grader's RSS grew by more than 64 MiB";
}

TEST_F(PipelineTest, AnInvalidSpecStoresNothing) {
  fs::path dir = fs::temp_directory_path() / ("gradeq-spec-" + testing::unique_token());
  fs::create_directories(dir);
  std::ofstream(dir / "spec.yaml") << "course: cs101\nassignment: broken\nlanguage: cobol\n"
                                      "files: [a.py]\nrun: python3 a.py\ntests:\n  - name: t\n"
                                      "    expect_stdout: x\n    timout: 3\n";
  auto before = db_->count("SELECT count(*) FROM gradeq.assignment_versions");
  try {
    producer::add_assignment(producer_settings(), (dir / "spec.yaml").string());
    FAIL() << "an invalid spec was accepted";
  } catch (const SpecError& e) {
    EXPECT_EQ(e.diagnostics().size(), 2u) << e.what();
    EXPECT_THAT(e.what(), ::testing::HasSubstr("spec.yaml:3:11:"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("spec.yaml:9:5: unknown key \"timout\""));
  }
  EXPECT_EQ(db_->count("SELECT count(*) FROM gradeq.assignment_versions"), before);
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
  auto before = db_->count("SELECT count(*) FROM gradeq.submissions");
  std::string name = stored.spec.course + "/" + stored.spec.assignment;
  EXPECT_THROW(producer::submit_batch(settings, name, dir.string()), producer::InputError);
  EXPECT_EQ(db_->count("SELECT count(*) FROM gradeq.submissions"), before);
  EXPECT_EQ(db_->count("SELECT count(*) FROM gradeq.batches WHERE label LIKE '%gradeq-batch-%'"), 0);
  fs::remove_all(dir);
}

TEST_F(PipelineTest, APoisonMessageIsDeadLetteredRecordedWithItsReasonAndDoesNotBlockTheQueue) {
  amqp::Publisher publisher(testing::amqp_url());
  publisher.publish(topology_.interactive(), {"this is not json"});
  publisher.publish(topology_.interactive(),
                    {to_json(Job{"00000000-0000-4000-8000-000000000000", 1, Lane::interactive})});
  // The grader rejects both to the dead queue, consumes that too, and records each once.
  long recorded = 0;
  for (int i = 0; i < 240 && recorded < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    recorded = db_->count("SELECT count(*) FROM gradeq.dead_letters WHERE queue = '" +
                          topology_.interactive() + "'");
  }
  EXPECT_EQ(recorded, 2);
  EXPECT_EQ(db_->count("SELECT count(*) FROM gradeq.dead_letters WHERE death_reason = 'rejected'"
                       " AND reason LIKE 'not a job message: %not JSON%' AND body = 'this is not json'"), 1);
  EXPECT_EQ(db_->count("SELECT count(*) FROM gradeq.dead_letters WHERE death_reason = 'rejected'"
                       " AND reason LIKE 'no such submission 00000000-0000-4000-8000-000000000000%'"), 1);
  EXPECT_EQ(amqp::queue_depth(testing::amqp_url(), topology_.dead()), 0u) << "the dead queue is drained";
}

}  // namespace
}  // namespace gradeq
