#include "gradeq/grade_export.hpp"

#include <stdexcept>

#include "gradeq/report_table.hpp"

namespace gradeq::grade_export {

namespace {

// Every layout is a report::Table, so that CSV quoting and JSON typing are report_table's.
report::Cell text(const std::string& value) {
  report::Cell cell;
  cell.null = false;
  cell.text = value;
  return cell;
}

report::Cell empty() { return text(""); }

std::string column_title(const Sheet& sheet, const Options& options) {
  return options.column.empty() ? sheet.assignment : options.column;
}

report::Table plain_table(const Sheet& sheet) {
  report::Table t;
  t.columns = {{"course", report::Kind::text},
               {"assignment", report::Kind::text},
               {"student", report::Kind::text},
               {"score", report::Kind::number},
               {"max_score", report::Kind::number}};
  for (const auto& g : sheet.grades) {
    t.rows.push_back({text(sheet.course), text(sheet.assignment), text(g.student), text(g.score),
                      text(sheet.max_score)});
  }
  return t;
}

}  // namespace

std::optional<Layout> layout_from_string(const std::string& text) {
  if (text == "canvas") return Layout::canvas;
  if (text == "moodle") return Layout::moodle;
  if (text == "csv") return Layout::csv;
  if (text == "json") return Layout::json;
  return std::nullopt;
}

std::optional<CanvasId> canvas_id_from_string(const std::string& text) {
  if (text == "id") return CanvasId::id;
  if (text == "sis-user-id") return CanvasId::sis_user_id;
  if (text == "sis-login-id") return CanvasId::sis_login_id;
  return std::nullopt;
}

std::optional<MoodleId> moodle_id_from_string(const std::string& text) {
  if (text == "username") return MoodleId::username;
  if (text == "email") return MoodleId::email;
  if (text == "idnumber") return MoodleId::idnumber;
  if (text == "participant") return MoodleId::participant;
  return std::nullopt;
}

std::string format_canvas(const Sheet& sheet, const Options& options) {
  report::Table t;
  for (const char* name : {"Student", "ID", "SIS User ID", "SIS Login ID", "Section"}) {
    t.columns.push_back({name, report::Kind::text});
  }
  t.columns.push_back({column_title(sheet, options), report::Kind::number});
  if (options.points_possible) {
    t.rows.push_back({text("Points Possible"), empty(), empty(), empty(), empty(), text(sheet.max_score)});
  }
  std::size_t id_column = options.canvas_id == CanvasId::id            ? 1
                          : options.canvas_id == CanvasId::sis_user_id ? 2
                                                                        : 3;
  for (const auto& g : sheet.grades) {
    std::vector<report::Cell> row{text(g.student), empty(), empty(), empty(), empty(), text(g.score)};
    row[id_column] = text(g.student);
    t.rows.push_back(std::move(row));
  }
  return report::format_csv(t);
}

std::string format_moodle(const Sheet& sheet, const Options& options) {
  if (options.moodle_id == MoodleId::participant) {
    // The columns Moodle's assignfeedback_offline importer looks for by their English names
    // (Identifier, Grade, Last modified (grade)); it strips "Participant " from the identifier.
    std::string not_numbers;
    report::Table t;
    t.columns = {{"Identifier", report::Kind::text},
                 {"Grade", report::Kind::number},
                 {"Maximum Grade", report::Kind::number},
                 {"Last modified (grade)", report::Kind::text}};
    for (const auto& g : sheet.grades) {
      bool digits = !g.student.empty() && g.student.size() <= 18 &&
                    g.student.find_first_not_of("0123456789") == std::string::npos;
      if (!digits) not_numbers += (not_numbers.empty() ? "" : ", ") + g.student;
      t.rows.push_back({text("Participant " + g.student), text(g.score), text(sheet.max_score),
                        text(options.modified_at)});
    }
    if (!not_numbers.empty()) {
      throw std::invalid_argument("not Moodle participant numbers (import a Moodle zip, or choose another --moodle-id): " +
                                  not_numbers);
    }
    return report::format_csv(t);
  }
  const char* id_header = options.moodle_id == MoodleId::username ? "Username"
                          : options.moodle_id == MoodleId::email  ? "Email address"
                                                                  : "ID number";
  report::Table t;
  t.columns = {{id_header, report::Kind::text}, {column_title(sheet, options), report::Kind::number}};
  for (const auto& g : sheet.grades) t.rows.push_back({text(g.student), text(g.score)});
  return report::format_csv(t);
}

std::string format_csv(const Sheet& sheet) { return report::format_csv(plain_table(sheet)); }

std::string format_json(const Sheet& sheet) { return report::format_json(plain_table(sheet)); }

std::string format(const Sheet& sheet, Layout layout, const Options& options) {
  switch (layout) {
    case Layout::canvas:
      return format_canvas(sheet, options);
    case Layout::moodle:
      return format_moodle(sheet, options);
    case Layout::csv:
      return format_csv(sheet);
    case Layout::json:
      return format_json(sheet);
  }
  return {};
}

}  // namespace gradeq::grade_export
