// Webhooks against the real services: a result committed by the real grader becomes an event in
// the outbox (a trigger, same transaction), the real `gradeq-producer webhooks` binary publishes
// it to <prefix>.events and POSTs it, signed, to a receiver running in this test; failures are
// retried through the wait queues and every attempt is in gradeq.webhook_deliveries.
// Every test has its own database, queue prefix, receiver and dispatcher.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "gradeq/amqp.hpp"
#include "gradeq/docker_sandbox.hpp"
#include "gradeq/grader.hpp"
#include "gradeq/producer.hpp"
#include "gradeq/webhook.hpp"
#include "process.hpp"
#include "support.hpp"

namespace gradeq {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr const char* kSecret = "test-secret-\x01\xff";  // any bytes

// HMAC-SHA256 straight from OpenSSL, not through gradeq's code.
std::string expected_signature(const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  const std::string key = kSecret;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &n);
  std::ostringstream hex;
  for (unsigned int i = 0; i < n; ++i) {
    hex << "0123456789abcdef"[mac[i] >> 4] << "0123456789abcdef"[mac[i] & 15];
  }
  return "sha256=" + hex.str();
}

// A tiny webhook receiver: records every POST; fails (HTTP 500) the first `fail_first` ones.
class Receiver {
 public:
  struct Request {
    std::string path;
    std::string body;
    httplib::Headers headers;
    std::string header(const std::string& name) const {
      auto it = headers.find(name);
      return it == headers.end() ? "" : it->second;
    }
  };

  explicit Receiver(int fail_first = 0) : fail_first_(fail_first) {
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back({req.path, req.body, req.headers});
      if (static_cast<int>(requests_.size()) <= fail_first_) {
        res.status = 500;
        res.set_content("not now", "text/plain");
      } else {
        res.status = 204;
      }
    });
    port_ = server_.bind_to_any_port("127.0.0.1");  // bound and listening from here on
    if (port_ <= 0) throw std::runtime_error("receiver: cannot bind");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the loop runs would be lost, and the destructor would wait forever.
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Request> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  // Polls until `n` requests came (or `timeout`): what came.
  std::vector<Request> wait_for(std::size_t n, std::chrono::seconds timeout = 300s) {
    for (auto until = std::chrono::steady_clock::now() + timeout;
         std::chrono::steady_clock::now() < until;) {
      if (requests().size() >= n) break;
      std::this_thread::sleep_for(100ms);
    }
    return requests();
  }

 private:
  int fail_first_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<Request> requests_;
};

std::string suite(const std::string& path) { return GRADEQ_SOURCE_DIR "/test-suites/python-wordfreq/" + path; }

class WebhooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("gradeq-webhooks-" + testing::unique_token());
    fs::create_directories(dir);
    topology.prefix = "gradeq-test-" + testing::unique_token();
    events.prefix = topology.prefix;
    amqp::declare_topology(testing::amqp_url(), topology);
    settings.database_url = db.url();
    settings.amqp_url = testing::amqp_url();
    settings.queue_prefix = topology.prefix;
    producer::add_assignment(settings, suite("spec.yaml"));
  }

  void TearDown() override {
    dispatchers.clear();
    if (grader_thread) {
      stop_grader = true;
      grader_thread->join();
    }
    amqp::delete_topology(testing::amqp_url(), topology);
    amqp::delete_event_topology(testing::amqp_url(), events,
                                webhook::retry_delays(1000, std::chrono::milliseconds(200)));
    fs::remove_all(dir);
  }

  // The real grader (the library the binary runs), in this process.
  void start_grader() {
    grader::Settings gs;
    gs.database_url = db.url();
    gs.amqp_url = testing::amqp_url();
    gs.queue_prefix = topology.prefix;
    gs.concurrency = 1;
    gs.grader_id = "webhooks-" + testing::unique_token();
    gs.image_prefix = testing::env_or("GRADEQ_IMAGE_PREFIX", gs.image_prefix);
    gs.sweep_interval_s = 0;
    grader_thread = std::make_unique<std::thread>([this, gs] { grader::run(gs, sandbox, stop_grader); });
  }

  // The real `gradeq-producer webhooks` binary; retries 0.2 s, 1.2 s, 4.8 s ... apart.
  testing::ChildProcess& start_dispatcher(int max_attempts, const std::vector<std::string>& more = {}) {
    std::vector<std::string> argv{GRADEQ_BINARY_DIR "/producer/gradeq-producer",
                                  "--database-url", db.url(),
                                  "--amqp-url", testing::amqp_url(),
                                  "--queue-prefix", topology.prefix,
                                  "webhooks", "--secret", kSecret,
                                  "--retry-base", "0.2",
                                  "--max-attempts", std::to_string(max_attempts)};
    argv.insert(argv.end(), more.begin(), more.end());
    const fs::path log = dir / ("dispatcher-" + std::to_string(dispatchers.size()) + ".log");
    dispatchers.push_back(std::make_unique<testing::ChildProcess>(argv, log));
    return *dispatchers.back();
  }

  std::string dispatcher_logs() {
    std::string out;
    for (const auto& d : dispatchers) out += testing::tail(d->log(), 30);
    return out;
  }

  using Outcome = testing::CommandOutcome;
  Outcome cli(const std::string& args) {
    return testing::run_command("env -u GRADEQ_WEBHOOK_SECRET GRADEQ_DATABASE_URL='" + db.url() +
                                    "' GRADEQ_AMQP_URL='" + testing::amqp_url() + "' GRADEQ_QUEUE_PREFIX='" +
                                    topology.prefix + "' " GRADEQ_BINARY_DIR "/producer/gradeq-producer " + args,
                                dir);
  }

  std::string submit(const std::string& student, const std::optional<std::string>& webhook_url) {
    return producer::submit(settings, "cs101/wordfreq", student,
                            {suite("submissions/" + student + "/wordfreq.py")}, Lane::interactive,
                            webhook_url)
        .submission_ids.front();
  }

  // The system's fault, as the grader records one: the submission ends in `error`.
  void finish_in_error(const std::string& id) {
    pqxx::connection c(db.url());
    pqxx::work tx(c);
    tx.exec_params("UPDATE gradeq.submissions SET status = 'error', error_reason = 'the test says so',"
                   " finished_at = now() WHERE id = $1::uuid", id);
    tx.commit();
  }

  // Polls until `sql` (a count) reaches `n`.
  long wait_count(const std::string& sql, long n, std::chrono::seconds timeout = 300s) {
    long got = db.count(sql);
    for (auto until = std::chrono::steady_clock::now() + timeout;
         got < n && std::chrono::steady_clock::now() < until; got = db.count(sql)) {
      std::this_thread::sleep_for(100ms);
    }
    return got;
  }

  std::string event_id_of(const std::string& submission) {
    return std::to_string(db.count("SELECT id FROM gradeq.events WHERE submission_id = '" + submission + "'"));
  }

  testing::TempDatabase db;
  amqp::Topology topology;
  amqp::EventTopology events;
  producer::Settings settings;
  fs::path dir;
  DockerSandbox sandbox;
  std::atomic<bool> stop_grader{false};
  std::unique_ptr<std::thread> grader_thread;
  std::vector<std::unique_ptr<testing::ChildProcess>> dispatchers;
};

