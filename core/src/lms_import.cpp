#include "gradeq/lms_import.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "gradeq/sha256.hpp"

namespace gradeq::lms {

std::optional<Format> format_from_string(const std::string& text) {
  if (text == "canvas") return Format::canvas;
  if (text == "moodle") return Format::moodle;
  if (text == "dir") return Format::dir;
  if (text == "csv") return Format::csv;
  return std::nullopt;
}

const char* to_string(Format format) {
  switch (format) {
    case Format::canvas: return "canvas";
    case Format::moodle: return "moodle";
    case Format::dir: return "dir";
    case Format::csv: return "csv";
  }
  return "?";
}

SafePath safe_path(const std::string& raw) {
  SafePath out;
  if (raw.empty()) {
    out.problem = "an empty path";
    return out;
  }
  if (raw[0] == '/' || raw[0] == '\\' ||
      (raw.size() >= 2 && raw[1] == ':' && std::isalpha(static_cast<unsigned char>(raw[0])))) {
    out.problem = "an absolute path";
    return out;
  }
  std::vector<std::string> parts;
  std::string part;
  auto flush = [&] {
    if (!part.empty() && part != ".") parts.push_back(part);
    part.clear();
  };
  for (char c : raw) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out.problem = "a control character in the path";
      return out;
    }
    if (c == '/' || c == '\\') {
      if (part == "..") {
        out.problem = "a \"..\" component (a path outside the submission)";
        return out;
      }
      flush();
    } else {
      part += c;
    }
  }
  if (part == "..") {
    out.problem = "a \"..\" component (a path outside the submission)";
    return out;
  }
  flush();
  if (parts.empty()) {
    out.problem = "an empty path";
    return out;
  }
  for (const auto& p : parts) out.path += (out.path.empty() ? "" : "/") + p;
  return out;
}

std::optional<CanvasName> parse_canvas_name(const std::string& entry) {
  // The name is lazy: the first "_{digits}_{digits}_" (after an optional "late_") ends it, so an
  // underscore in the original file name stays there.
  static const std::regex re(R"(^(.+?)_(?:([Ll][Aa][Tt][Ee])_)?(\d+)_(\d+)_(.+)$)");
  std::smatch m;
  if (!std::regex_match(entry, m, re)) return std::nullopt;
  CanvasName out;
  out.name = m[1].str();
  out.late = m[2].matched;
  out.user_id = m[3].str();
  out.submission_id = m[4].str();
  out.file = m[5].str();
  return out;
}

std::string without_resubmission_suffix(const std::string& file) {
  // "-N" right before the extension (the last '.' of the last component), or at the end.
  auto slash = file.find_last_of('/');
  auto dot = file.find_last_of('.');
  std::size_t end = (dot == std::string::npos || (slash != std::string::npos && dot < slash) ||
                     dot == (slash == std::string::npos ? 0 : slash + 1))
                        ? file.size()
                        : dot;
  std::size_t digits = end;
  while (digits > 0 && std::isdigit(static_cast<unsigned char>(file[digits - 1]))) --digits;
  if (digits == end || digits < 2 || file[digits - 1] != '-') return file;
  std::size_t start = slash == std::string::npos ? 0 : slash + 1;
  if (digits - 1 == start) return file;  // "-1.py": nothing left of the name
  return file.substr(0, digits - 1) + file.substr(end);
}

std::optional<MoodleName> parse_moodle_path(const std::string& entry) {
  static const std::regex folder_re(R"(^(.+)_(\d+)_assignsubmission_([a-z]+)_$)");
  static const std::regex flat_re(R"(^(.+)_(\d+)_assignsubmission_([a-z]+)_(.+)$)");
  std::smatch m;
  auto slash = entry.find('/');
  if (slash != std::string::npos) {
    std::string first = entry.substr(0, slash);
    if (std::regex_match(first, m, folder_re)) {
      return MoodleName{m[1].str(), m[2].str(), m[3].str(), entry.substr(slash + 1)};
    }
  }
  if (std::regex_match(entry, m, flat_re)) {
    return MoodleName{m[1].str(), m[2].str(), m[3].str(), m[4].str()};
  }
  return std::nullopt;
}

std::optional<Format> detect_zip_format(const std::vector<std::string>& entry_paths) {
  std::size_t canvas = 0;
  std::size_t moodle = 0;
  for (const auto& p : entry_paths) {
    if (parse_moodle_path(p)) {
      ++moodle;
    } else if (p.find('/') == std::string::npos && parse_canvas_name(p)) {
      ++canvas;
    }
  }
  if (canvas == 0 && moodle == 0) return std::nullopt;
  return moodle >= canvas ? Format::moodle : Format::canvas;
}

EntryTarget map_zip_entry(Format format, const std::string& entry_path,
                          const std::vector<std::string>& required) {
  EntryTarget out;
  std::string file;
  if (format == Format::canvas) {
    auto c = parse_canvas_name(entry_path);
    if (!c) {
      out.ignored = "not named like a Canvas submission file (lastfirst_userid_submissionid_name)";
      return out;
    }
    out.student = c->user_id;
    out.display = c->name + " (" + c->user_id + ")";
    out.lms_submission = c->submission_id;
    out.late = c->late;
    file = c->file;
  } else if (format == Format::moodle) {
    auto m = parse_moodle_path(entry_path);
    if (!m) {
      out.ignored = "not in a Moodle submission folder (Full Name_id_assignsubmission_file_/)";
      return out;
    }
    out.student = m->participant_id;
    out.display = m->full_name + " (" + m->participant_id + ")";
    file = m->file;
    if (m->plugin != "file") {
      bool wanted = m->plugin == "onlinetext" &&
                    std::find(required.begin(), required.end(), file) != required.end();
      if (!wanted) {
        out = EntryTarget{};
        out.ignored = "a Moodle " + m->plugin + " submission (" + file +
                      "), not a file submission: not imported";
        return out;
      }
    }
  } else {
    out.ignored = "not an archive format";
    return out;
  }
  SafePath safe = safe_path(file);
  if (!safe.problem.empty()) {
    out.problem = "entry \"" + entry_path + "\" has " + safe.problem;
  } else {
    out.file = safe.path;
  }
  return out;
}

