#include "gradeq/spec.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>
#include <yaml-cpp/yaml.h>

#include "gradeq/wire.hpp"

#ifndef GRADEQ_SCHEMA_DIR
#error "GRADEQ_SCHEMA_DIR must name the schemas/ folder"
#endif

namespace gradeq {

using nlohmann::json;
namespace fs = std::filesystem;

std::string Diagnostic::to_string() const {
  std::ostringstream out;
  out << file;
  if (line > 0) out << ':' << line << ':' << column;
  out << ": " << message;
  return out.str();
}

namespace {

std::string join_diagnostics(const std::vector<Diagnostic>& diagnostics) {
  std::string text;
  for (const auto& d : diagnostics) {
    if (!text.empty()) text += '\n';
    text += d.to_string();
  }
  return text;
}

struct Mark {
  int line = 0;
  int column = 0;
};

// A YAML document converted to JSON, remembering where each value and each key came from.
struct LocatedDocument {
  json value;
  std::map<std::string, Mark> value_marks;  // JSON pointer -> where the value starts
  std::map<std::string, Mark> key_marks;    // JSON pointer -> where its key starts
};

Mark mark_of(const YAML::Node& node) {
  auto m = node.Mark();
  if (m.is_null()) return {};
  return {m.line + 1, m.column + 1};
}

std::string escape_pointer_token(const std::string& token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// Plain (unquoted) YAML scalars are typed the YAML 1.2 core-schema way; quoted ones are strings.
json scalar_to_json(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() != "?") return text;  // quoted or explicitly tagged: a string
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  bool integral = !text.empty();
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (!(std::isdigit(static_cast<unsigned char>(c)) || (i == 0 && (c == '-' || c == '+')))) {
      integral = false;
    }
  }
  if (integral && text != "-" && text != "+") {
    try {
      std::size_t used = 0;
      long long v = std::stoll(text, &used);
      if (used == text.size()) return v;
    } catch (const std::exception&) {
    }
  }
  if (text.find_first_of("0123456789") != std::string::npos &&
      text.find_first_not_of("0123456789+-.eE") == std::string::npos) {
    try {
      std::size_t used = 0;
      double v = std::stod(text, &used);
      if (used == text.size()) return v;
    } catch (const std::exception&) {
    }
  }
  return text;
}

// Aliases make a small file a large (or, in yaml-cpp, even cyclic: "&a [*a]") document once
// expanded; a staff member's typo or a hostile upload must not exhaust the producer.
constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxNodes = 300000;  // 500 tests of 256 args are 135,000
constexpr std::size_t kMaxScalarBytes = std::size_t{64} << 20;

struct TooLarge {
  Mark mark;
  std::string message;
};

struct Budget {
  std::size_t nodes = 0;
  std::size_t bytes = 0;
  std::size_t max_bytes = kMaxScalarBytes;
};

void convert(const YAML::Node& node, const std::string& pointer, LocatedDocument& doc, json& out,
             std::vector<Diagnostic>& problems, const std::string& file, Budget& budget, int depth) {
  if (depth > kMaxDepth) {
    throw TooLarge{mark_of(node), "the document is nested too deeply (or an alias refers to itself)"};
  }
  if (++budget.nodes > kMaxNodes) {
    throw TooLarge{mark_of(node), "the document is too large: more than " + std::to_string(kMaxNodes) +
                                      " values once aliases are expanded"};
  }
  doc.value_marks[pointer] = mark_of(node);
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      out = nullptr;
      return;
    case YAML::NodeType::Scalar:
      budget.bytes += node.Scalar().size();
      if (budget.bytes > budget.max_bytes) {
        throw TooLarge{mark_of(node), "the document is too large: more than " +
                                          std::to_string(budget.max_bytes >> 20) +
                                          " MiB of text once aliases are expanded"};
      }
      out = scalar_to_json(node);
      return;
    case YAML::NodeType::Sequence: {
      out = json::array();
      std::size_t i = 0;
      for (const auto& item : node) {
        json child;
        convert(item, pointer + "/" + std::to_string(i), doc, child, problems, file, budget, depth + 1);
        out.push_back(std::move(child));
        ++i;
      }
      return;
    }
    case YAML::NodeType::Map: {
      out = json::object();
      for (const auto& kv : node) {
        Mark key_mark = mark_of(kv.first);
        if (!kv.first.IsScalar()) {
          problems.push_back({file, key_mark.line, key_mark.column, "a key must be a plain string"});
          continue;
        }
        std::string key = kv.first.Scalar();
        std::string child_pointer = pointer + "/" + escape_pointer_token(key);
        if (out.contains(key)) {
          problems.push_back({file, key_mark.line, key_mark.column,
                              "duplicate key \"" + key + "\""});
          continue;
        }
        doc.key_marks[child_pointer] = key_mark;
        json child;
        convert(kv.second, child_pointer, doc, child, problems, file, budget, depth + 1);
        // An empty value ("stdin:" and nothing after it) is null, and yaml-cpp marks it where the
        // next token starts, often on a later line: point at its key instead.
        if (kv.second.IsNull() && doc.value_marks[child_pointer].line != key_mark.line) {
          doc.value_marks[child_pointer] = key_mark;
        }
        out[key] = std::move(child);
      }
      return;
    }
  }
}

