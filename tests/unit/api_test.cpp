// The HTTP API's socket-free parts: routes, the bearer header, submissions from JSON and
// multipart, problem documents, API keys.
#include <gtest/gtest.h>

#include <set>

#include <nlohmann/json.hpp>

#include "gradeq/api.hpp"

namespace gradeq::api {
namespace {

using nlohmann::json;

// The problem a parse throws (fails the test when it does not throw).
Problem problem_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ProblemError& e) {
    return e.problem;
  }
  ADD_FAILURE() << "no problem thrown";
  return {};
}

TEST(ApiRoutes, MatchPatternsParamsAndMethods) {
  auto m = match_route("POST", "/v1/submissions");
  EXPECT_EQ(m.route, Route::submit);
  EXPECT_EQ(m.label, "/v1/submissions");
  EXPECT_TRUE(m.needs_key());

  m = match_route("GET", "/v1/submissions/0b3c");
  EXPECT_EQ(m.route, Route::submission);
  EXPECT_EQ(m.label, "/v1/submissions/{id}");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0], "0b3c");

  m = match_route("GET", "/v1/assignments/cs101/fizzbuzz/gradebook");
  EXPECT_EQ(m.route, Route::gradebook);
  EXPECT_EQ(m.params, (std::vector<std::string>{"cs101", "fizzbuzz"}));

  EXPECT_EQ(match_route("GET", "/healthz").route, Route::healthz);
  EXPECT_FALSE(match_route("GET", "/healthz").needs_key());
  EXPECT_EQ(match_route("HEAD", "/metrics").route, Route::metrics);
}

TEST(ApiRoutes, WrongMethodIsAllowListAndUnknownPathIsNone) {
  auto m = match_route("GET", "/v1/submissions");
  EXPECT_EQ(m.route, Route::none);
  EXPECT_EQ(m.allow, "POST");
  EXPECT_EQ(m.label, "/v1/submissions");
  m = match_route("DELETE", "/v1/submissions/x");
  EXPECT_EQ(m.route, Route::none);
  EXPECT_EQ(m.allow, "GET, HEAD");
  for (const char* path : {"/", "/v1", "/v2/submissions", "/v1/submissions/", "/v1//submissions",
                           "/v1/assignments/cs101/gradebook", "/v1/submissions/a/b", "relative"}) {
    m = match_route("GET", path);
    EXPECT_EQ(m.route, Route::none) << path;
    EXPECT_TRUE(m.allow.empty()) << path;
    EXPECT_EQ(m.label, "other") << path << ": unknown paths share one metrics label";
  }
}

TEST(ApiAuth, BearerTokenParsing) {
  EXPECT_EQ(bearer_token("Bearer gq_abc123"), "gq_abc123");
  EXPECT_EQ(bearer_token("bearer   gq_abc123  "), "gq_abc123");
  EXPECT_EQ(bearer_token("BEARER a-b.c_d~e+f/g=="), "a-b.c_d~e+f/g==");
  EXPECT_FALSE(bearer_token(""));
  EXPECT_FALSE(bearer_token("Bearer"));
  EXPECT_FALSE(bearer_token("Bearer "));
  EXPECT_FALSE(bearer_token("Basic dXNlcjpwYXNz"));
  EXPECT_FALSE(bearer_token("Bearer two tokens"));
  EXPECT_FALSE(bearer_token("Bearer gq\"x"));
}

TEST(ApiKeys, GeneratedKeysAreRandomHexAndHashedWithSha256) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const std::string key = generate_key();
    ASSERT_EQ(key.size(), 3u + 64u);
    EXPECT_EQ(key.substr(0, 3), "gq_");
    EXPECT_EQ(key.find_first_not_of("0123456789abcdef", 3), std::string::npos) << key;
    EXPECT_TRUE(seen.insert(key).second) << "a repeated key";
  }
  // FIPS 180-2 test vectors.
  EXPECT_EQ(key_sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(key_sha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_TRUE(equal_constant_time(key_sha256("abc"), key_sha256("abc")));
  EXPECT_FALSE(equal_constant_time(key_sha256("abc"), key_sha256("abd")));
  EXPECT_FALSE(equal_constant_time("abc", "abcd"));
  EXPECT_TRUE(equal_constant_time("", ""));
}

TEST(ApiSubmitJson, ObjectOfTextFiles) {
  auto r = parse_submit_json(R"({"assignment":"cs101/fizz","student":"ann","files":{"a.py":"print(1)\n","b.txt":""}})");
  EXPECT_EQ(r.assignment, "cs101/fizz");
  EXPECT_EQ(r.student, "ann");
  EXPECT_EQ(r.lane, Lane::interactive);
  ASSERT_EQ(r.files.size(), 2u);
  EXPECT_EQ(r.files[0].path, "a.py");
  EXPECT_EQ(r.files[0].content, "print(1)\n");
  EXPECT_EQ(r.files[1].path, "b.txt");
  EXPECT_EQ(r.files[1].content, "");
}

TEST(ApiSubmitJson, ArrayWithBase64AndLane) {
  auto r = parse_submit_json(R"({"assignment":"c/a","student":"s","lane":"bulk","files":[
      {"name":"main.c","content":"int main(){}"},
      {"name":"data.bin","content":"AAH/","encoding":"base64"}]})");
  EXPECT_EQ(r.lane, Lane::bulk);
  ASSERT_EQ(r.files.size(), 2u);
  EXPECT_EQ(r.files[0].content, "int main(){}");
  EXPECT_EQ(r.files[1].content, std::string("\x00\x01\xff", 3));
}

