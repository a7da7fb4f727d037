// The gradebook of one assignment as files an LMS imports (`gradeq-producer export`): Canvas's
// gradebook import CSV, Moodle's CSV grade import, and plain CSV / JSON. No database types: the
// producer fills a Sheet from the v_gradebook view. README "Grades back to the LMS" says how each
// file is imported.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace gradeq::grade_export {

// One student's latest graded score. Scores are the database's decimal text ("2.5", "0.1",
// "3"), written as they are: never re-formatted through a double.
struct Grade {
  std::string student;
  std::string score;
};

struct Sheet {
  std::string course;
  std::string assignment;
  std::string max_score;      // decimal text, as the scores
  std::vector<Grade> grades;  // students without a graded submission are not in it
};

enum class Layout { canvas, moodle, csv, json };

// "canvas" | "moodle" | "csv" | "json"; nullopt otherwise.
std::optional<Layout> layout_from_string(const std::string& text);

// Which of Canvas's identifier columns holds gradeq's student ID (the others stay empty).
enum class CanvasId { id, sis_user_id, sis_login_id };
// "id" | "sis-user-id" | "sis-login-id"; nullopt otherwise.
std::optional<CanvasId> canvas_id_from_string(const std::string& text);

// Which Moodle user field gradeq's student ID is (the column's header, mapped at import), or
// `participant`: the assignment's participant number, as `import` of a Moodle "Download all
// submissions" zip stores it; then the file is the assignment's offline grading worksheet.
enum class MoodleId { username, email, idnumber, participant };
// "username" | "email" | "idnumber" | "participant"; nullopt otherwise.
std::optional<MoodleId> moodle_id_from_string(const std::string& text);

struct Options {
  // The grade column's title. Empty: the assignment's name. Canvas matches an existing
  // assignment by "Title (assignment id)", else by title, else creates one; Moodle maps the
  // column to a grade item at import.
  std::string column;
  CanvasId canvas_id = CanvasId::sis_login_id;
  bool points_possible = true;  // Canvas: the "Points Possible" row under the header
  MoodleId moodle_id = MoodleId::username;
  // Moodle worksheet: its "Last modified (grade)" (any date PHP's strtotime reads). Moodle skips a
  // row whose grade was changed in Moodle after it, so set it to the export's time.
  std::string modified_at;
};

// Canvas: header `Student,ID,SIS User ID,SIS Login ID,Section,<column>`, then (optionally)
// `Points Possible,,,,,<max_score>`, then one row per student with the student ID in the Student
// column and in the chosen identifier column.
std::string format_canvas(const Sheet& sheet, const Options& options);
// Moodle: header `<Username|Email address|ID number>,<column>`, one row per student. With
// MoodleId::participant, the assignment's "offline grading worksheet" (Grading action → Upload
// grading worksheet): `Identifier,Grade,Maximum Grade,Last modified (grade)` with `Participant N`
// identifiers; std::invalid_argument naming every student ID that is not a participant number.
std::string format_moodle(const Sheet& sheet, const Options& options);
// Plain: columns course, assignment, student, score, max_score; RFC 4180 CSV, or a JSON array of
// objects with scores as numbers.
std::string format_csv(const Sheet& sheet);
std::string format_json(const Sheet& sheet);

std::string format(const Sheet& sheet, Layout layout, const Options& options);

}  // namespace gradeq::grade_export