// YAML text is Unicode, and the normalized spec is stored as JSON text: invalid UTF-8 is refused
// up front, at its line and (byte) column, like yaml-cpp's own positions.
std::vector<Diagnostic> check_utf8(const std::string& text, const std::string& file) {
  std::vector<Diagnostic> problems;
  int line = 1;
  std::size_t line_start = 0;
  int last_line_reported = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      line_start = ++i;
      continue;
    }
    std::size_t n = c < 0x80 ? 1 : (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3
                                   : (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
    bool ok = n > 0 && i + n <= text.size();
    if (ok && n > 1) {
      unsigned code = c & (0x7f >> n);
      for (std::size_t k = 1; k < n && ok; ++k) {
        unsigned char b = static_cast<unsigned char>(text[i + k]);
        ok = (b & 0xc0) == 0x80;
        code = (code << 6) | (b & 0x3f);
      }
      static const unsigned kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = ok && code >= kMin[n] && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
    }
    if (!ok) {
      if (line != last_line_reported && problems.size() < 20) {
        problems.push_back({file, line, static_cast<int>(i - line_start) + 1,
                            "not valid UTF-8 (a spec is UTF-8 text; put other bytes in an "
                            "expect_stdout_file)"});
        last_line_reported = line;
      }
      n = 1;
    }
    i += n;
  }
  return problems;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

const json& spec_schema() {
  static const json schema = [] {
    fs::path path = fs::path(GRADEQ_SCHEMA_DIR) / "test-spec.schema.json";
    const char* override_dir = std::getenv("GRADEQ_SCHEMA_DIR");
    if (override_dir && *override_dir) path = fs::path(override_dir) / "test-spec.schema.json";
    return json::parse(read_file(path));
  }();
  return schema;
}

// valijson context ["<root>", "[tests]", "[0]", "[name]"] -> JSON pointer "/tests/0/name".
std::string context_to_pointer(const std::vector<std::string>& context) {
  std::string pointer;
  for (const auto& part : context) {
    if (part == "<root>") continue;
    std::string token = part;
    if (token.size() >= 2 && token.front() == '[' && token.back() == ']') {
      token = token.substr(1, token.size() - 2);
    }
    pointer += "/" + escape_pointer_token(token);
  }
  return pointer;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// A close-enough known key for an unknown one: at most 3 edits, and at most half the longer name
// ("timout" -> "time_s", "titel" -> "title"; nothing for "frobnicate").
std::string suggestion(const std::string& key, const json& properties) {
  std::string best;
  std::size_t best_distance = 4;
  for (auto p = properties.begin(); p != properties.end(); ++p) {
    std::size_t d = edit_distance(key, p.key());
    if (d < best_distance && 2 * d <= std::max(key.size(), p.key().size())) {
      best_distance = d;
      best = p.key();
    }
  }
  return best;
}

class Checker {
 public:
  Checker(const LocatedDocument& doc, std::string file) : doc_(doc), file_(std::move(file)) {}

  void at_value(const std::string& pointer, const std::string& message) {
    reported_.insert(pointer);
    add(locate(pointer, false), message);
  }
  void at_key(const std::string& pointer, const std::string& message) {
    reported_.insert(pointer);
    add(locate(pointer, true), message);
  }
  // Whether a problem was already reported for this value (later checks then stay quiet).
  bool reported(const std::string& pointer) const { return reported_.count(pointer) > 0; }
  std::vector<Diagnostic>& problems() { return problems_; }

  // Unknown keys, with a suggestion, walking the schema's properties/items (no $ref used).
  void unknown_keys(const json& schema, const json& value, const std::string& pointer) {
    if (value.is_object() && schema.contains("properties")) {
      const json& props = schema.at("properties");
      for (auto it = value.begin(); it != value.end(); ++it) {
        std::string child = pointer + "/" + escape_pointer_token(it.key());
        if (props.contains(it.key())) {
          unknown_keys(props.at(it.key()), it.value(), child);
        } else if (schema.value("additionalProperties", true) == false) {
          std::string message = "unknown key \"" + it.key() + "\"";
          std::string best = suggestion(it.key(), props);
          if (!best.empty()) message += " (did you mean \"" + best + "\"?)";
          at_key(child, message);
        }
      }
    } else if (value.is_array() && schema.contains("items")) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        unknown_keys(schema.at("items"), value.at(i), pointer + "/" + std::to_string(i));
      }
    }
  }

 private:
  Mark locate(std::string pointer, bool prefer_key) const {
    while (true) {
      const auto& first = prefer_key ? doc_.key_marks : doc_.value_marks;
      const auto& second = prefer_key ? doc_.value_marks : doc_.key_marks;
      if (auto it = first.find(pointer); it != first.end() && it->second.line) return it->second;
      if (auto it = second.find(pointer); it != second.end() && it->second.line) return it->second;
      if (pointer.empty()) return {};
      pointer = pointer.substr(0, pointer.rfind('/'));
    }
  }
  void add(Mark mark, const std::string& message) {
    for (const auto& p : problems_) {
      if (p.line == mark.line && p.column == mark.column && p.message == message) return;
    }
    problems_.push_back({file_, mark.line, mark.column, message});
  }

  const LocatedDocument& doc_;
  std::string file_;
  std::vector<Diagnostic> problems_;
  std::set<std::string> reported_;
};

