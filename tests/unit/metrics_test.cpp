// The metrics library: exposition text 0.0.4 and updates from many threads.
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gradeq/metrics.hpp"

using namespace gradeq::metrics;

TEST(Metrics, CounterAndGaugeRenderWithHelpTypeAndLabels) {
  Registry r;
  auto& jobs = r.counter("gradeq_jobs_total", "Jobs handled.\nBy outcome \\ lane", {"outcome", "lane"});
  jobs.with({"graded", "bulk"}).inc();
  jobs.with({"graded", "bulk"}).inc(2);
  jobs.with({"poison", "interactive"}).inc();
  jobs.with({"poison", "interactive"}).inc(-5);  // ignored: counters only go up
  auto& busy = r.gauge("gradeq_busy", "Busy workers.");
  busy.with({}).inc();
  busy.with({}).inc();
  busy.with({}).dec();
  EXPECT_EQ(r.render(),
            "# HELP gradeq_jobs_total Jobs handled.\\nBy outcome \\\\ lane\n"
            "# TYPE gradeq_jobs_total counter\n"
            "gradeq_jobs_total{outcome=\"graded\",lane=\"bulk\"} 3\n"
            "gradeq_jobs_total{outcome=\"poison\",lane=\"interactive\"} 1\n"
            "# HELP gradeq_busy Busy workers.\n"
            "# TYPE gradeq_busy gauge\n"
            "gradeq_busy 1\n");
}

TEST(Metrics, LabelValuesAreEscaped) {
  Registry r;
  r.counter("c_total", "c", {"kind"}).with({"a\"b\\c\nd"}).inc();
  EXPECT_NE(r.render().find("c_total{kind=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << r.render();
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry r;
  auto& h = r.histogram("d_seconds", "d", {"lane"}, {0.1, 1, 2.5}).with({"bulk"});
  h.observe(0.05);
  h.observe(0.1);  // le: a value on a bound counts in that bucket
  h.observe(0.7);
  h.observe(30);
  EXPECT_EQ(r.render(),
            "# HELP d_seconds d\n# TYPE d_seconds histogram\n"
            "d_seconds_bucket{lane=\"bulk\",le=\"0.1\"} 2\n"
            "d_seconds_bucket{lane=\"bulk\",le=\"1\"} 3\n"
            "d_seconds_bucket{lane=\"bulk\",le=\"2.5\"} 3\n"
            "d_seconds_bucket{lane=\"bulk\",le=\"+Inf\"} 4\n"
            "d_seconds_sum{lane=\"bulk\"} 30.85\n"
            "d_seconds_count{lane=\"bulk\"} 4\n");
}

TEST(Metrics, HistogramWithoutLabels) {
  Registry r;
  r.histogram("h", "h", {}, {1}).with({}).observe(2);
  EXPECT_NE(r.render().find("h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_sum 2\nh_count 1\n"),
            std::string::npos)
      << r.render();
}

TEST(Metrics, ValuesFormatAsPrometheusReadsThem) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(0.1), "0.1");
  EXPECT_EQ(format_value(1e21), "1e+21");
  EXPECT_EQ(format_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(format_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(format_value(0.0 / 0.0), "NaN");
}

TEST(Metrics, BadNamesLabelsAndBoundsAreRefused) {
  Registry r;
  EXPECT_THROW(r.counter("1bad", "x"), std::invalid_argument);
  EXPECT_THROW(r.counter("ok", "x", {"le"}), std::invalid_argument);
  EXPECT_THROW(r.counter("ok", "x", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h", "x", {}, {2, 1}), std::invalid_argument);
  auto& c = r.counter("ok", "x", {"a"});
  EXPECT_THROW(c.with({}), std::invalid_argument);
  EXPECT_THROW(r.gauge("ok", "again"), std::invalid_argument);
}

TEST(Metrics, ConcurrentUpdatesAreNotLost) {
  Registry r;
  auto& c = r.counter("c_total", "c", {"t"});
  auto& g = r.gauge("g", "g").with({});
  auto& h = r.histogram("h", "h", {}, {0.5}).with({});
  constexpr int kThreads = 8, kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        c.with({std::to_string(t % 2)}).inc();  // lookups race with creation of the series
        g.inc();
        h.observe(i % 2 ? 1.0 : 0.25);
        g.dec();
        if (i % 1000 == 0) (void)r.render();  // scrapes race with updates
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.with({"0"}).value() + c.with({"1"}).value(), kThreads * kEach);
  EXPECT_EQ(g.value(), 0);
  EXPECT_EQ(h.count(), static_cast<std::uint64_t>(kThreads) * kEach);
  EXPECT_EQ(h.bucket_counts()[0], static_cast<std::uint64_t>(kThreads) * kEach / 2);
  EXPECT_DOUBLE_EQ(h.sum(), kThreads * (kEach / 2) * 1.25);
}

// JSON log lines (gradeq/log.hpp): one valid object a line, the submission as a field.
#include <nlohmann/json.hpp>
#include <spdlog/details/log_msg.h>

#include "gradeq/log.hpp"

namespace {
nlohmann::json json_line(const std::string& text, spdlog::level::level_enum level = spdlog::level::warn) {
  auto f = gradeq::log::json_formatter();
  spdlog::details::log_msg msg("", level, text);
  spdlog::memory_buf_t buf;
  f->format(msg, buf);
  std::string out(buf.data(), buf.size());
  EXPECT_EQ(out.find('\n'), out.size() - 1) << out;  // one line
  return nlohmann::json::parse(out);
}
}  // namespace

TEST(JsonLog, SubmissionAndAttemptBecomeFields) {
  auto j = json_line("submission=0b6e8a4e-1f1c-4c44-9d2a-3f5b6c7d8e9f attempt=2 system fault on delivery 1/6, requeued: x");
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["submission_id"], "0b6e8a4e-1f1c-4c44-9d2a-3f5b6c7d8e9f");
  EXPECT_EQ(j["attempt"], 2);
  EXPECT_EQ(j["message"], "submission=0b6e8a4e-1f1c-4c44-9d2a-3f5b6c7d8e9f attempt=2 system fault on delivery 1/6, requeued: x");
  EXPECT_EQ(j["time"].get<std::string>().back(), 'Z');
  auto dead = json_line("dead letter from q (rejected): r; submission 0b6e8a4e-1f1c-4c44-9d2a-3f5b6c7d8e9f marked error");
  EXPECT_EQ(dead["submission_id"], "0b6e8a4e-1f1c-4c44-9d2a-3f5b6c7d8e9f");
  EXPECT_FALSE(json_line("grader stopped", spdlog::level::info).contains("submission_id"));
}

TEST(JsonLog, AnyMessageIsValidJson) {
  const std::string nasty = std::string("quote \" backslash \\ newline \n tab \t nul ") + '\0' + " bad utf8 \xff\xfe end";
  auto j = json_line(nasty);
  EXPECT_NE(j["message"].get<std::string>().find("quote \" backslash \\ newline \n"), std::string::npos);
}
