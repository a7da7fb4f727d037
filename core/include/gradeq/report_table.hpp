// A query result as the `report` command prints it: named, typed columns and rows of cells,
// formatted as an aligned text table, CSV (RFC 4180) or JSON. No database types: the PostgreSQL
// adapter fills it (pg::Store::report).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace gradeq::report {

// How a column's values are written in JSON (and aligned in a table).
enum class Kind { text, number, boolean, text_array, number_array };

struct Column {
  std::string name;
  Kind kind = Kind::text;
};

struct Cell {
  bool null = true;
  std::string text;                               // scalar columns: PostgreSQL's text form
  std::vector<std::optional<std::string>> items;  // array columns (nullopt: a NULL element)
};

struct Table {
  std::vector<Column> columns;
  std::vector<std::vector<Cell>> rows;
};

enum class Format { table, csv, json };

// "table" | "csv" | "json"; nullopt otherwise.
std::optional<Format> format_from_string(const std::string& text);

// Aligned columns under a header, "(N rows)" after; NULL is empty, arrays are joined with ", ",
// control characters are escaped (\n, \t, \r) so that every row stays on one line.
std::string format_table(const Table& table);
// RFC 4180: a header line, CRLF line ends, a field quoted (quotes doubled) when it holds a comma,
// a quote, CR or LF; NULL is an empty field, arrays are joined with ", ".
std::string format_csv(const Table& table);
// An array of objects, one per row, keys in column order: numbers as numbers, booleans as
// booleans, arrays as arrays, NULL as null, everything else (timestamps too) as strings.
std::string format_json(const Table& table);

std::string format(const Table& table, Format format);

}  // namespace gradeq::report