// valijson reports a failing leaf and then every enclosing schema that failed because of it;
// the enclosing ones say nothing new.
bool is_wrapper_message(const std::string& description) {
  static const char* const kWrappers[] = {
      "Failed to validate item #",
      "Failed to validate against schema associated with property name",
      "Object contains a property that could not be validated using 'properties'",
      "Failed to validate against child schema",
  };
  for (const char* w : kWrappers) {
    if (description.rfind(w, 0) == 0) return true;
  }
  return false;
}

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

// The subschema that describes the value at `pointer` (properties/items only, as in the spec
// schema), or null.
const json* schema_at(const json& schema, const std::string& pointer) {
  const json* node = &schema;
  std::size_t pos = 0;
  while (pos < pointer.size()) {
    std::size_t next = pointer.find('/', pos + 1);
    std::string token = pointer.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
    pos = next == std::string::npos ? pointer.size() : next;
    std::string key;
    for (std::size_t i = 0; i < token.size(); ++i) {
      if (token[i] == '~' && i + 1 < token.size()) {
        key += token[i + 1] == '1' ? '/' : '~';
        ++i;
      } else {
        key += token[i];
      }
    }
    if (node->contains("properties") && node->at("properties").contains(key)) {
      node = &node->at("properties").at(key);
    } else if (node->contains("items")) {
      node = &node->at("items");
    } else {
      return nullptr;
    }
  }
  return node;
}

const json* value_at(const json& value, const std::string& pointer) {
  try {
    return &value.at(json::json_pointer(pointer));
  } catch (const json::exception&) {
    return nullptr;
  }
}

// What staff wrote, in YAML words.
std::string kind_of(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "a list";
    case json::value_t::object: return "a mapping";
    default: return "a value";
  }
}

std::string schema_type_words(const std::string& type) {
  if (type == "string") return "a string";
  if (type == "number") return "a number";
  if (type == "integer") return "an integer";
  if (type == "boolean") return "true or false";
  if (type == "array") return "a list";
  if (type == "object") return "a mapping";
  return type;
}

