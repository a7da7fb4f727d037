// The grader <-> runner wire: base64 and the bundle / report documents.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "gradeq/wire.hpp"

namespace {

using gradeq::wire::base64_decode;
using gradeq::wire::base64_encode;
using nlohmann::json;
using ::testing::HasSubstr;

std::string all_bytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s += static_cast<char>(i);
  return s;
}

// Runs `f`, expecting std::invalid_argument, and returns its message.
template <typename F>
std::string invalid_argument_message(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  return "no exception";
}

TEST(Base64, KnownVectors) {  // RFC 4648 section 10
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(base64_decode(""), "");
}

TEST(Base64, RoundTripsNulAndInvalidUtf8) {
  const std::string bytes("a\0b\xff\xfe\xc3\x28\x80\0", 9);
  ASSERT_EQ(bytes.size(), 9u);
  EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
  EXPECT_EQ(base64_decode(base64_encode(all_bytes())), all_bytes());
}

TEST(Base64, RoundTripsEveryLengthOfRandomBytes) {
  std::mt19937 rng(42);
  for (std::size_t len = 0; len < 300; ++len) {
    std::string s;
    for (std::size_t i = 0; i < len; ++i) s += static_cast<char>(rng() & 0xff);
    const std::string encoded = base64_encode(s);
    EXPECT_EQ(encoded.size() % 4, 0u);
    EXPECT_EQ(base64_decode(encoded), s) << "length " << len;
  }
}

TEST(Base64, RejectsMalformedInput) {
  EXPECT_THAT(invalid_argument_message([] { base64_decode("abc"); }), HasSubstr("base64"));
  EXPECT_THAT(invalid_argument_message([] { base64_decode("ab!d"); }), HasSubstr("base64"));
  EXPECT_THAT(invalid_argument_message([] { base64_decode("a===" ); }), HasSubstr("base64"));
  EXPECT_THAT(invalid_argument_message([] { base64_decode("ab=c"); }), HasSubstr("base64"));
  EXPECT_THAT(invalid_argument_message([] { base64_decode("Zg==Zg=="); }), HasSubstr("base64"));
  EXPECT_THAT(invalid_argument_message([] { base64_decode("Zm9v\n"); }), HasSubstr("base64"));
}

gradeq::wire::Bundle sample_bundle() {
  gradeq::wire::Bundle b;
  b.workdir = "/sandbox";
  b.files.push_back({"main.c", std::string("int main(){}\0\xff", 14), false});
  b.files.push_back({"bin/run.sh", "#!/bin/sh\necho hi\n", true});
  gradeq::wire::Step build;
  build.name = "build";
  build.command = "gcc -O2 -o main main.c";
  build.time_s = 10;
  build.output_kb = 256;
  b.build = build;
  gradeq::wire::Step t1;
  t1.name = "three";
  t1.command = "./main";
  t1.args = {"a b", "", "--x=\"y\""};
  t1.stdin_data = std::string("3\n\0\xc3\x28", 5);
  t1.time_s = 1.5;
  t1.output_kb = 8;
  t1.memory_mb = 64;
  b.tests.push_back(t1);
  gradeq::wire::Step t2;
  t2.name = "empty";
  t2.command = "true";
  b.tests.push_back(t2);
  return b;
}

TEST(Bundle, JsonRoundTrip) {
  const auto original = sample_bundle();
  const std::string text = gradeq::wire::to_json(original);
  const auto j = json::parse(text);  // valid JSON (hence valid UTF-8) despite the raw bytes
  EXPECT_EQ(j.at("schema"), gradeq::wire::kBundleSchema);

  const auto back = gradeq::wire::bundle_from_json(text);
  EXPECT_EQ(back.workdir, original.workdir);
  ASSERT_EQ(back.files.size(), 2u);
  EXPECT_EQ(back.files[0].path, "main.c");
  EXPECT_EQ(back.files[0].content, original.files[0].content);
  EXPECT_FALSE(back.files[0].executable);
  EXPECT_TRUE(back.files[1].executable);
  ASSERT_TRUE(back.build.has_value());
  EXPECT_EQ(back.build->command, "gcc -O2 -o main main.c");
  EXPECT_EQ(back.build->time_s, 10);
  EXPECT_EQ(back.build->output_kb, 256);
  ASSERT_EQ(back.tests.size(), 2u);
  EXPECT_EQ(back.tests[0].name, "three");
  EXPECT_EQ(back.tests[0].args, original.tests[0].args);
  EXPECT_EQ(back.tests[0].stdin_data, original.tests[0].stdin_data);
  EXPECT_DOUBLE_EQ(back.tests[0].time_s, 1.5);
  EXPECT_EQ(back.tests[0].output_kb, 8);
  EXPECT_EQ(back.tests[0].memory_mb, 64);
  EXPECT_EQ(back.tests[1].stdin_data, "");
  EXPECT_TRUE(back.tests[1].args.empty());
}