TEST_F(WebhooksTest, AGradedSubmissionIsPostedSignedToItsOwnWebhook) {
  Receiver own;
  Receiver assignments;
  ASSERT_EQ(cli("assignment webhook cs101/wordfreq " + assignments.url("/assignment")).status, 0);
  start_dispatcher(3, {"--log-format", "json"});
  start_grader();
  const std::string id = submit("bob", own.url("/hooks/gradeq?course=cs101"));

  auto got = own.wait_for(1);
  ASSERT_EQ(got.size(), 1u) << dispatcher_logs();
  ASSERT_EQ(wait_count("SELECT count(*) FROM gradeq.webhook_deliveries", 1), 1);
  const Receiver::Request& r = got[0];
  EXPECT_EQ(r.path, "/hooks/gradeq");
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(r.header("X-Gradeq-Event"), "submission.graded");
  EXPECT_EQ(r.header("X-Gradeq-Delivery"), event_id_of(id));
  EXPECT_EQ(r.header("X-Gradeq-Signature"), expected_signature(r.body)) << "over the exact body";

  json body = json::parse(r.body);
  EXPECT_EQ(body["event"], "submission.graded");
  EXPECT_EQ(std::to_string(body["event_id"].get<long>()), event_id_of(id));
  EXPECT_EQ(body["submission_id"], id);
  EXPECT_EQ(body["course"], "cs101");
  EXPECT_EQ(body["assignment"], "wordfreq");
  EXPECT_EQ(body["student"], "bob");
  EXPECT_EQ(body["status"], "graded");
  EXPECT_EQ(body["score"].get<double>(), 9);  // test-suites/python-wordfreq/grades.yaml
  EXPECT_EQ(body["max_score"].get<double>(), 10);
  EXPECT_EQ(body["failed_tests"], json::array({"min-length"}));
  EXPECT_TRUE(body["graded_at"].is_string()) << body;
  EXPECT_EQ(body["graded_at"].get<std::string>().back(), 'Z');

  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.events WHERE submission_id = '" + id + "'"), 1)
      << "one event: queued -> running made none";
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.events WHERE published_at IS NULL"), 0);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.webhook_deliveries WHERE attempt = 1"
                     " AND outcome = 'delivered' AND status_code = 204 AND error IS NULL"
                     " AND url = '" + own.url("/hooks/gradeq?course=cs101") + "'"),
            1);
  EXPECT_TRUE(assignments.requests().empty()) << "the submission's own URL overrides the assignment's";

  // The dispatcher's JSON log line about the delivery names the submission in a field of its own
  // (it is written just after the delivery is recorded: poll for it).
  bool logged = false;
  for (int i = 0; i < 100 && !logged; ++i) {
    std::istringstream lines(dispatcher_logs());
    for (std::string line; std::getline(lines, line);) {
      json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.value("submission_id", "") == id &&
          j.value("message", "").find("delivered") != std::string::npos) {
        logged = true;
      }
    }
    if (!logged) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(logged) << dispatcher_logs();
}

TEST_F(WebhooksTest, TheAssignmentsWebhookIsRetriedAfterFailuresWithTheSameSignedBody) {
  Receiver receiver(/*fail_first=*/2);
  Outcome set = cli("assignment webhook cs101/wordfreq " + receiver.url("/a"));
  ASSERT_EQ(set.status, 0) << set.err;
  EXPECT_THAT(set.out, HasSubstr("cs101/wordfreq: webhook set to " + receiver.url("/a")));
  start_dispatcher(4);
  start_grader();
  const std::string id = submit("alice", std::nullopt);

  auto got = receiver.wait_for(3);
  ASSERT_EQ(got.size(), 3u) << dispatcher_logs();
  ASSERT_EQ(wait_count("SELECT count(*) FROM gradeq.webhook_deliveries", 3), 3) << dispatcher_logs();
  for (const auto& r : got) {
    EXPECT_EQ(r.body, got[0].body) << "every attempt sends the same bytes";
    EXPECT_EQ(r.header("X-Gradeq-Delivery"), event_id_of(id));
    EXPECT_EQ(r.header("X-Gradeq-Signature"), expected_signature(r.body));
  }
  EXPECT_EQ(json::parse(got[0].body)["score"].get<double>(), 10);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.webhook_deliveries WHERE outcome = 'retrying'"
                     " AND status_code = 500 AND error = 'HTTP 500' AND attempt IN (1, 2)"),
            2);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.webhook_deliveries WHERE outcome = 'delivered'"
                     " AND status_code = 204 AND attempt = 3"),
            1);
}

TEST_F(WebhooksTest, AnUnreachableWebhookIsGivenUpAfterTheMaxAttempts) {
  Receiver receiver(/*fail_first=*/1000);
  start_dispatcher(3);
  const std::string id = submit("carol", receiver.url("/never"));
  finish_in_error(id);

  ASSERT_EQ(wait_count("SELECT count(*) FROM gradeq.webhook_deliveries WHERE outcome = 'failed'", 1), 1)
      << dispatcher_logs();
  EXPECT_EQ(receiver.requests().size(), 3u);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.webhook_deliveries WHERE outcome = 'retrying'"
                     " AND attempt IN (1, 2)"),
            2);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.webhook_deliveries WHERE outcome = 'failed'"
                     " AND attempt = 3 AND status_code = 500"),
            1);
  json body = json::parse(receiver.requests()[0].body);
  EXPECT_EQ(body["event"], "submission.error");
  EXPECT_EQ(receiver.requests()[0].header("X-Gradeq-Event"), "submission.error");
  EXPECT_EQ(body["status"], "error");
  EXPECT_EQ(body["error_reason"], "the test says so");
  EXPECT_TRUE(body["score"].is_null());
  EXPECT_TRUE(body["failed_tests"].is_null());
}