std::string quoted(const json& v) { return v.is_string() ? "\"" + v.get<std::string>() + "\"" : v.dump(); }

// valijson's generic descriptions, said in terms of the spec where they are too vague to act on.
std::string describe(const std::string& description, const json* schema, const json* value) {
  if (starts_with(description, "Value type not permitted by 'type' constraint") && schema && value &&
      schema->contains("type")) {
    const json& type = schema->at("type");
    std::vector<std::string> words;
    if (type.is_string()) words.push_back(schema_type_words(type.get<std::string>()));
    if (type.is_array()) {
      for (const auto& t : type) words.push_back(schema_type_words(t.get<std::string>()));
    }
    std::string expected;
    for (std::size_t i = 0; i < words.size(); ++i) expected += (i ? " or " : "") + words[i];
    std::string message = "expected " + expected + ", got " + kind_of(*value);
    if (value->is_string() && !value->get<std::string>().empty() &&
        (words.front() == "a number" || words.front() == "an integer") &&
        value->get<std::string>().find_first_not_of("0123456789+-.eE") == std::string::npos) {
      message += " (remove the quotes)";
    } else if (words.front() == "a string" && !schema->contains("enum") &&
               (value->is_number() || value->is_boolean())) {
      message += " (put it in quotes)";
    }
    return message;
  }
  if (starts_with(description, "Failed to match against any enum values") && schema && value &&
      schema->contains("enum")) {
    std::string allowed;
    for (const auto& e : schema->at("enum")) {
      allowed += (allowed.empty() ? "" : ", ") + (e.is_string() ? e.get<std::string>() : e.dump());
    }
    return quoted(*value) + " is not one of: " + allowed;
  }
  if (starts_with(description, "Missing required property '")) {
    std::string name = description.substr(std::strlen("Missing required property '"));
    name = name.substr(0, name.find('\''));
    return "missing required key \"" + name + "\"";
  }
  if (starts_with(description, "Failed to match regex specified by 'pattern' constraint") && schema &&
      value && value->is_string()) {
    std::string message = quoted(*value) + " does not match " + schema->value("pattern", "the pattern");
    if (schema->contains("description")) message += " (" + schema->at("description").get<std::string>() + ")";
    return message;
  }
  return description;
}

void schema_validate(const json& value, Checker& checker) {
  static const std::unique_ptr<valijson::Schema> schema = [] {
    auto s = std::make_unique<valijson::Schema>();
    valijson::SchemaParser parser;
    valijson::adapters::NlohmannJsonAdapter adapter(spec_schema());
    parser.populateSchema(adapter, *s);
    return s;
  }();
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(value);
  if (validator.validate(*schema, adapter, &results)) return;
  struct Found {
    std::string pointer;
    std::string description;
  };
  std::vector<Found> found;
  std::set<std::string> mistyped;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    if (is_wrapper_message(error.description)) continue;
    std::string pointer = context_to_pointer(error.context);
    if (starts_with(error.description, "Value type not permitted")) mistyped.insert(pointer);
    found.push_back({pointer, error.description});
  }
  for (const auto& f : found) {
    // A value of the wrong type also fails its enum: the type is the one thing to say.
    if (mistyped.count(f.pointer) && !starts_with(f.description, "Value type not permitted")) continue;
    checker.at_value(f.pointer, describe(f.description, schema_at(spec_schema(), f.pointer),
                                         value_at(value, f.pointer)));
  }
}

// Typed reads for build_spec that tolerate what the schema check has already reported: a missing
// or mistyped value reads as the default.
const json* member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string get_string(const json& object, const char* key, const std::string& fallback = "") {
  const json* v = member(object, key);
  return v && v->is_string() ? v->get<std::string>() : fallback;
}

double get_number(const json& object, const char* key, double fallback) {
  const json* v = member(object, key);
  return v && v->is_number() ? v->get<double>() : fallback;
}

int get_int(const json& object, const char* key, int fallback) {
  const json* v = member(object, key);
  if (!v || !v->is_number_integer()) return fallback;
  auto n = v->get<long long>();
  return n < INT_MIN || n > INT_MAX ? fallback : static_cast<int>(n);
}

bool get_bool(const json& object, const char* key, bool fallback) {
  const json* v = member(object, key);
  return v && v->is_boolean() ? v->get<bool>() : fallback;
}

