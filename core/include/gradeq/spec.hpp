// The test spec: what course staff write (YAML), validated against
// schemas/test-spec.schema.json, then normalized (defaults applied, expected-output files read)
// into a Spec. The normalized form round-trips through JSON, which is what PostgreSQL stores and
// the grader loads.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "gradeq/compare.hpp"
#include "gradeq/wire.hpp"

namespace gradeq {

// One problem found in a spec file, with where it is (1-based; 0 when unknown).
struct Diagnostic {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
  std::string to_string() const;  // "file:line:column: message"
};

// Thrown when a spec is not valid; carries every problem found, not just the first.
class SpecError : public std::runtime_error {
 public:
  explicit SpecError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

struct Limits {
  double time_s = 2.0;         // per test: wall clock (and CPU seconds)
  double build_time_s = 60.0;  // the build step's wall clock
  int memory_mb = 128;
  double cpus = 0.5;
  int output_kb = 64;
};

enum class TestKind {
  io,     // the command's stdout is compared with the expected output
  junit,  // the command writes a JUnit XML report; each of its testcases is a test of its own
};

const char* to_string(TestKind kind);

// Caps on a spec's support files (staff files written into the work dir): per file, and all of
// a spec's together (they travel in every bundle and share the container's 16 MiB work dir).
inline constexpr std::size_t kMaxSupportFileBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxSupportBytes = std::size_t{8} << 20;

struct TestSpec {
  std::string name;
  TestKind kind = TestKind::io;
  std::string command;            // resolved: the test's own command, or the spec's run
  std::vector<std::string> args;
  std::string stdin_data;
  std::string expected_stdout;    // inlined, also when it came from expect_stdout_file
  CompareMode compare = CompareMode::trimmed;
  Tolerance tolerance;
  int expect_exit = 0;
  bool hidden = false;
  double points = 1.0;
  double time_s = 2.0;            // resolved: the test's own, or limits.time_s
  std::vector<wire::File> support_files;  // staff files, written into the work dir (any kind)

  // kind junit: the command writes its report to `report` (/tmp/FOLDER/NAME). `points` is the
  // group's, spread evenly over the cases the report lists, unless points_per_case is given
  // (then `cases` is too: the maximum is known before anything runs). `cases`, when given, is
  // how many cases the report must list.
  std::string report;
  std::optional<double> points_per_case;
  std::optional<int> cases;

  // What the test (a junit test: its whole group) is worth at most.
  double max_points() const;
};

struct Spec {
  std::string course;
  std::string assignment;
  std::string title;
  std::string language;
  std::vector<std::string> files;
  std::optional<std::string> build;
  std::string run;
  Limits limits;
  std::vector<TestSpec> tests;

  double max_score() const;
};

// Parses and validates YAML text. `file` names the source in diagnostics; `base_dir` is where
// expect_stdout_file paths are resolved. Throws SpecError listing every problem.
Spec parse_spec(const std::string& yaml_text, const std::string& file, const std::string& base_dir);
// Reads and parses a spec file (base_dir = the file's folder).
Spec load_spec_file(const std::string& path);

// The normalized form, stored in the database.
nlohmann::json spec_to_json(const Spec& spec);
// Throws std::invalid_argument naming the field when the stored form is unusable.
Spec spec_from_json(const nlohmann::json& json);

// The languages gradeq has runner images for.
const std::vector<std::string>& supported_languages();

}  // namespace gradeq
