// The report formats: aligned table, RFC 4180 CSV and typed JSON.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gradeq/report_table.hpp"

namespace gradeq::report {
namespace {

Cell value(std::string text) { return {false, std::move(text), {}}; }
Cell null() { return {}; }
Cell array(std::vector<std::optional<std::string>> items) { return {false, "", std::move(items)}; }

Table sample() {
  Table t;
  t.columns = {{"student", Kind::text},
               {"score", Kind::number},
               {"passed", Kind::boolean},
               {"failed_tests", Kind::text_array},
               {"points", Kind::number_array},
               {"graded_at", Kind::text}};
  t.rows.push_back({value("ann"), value("4.5000"), value("t"), array({"big", "x,y"}),
                    array({"1", std::nullopt}), value("2024-05-01 10:00:00+00")});
  t.rows.push_back({value("b\"o, b\nline"), null(), value("f"), array({}), null(), null()});
  return t;
}

TEST(ReportTable, CsvQuotesCommasQuotesAndNewlinesPerRfc4180) {
  EXPECT_EQ(format_csv(sample()),
            "student,score,passed,failed_tests,points,graded_at\r\n"
            "ann,4.5000,true,\"big, x,y\",\"1, NULL\",2024-05-01 10:00:00+00\r\n"
            "\"b\"\"o, b\nline\",,false,,,\r\n");
}

TEST(ReportTable, JsonHasTypedValuesInColumnOrder) {
  auto doc = nlohmann::ordered_json::parse(format_json(sample()));
  ASSERT_TRUE(doc.is_array());
  ASSERT_EQ(doc.size(), 2u);
  const auto& ann = doc[0];
  EXPECT_EQ(ann.begin().key(), "student");
  EXPECT_TRUE(ann["score"].is_number_float());
  EXPECT_DOUBLE_EQ(ann["score"].get<double>(), 4.5);
  EXPECT_EQ(ann["passed"], true);
  EXPECT_EQ(ann["failed_tests"], nlohmann::ordered_json::array({"big", "x,y"}));
  EXPECT_EQ(ann["points"], nlohmann::ordered_json::parse("[1, null]"));
  EXPECT_TRUE(ann["points"][0].is_number_integer());
  EXPECT_EQ(ann["graded_at"], "2024-05-01 10:00:00+00");
  const auto& bob = doc[1];
  EXPECT_EQ(bob["student"], "b\"o, b\nline");
  EXPECT_TRUE(bob["score"].is_null());
  EXPECT_EQ(bob["passed"], false);
  EXPECT_EQ(bob["failed_tests"], nlohmann::ordered_json::array());
  EXPECT_TRUE(bob["points"].is_null());
}

TEST(ReportTable, JsonNumbersThatJsonCannotHoldAreNullAndBigCountsStayExact) {
  Table t;
  t.columns = {{"n", Kind::number}};
  t.rows = {{value("NaN")}, {value("9007199254740993")}, {value("-3")}};
  auto doc = nlohmann::json::parse(format_json(t));
  EXPECT_TRUE(doc[0]["n"].is_null());
  EXPECT_EQ(doc[1]["n"].get<long long>(), 9007199254740993LL);
  EXPECT_EQ(doc[2]["n"].get<long long>(), -3);
}

TEST(ReportTable, EmptyResultIsAnEmptyArrayAndAHeaderOnly) {
  Table t;
  t.columns = {{"course", Kind::text}, {"queued", Kind::number}};
  EXPECT_EQ(nlohmann::json::parse(format_json(t)), nlohmann::json::array());
  EXPECT_EQ(format_csv(t), "course,queued\r\n");
  EXPECT_EQ(format_table(t), "course  queued\n(0 rows)\n");
}

TEST(ReportTable, TableAlignsByCodePointsRightAlignsNumbersAndKeepsRowsOnOneLine) {
  Table t;
  t.columns = {{"student", Kind::text}, {"score", Kind::number}, {"note", Kind::text}};
  t.rows = {{value("zoë"), value("10"), value("a\tb\nc")}, {value("al"), value("2.5"), null()}};
  EXPECT_EQ(format_table(t),
            "student  score  note\n"
            "zoë         10  a\\tb\\nc\n"
            "al         2.5\n"
            "(2 rows)\n");
}

TEST(ReportTable, FormatNamesAreTableCsvAndJson) {
  EXPECT_EQ(format_from_string("csv"), Format::csv);
  EXPECT_EQ(format_from_string("json"), Format::json);
  EXPECT_EQ(format_from_string("table"), Format::table);
  EXPECT_EQ(format_from_string("xml"), std::nullopt);
}

}  // namespace
}  // namespace gradeq::report
