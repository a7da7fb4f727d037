// The HTTP API as clients use it: the real `gradeq-producer serve` binary on a free port, keys
// made with the real `apikey` command, requests over HTTP, a real grader (in process) with the
// real services. Every test has its own database, queues and server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "gradeq/amqp.hpp"
#include "gradeq/docker_sandbox.hpp"
#include "gradeq/grader.hpp"
#include "process.hpp"
#include "support.hpp"

namespace gradeq {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using nlohmann::json;

const std::string kProducer = GRADEQ_BINARY_DIR "/producer/gradeq-producer";
const fs::path kSuite = GRADEQ_SOURCE_DIR "/test-suites/python-wordfreq";

using testing::free_port;


using testing::metric_sample;

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("gradeq-api-" + testing::unique_token());
    fs::create_directories(dir);
    topology.prefix = "gradeq-test-" + testing::unique_token();
    ASSERT_EQ(cli("assignment add " + (kSuite / "spec.yaml").string()).status, 0);
  }
  void TearDown() override {
    server.reset();
    amqp::delete_topology(testing::amqp_url(), topology);
    fs::remove_all(dir);
  }

  using Outcome = testing::CommandOutcome;

  // gradeq-producer with this test's database, broker and queues.
  Outcome cli(const std::string& args) {
    return testing::run_command(kProducer + " --database-url '" + db.url() + "' --amqp-url '" + testing::amqp_url() +
                                    "' --queue-prefix '" + topology.prefix + "' " + args,
                                dir);
  }

  // A new key (the last line `apikey create` prints).
  std::string make_key(const std::string& name, const std::string& course = "") {
    Outcome r = cli("apikey create " + name + (course.empty() ? "" : " --course " + course));
    EXPECT_EQ(r.status, 0) << r.err;
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out.substr(out.rfind('\n') + 1);
  }

  // Starts `serve` with these extra flags (and the given URLs) and waits until it answers.
  void serve(const std::string& flags_text = "", const std::string& database_url = "",
             const std::string& amqp_url = "", bool wait_healthy = true) {
    port = free_port();
    std::vector<std::string> argv{kProducer,
                                  "--database-url", database_url.empty() ? db.url() : database_url,
                                  "--amqp-url", amqp_url.empty() ? testing::amqp_url() : amqp_url,
                                  "--queue-prefix", topology.prefix,
                                  "--publish-retry", "0",
                                  "serve", "--listen", "127.0.0.1:" + std::to_string(port), "--log-format", "json"};
    std::istringstream flags(flags_text);
    for (std::string f; flags >> f;) argv.push_back(f);
    server = std::make_unique<testing::ChildProcess>(argv, dir / "serve.log");
    for (int i = 0; i < 600; ++i) {  // up to a minute on a loaded machine
      auto r = client().Get("/healthz");
      if (r && (!wait_healthy || r->status == 200)) return;
      ASSERT_TRUE(server->alive()) << "serve exited:\n" << testing::tail(dir / "serve.log", 20);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "serve never answered:\n" << testing::tail(dir / "serve.log", 20);
  }

  httplib::Client client() {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(10);
    c.set_read_timeout(60);
    return c;
  }

  static httplib::Headers auth(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

  static std::string submit_body(const std::string& student, const fs::path& file, const std::string& lane = "") {
    json doc{{"assignment", "cs101/wordfreq"}, {"student", student}, {"files", {{"wordfreq.py", testing::slurp(file)}}}};
    if (!lane.empty()) doc["lane"] = lane;
    return doc.dump();
  }

  httplib::Result post_json(const std::string& key, const std::string& body) {
    return client().Post("/v1/submissions", auth(key), body, "application/json");
  }

  // Polls a submission until it is graded or errored (ten minutes at most).
  json wait_graded(const std::string& key, const std::string& id) {
    json doc;
    for (int i = 0; i < 3000; ++i) {
      auto r = client().Get(("/v1/submissions/" + id).c_str(), auth(key));
      if (r && r->status == 200) {
        doc = json::parse(r->body);
        if (doc["status"] == "graded" || doc["status"] == "error") return doc;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ADD_FAILURE() << "submission " << id << " not graded: " << doc.dump();
    return doc;
  }

  static json problem(const httplib::Result& r, int status) {
    EXPECT_TRUE(r);
    if (!r) return json::object();
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
    json doc = json::parse(r->body, nullptr, false);
    EXPECT_TRUE(doc.is_object()) << r->body;
    if (!doc.is_object()) return json::object();
    EXPECT_EQ(doc["status"], status);
    EXPECT_TRUE(doc["type"].is_string() && doc["title"].is_string() && doc["detail"].is_string()) << r->body;
    return doc;
  }

  std::string metrics() {
    auto r = client().Get("/metrics");
    EXPECT_TRUE(r && r->status == 200);
    return r ? r->body : "";
  }

  testing::TempDatabase db;
  amqp::Topology topology;
  fs::path dir;
  int port = 0;
  std::unique_ptr<testing::ChildProcess> server;
};

TEST_F(ApiTest, JsonAndMultipartSubmissionsAreGradedAndReadBack) {
  const std::string key = make_key("lms");
  serve();

  auto r = post_json(key, submit_body("solution", kSuite / "solution/wordfreq.py"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 202) << r->body;
  json accepted = json::parse(r->body);
  const std::string solution_id = accepted["id"];
  EXPECT_TRUE(is_uuid(solution_id));
  EXPECT_EQ(accepted["status"], "queued");
  EXPECT_EQ(accepted["published"], true);
  EXPECT_EQ(accepted["status_url"], "/v1/submissions/" + solution_id);
  EXPECT_EQ(r->get_header_value("Location"), "/v1/submissions/" + solution_id);

  httplib::MultipartFormDataItems form{{"assignment", "cs101/wordfreq", "", ""},
                                       {"student", "bob", "", ""},
                                       {"lane", "bulk", "", ""},
                                       {"webhook_url", "http://lms.example/graded", "", ""},
                                       {"file", testing::slurp(kSuite / "submissions/bob/wordfreq.py"), "wordfreq.py", "text/x-python"}};
  r = client().Post("/v1/submissions", auth(key), form);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 202) << r->body;
  const std::string bob_id = json::parse(r->body)["id"];
  EXPECT_EQ(json::parse(r->body)["lane"], "bulk");
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions WHERE id = '" + bob_id +
                     "' AND webhook_url = 'http://lms.example/graded'"),
            1)
      << "the submission's webhook (README \"Webhooks\") is stored with it";
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions WHERE webhook_url IS NOT NULL"), 1);

  // Before any grader runs: queued, no score.
  r = client().Get(("/v1/submissions/" + bob_id).c_str(), auth(key));
  ASSERT_TRUE(r && r->status == 200);
  json queued = json::parse(r->body);
  EXPECT_EQ(queued["status"], "queued");
  EXPECT_TRUE(queued["score"].is_null());
  EXPECT_EQ(queued["lane"], "bulk");
  EXPECT_EQ(queued["max_score"], 10);

  DockerSandbox sandbox;
  grader::Settings gs;
  gs.database_url = db.url();
  gs.amqp_url = testing::amqp_url();
  gs.queue_prefix = topology.prefix;
  gs.concurrency = 2;
  gs.image_prefix = testing::env_or("GRADEQ_IMAGE_PREFIX", gs.image_prefix);
  std::atomic<bool> stop{false};
  std::thread grader([&] { grader::run(gs, sandbox, stop); });

  json solution = wait_graded(key, solution_id);
  json bob = wait_graded(key, bob_id);
  stop = true;
  grader.join();

  EXPECT_EQ(solution["status"], "graded") << solution.dump();
  EXPECT_EQ(solution["score"], 10);
  EXPECT_EQ(solution["failed_tests"], json::array());
  EXPECT_EQ(bob["status"], "graded") << bob.dump();
  EXPECT_EQ(bob["score"], 9);
  EXPECT_EQ(bob["max_score"], 10);
  EXPECT_EQ(bob["failed_tests"], json::array({"min-length"}));
  EXPECT_EQ(bob["student"], "bob");
  EXPECT_EQ(bob["course"], "cs101");
  EXPECT_EQ(bob["assignment"], "wordfreq");
  ASSERT_EQ(bob["tests"].size(), 6u);
  for (const auto& t : bob["tests"]) {
    EXPECT_TRUE(t["name"].is_string() && t["verdict"].is_string() && t["points"].is_number()) << t.dump();
    EXPECT_FALSE(t.contains("stdout") || t.contains("expected")) << "no outputs: " << t.dump();
    EXPECT_EQ(t["verdict"] == "passed", t["name"] != "min-length") << t.dump();
  }
  for (const char* at : {"submitted_at", "picked_up_at", "finished_at", "graded_at"}) {
    EXPECT_TRUE(bob[at].is_string()) << at << ": " << bob.dump();
  }

  r = client().Get("/v1/assignments/cs101/wordfreq/gradebook", auth(key));
  ASSERT_TRUE(r && r->status == 200);
  json book = json::parse(r->body);
  ASSERT_EQ(book.size(), 2u) << r->body;
  EXPECT_EQ(book[0]["student"], "bob");
  EXPECT_EQ(book[0]["score"], 9);
  EXPECT_EQ(book[1]["student"], "solution");
  r = client().Get("/v1/assignments/cs101/wordfreq/gradebook?format=csv", auth(key));
  ASSERT_TRUE(r && r->status == 200);
  EXPECT_THAT(r->get_header_value("Content-Type"), HasSubstr("text/csv"));
  EXPECT_THAT(r->body, HasSubstr("course,assignment,student,score,max_score,graded_at,submission_id\r\n"));
  EXPECT_THAT(r->body, HasSubstr("cs101,wordfreq,bob,9,10,"));
  problem(client().Get("/v1/assignments/cs101/nope/gradebook", auth(key)), 404);

  // The access log: one JSON line per request, with the submission where there is one.
  const std::string log = testing::slurp(dir / "serve.log");
  bool access_line = false;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    json l = json::parse(line, nullptr, false);
    ASSERT_TRUE(l.is_object()) << "not JSON: " << line;
    if (l.value("kind", "") == "access" && l.value("method", "") == "POST" && l.value("submission_id", "") == bob_id) {
      access_line = l["status"] == 202 && l["key"] == "lms";
    }
  }
  EXPECT_TRUE(access_line) << log;
}

