// The LMS import layouts of `gradeq-producer export`, byte for byte.
#include "gradeq/grade_export.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace gradeq::grade_export {
namespace {

Sheet sample() {
  Sheet s;
  s.course = "cs101";
  s.assignment = "echo";
  s.max_score = "2.5";
  s.grades = {{"alice", "2.5"}, {"bob", "0.1"}, {"o'neil, \"jr\"", "0"}};
  return s;
}

TEST(GradeExport, MoodleParticipantsMakeTheAssignmentsOfflineGradingWorksheet) {
  Options o;
  o.moodle_id = MoodleId::participant;
  o.modified_at = "2026-11-24T22:00:00Z";
  Sheet s = sample();
  s.grades = {{"1044", "2.5"}, {"7", "0.1"}};
  EXPECT_EQ(format_moodle(s, o),
            "Identifier,Grade,Maximum Grade,Last modified (grade)\r\n"
            "Participant 1044,2.5,2.5,2026-11-24T22:00:00Z\r\n"
            "Participant 7,0.1,2.5,2026-11-24T22:00:00Z\r\n");
  EXPECT_EQ(format(s, Layout::moodle, o), format_moodle(s, o));
  // Students that are not participant numbers (not imported from a Moodle zip) are named.
  s.grades.push_back({"alice", "1"});
  s.grades.push_back({"12a", "1"});
  try {
    format_moodle(s, o);
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("alice, 12a"), std::string::npos) << e.what();
  }
}

TEST(GradeExport, CanvasHasTheGradebookHeaderPointsPossibleAndTheIdInTheChosenColumn) {
  Options o;  // SIS Login ID, Points Possible, the assignment's name as the column
  EXPECT_EQ(format_canvas(sample(), o),
            "Student,ID,SIS User ID,SIS Login ID,Section,echo\r\n"
            "Points Possible,,,,,2.5\r\n"
            "alice,,,alice,,2.5\r\n"
            "bob,,,bob,,0.1\r\n"
            "\"o'neil, \"\"jr\"\"\",,,\"o'neil, \"\"jr\"\"\",,0\r\n");
}

TEST(GradeExport, CanvasColumnTitleIsQuotedAndIdColumnAndPointsRowAreOptions) {
  Options o;
  o.column = "Lab 1, \"echo\" (12345)";
  o.canvas_id = CanvasId::sis_user_id;
  o.points_possible = false;
  Sheet s = sample();
  s.grades.resize(1);
  EXPECT_EQ(format_canvas(s, o),
            "Student,ID,SIS User ID,SIS Login ID,Section,\"Lab 1, \"\"echo\"\" (12345)\"\r\n"
            "alice,,alice,,,2.5\r\n");
  o.canvas_id = CanvasId::id;
  EXPECT_EQ(format_canvas(s, o),
            "Student,ID,SIS User ID,SIS Login ID,Section,\"Lab 1, \"\"echo\"\" (12345)\"\r\n"
            "alice,alice,,,,2.5\r\n");
}

TEST(GradeExport, MoodleHasTheUserFieldHeaderAndOneGradeColumn) {
  Options o;
  EXPECT_EQ(format_moodle(sample(), o),
            "Username,echo\r\n"
            "alice,2.5\r\n"
            "bob,0.1\r\n"
            "\"o'neil, \"\"jr\"\"\",0\r\n");
  o.moodle_id = MoodleId::idnumber;
  o.column = "Echo (gradeq)";
  Sheet s = sample();
  s.grades.resize(1);
  EXPECT_EQ(format_moodle(s, o), "ID number,Echo (gradeq)\r\nalice,2.5\r\n");
  o.moodle_id = MoodleId::email;
  EXPECT_EQ(format_moodle(s, o), "Email address,Echo (gradeq)\r\nalice,2.5\r\n");
}

TEST(GradeExport, PlainCsvAndJsonKeepTheDecimalsAndTypeScoresAsNumbers) {
  EXPECT_EQ(format_csv(sample()),
            "course,assignment,student,score,max_score\r\n"
            "cs101,echo,alice,2.5,2.5\r\n"
            "cs101,echo,bob,0.1,2.5\r\n"
            "cs101,echo,\"o'neil, \"\"jr\"\"\",0,2.5\r\n");
  auto doc = nlohmann::ordered_json::parse(format_json(sample()));
  EXPECT_EQ(doc, nlohmann::ordered_json::parse(
                     R"([{"course":"cs101","assignment":"echo","student":"alice","score":2.5,"max_score":2.5},
                         {"course":"cs101","assignment":"echo","student":"bob","score":0.1,"max_score":2.5},
                         {"course":"cs101","assignment":"echo","student":"o'neil, \"jr\"","score":0,"max_score":2.5}])"));
  EXPECT_TRUE(doc[1]["score"].is_number_float());
  EXPECT_TRUE(doc[2]["score"].is_number_integer());
  EXPECT_NE(format_json(sample()).find("\"score\":0.1"), std::string::npos) << format_json(sample());
}

TEST(GradeExport, NoGradesIsAHeaderOnlyAndAnEmptyArray) {
  Sheet s = sample();
  s.grades.clear();
  EXPECT_EQ(format_canvas(s, Options{}),
            "Student,ID,SIS User ID,SIS Login ID,Section,echo\r\nPoints Possible,,,,,2.5\r\n");
  EXPECT_EQ(format_moodle(s, Options{}), "Username,echo\r\n");
  EXPECT_EQ(format_json(s), format(s, Layout::json, Options{}));
  EXPECT_EQ(nlohmann::json::parse(format_json(s)), nlohmann::json::array());
}

TEST(GradeExport, NamesParse) {
  EXPECT_EQ(layout_from_string("canvas"), Layout::canvas);
  EXPECT_EQ(layout_from_string("moodle"), Layout::moodle);
  EXPECT_EQ(layout_from_string("csv"), Layout::csv);
  EXPECT_EQ(layout_from_string("json"), Layout::json);
  EXPECT_EQ(layout_from_string("xlsx"), std::nullopt);
  EXPECT_EQ(canvas_id_from_string("sis-user-id"), CanvasId::sis_user_id);
  EXPECT_EQ(canvas_id_from_string("login"), std::nullopt);
  EXPECT_EQ(moodle_id_from_string("email"), MoodleId::email);
  EXPECT_EQ(moodle_id_from_string("mail"), std::nullopt);
  EXPECT_EQ(moodle_id_from_string("participant"), MoodleId::participant);
}

}  // namespace
}  // namespace gradeq::grade_export
