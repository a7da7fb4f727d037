#include "gradeq/wire.hpp"

#include <array>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace gradeq::wire {

using nlohmann::json;

namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::array<int, 256> make_decode_table() {
  std::array<int, 256> table{};
  table.fill(-1);
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = i;
  return table;
}

template <typename T>
T field(const json& object, const char* key, const char* where) {
  auto it = object.find(key);
  if (it == object.end()) {
    throw std::invalid_argument(std::string(where) + ": missing field \"" + key + "\"");
  }
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw std::invalid_argument(std::string(where) + ": field \"" + key + "\" has the wrong type");
  }
}

template <typename T>
T optional_field(const json& object, const char* key, T fallback, const char* where) {
  if (!object.contains(key) || object.at(key).is_null()) return fallback;
  return field<T>(object, key, where);
}

json step_to_json(const Step& step) {
  return json{{"name", step.name},
              {"command", step.command},
              {"args", step.args},
              {"stdin_b64", base64_encode(step.stdin_data)},
              {"time_s", step.time_s},
              {"output_kb", step.output_kb},
              {"memory_mb", step.memory_mb},
              {"report", step.report},
              {"report_kb", step.report_kb}};
}

Step step_from_json(const json& j) {
  if (!j.is_object()) throw std::invalid_argument("bundle: a step is not an object");
  Step step;
  step.name = field<std::string>(j, "name", "bundle step");
  step.command = field<std::string>(j, "command", "bundle step");
  step.args = optional_field<std::vector<std::string>>(j, "args", {}, "bundle step");
  step.stdin_data = base64_decode(optional_field<std::string>(j, "stdin_b64", "", "bundle step"));
  step.time_s = optional_field<double>(j, "time_s", step.time_s, "bundle step");
  step.output_kb = optional_field<int>(j, "output_kb", step.output_kb, "bundle step");
  step.memory_mb = optional_field<int>(j, "memory_mb", step.memory_mb, "bundle step");
  step.report = optional_field<std::string>(j, "report", "", "bundle step");
  step.report_kb = optional_field<int>(j, "report_kb", step.report_kb, "bundle step");
  return step;
}

json result_to_json(const StepResult& r) {
  return json{{"name", r.name},
              {"started", r.started},
              {"exit_code", r.exit_code},
              {"term_signal", r.term_signal},
              {"timed_out", r.timed_out},
              {"output_exceeded", r.output_exceeded},
              {"oom_killed", r.oom_killed},
              {"wall_ms", r.wall_ms},
              {"cpu_ms", r.cpu_ms},
              {"max_rss_kb", r.max_rss_kb},
              {"stdout_b64", base64_encode(r.stdout_data)},
              {"stderr_b64", base64_encode(r.stderr_data)},
              {"stdout_truncated", r.stdout_truncated},
              {"stderr_truncated", r.stderr_truncated},
              {"error", r.error},
              {"report_b64", base64_encode(r.report_data)},
              {"report_truncated", r.report_truncated},
              {"report_opens", r.report_opens},
              {"report_changes", r.report_changes},
              {"report_error", r.report_error}};
}

StepResult result_from_json(const json& j) {
  constexpr const char* where = "report step";
  if (!j.is_object()) throw std::invalid_argument("report: a step result is not an object");
  StepResult r;
  r.name = field<std::string>(j, "name", where);
  r.started = field<bool>(j, "started", where);
  r.exit_code = field<int>(j, "exit_code", where);
  r.term_signal = field<int>(j, "term_signal", where);
  r.timed_out = field<bool>(j, "timed_out", where);
  r.output_exceeded = field<bool>(j, "output_exceeded", where);
  r.oom_killed = field<bool>(j, "oom_killed", where);
  r.wall_ms = field<std::int64_t>(j, "wall_ms", where);
  r.cpu_ms = field<std::int64_t>(j, "cpu_ms", where);
  r.max_rss_kb = field<std::int64_t>(j, "max_rss_kb", where);
  r.stdout_data = base64_decode(field<std::string>(j, "stdout_b64", where));
  r.stderr_data = base64_decode(field<std::string>(j, "stderr_b64", where));
  r.stdout_truncated = field<bool>(j, "stdout_truncated", where);
  r.stderr_truncated = field<bool>(j, "stderr_truncated", where);
  r.error = optional_field<std::string>(j, "error", "", where);
  r.report_data = base64_decode(optional_field<std::string>(j, "report_b64", "", where));
  r.report_truncated = optional_field<bool>(j, "report_truncated", false, where);
  r.report_opens = optional_field<int>(j, "report_opens", 0, where);
  r.report_changes = optional_field<std::string>(j, "report_changes", "", where);
  r.report_error = optional_field<std::string>(j, "report_error", "", where);
  return r;
}