TEST_F(ApiTest, KeysAreRequiredRevocableAndScopedToTheirCourse) {
  const std::string key = make_key("staff");
  const std::string other = make_key("cs999-ta", "cs999");
  const std::string own = make_key("cs101-ta", "cs101");
  serve();
  const std::string body = submit_body("ann", kSuite / "solution/wordfreq.py");

  auto r = client().Post("/v1/submissions", body, "application/json");
  json p = problem(r, 401);
  EXPECT_THAT(r->get_header_value("WWW-Authenticate"), HasSubstr("Bearer"));
  EXPECT_EQ(p["type"], "urn:gradeq:problem:missing-key");
  r = post_json("gq_0000000000000000000000000000000000000000000000000000000000000000", body);
  problem(r, 401);
  EXPECT_THAT(r->get_header_value("WWW-Authenticate"), HasSubstr("invalid_token"));
  problem(client().Post("/v1/submissions", {{"Authorization", "Basic eDp5"}}, body, "application/json"), 401);

  // A key scoped to another course neither submits to nor sees cs101.
  p = problem(post_json(other, body), 403);
  EXPECT_EQ(p["field"], "assignment");
  r = post_json(key, body);
  ASSERT_TRUE(r && r->status == 202) << (r ? r->body : "no answer");
  const std::string id = json::parse(r->body)["id"];
  problem(client().Get(("/v1/submissions/" + id).c_str(), auth(other)), 404);
  problem(client().Get("/v1/assignments/cs101/wordfreq/gradebook", auth(other)), 403);
  r = client().Get(("/v1/submissions/" + id).c_str(), auth(own));
  EXPECT_TRUE(r && r->status == 200) << "the course's own key sees it";
  r = post_json(own, submit_body("ben", kSuite / "solution/wordfreq.py"));
  EXPECT_TRUE(r && r->status == 202);

  // Revoked: refused at once; listed with its revocation; the key itself is never stored.
  ASSERT_EQ(cli("apikey revoke staff").status, 0);
  problem(post_json(key, body), 401);
  Outcome list = cli("apikey list");
  EXPECT_EQ(list.status, 0);
  EXPECT_THAT(list.out, HasSubstr("cs999-ta\tcs999"));
  EXPECT_THAT(list.out, ::testing::ContainsRegex("staff\t\\*\t[^\t]+\t[0-9T:.Z-]+\t[0-9T:.Z-]+"));
  EXPECT_EQ(cli("apikey revoke staff").status, 1) << "no active key of that name any more";
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.api_keys WHERE key_sha256 = '" + key + "'"), 0);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions"), 2);
  EXPECT_EQ(cli("apikey create 'bad name'").status, 1);
  EXPECT_EQ(cli("apikey create cs101-ta").status, 1) << "an active key has that name";
  EXPECT_EQ(metric_sample(metrics(), R"(gradeq_api_submissions_rejected_total{reason="auth"})"), 5);
}