void restore_required_names(std::vector<wire::File>& files, const std::vector<std::string>& required) {
  auto has = [&](const std::string& path) {
    return std::any_of(files.begin(), files.end(), [&](const wire::File& f) { return f.path == path; });
  };
  for (auto& f : files) {
    if (std::find(required.begin(), required.end(), f.path) != required.end()) continue;
    std::string plain = without_resubmission_suffix(f.path);
    if (plain != f.path && std::find(required.begin(), required.end(), plain) != required.end() &&
        !has(plain)) {
      f.path = plain;
    }
  }
}

std::vector<ManifestRow> parse_manifest(const std::string& text, const std::string& name) {
  struct Field {
    std::string text;
    std::size_t line;
    std::size_t column;
  };
  std::vector<std::vector<Field>> records;
  std::vector<std::size_t> record_lines;
  auto fail = [&](std::size_t line, std::size_t column, const std::string& what) {
    throw ManifestError(name + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + what);
  };
  std::size_t i = 0;
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;  // a UTF-8 byte order mark (Excel)
  std::size_t line = 1;
  std::size_t line_start = 0;
  std::vector<Field> record;
  bool record_open = false;
  while (i < text.size()) {
    Field field{"", line, i - line_start + 1};
    if (!record_open) record_lines.push_back(line);
    record_open = true;
    if (text[i] == '"') {
      std::size_t open_line = line, open_column = i - line_start + 1;
      ++i;
      for (;;) {
        if (i >= text.size()) fail(open_line, open_column, "a quoted field is never closed");
        char c = text[i];
        if (c == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field.text += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (c == '\n') {
          ++line;
          line_start = i + 1;
        }
        field.text += c;
        ++i;
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        fail(line, i - line_start + 1, "a character after a closing quote (write \"\" for a quote)");
      }
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        if (text[i] == '"') fail(line, i - line_start + 1, "a quote inside an unquoted field");
        field.text += text[i++];
      }
    }
    record.push_back(std::move(field));
    if (i < text.size() && text[i] == ',') {
      ++i;
      if (i == text.size()) record.push_back(Field{"", line, i - line_start + 1});
      continue;
    }
    // The end of the record: CRLF, LF or the end of the text.
    if (i < text.size() && text[i] == '\r') ++i;
    if (i < text.size()) {
      if (text[i] != '\n') fail(line, i - line_start + 1, "a carriage return without a line feed");
      ++i;
      ++line;
      line_start = i;
    }
    bool blank = record.size() == 1 && record[0].text.empty();
    if (blank) {
      record_lines.pop_back();
    } else {
      records.push_back(std::move(record));
    }
    record.clear();
    record_open = false;
  }
  if (records.empty()) fail(1, 1, "empty: a header \"student,path\" and one row per file are expected");
  const auto& header = records.front();
  std::optional<std::size_t> student_at, path_at;
  for (std::size_t k = 0; k < header.size(); ++k) {
    std::string h = header[k].text;
    auto b = h.find_first_not_of(" \t");
    auto e = h.find_last_not_of(" \t");
    h = b == std::string::npos ? "" : h.substr(b, e - b + 1);
    std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
    if (h == "student" && !student_at) student_at = k;
    if (h == "path" && !path_at) path_at = k;
  }
  if (!student_at || !path_at) {
    fail(record_lines.front(), 1, std::string("the header must name the columns \"student\" and \"path\"") +
                                      (student_at ? "" : " (no \"student\")") + (path_at ? "" : " (no \"path\")"));
  }
  std::vector<ManifestRow> rows;
  for (std::size_t r = 1; r < records.size(); ++r) {
    const auto& rec = records[r];
    if (rec.size() != header.size()) {
      fail(record_lines[r], 1, std::to_string(rec.size()) + " field(s), the header has " +
                                   std::to_string(header.size()));
    }
    const Field& student = rec[*student_at];
    const Field& path = rec[*path_at];
    if (student.text.empty()) fail(student.line, student.column, "an empty student");
    if (path.text.empty()) fail(path.line, path.column, "an empty path");
    rows.push_back({record_lines[r], student.text, path.text});
  }
  if (rows.empty()) fail(record_lines.front(), 1, "a header but no rows");
  return rows;
}

std::string files_digest(const std::vector<wire::File>& files) {
  std::vector<const wire::File*> sorted;
  for (const auto& f : files) sorted.push_back(&f);
  std::sort(sorted.begin(), sorted.end(), [](const wire::File* a, const wire::File* b) { return a->path < b->path; });
  std::string all;
  for (const auto* f : sorted) {
    all += std::to_string(f->path.size()) + ":" + f->path + std::to_string(f->content.size()) + ":";
    all += f->content;
  }
  return sha256_hex(all);
}

std::string idempotency_key(Format format, const std::string& student,
                            const std::vector<std::string>& lms_submissions, const std::string& digest) {
  std::set<std::string> ids(lms_submissions.begin(), lms_submissions.end());
  std::string key = std::string(format == Format::csv ? "dir" : to_string(format)) + ":" + student;
  if (!ids.empty()) {
    key += ":";
    bool first = true;
    for (const auto& id : ids) {
      key += (first ? "" : ",") + id;
      first = false;
    }
  }
  return key + ":sha256:" + digest;
}

}  // namespace gradeq::lms