TEST_F(WebhooksTest, AConnectionRefusedIsRetriedAndRecorded) {
  std::string url;
  {
    Receiver gone;
    url = gone.url("/x");
  }  // nothing listens there any more
  start_dispatcher(2);
  const std::string id = submit("dave", url);
  finish_in_error(id);
  ASSERT_EQ(wait_count("SELECT count(*) FROM gradeq.webhook_deliveries WHERE outcome = 'failed'", 1), 1)
      << dispatcher_logs();
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.webhook_deliveries WHERE status_code IS NULL"
                     " AND error IS NOT NULL"),
            2);
}

TEST_F(WebhooksTest, AnEventLeftInTheOutboxIsPublishedWhenTheDispatcherStarts) {
  Receiver receiver;
  const std::string id = submit("gina", receiver.url("/late"));
  finish_in_error(id);  // committed while no dispatcher runs
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.events WHERE published_at IS NULL"), 1);

  testing::ChildProcess& dispatcher = start_dispatcher(2);
  auto got = receiver.wait_for(1);
  ASSERT_EQ(got.size(), 1u) << dispatcher_logs();
  EXPECT_EQ(got[0].header("X-Gradeq-Delivery"), event_id_of(id));
  EXPECT_EQ(wait_count("SELECT count(*) FROM gradeq.events WHERE published_at IS NOT NULL", 1), 1);

  const auto status = dispatcher.terminate(60s);
  ASSERT_TRUE(status.has_value()) << "SIGTERM stops it";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << testing::describe_status(*status);
}

TEST_F(WebhooksTest, TwoDispatchersDeliverEveryEventOnce) {
  Receiver receiver;
  std::vector<std::string> ids;
  for (const char* student : {"alice", "bob", "carol", "dave", "frank", "gina"}) {
    ids.push_back(submit(student, receiver.url("/both")));
  }
  start_dispatcher(2);
  start_dispatcher(2);
  for (const auto& id : ids) finish_in_error(id);
  ASSERT_EQ(wait_count("SELECT count(*) FROM gradeq.webhook_deliveries WHERE outcome = 'delivered'", 6), 6)
      << dispatcher_logs();
  EXPECT_EQ(db.count("SELECT count(DISTINCT event_id) FROM gradeq.webhook_deliveries"), 6);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.events WHERE published_at IS NULL"), 0);
  std::set<std::string> delivered;
  for (const auto& r : receiver.requests()) delivered.insert(r.header("X-Gradeq-Delivery"));
  EXPECT_EQ(delivered.size(), 6u);
}

TEST_F(WebhooksTest, BadWebhookUrlsAndAMissingSecretAreRefusedSayingWhy) {
  Outcome r = cli("submit --assignment cs101/wordfreq --student ann --webhook ftp://example.com/x " +
                  suite("solution/wordfreq.py"));
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("webhook URL \"ftp://example.com/x\": scheme \"ftp\" is not http or https"));
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions"), 0) << "nothing stored";
  EXPECT_EQ(amqp::queue_depth(testing::amqp_url(), topology.interactive()), 0u) << "nothing published";

  r = cli("assignment webhook cs101/wordfreq lms.example.edu/hook");
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("not an absolute URL"));
  r = cli("assignment webhook cs101/nope http://lms.example.edu/hook");
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("no assignment cs101/nope"));

  ASSERT_EQ(cli("assignment webhook cs101/wordfreq https://lms.example.edu/hook").status, 0);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.assignments WHERE webhook_url = 'https://lms.example.edu/hook'"), 1);
  r = cli("assignment webhook cs101/wordfreq --clear");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.assignments WHERE webhook_url IS NOT NULL"), 0);

  r = cli("webhooks");
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("a signing secret is required"));
}

}  // namespace
}  // namespace gradeq