TEST_F(ApiTest, BadRequestsAreProblemsAndStoreNothing) {
  const std::string key = make_key("lms");
  serve("--max-body-bytes 4096");

  // 400: not JSON, with where it stopped.
  json p = problem(post_json(key, "{\"assignment\": \"cs101/wordfreq\",\n\"student\" \"ann\"}"), 400);
  EXPECT_EQ(p["type"], "urn:gradeq:problem:malformed-json");
  EXPECT_EQ(p["line"], 2);
  EXPECT_EQ(p["column"], 15);
  EXPECT_EQ(p["position"], 47);

  // 413 over --max-body-bytes.
  json big{{"assignment", "cs101/wordfreq"}, {"student", "ann"}, {"files", {{"wordfreq.py", std::string(5000, 'x')}}}};
  p = problem(post_json(key, big.dump()), 413);
  EXPECT_THAT(p["detail"].get<std::string>(), HasSubstr("4096"));

  // 415.
  auto r = client().Post("/v1/submissions", auth(key), "x", "text/plain");
  problem(r, 415);
  EXPECT_THAT(r->get_header_value("Accept-Post"), HasSubstr("multipart/form-data"));

  // 422: each names its problem and field.
  struct Case {
    json body;
    std::string field, says;
  };
  const std::vector<Case> cases{
      {{{"assignment", "cs101/nope"}, {"student", "ann"}, {"files", {{"wordfreq.py", "x"}}}}, "assignment",
       "no assignment cs101/nope"},
      {{{"assignment", "cs101"}, {"student", "ann"}, {"files", {{"wordfreq.py", "x"}}}}, "assignment",
       "is not COURSE/ASSIGNMENT"},
      {{{"assignment", "cs101/wordfreq"}, {"student", "a n"}, {"files", {{"wordfreq.py", "x"}}}}, "student",
       "not a valid student ID"},
      {{{"assignment", "cs101/wordfreq"}, {"student", "ann"}, {"files", {{"other.py", "x"}}}}, "files",
       "missing required file wordfreq.py"},
      {{{"assignment", "cs101/wordfreq"}, {"student", "ann"}, {"files", {{"wordfreq.py", "x"}, {"../up.py", "x"}}}},
       "files", "\"..\" component"},
      {{{"assignment", "cs101/wordfreq"}, {"student", "ann"}, {"files", {{"wordfreq.py", "x"}}}, {"lane", "fast"}},
       "lane", "\"interactive\" or \"bulk\""},
      {{{"assignment", "cs101/wordfreq"}, {"student", "ann"}, {"files", {{"wordfreq.py", "x"}}},
        {"webhook_url", "ftp://lms.example/hook"}},
       "webhook_url", "ftp://lms.example/hook"},
  };
  for (const auto& c : cases) {
    p = problem(post_json(key, c.body.dump()), 422);
    EXPECT_EQ(p["field"], c.field) << c.body.dump();
    EXPECT_THAT(p["detail"].get<std::string>(), HasSubstr(c.says)) << c.body.dump();
  }
  // A file over the per-file cap (1 MiB) needs a larger body limit: its own server.
  server.reset();
  serve("--max-body-bytes 4000000");
  json huge{{"assignment", "cs101/wordfreq"}, {"student", "ann"}, {"files", {{"wordfreq.py", std::string(1100000, 'x')}}}};
  p = problem(post_json(key, huge.dump()), 422);
  EXPECT_THAT(p["detail"].get<std::string>(), HasSubstr("wordfreq.py is 1100000 bytes (limit 1048576)"));

  problem(client().Get("/v1/nothing", auth(key)), 404);
  r = client().Get("/v1/submissions", auth(key));
  problem(r, 405);
  EXPECT_EQ(r->get_header_value("Allow"), "POST");
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions"), 0);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.jobs"), 0);
  EXPECT_EQ(amqp::queue_depth(testing::amqp_url(), topology.interactive()), 0u);
}

