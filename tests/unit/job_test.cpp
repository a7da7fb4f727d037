// The job message: what the producer publishes and the grader consumes.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gradeq/job.hpp"

namespace gradeq {
namespace {

using ::testing::HasSubstr;

const std::string kId = "0b5e7c3a-9f1d-4e2b-8a6c-1d2e3f405162";

std::string message(const nlohmann::json& j) { return j.dump(); }

nlohmann::json valid() {
  return {{"schema", "gradeq.job/v1"}, {"submission_id", kId}, {"attempt", 1}, {"lane", "interactive"}};
}

// The JobError's message for a message that must be refused.
std::string refusal(const std::string& text) {
  try {
    job_from_json(text);
  } catch (const JobError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw something other than JobError: " << e.what() << "\n  for " << text;
    return "";
  }
  ADD_FAILURE() << "accepted: " << text;
  return "";
}

TEST(Job, RoundTrip) {
  for (Lane lane : {Lane::interactive, Lane::bulk}) {
    for (int attempt : {1, 2, 17, 1000000}) {
      Job job{kId, attempt, lane};
      Job back = job_from_json(to_json(job));
      EXPECT_EQ(back.submission_id, kId);
      EXPECT_EQ(back.attempt, attempt);
      EXPECT_EQ(back.lane, lane);
    }
  }
}

TEST(Job, WireFormatIsTheContract) {
  nlohmann::json j = nlohmann::json::parse(to_json(Job{kId, 3, Lane::bulk}));
  EXPECT_EQ(j, (nlohmann::json{{"schema", "gradeq.job/v1"}, {"submission_id", kId}, {"attempt", 3},
                               {"lane", "bulk"}}));
}

TEST(Job, AcceptsWhatTheContractAllows) {
  Job job = job_from_json(R"({"lane":"bulk","attempt":2,"submission_id":")" + kId +
                          R"(","schema":"gradeq.job/v1"})");
  EXPECT_EQ(job.lane, Lane::bulk);
  EXPECT_EQ(job.attempt, 2);
  // Whitespace around the document is fine.
  EXPECT_NO_THROW(job_from_json("\n  " + message(valid()) + "\n"));
}

TEST(JobErrors, NotJson) {
  EXPECT_THAT(refusal(""), HasSubstr("not JSON"));
  EXPECT_THAT(refusal("{"), HasSubstr("not JSON"));
  EXPECT_THAT(refusal("submission_id=" + kId), HasSubstr("not JSON"));
  EXPECT_THAT(refusal("\xff\xfe"), HasSubstr("not JSON"));
  EXPECT_THAT(refusal(message(valid()) + " trailing"), HasSubstr("not JSON"));
}

TEST(JobErrors, NotAnObject) {
  EXPECT_THAT(refusal("[]"), HasSubstr("not a JSON object"));
  EXPECT_THAT(refusal("\"" + kId + "\""), HasSubstr("not a JSON object"));
  EXPECT_THAT(refusal("null"), HasSubstr("not a JSON object"));
}

TEST(JobErrors, WrongSchema) {
  for (const nlohmann::json& schema :
       {nlohmann::json("gradeq.job/v2"), nlohmann::json("gradeq.bundle/v1"), nlohmann::json(""),
        nlohmann::json(5), nlohmann::json(nullptr), nlohmann::json::array({"gradeq.job/v1"})}) {
    nlohmann::json j = valid();
    j["schema"] = schema;
    EXPECT_THAT(refusal(message(j)), HasSubstr("schema")) << schema;
  }
  nlohmann::json j = valid();
  j.erase("schema");
  EXPECT_THAT(refusal(message(j)), HasSubstr("schema"));
}

TEST(JobErrors, BadSubmissionId) {
  for (const nlohmann::json& id :
       {nlohmann::json("0B5E7C3A-9F1D-4E2B-8A6C-1D2E3F405162"),  // uppercase
        nlohmann::json("0b5e7c3a-9f1d-4e2b-8a6c-1d2e3f40516"),   // one short
        nlohmann::json("0b5e7c3a-9f1d-4e2b-8a6c-1d2e3f4051623"), // one long
        nlohmann::json("0b5e7c3a9f1d4e2b8a6c1d2e3f405162"),      // no dashes
        nlohmann::json("0b5e7c3a-9f1d-4e2b-8a6c_1d2e3f405162"),  // wrong separator
        nlohmann::json("0b5e7c3a-9f1d-4e2b-8a6c-1d2e3f40516g"),  // not hex
        nlohmann::json("{0b5e7c3a-9f1d-4e2b-8a6c-1d2e3f405162}"), nlohmann::json(""),
        nlohmann::json(42), nlohmann::json(nullptr)}) {
    nlohmann::json j = valid();
    j["submission_id"] = id;
    EXPECT_THAT(refusal(message(j)), HasSubstr("submission_id")) << id;
  }
  nlohmann::json j = valid();
  j.erase("submission_id");
  EXPECT_THAT(refusal(message(j)), HasSubstr("submission_id"));
}

TEST(JobErrors, BadAttempt) {
  for (const nlohmann::json& attempt :
       {nlohmann::json(0), nlohmann::json(-1), nlohmann::json(1.5), nlohmann::json(1.0),
        nlohmann::json("1"), nlohmann::json(nullptr), nlohmann::json(true),
        nlohmann::json(4294967297LL),
        nlohmann::json(18446744073709551615ULL)}) {
    nlohmann::json j = valid();
    j["attempt"] = attempt;
    EXPECT_THAT(refusal(message(j)), HasSubstr("attempt")) << attempt;
  }
  nlohmann::json j = valid();
  j.erase("attempt");
  EXPECT_THAT(refusal(message(j)), HasSubstr("attempt"));
}

TEST(JobErrors, UnknownLane) {
  for (const nlohmann::json& lane : {nlohmann::json("batch"), nlohmann::json("Bulk"),
                                     nlohmann::json(""), nlohmann::json(1), nlohmann::json(nullptr)}) {
    nlohmann::json j = valid();
    j["lane"] = lane;
    EXPECT_THAT(refusal(message(j)), HasSubstr("lane")) << lane;
  }
  nlohmann::json j = valid();
  j.erase("lane");
  EXPECT_THAT(refusal(message(j)), HasSubstr("lane"));
}

TEST(Lanes, Names) {
  EXPECT_STREQ(to_string(Lane::interactive), "interactive");
  EXPECT_STREQ(to_string(Lane::bulk), "bulk");
  EXPECT_EQ(lane_from_string("bulk"), Lane::bulk);
  EXPECT_EQ(lane_from_string("interactive"), Lane::interactive);
  EXPECT_FALSE(lane_from_string("BULK").has_value());
}

TEST(Uuid, Shape) {
  EXPECT_TRUE(is_uuid(kId));
  EXPECT_TRUE(is_uuid("00000000-0000-0000-0000-000000000000"));
  EXPECT_FALSE(is_uuid("0B5E7C3A-9F1D-4E2B-8A6C-1D2E3F405162"));
  EXPECT_FALSE(is_uuid(""));
  EXPECT_FALSE(is_uuid(std::string(36, '-')));
  EXPECT_FALSE(is_uuid(std::string("0b5e7c3a-9f1d-4e2b-8a6c-1d2e3f40516\0", 36)));
}

}  // namespace
}  // namespace gradeq