std::vector<std::string> get_strings(const json& object, const char* key) {
  std::vector<std::string> out;
  const json* v = member(object, key);
  if (v && v->is_array()) {
    for (const auto& item : *v) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  }
  return out;
}

Tolerance tolerance_from(const json& test) {
  Tolerance t;
  if (const json* tol = member(test, "tolerance")) {
    t.abs = get_number(*tol, "abs", t.abs);
    t.rel = get_number(*tol, "rel", t.rel);
  }
  return t;
}

bool safe_relative(const std::string& path) {
  fs::path p(path);
  if (p.is_absolute() || path.empty()) return false;
  for (const auto& part : p) {
    if (part == "..") return false;
  }
  return true;
}

// A support file: inside the spec's folder, a regular file within the caps, not one of the files
// students submit. Read into `out` unless a problem was reported.
void read_support_file(const std::string& rel, const std::string& at, const std::string& base_dir,
                       const std::vector<std::string>& student_files, std::size_t& total,
                       Checker& checker, std::vector<wire::File>& out) {
  fs::path path = fs::path(base_dir) / rel;
  std::error_code ec;
  if (!safe_relative(rel)) {
    checker.at_value(at, "\"" + rel + "\" must stay inside the spec's folder");
  } else if (std::find(student_files.begin(), student_files.end(), rel) != student_files.end()) {
    checker.at_value(at, "\"" + rel + "\" is a file students submit (files): a support file would replace it");
  } else if (!fs::is_regular_file(path, ec)) {
    checker.at_value(at, "no such file: " + path.string());
  } else if (auto size = fs::file_size(path, ec); ec || size > kMaxSupportFileBytes) {
    checker.at_value(at, path.string() + " is larger than " + std::to_string(kMaxSupportFileBytes >> 20) + " MiB");
  } else if (total + size > kMaxSupportBytes) {
    checker.at_value(at, "the support files add up to more than " + std::to_string(kMaxSupportBytes >> 20) + " MiB");
  } else {
    total += size;
    auto perms = fs::status(path, ec).permissions();
    out.push_back({rel, read_file(path), (perms & fs::perms::owner_exec) != fs::perms::none});
  }
}

// The keys of a junit test (report, points, cases) and what does not apply to one.
void read_junit_test(const json& t, const std::string& at, TestSpec& test, Checker& checker) {
  static const char* const kIoOnly[] = {"stdin", "expect_stdout", "expect_stdout_file", "compare",
                                        "tolerance", "expect_exit"};
  for (const char* key : kIoOnly) {
    if (member(t, key)) {
      checker.at_key(at + "/" + key, std::string("\"") + key + "\" does not apply to kind: junit (its report says what passed)");
    }
  }
  if (!member(t, "command")) {
    checker.at_key(at, "junit test \"" + test.name + "\" needs its own command (run is the command of io tests)");
  }
  if (!member(t, "report")) {
    checker.at_key(at, "junit test \"" + test.name + "\" needs report: where its command writes the JUnit XML (/tmp/FOLDER/NAME)");
  } else if (!checker.reported(at + "/report")) {
    test.report = get_string(t, "report");
    const std::string rest = test.report.substr(std::min<std::size_t>(5, test.report.size()));  // after "/tmp/"
    const std::string folder = rest.substr(0, rest.find('/'));
    const std::string name = rest.substr(rest.find('/') + 1);
    if (folder == "." || folder == ".." || name == "." || name == "..") {
      checker.at_value(at + "/report", "\"" + test.report + "\" must be /tmp/FOLDER/NAME, without \".\" or \"..\"");
    }
  }
  const bool spread = member(t, "points") != nullptr;
  const bool per_case = member(t, "points_per_case") != nullptr;
  if (spread && per_case) {
    checker.at_key(at + "/points_per_case", "give points (the group's, spread evenly over its cases) or points_per_case, not both");
  } else if (!spread && !per_case) {
    checker.at_key(at, "junit test \"" + test.name + "\" needs points (the group's, spread evenly over its cases) or points_per_case (with cases)");
  } else if (per_case && !member(t, "cases")) {
    checker.at_key(at + "/points_per_case", "points_per_case needs cases (how many the report lists), so that the maximum score is known");
  }
  if (per_case) test.points_per_case = get_number(t, "points_per_case", 0.0);
  if (member(t, "cases")) test.cases = get_int(t, "cases", 1);
  test.points = spread ? get_number(t, "points", 1.0) : 0.0;
}