TEST_F(ApiTest, ADeepQueueIs503WithRetryAfterAndNothingStored) {
  const std::string key = make_key("lms");
  serve("--max-queue-depth 1 --retry-after 7");  // no grader: the queue only grows
  for (const char* student : {"ann", "ben"}) {
    auto r = post_json(key, submit_body(student, kSuite / "solution/wordfreq.py"));
    ASSERT_TRUE(r && r->status == 202) << (r ? r->body : "no answer");
  }
  auto r = post_json(key, submit_body("cid", kSuite / "solution/wordfreq.py"));
  json p = problem(r, 503);
  EXPECT_EQ(p["type"], "urn:gradeq:problem:backpressure");
  EXPECT_EQ(r->get_header_value("Retry-After"), "7");
  EXPECT_THAT(p["detail"].get<std::string>(), HasSubstr("nothing was stored"));
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions"), 2);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions WHERE student = 'cid'"), 0);
  // The other lane has room.
  r = post_json(key, submit_body("cid", kSuite / "solution/wordfreq.py", "bulk"));
  EXPECT_TRUE(r && r->status == 202);

  const std::string text = metrics();
  EXPECT_EQ(metric_sample(text, R"(gradeq_api_submissions_accepted_total{lane="interactive"})"), 2);
  EXPECT_EQ(metric_sample(text, R"(gradeq_api_submissions_accepted_total{lane="bulk"})"), 1);
  EXPECT_EQ(metric_sample(text, R"(gradeq_api_submissions_rejected_total{reason="backpressure"})"), 1);
  EXPECT_EQ(metric_sample(text, R"(gradeq_api_queue_depth{lane="interactive"})"), 2);
  EXPECT_EQ(metric_sample(text, R"(gradeq_api_requests_total{route="/v1/submissions",code="503"})"), 1);
  EXPECT_EQ(metric_sample(text, R"(gradeq_api_requests_total{route="/v1/submissions",code="202"})"), 3);
  EXPECT_GE(metric_sample(text, R"(gradeq_api_request_duration_seconds_count{route="/v1/submissions"})"), 4);
}

