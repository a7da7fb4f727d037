#include "gradeq/report_table.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include <nlohmann/json.hpp>

namespace gradeq::report {

namespace {

std::string joined(const Cell& cell) {
  std::string out;
  for (std::size_t i = 0; i < cell.items.size(); ++i) {
    if (i) out += ", ";
    out += cell.items[i].value_or("NULL");
  }
  return out;
}

bool is_array(Kind kind) { return kind == Kind::text_array || kind == Kind::number_array; }

// The cell as text for the table and CSV forms ("" for NULL).
std::string plain(const Column& column, const Cell& cell) {
  if (cell.null) return "";
  if (is_array(column.kind)) return joined(cell);
  if (column.kind == Kind::boolean) return cell.text == "t" ? "true" : cell.text == "f" ? "false" : cell.text;
  return cell.text;
}

std::string escaped_controls(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += c;
    }
  }
  return out;
}

// Display width: code points of UTF-8 (continuation bytes do not count).
std::size_t width_of(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// PostgreSQL's text of a number as a JSON number: integers stay exact, NaN and infinities
// (which JSON cannot hold) become null.
nlohmann::ordered_json json_number(const std::string& text) {
  errno = 0;
  char* end = nullptr;
  long long integer = std::strtoll(text.c_str(), &end, 10);
  if (errno == 0 && end && *end == '\0' && !text.empty()) return integer;
  errno = 0;
  double real = std::strtod(text.c_str(), &end);
  if (errno == 0 && end && *end == '\0' && !text.empty() && std::isfinite(real)) {
    return real;
  }
  return nullptr;
}

}  // namespace

std::optional<Format> format_from_string(const std::string& text) {
  if (text == "table") return Format::table;
  if (text == "csv") return Format::csv;
  if (text == "json") return Format::json;
  return std::nullopt;
}

std::string format_table(const Table& table) {
  const std::size_t n = table.columns.size();
  std::vector<std::vector<std::string>> cells;
  cells.reserve(table.rows.size() + 1);
  std::vector<std::string> header;
  for (const auto& column : table.columns) header.push_back(column.name);
  cells.push_back(std::move(header));
  for (const auto& row : table.rows) {
    std::vector<std::string> line;
    for (std::size_t i = 0; i < n; ++i) line.push_back(escaped_controls(plain(table.columns[i], row[i])));
    cells.push_back(std::move(line));
  }
  std::vector<std::size_t> width(n, 0);
  for (const auto& line : cells) {
    for (std::size_t i = 0; i < n; ++i) width[i] = std::max(width[i], width_of(line[i]));
  }
  std::ostringstream out;
  for (std::size_t r = 0; r < cells.size(); ++r) {
    std::string line;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string& text = cells[r][i];
      std::string pad(width[i] - width_of(text), ' ');
      bool right = r > 0 && table.columns[i].kind == Kind::number;
      line += right ? pad + text : text + (i + 1 < n ? pad : "");
      if (i + 1 < n) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
  out << "(" << table.rows.size() << (table.rows.size() == 1 ? " row)\n" : " rows)\n");
  return out.str();
}

std::string format_csv(const Table& table) {
  std::string out;
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    if (i) out += ',';
    out += csv_field(table.columns[i].name);
  }
  out += "\r\n";
  for (const auto& row : table.rows) {
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      if (i) out += ',';
      out += csv_field(plain(table.columns[i], row[i]));
    }
    out += "\r\n";
  }
  return out;
}

std::string format_json(const Table& table) {
  auto scalar = [](Kind kind, const std::string& text) -> nlohmann::ordered_json {
    if (kind == Kind::number || kind == Kind::number_array) return json_number(text);
    if (kind == Kind::boolean) return text == "t" || text == "true";
    return text;
  };
  std::string out = "[";
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      const Column& column = table.columns[i];
      const Cell& cell = table.rows[r][i];
      nlohmann::ordered_json value;  // null
      if (!cell.null && is_array(column.kind)) {
        value = nlohmann::ordered_json::array();
        for (const auto& item : cell.items) {
          value.push_back(item ? scalar(column.kind, *item) : nlohmann::ordered_json());
        }
      } else if (!cell.null) {
        value = scalar(column.kind, cell.text);
      }
      object[column.name] = std::move(value);
    }
    out += r ? ",\n" : "\n";
    out += object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
  return out + (table.rows.empty() ? "]\n" : "\n]\n");
}

std::string format(const Table& table, Format format) {
  switch (format) {
    case Format::csv:
      return format_csv(table);
    case Format::json:
      return format_json(table);
    case Format::table:
      break;
  }
  return format_table(table);
}

}  // namespace gradeq::report
