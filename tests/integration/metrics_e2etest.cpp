// The grader's metrics endpoint and --health against the real services: a grader (in process)
// with a metrics port grades one interactive submission and a bulk batch; /metrics, scraped over
// HTTP, must count exactly that. `gradeq-grader --health` (the binary) must say 0 with its
// dependencies up and 2 with one of them down (a closed port: the shared services stay up).
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include "gradeq/amqp.hpp"
#include "gradeq/docker_sandbox.hpp"
#include "gradeq/grader.hpp"
#include "gradeq/metrics_http.hpp"
#include "gradeq/producer.hpp"
#include "process.hpp"
#include "support.hpp"

namespace gradeq {
namespace {

namespace fs = std::filesystem;

using testing::free_port;

using testing::metric_sample;

// Runs the grader binary's --health with these extra arguments; its exit code.
int health(const std::string& args) {
  const std::string cmd = std::string(GRADEQ_BINARY_DIR) + "/grader/gradeq-grader --health " + args;
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(e.path().string());
  }
  return files;
}

TEST(GraderMetrics, ScrapeCountsWhatWasGradedAndHealthAnswers) {
  testing::TempDatabase db;
  amqp::Topology topology{"gradeq-test-" + testing::unique_token()};
  amqp::declare_topology(testing::amqp_url(), topology);
  DockerSandbox sandbox;
  grader::Settings gs;
  gs.database_url = db.url();
  gs.amqp_url = testing::amqp_url();
  gs.queue_prefix = topology.prefix;
  gs.concurrency = 2;
  gs.image_prefix = testing::env_or("GRADEQ_IMAGE_PREFIX", gs.image_prefix);
  gs.metrics_port = free_port();
  std::atomic<bool> stop{false};
  std::thread grader([&] { grader::run(gs, sandbox, stop); });

  producer::Settings ps;
  ps.database_url = db.url();
  ps.amqp_url = testing::amqp_url();
  ps.queue_prefix = topology.prefix;
  const fs::path suite = GRADEQ_SOURCE_DIR "/test-suites/python-wordfreq";
  pg::AssignmentVersion stored;
  producer::add_assignment(ps, (suite / "spec.yaml").string(), &stored);
  const std::string name = stored.spec.course + "/" + stored.spec.assignment;
  producer::submit(ps, name, "solution", files_in(suite / "solution"));
  auto batch = producer::submit_batch(ps, name, (suite / "submissions").string());
  const auto bulk = static_cast<double>(batch.submission_ids.size());
  ASSERT_TRUE(producer::wait_batch(ps, batch.batch_id, std::chrono::minutes(10), nullptr).has_value());
  for (int i = 0; i < 600 && db.count("SELECT count(*) FROM gradeq.submissions WHERE status <> 'graded'") > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(static_cast<double>(db.count("SELECT count(*) FROM gradeq.submissions WHERE status = 'graded'")), 1 + bulk);

  // The counter is incremented right after the ack decision; the status is written before it.
  std::string text;
  for (int i = 0; i < 100; ++i) {
    auto a = metrics::http_get("127.0.0.1", gs.metrics_port, "/metrics", std::chrono::seconds(3));
    ASSERT_EQ(a.status, 200) << a.error;
    EXPECT_EQ(a.content_type, "text/plain; version=0.0.4; charset=utf-8");
    text = a.body;
    if (metric_sample(text, R"(gradeq_grader_jobs_total{outcome="graded",lane="bulk"})") == bulk &&
        metric_sample(text, "gradeq_grader_workers_busy") == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  SCOPED_TRACE(text);
  EXPECT_EQ(metric_sample(text, R"(gradeq_grader_jobs_total{outcome="graded",lane="interactive"})"), 1);
  EXPECT_EQ(metric_sample(text, R"(gradeq_grader_jobs_total{outcome="graded",lane="bulk"})"), bulk);
  EXPECT_EQ(metric_sample(text, R"(gradeq_grader_jobs_total{outcome="poison",lane="bulk"})"), 0);
  EXPECT_EQ(metric_sample(text, R"(gradeq_grader_job_duration_seconds_count{lane="interactive"})"), 1);
  EXPECT_EQ(metric_sample(text, R"(gradeq_grader_job_duration_seconds_count{lane="bulk"})"), bulk);
  EXPECT_EQ(metric_sample(text, R"(gradeq_grader_job_duration_seconds_bucket{lane="bulk",le="+Inf"})"), bulk);
  EXPECT_GT(metric_sample(text, R"(gradeq_grader_job_duration_seconds_sum{lane="bulk"})"), 0);
  EXPECT_EQ(metric_sample(text, R"(gradeq_grader_container_duration_seconds_count{lane="bulk"})"), bulk);
  EXPECT_EQ(metric_sample(text, R"(gradeq_grader_queue_lag_seconds_count{lane="interactive"})"), 1);
  EXPECT_EQ(metric_sample(text, R"(gradeq_grader_queue_lag_seconds_count{lane="bulk"})"), bulk);
  EXPECT_EQ(metric_sample(text, R"(gradeq_grader_errors_total{kind="job_fault"})"), 0);
  EXPECT_EQ(metric_sample(text, R"(gradeq_grader_errors_total{kind="database_outage"})"), 0);
  EXPECT_EQ(metric_sample(text, "gradeq_grader_workers_busy"), 0);
  EXPECT_EQ(metric_sample(text, R"(gradeq_grader_build_info{version="0.1.0"})"), 1);

  auto h = metrics::http_get("127.0.0.1", gs.metrics_port, "/healthz", std::chrono::seconds(3));
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "ok\n");

  // --health: through the running grader's /healthz, then the dependencies directly.
  auto direct = [&](const std::string& database_url, const std::string& amqp_url) {
    return "--database-url '" + database_url + "' --amqp-url '" + amqp_url + "' --queue-prefix '" +
           topology.prefix + "'";
  };
  const std::string up = direct(db.url(), testing::amqp_url());
  EXPECT_EQ(health("--metrics-port " + std::to_string(gs.metrics_port)), 0);
  EXPECT_EQ(health(up), 0);
  const std::string closed = std::to_string(free_port());
  EXPECT_EQ(health("--metrics-port " + closed), 2);
  EXPECT_EQ(health(direct("postgresql://gradeq:gradeq@127.0.0.1:" + closed + "/x", testing::amqp_url())), 2);
  EXPECT_EQ(health(direct(db.url(), "amqp://guest:guest@127.0.0.1:" + closed + "/%2f")), 2);
  EXPECT_EQ(health(up + " --docker /bin/false"), 2);

  stop = true;
  grader.join();
  // Stopped cleanly: the port is closed again.
  EXPECT_EQ(metrics::http_get("127.0.0.1", gs.metrics_port, "/metrics", std::chrono::seconds(1)).status, 0);
  amqp::delete_topology(testing::amqp_url(), topology);
}

}  // namespace
}  // namespace gradeq