TEST_F(ApiTest, HealthMetricsAndStop) {
  serve();
  auto r = client().Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["status"], "ok");
  r = client().Get("/metrics");
  ASSERT_TRUE(r && r->status == 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(r->body, HasSubstr("# TYPE gradeq_api_request_duration_seconds histogram"));
  EXPECT_GE(metric_sample(r->body, R"(gradeq_api_requests_total{route="/healthz",code="200"})"), 1);
  EXPECT_EQ(metric_sample(r->body, R"(gradeq_api_build_info{version="0.1.0"})"), 1);
  auto status = server->terminate(std::chrono::seconds(60));
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << testing::describe_status(*status);
  server.reset();

  // A broker that does not answer: unhealthy, and submissions are refused (503), not stored.
  const std::string key = make_key("lms");
  const std::string closed = std::to_string(free_port());
  serve("", "", "amqp://guest:guest@127.0.0.1:" + closed + "/%2f", false);
  r = client().Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(json::parse(r->body)["status"], "unavailable");
  r = post_json(key, submit_body("ann", kSuite / "solution/wordfreq.py"));
  json p = problem(r, 503);
  EXPECT_FALSE(r->get_header_value("Retry-After").empty());
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions"), 0);
  server.reset();

  // A database that does not answer: unhealthy, and a keyed request is 503.
  serve("", "postgresql://gradeq:gradeq@127.0.0.1:" + closed + "/x", "", false);
  r = client().Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  p = problem(post_json(key, submit_body("ann", kSuite / "solution/wordfreq.py")), 503);
  EXPECT_EQ(p["type"], "urn:gradeq:problem:database-unavailable");
}

}  // namespace
}  // namespace gradeq