TEST(ApiSubmitJson, NotJsonIs400WithWhereItStopped) {
  const std::string body = "{\"assignment\": \"c/a\",\n \"student\": \"s\" \"files\": {}}";
  Problem p = problem_of([&] { parse_submit_json(body); });
  EXPECT_EQ(p.status, 400);
  EXPECT_EQ(p.type, "malformed-json");
  ASSERT_TRUE(p.line && p.column && p.position);
  EXPECT_EQ(*p.line, 2u);
  EXPECT_EQ(*p.column, 23u);  // the last byte read: the end of the string "files", where a comma belongs
  EXPECT_EQ(body[*p.position], '"');
  EXPECT_NE(p.detail.find("line 2, column 23"), std::string::npos) << p.detail;
  EXPECT_EQ(p.detail.find("[json.exception"), std::string::npos) << "no library prefix: " << p.detail;

  p = problem_of([] { parse_submit_json(""); });
  EXPECT_EQ(p.status, 400);
  p = problem_of([] { parse_submit_json("{\"student\": \"\xff\"}"); });
  EXPECT_EQ(p.status, 400) << "invalid UTF-8 is not JSON";
}

TEST(ApiSubmitJson, WrongShapesAre422NamingTheField) {
  struct Case {
    const char* body;
    const char* field;
    const char* says;
  };
  const Case cases[] = {
      {R"([1])", "", "must be a JSON object"},
      {R"({"student":"s","files":{"a":"b"}})", "assignment", "\"assignment\" is required"},
      {R"({"assignment":1,"student":"s","files":{"a":"b"}})", "assignment", "must be a string, not number"},
      {R"({"assignment":"c/a","files":{"a":"b"}})", "student", "\"student\" is required"},
      {R"({"assignment":"c/a","student":"s"})", "files", "\"files\" is required"},
      {R"({"assignment":"c/a","student":"s","files":{}})", "files", "no files given"},
      {R"({"assignment":"c/a","student":"s","files":"x"})", "files", "must be an object"},
      {R"({"assignment":"c/a","student":"s","files":{"a":1}})", "files/a", "must be a string"},
      {R"({"assignment":"c/a","student":"s","files":[{"name":"a"}]})", "files/0/content", "must be a string"},
      {R"({"assignment":"c/a","student":"s","files":[{"name":"a","content":"!!","encoding":"base64"}]})",
       "files/0/content", "not valid base64"},
      {R"({"assignment":"c/a","student":"s","files":[{"name":"a","content":"x","encoding":"rot13"}]})",
       "files/0/encoding", "rot13"},
      {R"({"assignment":"c/a","student":"s","files":[{"name":"a","content":"x","mode":1}]})", "files/0/mode",
       "unknown member"},
      {R"({"assignment":"c/a","student":"s","files":{"a":"b"},"lane":"fast"})", "lane", "\"fast\""},
      {R"({"assignment":"c/a","student":"s","files":{"a":"b"},"webhook":"x"})", "webhook", "unknown member"},
  };
  for (const auto& c : cases) {
    Problem p = problem_of([&] { parse_submit_json(c.body); });
    EXPECT_EQ(p.status, 422) << c.body;
    EXPECT_EQ(p.type, "invalid-submission") << c.body;
    EXPECT_EQ(p.field, c.field) << c.body;
    EXPECT_NE(p.detail.find(c.says), std::string::npos) << c.body << " -> " << p.detail;
  }
}