// Rules a schema cannot say: unique names, exactly one expected output, a command for every
// test, files that exist, regexes that compile. Runs even when the schema check found problems
// (every problem is reported at once), so it reads defensively and stays quiet about values
// already reported.
Spec build_spec(const json& v, const std::string& base_dir, Checker& checker) {
  Spec spec;
  spec.course = get_string(v, "course");
  spec.assignment = get_string(v, "assignment");
  spec.title = get_string(v, "title");
  spec.language = get_string(v, "language");
  spec.files = get_strings(v, "files");
  if (const json* b = member(v, "build"); b && b->is_string()) spec.build = b->get<std::string>();
  spec.run = get_string(v, "run");
  if (const json* l = member(v, "limits")) {
    spec.limits.time_s = get_number(*l, "time_s", spec.limits.time_s);
    spec.limits.build_time_s = get_number(*l, "build_time_s", spec.limits.build_time_s);
    spec.limits.memory_mb = get_int(*l, "memory_mb", spec.limits.memory_mb);
    spec.limits.cpus = get_number(*l, "cpus", spec.limits.cpus);
    spec.limits.output_kb = get_int(*l, "output_kb", spec.limits.output_kb);
  }
  const json* tests = member(v, "tests");
  if (!tests || !tests->is_array()) return spec;
  std::map<std::string, std::size_t> seen;
  std::size_t support_bytes = 0;
  for (std::size_t i = 0; i < tests->size(); ++i) {
    const json& t = tests->at(i);
    std::string at = "/tests/" + std::to_string(i);
    if (!t.is_object()) continue;  // reported by the schema check
    TestSpec test;
    const json* name = member(t, "name");
    test.name = get_string(t, "name");
    if (name && name->is_string() && !checker.reported(at + "/name")) {
      if (auto [it, inserted] = seen.emplace(test.name, i); !inserted) {
        checker.at_value(at + "/name", "duplicate test name \"" + test.name + "\" (first used by test #" +
                                           std::to_string(it->second + 1) + ")");
      }
    }
    test.command = get_string(t, "command", spec.run);
    test.args = get_strings(t, "args");
    test.hidden = get_bool(t, "hidden", false);
    test.time_s = get_number(t, "time_s", spec.limits.time_s);
    if (const json* files = member(t, "support_files"); files && files->is_array()) {
      for (std::size_t k = 0; k < files->size(); ++k) {
        const std::string file_at = at + "/support_files/" + std::to_string(k);
        if (!files->at(k).is_string() || checker.reported(file_at)) continue;
        read_support_file(files->at(k).get<std::string>(), file_at, base_dir, spec.files, support_bytes,
                          checker, test.support_files);
      }
    }
    if (get_string(t, "kind", "io") == "junit") {
      test.kind = TestKind::junit;
      read_junit_test(t, at, test, checker);
      spec.tests.push_back(std::move(test));
      continue;
    }
    for (const char* key : {"report", "points_per_case", "cases"}) {
      if (member(t, key)) checker.at_key(at + "/" + key, std::string("\"") + key + "\" applies only to kind: junit");
    }
    if (!member(t, "command") && !member(v, "run")) {
      checker.at_key(at, "test \"" + test.name + "\" has no command: give it \"command\" or the spec a \"run\"");
    }
    test.stdin_data = get_string(t, "stdin");
    bool has_inline = member(t, "expect_stdout") != nullptr;
    bool has_file = member(t, "expect_stdout_file") != nullptr;
    std::string expected_at = at + (has_file ? "/expect_stdout_file" : "/expect_stdout");
    if (has_inline && has_file) {
      checker.at_key(at + "/expect_stdout_file",
                     "give either expect_stdout or expect_stdout_file, not both");
    } else if (!has_inline && !has_file) {
      checker.at_key(at, "test \"" + test.name + "\" needs expect_stdout or expect_stdout_file");
    } else if (has_inline) {
      test.expected_stdout = get_string(t, "expect_stdout");
    } else if (!checker.reported(expected_at) && member(t, "expect_stdout_file")->is_string()) {
      std::string rel = get_string(t, "expect_stdout_file");
      fs::path path = fs::path(base_dir) / rel;
      if (!safe_relative(rel)) {
        checker.at_value(expected_at, "\"" + rel + "\" must stay inside the spec's folder");
      } else if (!fs::is_regular_file(path)) {
        checker.at_value(expected_at, "no such file: " + path.string());
      } else {
        test.expected_stdout = read_file(path);
      }
    }
    test.compare = compare_mode_from_string(get_string(t, "compare", "trimmed")).value_or(CompareMode::trimmed);
    if (member(t, "tolerance") && test.compare != CompareMode::float_ && !checker.reported(at + "/compare")) {
      checker.at_key(at + "/tolerance", "tolerance applies only to compare: float");
    }
    test.tolerance = tolerance_from(t);
    if (test.compare == CompareMode::regex && !checker.reported(expected_at)) {
      try {
        check_regex(test.expected_stdout);
      } catch (const std::invalid_argument& e) {
        checker.at_value(expected_at, e.what());
      }
    }
    test.expect_exit = get_int(t, "expect_exit", 0);
    test.points = get_number(t, "points", 1.0);
    spec.tests.push_back(std::move(test));
  }
  return spec;
}

