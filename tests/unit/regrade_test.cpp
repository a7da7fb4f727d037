// What a regrade changed: the diff of each submission's result and the report's rows.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gradeq/regrade.hpp"

namespace gradeq::regrade {
namespace {

Result graded(const std::string& score, const std::string& max, std::vector<std::string> failed = {}) {
  return {"graded", score, max, std::move(failed), ""};
}

Item item(const std::string& student, Result before, State state, Result after) {
  after.status = to_string(state);
  return {student, "id-" + student, std::move(before), state, std::move(after)};
}

TEST(Regrade, AScoreOrStatusThatMovedIsAChange) {
  EXPECT_TRUE(changed(item("a", graded("3", "5"), State::graded, graded("5", "5"))));
  EXPECT_TRUE(changed(item("b", graded("3", "5"), State::graded, graded("3", "6")))) << "the maximum moved";
  EXPECT_FALSE(changed(item("c", graded("3", "5"), State::graded, graded("3.0", "5"))))
      << "compared by value, not by text";
  Result was_error{"error", std::nullopt, std::nullopt, {}, "docker down"};
  EXPECT_TRUE(changed(item("d", was_error, State::graded, graded("0", "5"))));
  Result failed_now{"", std::nullopt, std::nullopt, {}, "engine gone"};
  EXPECT_TRUE(changed(item("e", graded("5", "5"), State::error, failed_now)));
  EXPECT_FALSE(changed(item("f", was_error, State::error, failed_now))) << "error before and after";
}

TEST(Regrade, PendingAndSupersededAreNeitherChangedNorUnchanged) {
  Item pending = item("a", graded("3", "5"), State::pending, {});
  EXPECT_FALSE(finished(pending));
  EXPECT_FALSE(changed(pending));
  Summary s = summarize({pending, item("b", graded("3", "5"), State::superseded, {}),
                         item("c", graded("3", "5"), State::graded, graded("3", "5")),
                         item("d", graded("3", "5"), State::graded, graded("4", "5"))});
  EXPECT_EQ(s.total, 4u);
  EXPECT_EQ(s.pending, 1u);
  EXPECT_EQ(s.superseded, 1u);
  EXPECT_EQ(s.unchanged, 1u);
  EXPECT_EQ(s.changed, 1u);
  EXPECT_EQ(summary_line(s),
            "4 regraded: 1 changed, 1 unchanged, 1 pending, 1 superseded by a newer regrade");
}

TEST(Regrade, TheFailedTestsThatChangedAreNamedBothWays) {
  Item i = item("a", graded("2", "5", {"big", "edge"}), State::graded, graded("3", "5", {"edge", "unicode"}));
  FailedDiff d = failed_diff(i);
  EXPECT_EQ(d.now_failing, std::vector<std::string>{"unicode"});
  EXPECT_EQ(d.now_passing, std::vector<std::string>{"big"});
  EXPECT_TRUE(failed_diff(item("b", graded("2", "5", {"big"}), State::pending, {})).now_passing.empty())
      << "nothing is known to pass before the regrade has a result";
}

TEST(Regrade, TheTableShowsOnlyChangesAndPendingUnlessAll) {
  std::vector<Item> items = {item("ann", graded("5", "5"), State::graded, graded("5", "5")),
                             item("bob", graded("3", "5", {"two"}), State::graded, graded("5", "5")),
                             item("cy", graded("4", "5", {"one"}), State::pending, {})};
  report::Table t = table(items, false);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0][0].text, "bob");
  EXPECT_EQ(t.rows[1][0].text, "cy");
  EXPECT_EQ(t.rows[1][5].text, "pending");
  EXPECT_TRUE(t.rows[1][6].null) << "no new score yet";
  EXPECT_EQ(table(items, true).rows.size(), 3u);

  auto doc = nlohmann::json::parse(report::format_json(t));
  EXPECT_EQ(doc[0]["student"], "bob");
  EXPECT_EQ(doc[0]["old_status"], "graded");
  EXPECT_DOUBLE_EQ(doc[0]["old_score"].get<double>(), 3);
  EXPECT_DOUBLE_EQ(doc[0]["new_score"].get<double>(), 5);
  EXPECT_EQ(doc[0]["now_passing"], nlohmann::json::array({"two"}));
  EXPECT_EQ(doc[0]["now_failing"], nlohmann::json::array());
  EXPECT_TRUE(doc[0]["note"].is_null());
}

TEST(Regrade, ASystemFaultSaysThePreviousScoreIsKept) {
  Result fault{"", std::nullopt, std::nullopt, {}, "docker: engine unreachable"};
  report::Table t = table({item("ann", graded("4", "5"), State::error, fault)}, false);
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0][5].text, "error");
  EXPECT_EQ(t.rows[0][10].text, "previous score kept; docker: engine unreachable");
  EXPECT_EQ(summary_line(summarize({item("ann", graded("4", "5"), State::error, fault)})),
            "1 regraded: 1 changed, 0 unchanged, 1 ended in error (system fault; previous score kept)");
}

}  // namespace
}  // namespace gradeq::regrade