json parse_document(const std::string& text, const char* what) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw std::invalid_argument(std::string(what) + " is not JSON: " + e.what());
  }
}

void check_schema(const json& doc, const char* expected, const char* what) {
  if (!doc.is_object()) throw std::invalid_argument(std::string(what) + " is not a JSON object");
  auto schema = optional_field<std::string>(doc, "schema", "", what);
  if (schema != expected) {
    throw std::invalid_argument(std::string(what) + ": schema is \"" + schema + "\", expected \"" +
                                expected + "\"");
  }
}

}  // namespace

std::string base64_encode(const std::string& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64_decode(const std::string& text) {
  static const std::array<int, 256> table = make_decode_table();
  if (text.size() % 4 != 0) throw std::invalid_argument("base64: length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    int pad = 0;
    unsigned v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      char c = text[i + k];
      if (c == '=') {
        if (i + 4 != text.size() || k < 2) throw std::invalid_argument("base64: misplaced '='");
        ++pad;
        v <<= 6;
        continue;
      }
      if (pad) throw std::invalid_argument("base64: data after '='");
      int d = table[static_cast<unsigned char>(c)];
      if (d < 0) throw std::invalid_argument("base64: invalid character");
      v = (v << 6) | static_cast<unsigned>(d);
    }
    out += static_cast<char>((v >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((v >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(v & 0xff);
  }
  return out;
}

std::string to_json(const Bundle& bundle) {
  json files = json::array();
  for (const auto& f : bundle.files) {
    files.push_back({{"path", f.path},
                     {"content_b64", base64_encode(f.content)},
                     {"executable", f.executable}});
  }
  json tests = json::array();
  for (const auto& t : bundle.tests) tests.push_back(step_to_json(t));
  json doc{{"schema", kBundleSchema},
           {"workdir", bundle.workdir},
           {"files", files},
           {"build", bundle.build ? step_to_json(*bundle.build) : json(nullptr)},
           {"tests", tests}};
  return doc.dump();
}

Bundle bundle_from_json(const std::string& text) {
  json doc = parse_document(text, "bundle");
  check_schema(doc, kBundleSchema, "bundle");
  Bundle bundle;
  bundle.workdir = optional_field<std::string>(doc, "workdir", bundle.workdir, "bundle");
  for (const auto& f : field<json>(doc, "files", "bundle")) {
    File file;
    file.path = field<std::string>(f, "path", "bundle file");
    file.content = base64_decode(field<std::string>(f, "content_b64", "bundle file"));
    file.executable = optional_field<bool>(f, "executable", false, "bundle file");
    bundle.files.push_back(std::move(file));
  }
  if (doc.contains("build") && !doc.at("build").is_null()) {
    bundle.build = step_from_json(doc.at("build"));
  }
  for (const auto& t : field<json>(doc, "tests", "bundle")) bundle.tests.push_back(step_from_json(t));
  return bundle;
}

std::string to_json(const Report& report) {
  json tests = json::array();
  for (const auto& t : report.tests) tests.push_back(result_to_json(t));
  json doc{{"schema", kReportSchema},
           {"build", report.build ? result_to_json(*report.build) : json(nullptr)},
           {"tests", tests},
           {"runner_error", report.runner_error}};
  return doc.dump();
}

Report report_from_json(const std::string& text) {
  json doc = parse_document(text, "report");
  check_schema(doc, kReportSchema, "report");
  Report report;
  if (doc.contains("build") && !doc.at("build").is_null()) {
    report.build = result_from_json(doc.at("build"));
  }
  for (const auto& t : field<json>(doc, "tests", "report")) report.tests.push_back(result_from_json(t));
  report.runner_error = optional_field<std::string>(doc, "runner_error", "", "report");
  return report;
}

}  // namespace gradeq::wire