TEST(Bundle, NoBuildStepStaysAbsent) {
  auto b = sample_bundle();
  b.build.reset();
  const auto back = gradeq::wire::bundle_from_json(gradeq::wire::to_json(b));
  EXPECT_FALSE(back.build.has_value());
}

TEST(Bundle, OptionalStepFieldsTakeDefaults) {
  const auto back = gradeq::wire::bundle_from_json(
      R"({"schema":"gradeq.bundle/v1","files":[],"tests":[{"name":"t","command":"true"}]})");
  EXPECT_EQ(back.workdir, "/sandbox");
  ASSERT_EQ(back.tests.size(), 1u);
  const gradeq::wire::Step defaults;
  EXPECT_EQ(back.tests[0].time_s, defaults.time_s);
  EXPECT_EQ(back.tests[0].output_kb, defaults.output_kb);
  EXPECT_EQ(back.tests[0].stdin_data, "");
}

TEST(Bundle, ClearErrorsOnBadInput) {
  using gradeq::wire::bundle_from_json;
  EXPECT_THAT(invalid_argument_message([] { bundle_from_json("{not json"); }),
              HasSubstr("not JSON"));
  EXPECT_THAT(invalid_argument_message([] { bundle_from_json("[1,2]"); }),
              HasSubstr("not a JSON object"));
  EXPECT_THAT(invalid_argument_message(
                  [] { bundle_from_json(R"({"schema":"gradeq.report/v1","files":[],"tests":[]})"); }),
              HasSubstr("gradeq.bundle/v1"));
  EXPECT_THAT(invalid_argument_message([] { bundle_from_json(R"({"files":[],"tests":[]})"); }),
              HasSubstr("schema"));
  EXPECT_THAT(invalid_argument_message(
                  [] { bundle_from_json(R"({"schema":"gradeq.bundle/v1","files":[]})"); }),
              HasSubstr("\"tests\""));
  EXPECT_THAT(invalid_argument_message([] {
                bundle_from_json(R"({"schema":"gradeq.bundle/v1","files":[],"tests":[{"name":"t"}]})");
              }),
              HasSubstr("\"command\""));
  EXPECT_THAT(invalid_argument_message([] {
                bundle_from_json(
                    R"({"schema":"gradeq.bundle/v1","files":[],"tests":[{"name":"t","command":5}]})");
              }),
              HasSubstr("wrong type"));
  EXPECT_THAT(invalid_argument_message([] {
                bundle_from_json(
                    R"({"schema":"gradeq.bundle/v1","files":[{"path":"a","content_b64":"%%%%"}],"tests":[]})");
              }),
              HasSubstr("base64"));
  EXPECT_THAT(invalid_argument_message([] {
                bundle_from_json(R"({"schema":"gradeq.bundle/v1","files":[{"content_b64":""}],"tests":[]})");
              }),
              HasSubstr("\"path\""));
}

gradeq::wire::StepResult sample_result(const std::string& name) {
  gradeq::wire::StepResult r;
  r.name = name;
  r.started = true;
  r.exit_code = 3;
  r.term_signal = 0;
  r.timed_out = false;
  r.output_exceeded = true;
  r.oom_killed = false;
  r.wall_ms = 1234;
  r.cpu_ms = 567;
  r.max_rss_kb = 8910;
  r.stdout_data = std::string("out\0\xff\xfe", 6);
  r.stderr_data = "err: \xc3\x28 broken";
  r.stdout_truncated = true;
  r.stderr_truncated = false;
  r.error = "";
  return r;
}

TEST(Report, JsonRoundTrip) {
  gradeq::wire::Report report;
  report.build = sample_result("build");
  report.tests.push_back(sample_result("one"));
  auto killed = sample_result("two");
  killed.exit_code = -1;
  killed.term_signal = 9;
  killed.timed_out = true;
  killed.output_exceeded = false;
  killed.oom_killed = true;
  killed.stdout_data.clear();
  killed.error = "could not start";
  killed.started = false;
  report.tests.push_back(killed);

  const std::string text = gradeq::wire::to_json(report);
  EXPECT_EQ(json::parse(text).at("schema"), gradeq::wire::kReportSchema);
  const auto back = gradeq::wire::report_from_json(text);
  ASSERT_TRUE(back.build.has_value());
  EXPECT_EQ(back.build->name, "build");
  ASSERT_EQ(back.tests.size(), 2u);
  const auto& one = back.tests[0];
  EXPECT_TRUE(one.started);
  EXPECT_EQ(one.exit_code, 3);
  EXPECT_TRUE(one.output_exceeded);
  EXPECT_EQ(one.wall_ms, 1234);
  EXPECT_EQ(one.cpu_ms, 567);
  EXPECT_EQ(one.max_rss_kb, 8910);
  EXPECT_EQ(one.stdout_data, sample_result("x").stdout_data);
  EXPECT_EQ(one.stderr_data, sample_result("x").stderr_data);
  EXPECT_TRUE(one.stdout_truncated);
  EXPECT_FALSE(one.stderr_truncated);
  const auto& two = back.tests[1];
  EXPECT_FALSE(two.started);
  EXPECT_EQ(two.term_signal, 9);
  EXPECT_TRUE(two.timed_out);
  EXPECT_TRUE(two.oom_killed);
  EXPECT_EQ(two.error, "could not start");
  EXPECT_EQ(back.runner_error, "");
}