TEST(ApiSubmitMultipart, FieldsAndFileParts) {
  auto r = parse_submit_multipart({{"assignment", "", "", "cs101/fizz"},
                                   {"student", "", "", "bob"},
                                   {"lane", "", "", "bulk"},
                                   {"file", "fizz.py", "text/x-python", "print(2)"},
                                   {"file", "util.py", "", "x = 1"}});
  EXPECT_EQ(r.assignment, "cs101/fizz");
  EXPECT_EQ(r.student, "bob");
  EXPECT_EQ(r.lane, Lane::bulk);
  ASSERT_EQ(r.files.size(), 2u);
  EXPECT_EQ(r.files[0].path, "fizz.py");
  EXPECT_EQ(r.files[0].content, "print(2)");
  EXPECT_EQ(r.files[1].path, "util.py");

  Problem p = problem_of([] { parse_submit_multipart({{"student", "", "", "bob"}, {"f", "a.py", "", "x"}}); });
  EXPECT_EQ(p.status, 422);
  EXPECT_EQ(p.field, "assignment");
  p = problem_of([] { parse_submit_multipart({{"assignment", "", "", "c/a"}, {"student", "", "", "bob"}}); });
  EXPECT_EQ(p.field, "files");
  p = problem_of([] {
    parse_submit_multipart({{"assignment", "", "", "c/a"}, {"student", "", "", "b"}, {"colour", "", "", "red"}});
  });
  EXPECT_EQ(p.field, "colour");
  p = problem_of([] { parse_submit_multipart({{"lane", "", "", "x"}}); });
  EXPECT_EQ(p.field, "lane");
}

TEST(ApiBody, ContentTypes) {
  EXPECT_EQ(body_kind("application/json"), BodyKind::json);
  EXPECT_EQ(body_kind("Application/JSON; charset=utf-8"), BodyKind::json);
  EXPECT_EQ(body_kind("application/vnd.gradeq+json"), BodyKind::json);
  EXPECT_EQ(body_kind("multipart/form-data; boundary=xyz"), BodyKind::multipart);
  EXPECT_EQ(body_kind("text/plain"), BodyKind::other);
  EXPECT_EQ(body_kind(""), BodyKind::other);
  EXPECT_EQ(body_kind("application/x-www-form-urlencoded"), BodyKind::other);
}

TEST(ApiProblem, Rfc9457Document) {
  Problem p = make_problem(422, "invalid-submission", "missing required file a.py", "files");
  p.instance = "/v1/submissions";
  p.errors = {{"files", "missing required file a.py"}};
  json doc = json::parse(p.to_json());
  EXPECT_EQ(doc["type"], "urn:gradeq:problem:invalid-submission");
  EXPECT_EQ(doc["title"], "Unprocessable Content");
  EXPECT_EQ(doc["status"], 422);
  EXPECT_EQ(doc["detail"], "missing required file a.py");
  EXPECT_EQ(doc["field"], "files");
  EXPECT_EQ(doc["instance"], "/v1/submissions");
  EXPECT_EQ(doc["errors"][0]["detail"], "missing required file a.py");
  EXPECT_FALSE(doc.contains("retry_after"));
  EXPECT_FALSE(doc.contains("line"));

  Problem busy = make_problem(503, "backpressure", "queue full");
  busy.retry_after_s = 5;
  doc = json::parse(busy.to_json());
  EXPECT_EQ(doc["retry_after"], 5);
  EXPECT_EQ(doc["title"], "Service Unavailable");
  EXPECT_FALSE(doc.contains("field"));
  // Bytes that are not UTF-8 in a detail (a file name) are replaced, never thrown.
  EXPECT_NO_THROW(json::parse(make_problem(422, "x", "bad \xff name").to_json()));
}

TEST(ApiListen, HostAndPort) {
  EXPECT_EQ(parse_listen("0.0.0.0:8080"), (std::pair<std::string, int>{"0.0.0.0", 8080}));
  EXPECT_EQ(parse_listen("[::]:80"), (std::pair<std::string, int>{"::", 80}));
  EXPECT_EQ(parse_listen("localhost:0"), (std::pair<std::string, int>{"localhost", 0}));
  for (const char* bad : {"8080", ":8080", "host:", "host:http", "host:70000", "host:123456"}) {
    EXPECT_THROW(parse_listen(bad), std::invalid_argument) << bad;
  }
}

TEST(ApiText, LineAndColumnOfAnOffset) {
  EXPECT_EQ(line_column("abc", 0), (std::pair<std::size_t, std::size_t>{1, 1}));
  EXPECT_EQ(line_column("abc", 2), (std::pair<std::size_t, std::size_t>{1, 3}));
  EXPECT_EQ(line_column("ab\ncd", 3), (std::pair<std::size_t, std::size_t>{2, 1}));
  EXPECT_EQ(line_column("ab\ncd", 4), (std::pair<std::size_t, std::size_t>{2, 2}));
}

}  // namespace
}  // namespace gradeq::api
