// The pure part of webhooks: signature, body, event message, retry schedule, URL checks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gradeq/webhook.hpp"

namespace gradeq::webhook {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

TEST(WebhookSignature, MatchesRfc4231TestCase2) {
  // RFC 4231 section 4.3: key "Jefe", data "what do ya want for nothing?".
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookSignature, MatchesRfc4231TestCase1) {
  EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(WebhookSignature, MatchesPythonsHmacModule) {
  // python3 -c "import hmac,hashlib; print(hmac.new(b'gradeq-secret',
  //   b'{\"event\":\"submission.graded\",\"event_id\":42}', hashlib.sha256).hexdigest())"
  EXPECT_EQ(signature("gradeq-secret", R"({"event":"submission.graded","event_id":42})"),
            "sha256=3678593e21b3d975cba94e84611bd623d4a3404180b27fd8a7dd431ad4e6c970");
}

Event sample() {
  Event e;
  e.id = 7;
  e.kind = "submission.graded";
  e.submission_id = "1b4e28ba-2fa1-4d2e-883f-0016d3cca427";
  e.payload = nlohmann::json::parse(
      R"({"submission_id":"1b4e28ba-2fa1-4d2e-883f-0016d3cca427","course":"cs101","assignment":"fizz",
          "student":"ann","status":"graded","score":2.5,"max_score":3,"failed_tests":["big"],
          "graded_at":"2026-11-24T20:00:00.123456Z","error_reason":null,"attempt":1})");
  return e;
}

TEST(WebhookBody, HoldsTheEventAndThePayloadInAFixedOrder) {
  EXPECT_EQ(request_body(sample()),
            R"({"assignment":"fizz","attempt":1,"course":"cs101","error_reason":null,"event":"submission.graded",)"
            R"("event_id":7,"failed_tests":["big"],"graded_at":"2026-11-24T20:00:00.123456Z","max_score":3,)"
            R"("score":2.5,"status":"graded","student":"ann","submission_id":"1b4e28ba-2fa1-4d2e-883f-0016d3cca427"})");
}

TEST(WebhookBody, IsTheSameBytesForEveryAttempt) {
  Event e = sample();
  const std::string first = request_body(e);
  e.attempt = 4;
  EXPECT_EQ(request_body(e), first);
  EXPECT_EQ(request_body(event_from_message(to_message(e))), first) << "through the queue and back";
}

TEST(WebhookMessage, RoundTripsAndRejectsWhatIsNotAnEvent) {
  Event e = sample();
  e.attempt = 3;
  Event back = event_from_message(to_message(e));
  EXPECT_EQ(back.id, 7);
  EXPECT_EQ(back.kind, "submission.graded");
  EXPECT_EQ(back.submission_id, e.submission_id);
  EXPECT_EQ(back.attempt, 3);
  EXPECT_EQ(back.payload, e.payload);
  EXPECT_THROW(event_from_message("nope"), EventError);
  EXPECT_THROW(event_from_message(R"({"schema":"gradeq.job/v1"})"), EventError);
  nlohmann::json bad = nlohmann::json::parse(to_message(e));
  bad["kind"] = "submission.deleted";
  EXPECT_THROW(event_from_message(bad.dump()), EventError);
  bad = nlohmann::json::parse(to_message(e));
  bad["event_id"] = 0;
  EXPECT_THROW(event_from_message(bad.dump()), EventError);
}

TEST(WebhookRetries, BackOffFiveThirtyTwoMinutesTenMinutesAnHourThenStay) {
  EXPECT_EQ(retry_delay(1, 5000ms), 5s);
  EXPECT_EQ(retry_delay(2, 5000ms), 30s);
  EXPECT_EQ(retry_delay(3, 5000ms), 120s);
  EXPECT_EQ(retry_delay(4, 5000ms), 600s);
  EXPECT_EQ(retry_delay(5, 5000ms), 3600s);
  EXPECT_EQ(retry_delay(9, 5000ms), 3600s);
  EXPECT_EQ(retry_delay(2, 100ms), 600ms) << "a small base for tests";
  EXPECT_THAT(retry_delays(3, 100ms), ElementsAre(100ms, 600ms));
  EXPECT_THAT(retry_delays(9, 1000ms), ElementsAre(1s, 6s, 24s, 120s, 720s));
  EXPECT_TRUE(retry_delays(1, 1000ms).empty()) << "one attempt: no retry, no wait queue";
}

TEST(WebhookRetries, OnlyTwoHundredsAreDeliveries) {
  EXPECT_TRUE(delivered(200));
  EXPECT_TRUE(delivered(204));
  EXPECT_FALSE(delivered(301)) << "redirects are not followed";
  EXPECT_FALSE(delivered(404));
  EXPECT_FALSE(delivered(500));
  EXPECT_FALSE(delivered(0));
}

TEST(WebhookUrl, AcceptsHttpAndHttps) {
  EXPECT_EQ(url_problem("http://lms.example.edu/hooks/gradeq"), "");
  EXPECT_EQ(url_problem("HTTPS://lms.example.edu:8443"), "");
  EXPECT_EQ(url_problem("http://[::1]:8080/x?y=1"), "");
  Target t = split_url("HTTPS://lms.example.edu:8443");
  EXPECT_EQ(t.origin, "https://lms.example.edu:8443");
  EXPECT_EQ(t.path, "/");
  t = split_url("http://127.0.0.1:9000/a/b?c=d&e");
  EXPECT_EQ(t.origin, "http://127.0.0.1:9000");
  EXPECT_EQ(t.path, "/a/b?c=d&e");
  EXPECT_EQ(split_url("http://h?x=1").path, "/?x=1");
}

TEST(WebhookUrl, RejectsEverythingElseSayingWhy) {
  EXPECT_THAT(url_problem("ftp://example.com/x"), HasSubstr("scheme \"ftp\" is not http or https"));
  EXPECT_THAT(url_problem("example.com/x"), HasSubstr("not an absolute URL"));
  EXPECT_THAT(url_problem("http:///x"), HasSubstr("no host"));
  EXPECT_THAT(url_problem("http://h:0/"), HasSubstr("not in 1..65535"));
  EXPECT_THAT(url_problem("http://h:99999/"), HasSubstr("not in 1..65535"));
  EXPECT_THAT(url_problem("http://h:x/"), HasSubstr("not a number"));
  EXPECT_THAT(url_problem("http://h:/"), HasSubstr("empty port"));
  EXPECT_THAT(url_problem("http://u:p@h/"), HasSubstr("user:password@"));
  EXPECT_THAT(url_problem("http://h/a b"), HasSubstr("space"));
  EXPECT_THAT(url_problem("http://h/#top"), HasSubstr("fragment"));
  EXPECT_THAT(url_problem(""), HasSubstr("empty"));
  EXPECT_THAT(url_problem("http://h/" + std::string(2100, 'a')), HasSubstr("2048"));
  try {
    split_url("javascript:alert(1)");
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("webhook URL \"javascript:alert(1)\": not an absolute URL"));
  }
}

}  // namespace
}  // namespace gradeq::webhook
