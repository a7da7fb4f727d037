// `gradeq-producer export` against a real server: the latest graded score per student as the
// Canvas, Moodle, CSV and JSON files; who is left out; bad input; the atomic write.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "gradeq/pg_store.hpp"
#include "gradeq/producer.hpp"
#include "support.hpp"

namespace gradeq {
namespace {

namespace fs = std::filesystem;

const char* kSpec = R"(
course: cs101
assignment: echo
language: python
files: [echo.py]
run: python3 echo.py
tests:
  - name: one
    stdin: "1\n"
    expect_stdout: "1\n"
    points: 1.5
  - name: two
    stdin: "2\n"
    expect_stdout: "2\n"
)";

class ExportTest : public ::testing::Test {
 protected:
  testing::TempDatabase db;
  pg::Store store{db.url()};
  producer::Settings settings;

  void SetUp() override {
    settings.database_url = db.url();
    store.add_assignment(parse_spec(kSpec, "spec.yaml", "."), kSpec);
    version = store.latest_version("cs101", "echo");
    graded("alice", 2.5);
    graded("bob", 0.1);
    submit("bob");  // newer, still queued: bob's 0.1 is exported
    graded("dave", 0);
    std::string carol = submit("carol");
    pg::Work work;
    ASSERT_EQ(store.claim({carol, 1, Lane::bulk}, work), pg::Claim::claimed);
    store.mark_error({carol, 1, Lane::bulk}, "docker is down");  // nothing graded: left out
  }

  std::string submit(const std::string& student) {
    pg::NewSubmission s{student, {{"echo.py", "print(input())\n", false}}};
    return store.add_submissions(version, {s}, Lane::bulk, std::nullopt).first.at(0);
  }

  void graded(const std::string& student, double score) {
    std::string id = submit(student);
    pg::Work work;
    ASSERT_EQ(store.claim({id, 1, Lane::bulk}, work), pg::Claim::claimed);
    GradeResult r;
    r.max_score = 2.5;
    r.score = score;
    for (auto [name, pts, max] : {std::tuple{"one", std::min(score, 1.5), 1.5},
                                  std::tuple{"two", score > 1.5 ? 1.0 : 0.0, 1.0}}) {
      TestOutcome t;
      t.name = name;
      t.verdict = pts == max ? Verdict::passed : Verdict::wrong_answer;
      t.points = pts;
      t.max_points = max;
      if (t.verdict != Verdict::passed) r.failed_tests.push_back(name);
      r.tests.push_back(t);
    }
    ASSERT_TRUE(store.store_result({id, 1, Lane::bulk}, r, {std::chrono::system_clock::now(), 100},
                                   "test", 8192));
  }

  pg::AssignmentVersion version;
};

TEST_F(ExportTest, CanvasFileHasTheLatestGradedScoresAndLeavesOutWhoHasNone) {
  grade_export::Options o;
  o.column = "Echo (4711)";
  auto r = producer::export_grades(settings, "cs101/echo", "canvas", o);
  EXPECT_EQ(r.content,
            "Student,ID,SIS User ID,SIS Login ID,Section,Echo (4711)\r\n"
            "Points Possible,,,,,2.5\r\n"
            "alice,,,alice,,2.5\r\n"
            "bob,,,bob,,0.1\r\n"
            "dave,,,dave,,0\r\n");
  EXPECT_EQ(r.exported, 3u);
  EXPECT_EQ(r.left_out, std::vector<std::string>{"carol (error)"});
  EXPECT_EQ(r.older_grade, std::vector<std::string>{"bob (queued)"});
}

TEST_F(ExportTest, MoodleCsvAndJson) {
  grade_export::Options o;
  o.moodle_id = grade_export::MoodleId::idnumber;
  EXPECT_EQ(producer::export_grades(settings, "cs101/echo", "moodle", o).content,
            "ID number,echo\r\nalice,2.5\r\nbob,0.1\r\ndave,0\r\n");
  EXPECT_EQ(producer::export_grades(settings, "cs101/echo", "csv", o).content,
            "course,assignment,student,score,max_score\r\n"
            "cs101,echo,alice,2.5,2.5\r\n"
            "cs101,echo,bob,0.1,2.5\r\n"
            "cs101,echo,dave,0,2.5\r\n");
  auto doc = nlohmann::json::parse(producer::export_grades(settings, "cs101/echo", "json", o).content);
  ASSERT_EQ(doc.size(), 3u);
  EXPECT_EQ(doc[1]["student"], "bob");
  EXPECT_DOUBLE_EQ(doc[1]["score"].get<double>(), 0.1);
  EXPECT_TRUE(doc[2]["score"].is_number());
}

TEST_F(ExportTest, BadInputIsAnInputError) {
  EXPECT_THROW(producer::export_grades(settings, "cs101/nope", "canvas", {}), producer::InputError);
  EXPECT_THROW(producer::export_grades(settings, "nope/echo", "canvas", {}), producer::InputError);
  EXPECT_THROW(producer::export_grades(settings, "cs101-echo", "canvas", {}), producer::InputError);
  EXPECT_THROW(producer::export_grades(settings, "cs101/echo", "xlsx", {}), producer::InputError);
  grade_export::Options o;
  EXPECT_THROW(producer::set_export_ids(o, "login", "username"), producer::InputError);
  EXPECT_THROW(producer::set_export_ids(o, "id", "mail"), producer::InputError);
  producer::set_export_ids(o, "sis-user-id", "email");
  EXPECT_EQ(o.canvas_id, grade_export::CanvasId::sis_user_id);
  EXPECT_EQ(o.moodle_id, grade_export::MoodleId::email);
}

TEST_F(ExportTest, OutputIsReplacedAtomicallyAndAFailureLeavesNothing) {
  fs::path dir = fs::temp_directory_path() / ("gradeq-export-" + db.name());
  fs::create_directories(dir);
  fs::path file = dir / "grades.csv";
  { std::ofstream(file) << "old"; }
  auto r = producer::export_grades(settings, "cs101/echo", "moodle", {});
  producer::write_file_atomically(file.string(), r.content);
  std::ifstream in(file, std::ios::binary);
  std::stringstream got;
  got << in.rdbuf();
  EXPECT_EQ(got.str(), r.content);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);  // no temp left
  EXPECT_THROW(producer::write_file_atomically((dir / "missing" / "x.csv").string(), "x"),
               producer::InputError);
  EXPECT_FALSE(fs::exists(dir / "missing"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace gradeq