TEST(Bundle, AStepsReportPathAndCapRoundTripAndDefaultToNone) {
  auto b = sample_bundle();
  b.tests[0].report = "/tmp/junit/report.xml";
  b.tests[0].report_kb = 512;
  const auto back = gradeq::wire::bundle_from_json(gradeq::wire::to_json(b));
  EXPECT_EQ(back.tests[0].report, "/tmp/junit/report.xml");
  EXPECT_EQ(back.tests[0].report_kb, 512);
  EXPECT_EQ(back.tests[1].report, "");
  EXPECT_EQ(back.tests[1].report_kb, gradeq::wire::Step{}.report_kb);
}

TEST(Report, TheReportChannelsFactsRoundTripAndDefaultToNothing) {
  gradeq::wire::Report report;
  auto unit = sample_result("unit");
  unit.report_data = std::string("<testsuite>\xff\0</testsuite>", 25);
  unit.report_truncated = true;
  unit.report_opens = 2;
  unit.report_changes = "report.xml was renamed";
  unit.report_error = "cannot prepare the report folder: EACCES";
  report.tests.push_back(unit);
  report.tests.push_back(sample_result("io"));
  const auto back = gradeq::wire::report_from_json(gradeq::wire::to_json(report));
  ASSERT_EQ(back.tests.size(), 2u);
  EXPECT_EQ(back.tests[0].report_data, unit.report_data);
  EXPECT_TRUE(back.tests[0].report_truncated);
  EXPECT_EQ(back.tests[0].report_opens, 2);
  EXPECT_EQ(back.tests[0].report_changes, "report.xml was renamed");
  EXPECT_EQ(back.tests[0].report_error, "cannot prepare the report folder: EACCES");
  EXPECT_EQ(back.tests[1].report_data, "");
  EXPECT_EQ(back.tests[1].report_opens, 0);
  // A report of a runner that knows nothing of reports (an older image) still reads.
  json j = json::parse(gradeq::wire::to_json(report));
  for (const char* key : {"report_b64", "report_truncated", "report_opens", "report_changes", "report_error"}) {
    j["tests"][0].erase(key);
  }
  const auto old = gradeq::wire::report_from_json(j.dump());
  EXPECT_EQ(old.tests[0].report_data, "");
  EXPECT_EQ(old.tests[0].report_opens, 0);
  EXPECT_EQ(old.tests[0].report_error, "");
}

TEST(Report, RunnerErrorAndNoBuild) {
  gradeq::wire::Report report;
  report.runner_error = "cannot write the submission's files";
  const auto back = gradeq::wire::report_from_json(gradeq::wire::to_json(report));
  EXPECT_FALSE(back.build.has_value());
  EXPECT_TRUE(back.tests.empty());
  EXPECT_EQ(back.runner_error, report.runner_error);
}

TEST(Report, ClearErrorsOnBadInput) {
  using gradeq::wire::report_from_json;
  EXPECT_THAT(invalid_argument_message([] { report_from_json(""); }), HasSubstr("not JSON"));
  EXPECT_THAT(invalid_argument_message([] { report_from_json("Traceback (most recent call last)"); }),
              HasSubstr("not JSON"));
  EXPECT_THAT(invalid_argument_message(
                  [] { report_from_json(R"({"schema":"gradeq.bundle/v1","tests":[]})"); }),
              HasSubstr("gradeq.report/v1"));
  EXPECT_THAT(invalid_argument_message([] { report_from_json(R"({"schema":"gradeq.report/v1"})"); }),
              HasSubstr("\"tests\""));

  // A step result missing a field, or with a field of the wrong type, is named.
  json step = json::parse(gradeq::wire::to_json([] {
                gradeq::wire::Report r;
                r.tests.push_back(sample_result("t"));
                return r;
              }()))
                  .at("tests")
                  .at(0);
  json missing = step;
  missing.erase("timed_out");
  json doc{{"schema", gradeq::wire::kReportSchema}, {"tests", json::array({missing})}};
  EXPECT_THAT(invalid_argument_message([&] { report_from_json(doc.dump()); }),
              HasSubstr("\"timed_out\""));
  json wrong = step;
  wrong["exit_code"] = "three";
  doc["tests"] = json::array({wrong});
  EXPECT_THAT(invalid_argument_message([&] { report_from_json(doc.dump()); }),
              HasSubstr("\"exit_code\""));
  json bad64 = step;
  bad64["stdout_b64"] = "not base64!";
  doc["tests"] = json::array({bad64});
  EXPECT_THAT(invalid_argument_message([&] { report_from_json(doc.dump()); }), HasSubstr("base64"));
}

}  // namespace