// Diagnostics in the order of the file, as a compiler lists them.
std::vector<Diagnostic> in_file_order(std::vector<Diagnostic> problems) {
  std::stable_sort(problems.begin(), problems.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  return problems;
}

}  // namespace

SpecError::SpecError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(join_diagnostics(diagnostics)), diagnostics_(std::move(diagnostics)) {}

const char* to_string(TestKind kind) { return kind == TestKind::junit ? "junit" : "io"; }

double TestSpec::max_points() const {
  if (kind == TestKind::junit && points_per_case) return *points_per_case * cases.value_or(0);
  return points;
}

double Spec::max_score() const {
  double total = 0;
  for (const auto& t : tests) total += t.max_points();
  return total;
}

const std::vector<std::string>& supported_languages() {
  static const std::vector<std::string> languages{"python", "c", "cpp", "java"};
  return languages;
}

Spec parse_spec(const std::string& yaml_text, const std::string& file, const std::string& base_dir) {
  if (auto bad = check_utf8(yaml_text, file); !bad.empty()) throw SpecError(bad);
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    Mark m{e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1};
    throw SpecError({{file, m.line, m.column, e.msg}});
  }
  LocatedDocument doc;
  std::vector<Diagnostic> problems;
  Budget budget;
  budget.max_bytes = std::max(kMaxScalarBytes, 2 * yaml_text.size());
  try {
    convert(root, "", doc, doc.value, problems, file, budget, 0);
  } catch (const TooLarge& e) {
    problems.push_back({file, e.mark.line, e.mark.column, e.message});
    throw SpecError(in_file_order(problems));
  }
  if (!doc.value.is_object()) {
    problems.push_back({file, 1, 1, "a spec must be a mapping (course:, assignment:, tests: ...)"});
    throw SpecError(problems);
  }
  Checker checker(doc, file);
  for (auto& p : problems) checker.problems().push_back(p);
  checker.unknown_keys(spec_schema(), doc.value, "");
  schema_validate(doc.value, checker);
  Spec spec = build_spec(doc.value, base_dir, checker);
  if (!checker.problems().empty()) throw SpecError(in_file_order(checker.problems()));
  return spec;
}

Spec load_spec_file(const std::string& path) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const std::exception& e) {
    throw SpecError({{path, 0, 0, "cannot read the file"}});
  }
  fs::path dir = fs::path(path).parent_path();
  return parse_spec(text, path, dir.empty() ? "." : dir.string());
}

