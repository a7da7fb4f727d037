#include "gradeq/spec.hpp"

#include <algorithm>
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

void convert(const YAML::Node& node, const std::string& pointer, LocatedDocument& doc, json& out,
             std::vector<Diagnostic>& problems, const std::string& file) {
  doc.value_marks[pointer] = mark_of(node);
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      out = nullptr;
      return;
    case YAML::NodeType::Scalar:
      out = scalar_to_json(node);
      return;
    case YAML::NodeType::Sequence: {
      out = json::array();
      std::size_t i = 0;
      for (const auto& item : node) {
        json child;
        convert(item, pointer + "/" + std::to_string(i), doc, child, problems, file);
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
        convert(kv.second, child_pointer, doc, child, problems, file);
        out[key] = std::move(child);
      }
      return;
    }
  }
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

class Checker {
 public:
  Checker(const LocatedDocument& doc, std::string file) : doc_(doc), file_(std::move(file)) {}

  void at_value(const std::string& pointer, const std::string& message) {
    add(locate(pointer, false), message);
  }
  void at_key(const std::string& pointer, const std::string& message) {
    add(locate(pointer, true), message);
  }
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
          std::string best;
          std::size_t best_distance = 3;
          for (auto p = props.begin(); p != props.end(); ++p) {
            std::size_t d = edit_distance(it.key(), p.key());
            if (d < best_distance) {
              best_distance = d;
              best = p.key();
            }
          }
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
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    if (is_wrapper_message(error.description)) continue;
    checker.at_value(context_to_pointer(error.context), error.description);
  }
}

Tolerance tolerance_from(const json& test) {
  Tolerance t;
  if (test.contains("tolerance")) {
    t.abs = test["tolerance"].value("abs", t.abs);
    t.rel = test["tolerance"].value("rel", t.rel);
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

// Rules a schema cannot say: unique names, exactly one expected output, a command for every
// test, files that exist, regexes that compile.
Spec build_spec(const json& v, const std::string& base_dir, Checker& checker) {
  Spec spec;
  spec.course = v.at("course").get<std::string>();
  spec.assignment = v.at("assignment").get<std::string>();
  spec.title = v.value("title", "");
  spec.language = v.at("language").get<std::string>();
  spec.files = v.at("files").get<std::vector<std::string>>();
  if (v.contains("build") && v.at("build").is_string()) spec.build = v.at("build").get<std::string>();
  spec.run = v.value("run", "");
  if (v.contains("limits")) {
    const json& l = v.at("limits");
    spec.limits.time_s = l.value("time_s", spec.limits.time_s);
    spec.limits.build_time_s = l.value("build_time_s", spec.limits.build_time_s);
    spec.limits.memory_mb = l.value("memory_mb", spec.limits.memory_mb);
    spec.limits.cpus = l.value("cpus", spec.limits.cpus);
    spec.limits.output_kb = l.value("output_kb", spec.limits.output_kb);
  }
  std::map<std::string, std::size_t> seen;
  const json& tests = v.at("tests");
  for (std::size_t i = 0; i < tests.size(); ++i) {
    const json& t = tests.at(i);
    std::string at = "/tests/" + std::to_string(i);
    TestSpec test;
    test.name = t.at("name").get<std::string>();
    if (auto [it, inserted] = seen.emplace(test.name, i); !inserted) {
      checker.at_value(at + "/name", "duplicate test name \"" + test.name + "\" (first used by test #" +
                                         std::to_string(it->second + 1) + ")");
    }
    test.command = t.value("command", spec.run);
    if (test.command.empty()) {
      checker.at_key(at, "test \"" + test.name + "\" has no command: give it \"command\" or the spec a \"run\"");
    }
    test.args = t.value("args", std::vector<std::string>{});
    test.stdin_data = t.value("stdin", "");
    bool has_inline = t.contains("expect_stdout");
    bool has_file = t.contains("expect_stdout_file");
    if (has_inline && has_file) {
      checker.at_key(at + "/expect_stdout_file",
                     "give either expect_stdout or expect_stdout_file, not both");
    } else if (!has_inline && !has_file) {
      checker.at_key(at, "test \"" + test.name + "\" needs expect_stdout or expect_stdout_file");
    } else if (has_inline) {
      test.expected_stdout = t.at("expect_stdout").get<std::string>();
    } else {
      std::string rel = t.at("expect_stdout_file").get<std::string>();
      fs::path path = fs::path(base_dir) / rel;
      if (!safe_relative(rel)) {
        checker.at_value(at + "/expect_stdout_file", "\"" + rel + "\" must stay inside the spec's folder");
      } else if (!fs::is_regular_file(path)) {
        checker.at_value(at + "/expect_stdout_file", "no such file: " + path.string());
      } else {
        test.expected_stdout = read_file(path);
      }
    }
    test.compare = compare_mode_from_string(t.value("compare", "trimmed")).value_or(CompareMode::trimmed);
    if (t.contains("tolerance") && test.compare != CompareMode::float_) {
      checker.at_key(at + "/tolerance", "tolerance applies only to compare: float");
    }
    test.tolerance = tolerance_from(t);
    if (test.compare == CompareMode::regex) {
      try {
        check_regex(test.expected_stdout);
      } catch (const std::invalid_argument& e) {
        checker.at_value(at + (has_file ? "/expect_stdout_file" : "/expect_stdout"), e.what());
      }
    }
    test.expect_exit = t.value("expect_exit", 0);
    test.hidden = t.value("hidden", false);
    test.points = t.value("points", 1.0);
    test.time_s = t.value("time_s", spec.limits.time_s);
    spec.tests.push_back(std::move(test));
  }
  return spec;
}

}  // namespace

SpecError::SpecError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(join_diagnostics(diagnostics)), diagnostics_(std::move(diagnostics)) {}

double Spec::max_score() const {
  double total = 0;
  for (const auto& t : tests) total += t.points;
  return total;
}

const std::vector<std::string>& supported_languages() {
  static const std::vector<std::string> languages{"python", "c", "cpp"};
  return languages;
}

Spec parse_spec(const std::string& yaml_text, const std::string& file, const std::string& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    Mark m{e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1};
    throw SpecError({{file, m.line, m.column, e.msg}});
  }
  LocatedDocument doc;
  std::vector<Diagnostic> problems;
  convert(root, "", doc, doc.value, problems, file);
  if (!doc.value.is_object()) {
    problems.push_back({file, 1, 1, "a spec must be a mapping (course:, assignment:, tests: ...)"});
    throw SpecError(problems);
  }
  Checker checker(doc, file);
  for (auto& p : problems) checker.problems().push_back(p);
  checker.unknown_keys(spec_schema(), doc.value, "");
  schema_validate(doc.value, checker);
  if (!checker.problems().empty()) throw SpecError(checker.problems());
  Spec spec = build_spec(doc.value, base_dir, checker);
  if (!checker.problems().empty()) throw SpecError(checker.problems());
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
                     {"time_s", t.time_s}});
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
      spec.tests.push_back(std::move(test));
    }
    return spec;
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("stored spec is unusable: ") + e.what());
  }
}

}  // namespace gradeq