json spec_to_json(const Spec& spec) {
  json tests = json::array();
  for (const auto& t : spec.tests) {
    json support = json::array();
    for (const auto& f : t.support_files) {
      support.push_back({{"path", f.path}, {"content_b64", wire::base64_encode(f.content)}, {"executable", f.executable}});
    }
    tests.push_back({{"name", t.name},
                     {"command", t.command},
                     {"args", t.args},
                     {"stdin_b64", wire::base64_encode(t.stdin_data)},
                     {"expected_stdout_b64", wire::base64_encode(t.expected_stdout)},
                     {"compare", to_string(t.compare)},
                     {"tolerance", {{"abs", t.tolerance.abs}, {"rel", t.tolerance.rel}}},
                     {"expect_exit", t.expect_exit},
                     {"hidden", t.hidden},
                     {"points", t.points},
                     {"time_s", t.time_s},
                     {"kind", to_string(t.kind)},
                     {"support_files", support},
                     {"report", t.report},
                     {"points_per_case", t.points_per_case ? json(*t.points_per_case) : json(nullptr)},
                     {"cases", t.cases ? json(*t.cases) : json(nullptr)}});
  }
  return json{{"course", spec.course},
              {"assignment", spec.assignment},
              {"title", spec.title},
              {"language", spec.language},
              {"files", spec.files},
              {"build", spec.build ? json(*spec.build) : json(nullptr)},
              {"run", spec.run},
              {"limits",
               {{"time_s", spec.limits.time_s},
                {"build_time_s", spec.limits.build_time_s},
                {"memory_mb", spec.limits.memory_mb},
                {"cpus", spec.limits.cpus},
                {"output_kb", spec.limits.output_kb}}},
              {"tests", tests}};
}

Spec spec_from_json(const json& j) {
  try {
    Spec spec;
    spec.course = j.at("course").get<std::string>();
    spec.assignment = j.at("assignment").get<std::string>();
    spec.title = j.value("title", "");
    spec.language = j.at("language").get<std::string>();
    spec.files = j.at("files").get<std::vector<std::string>>();
    if (j.contains("build") && j.at("build").is_string()) spec.build = j.at("build").get<std::string>();
    spec.run = j.value("run", "");
    const json& l = j.at("limits");
    spec.limits.time_s = l.at("time_s").get<double>();
    spec.limits.build_time_s = l.at("build_time_s").get<double>();
    spec.limits.memory_mb = l.at("memory_mb").get<int>();
    spec.limits.cpus = l.at("cpus").get<double>();
    spec.limits.output_kb = l.at("output_kb").get<int>();
    for (const auto& t : j.at("tests")) {
      TestSpec test;
      test.name = t.at("name").get<std::string>();
      test.command = t.at("command").get<std::string>();
      test.args = t.at("args").get<std::vector<std::string>>();
      test.stdin_data = wire::base64_decode(t.at("stdin_b64").get<std::string>());
      test.expected_stdout = wire::base64_decode(t.at("expected_stdout_b64").get<std::string>());
      auto mode = compare_mode_from_string(t.at("compare").get<std::string>());
      if (!mode) throw std::invalid_argument("unknown compare mode in test " + test.name);
      test.compare = *mode;
      test.tolerance.abs = t.at("tolerance").at("abs").get<double>();
      test.tolerance.rel = t.at("tolerance").at("rel").get<double>();
      test.expect_exit = t.at("expect_exit").get<int>();
      test.hidden = t.at("hidden").get<bool>();
      test.points = t.at("points").get<double>();
      test.time_s = t.at("time_s").get<double>();
      // Specs stored before unit-test grading have io tests only, and none of these keys.
      const std::string kind = t.value("kind", "io");
      if (kind != "io" && kind != "junit") throw std::invalid_argument("unknown test kind in test " + test.name);
      test.kind = kind == "junit" ? TestKind::junit : TestKind::io;
      if (t.contains("support_files")) {
        for (const auto& f : t.at("support_files")) {
          test.support_files.push_back({f.at("path").get<std::string>(),
                                        wire::base64_decode(f.at("content_b64").get<std::string>()),
                                        f.value("executable", false)});
        }
      }
      test.report = t.value("report", "");
      if (t.contains("points_per_case") && !t.at("points_per_case").is_null()) {
        test.points_per_case = t.at("points_per_case").get<double>();
      }
      if (t.contains("cases") && !t.at("cases").is_null()) test.cases = t.at("cases").get<int>();
      if (test.kind == TestKind::junit && test.report.empty()) {
        throw std::invalid_argument("junit test " + test.name + " has no report path");
      }
      spec.tests.push_back(std::move(test));
    }
    return spec;
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("stored spec is unusable: ") + e.what());
  }
}

}  // namespace gradeq
