// `gradeq-producer import`: an LMS export (Canvas or Moodle zip, a folder of student folders, a
// CSV manifest) into one batch. Per student: what the LMS's naming says is theirs, checked
// (safe paths, regular files, size and compression caps, the spec's required files), refused
// with the reason or stored with an idempotency key so that importing the same export again
// stores nothing new. The archive is read by adapters/archive, the naming is core's (lms_import).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "gradeq/archive.hpp"
#include "gradeq/producer.hpp"
#include "internal.hpp"

namespace gradeq::producer {

namespace fs = std::filesystem;
using namespace detail;

namespace {

// One student's files as they are found, and what refuses them.
struct Candidate {
  std::string student;
  std::string display;
  std::vector<wire::File> files;
  std::uint64_t bytes = 0;
  std::vector<std::string> lms_ids;
  std::vector<std::string> problems;
  bool late = false;
};

class Candidates {
 public:
  Candidate& get(const std::string& student, const std::string& display) {
    auto it = index_.find(student);
    if (it != index_.end()) return list_[it->second];
    index_[student] = list_.size();
    list_.push_back({student, display, {}, 0, {}, {}, false});
    return list_.back();
  }
  Candidate* find(const std::string& student) {
    auto it = index_.find(student);
    return it == index_.end() ? nullptr : &list_[it->second];
  }
  std::vector<Candidate>& all() { return list_; }

 private:
  std::vector<Candidate> list_;
  std::map<std::string, std::size_t> index_;
};

void add_file(Candidate& c, const std::string& path, std::string content, const std::string& origin) {
  for (const auto& f : c.files) {
    if (f.path == path) {
      c.problems.push_back("two files named " + path + " (" + origin + ")");
      return;
    }
  }
  c.bytes += content.size();
  c.files.push_back({path, std::move(content), false});
}

std::string bytes_text(std::uint64_t n) { return std::to_string(n) + " bytes"; }

std::string file_too_big(const std::string& what, std::size_t cap) {
  return what + " is larger than " + bytes_text(cap) + " (the per-file limit, --max-file-bytes)";
}
std::string student_too_big(const std::string& what, std::size_t cap) {
  return "the files add up to more than " + bytes_text(cap) +
         " (the per-student limit, --max-total-bytes) at " + what;
}

// A file on disk, at most `cap` bytes of it; nullopt when it holds more.
std::optional<std::string> read_capped(const fs::path& path, std::size_t cap) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read " + path.string());
  std::string out;
  std::vector<char> block(64 * 1024);
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    out.append(block.data(), static_cast<std::size_t>(in.gcount()));
    if (out.size() > cap) return std::nullopt;
  }
  return out;
}

// Adds a regular file from disk to a candidate, within the per-file and per-student caps.
void add_disk_file(const Settings& s, Candidate& c, const fs::path& path, const std::string& stored,
                   const std::string& shown) {
  std::size_t room = s.max_submission_bytes > c.bytes ? s.max_submission_bytes - c.bytes : 0;
  std::size_t cap = std::min(s.max_file_bytes, room);
  auto content = read_capped(path, cap);
  if (!content) {
    c.problems.push_back(cap == s.max_file_bytes ? file_too_big(shown, s.max_file_bytes)
                                                 : student_too_big(shown, s.max_submission_bytes));
    return;
  }
  add_file(c, stored, std::move(*content), shown);
}

// Every file under `root` (symbolic links and special files refuse the candidate), stored under
// its path relative to `root`.
void add_tree(const Settings& s, Candidate& c, const fs::path& root, const std::string& shown_root) {
  std::vector<fs::path> found;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    found.push_back(it->path());
  }
  std::sort(found.begin(), found.end());
  for (const auto& p : found) {
    std::string rel = p.lexically_relative(root).generic_string();  // never through a link
    std::string shown = shown_root.empty() ? rel : shown_root + "/" + rel;
    auto st = fs::symlink_status(p);
    if (fs::is_symlink(st)) {
      c.problems.push_back(shown + " is a symbolic link (not accepted)");
    } else if (fs::is_directory(st)) {
      continue;
    } else if (!fs::is_regular_file(st)) {
      c.problems.push_back(shown + " is a special file (not accepted)");
    } else {
      add_disk_file(s, c, p, rel, shown);
    }
  }
}

void collect_zip(const Settings& s, const Spec& spec, const std::string& source,
                 std::optional<lms::Format>& format, Candidates& out, std::vector<std::string>& notes,
                 const std::function<void(const ImportProgress&)>& progress) {
  std::vector<archive::Entry> entries;
  try {
    entries = archive::list_entries(source, s.max_archive_entries);
  } catch (const archive::ArchiveError& e) {
    throw InputError(std::string(e.what()) + "; nothing was imported");
  }
  if (!format) {
    std::vector<std::string> names;
    for (const auto& e : entries) names.push_back(e.path);
    format = lms::detect_zip_format(names);
    if (!format) {
      throw InputError(source + ": neither Canvas (lastfirst_userid_submissionid_name) nor Moodle"
                                " (Full Name_id_assignsubmission_file_/...) naming; give --format");
    }
  }
  for (const auto& e : entries) {
    if (e.kind == archive::Kind::directory) continue;
    auto t = lms::map_zip_entry(*format, e.path, spec.files);
    if (!t.ignored.empty()) {
      notes.push_back("\"" + e.path + "\": " + t.ignored);
      continue;
    }
    Candidate& c = out.get(t.student, t.display);
    c.late = c.late || t.late;
    if (!t.lms_submission.empty()) c.lms_ids.push_back(t.lms_submission);
    if (!t.problem.empty()) {
      c.problems.push_back(t.problem);
    } else if (e.kind != archive::Kind::file) {
      c.problems.push_back("entry \"" + e.path + "\" is " + archive::to_string(e.kind) + " (not accepted)");
    }
  }
  // The data, within each student's caps; refused students' entries are not even decompressed.
  bool file_cap = true;
  auto limit = [&](const archive::Entry& e) -> std::optional<std::size_t> {
    auto t = lms::map_zip_entry(*format, e.path, spec.files);
    if (!t.ignored.empty() || !t.problem.empty()) return std::nullopt;
    Candidate* c = out.find(t.student);
    if (!c || !c->problems.empty()) return std::nullopt;
    std::size_t room = s.max_submission_bytes > c->bytes ? s.max_submission_bytes - c->bytes : 0;
    file_cap = s.max_file_bytes <= room;
    return std::min(s.max_file_bytes, room);
  };
  auto got = [&](const archive::Entry& e, archive::Data data) {
    auto t = lms::map_zip_entry(*format, e.path, spec.files);
    Candidate* c = out.find(t.student);
    if (!c) return;
    std::string what = "entry \"" + e.path + "\"";
    switch (data.status) {
      case archive::Data::Status::ok:
        add_file(*c, t.file, std::move(data.content), what);
        break;
      case archive::Data::Status::over_limit:
        c->problems.push_back(file_cap ? file_too_big(what, s.max_file_bytes)
                                       : student_too_big(what, s.max_submission_bytes));
        break;
      case archive::Data::Status::ratio:
        c->problems.push_back(what + " decompresses to more than " +
                              std::to_string(static_cast<long long>(s.max_import_ratio)) +
                              " times its compressed size (a zip bomb? the limit is --max-ratio; stopped after " +
                              bytes_text(data.decompressed) + ")");
        break;
      case archive::Data::Status::unreadable:
        c->problems.push_back(what + " cannot be read: " + data.error);
        break;
    }
  };
  auto bytes_progress = [&](std::uint64_t done, std::uint64_t total) {
    if (progress) progress({"reading", done, total, "bytes"});
  };
  try {
    archive::read_entries(source, s.max_import_ratio, limit, got, bytes_progress);
  } catch (const archive::ArchiveError& e) {
    throw InputError(std::string(e.what()) + "; nothing was imported");
  }
}

void collect_dir(const Settings& s, const std::string& source, Candidates& out,
                 std::vector<std::string>& notes, const std::function<void(const ImportProgress&)>& progress) {
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(source)) {
    auto st = entry.symlink_status();
    if (fs::is_directory(st)) {
      folders.push_back(entry.path());
    } else {
      notes.push_back(entry.path().filename().string() +
                      (fs::is_symlink(st) ? ": a symbolic link, not a student folder: not imported"
                                          : ": not a student folder: not imported"));
    }
  }
  std::sort(folders.begin(), folders.end());
  std::uint64_t done = 0;
  for (const auto& folder : folders) {
    std::string student = folder.filename().string();
    Candidate& c = out.get(student, student);
    if (!valid_student(student)) {
      c.problems.push_back("\"" + student + "\" is not a valid student ID (letters, digits, _.@+-)");
    } else {
      add_tree(s, c, folder, "");
    }
    if (progress) progress({"reading", ++done, folders.size(), "folders"});
  }
}

void collect_csv(const Settings& s, const std::string& source, Candidates& out,
                 const std::function<void(const ImportProgress&)>& progress) {
  std::vector<lms::ManifestRow> rows;
  try {
    rows = lms::parse_manifest(read_bytes(source), source);
  } catch (const lms::ManifestError& e) {
    throw InputError(std::string(e.what()) + "; nothing was imported");
  }
  fs::path base = fs::path(source).parent_path();
  std::uint64_t done = 0;
  for (const auto& row : rows) {
    Candidate& c = out.get(row.student, row.student);
    std::string where = source + ":" + std::to_string(row.line) + ": " + row.path;
    if (!valid_student(row.student)) {
      std::string problem = "\"" + row.student + "\" is not a valid student ID (letters, digits, _.@+-)";
      if (c.problems.empty() || c.problems.back() != problem) c.problems.push_back(problem);
    } else {
      fs::path p = fs::path(row.path).is_absolute() ? fs::path(row.path) : base / row.path;
      std::error_code ec;
      auto st = fs::symlink_status(p, ec);
      if (ec || !fs::exists(st)) {
        c.problems.push_back(where + ": no such file");
      } else if (fs::is_symlink(st)) {
        c.problems.push_back(where + " is a symbolic link (not accepted)");
      } else if (fs::is_directory(st)) {
        add_tree(s, c, p, where);
      } else if (!fs::is_regular_file(st)) {
        c.problems.push_back(where + " is a special file (not accepted)");
      } else {
        add_disk_file(s, c, p, p.filename().string(), where);
      }
    }
    if (progress) progress({"reading", ++done, rows.size(), "rows"});
  }
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : separator) + i;
  return out;
}

}  // namespace

ImportResult import_submissions(const Settings& settings, const std::string& assignment,
                                const std::string& source, const ImportOptions& options,
                                const std::function<void(const ImportProgress&)>& progress) {
  auto [course, name] = split_assignment(assignment);
  pg::Store store(settings.database_url);
  pg::AssignmentVersion version = latest_version(store, course, name);
  const Spec& spec = version.spec;

  std::error_code ec;
  auto st = fs::status(source, ec);
  if (ec || !fs::exists(st)) throw InputError(source + ": no such file or directory");
  std::optional<lms::Format> format = options.format;
  if (!format) {
    if (fs::is_directory(st)) {
      format = lms::Format::dir;
    } else {
      std::string ext = fs::path(source).extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
      if (ext == ".csv") format = lms::Format::csv;
    }
  }
  if (format == lms::Format::dir && !fs::is_directory(st)) throw InputError(source + ": not a directory (--format dir)");
  if (format != lms::Format::dir && fs::is_directory(st)) {
    throw InputError(source + ": a directory, not a " + std::string(lms::to_string(*format)) + " file");
  }

  Candidates candidates;
  ImportResult result;
  if (!format || format == lms::Format::canvas || format == lms::Format::moodle) {
    collect_zip(settings, spec, source, format, candidates, result.notes, progress);
  } else if (format == lms::Format::dir) {
    collect_dir(settings, source, candidates, result.notes, progress);
  } else {
    collect_csv(settings, source, candidates, progress);
  }
  result.format = *format;
  if (candidates.all().empty()) {
    std::string text = source + ": no student submissions in it";
    for (std::size_t i = 0; i < result.notes.size() && i < 5; ++i) text += "\n  " + result.notes[i];
    throw InputError(text);
  }

  std::vector<pg::ImportItem> items;
  std::vector<const Candidate*> accepted;
  for (auto& c : candidates.all()) {
    if (c.problems.empty()) {
      if (format == lms::Format::canvas) lms::restore_required_names(c.files, spec.files);
      if (c.files.empty()) c.problems.push_back("no files");
    }
    if (c.problems.empty()) {
      for (const auto& p : check_files(settings, spec, c.files)) c.problems.push_back(p);
    }
    if (!c.problems.empty()) {
      result.refused.push_back({c.display, join(c.problems, "; ")});
      continue;
    }
    std::sort(c.files.begin(), c.files.end(),
              [](const wire::File& a, const wire::File& b) { return a.path < b.path; });
    std::string key = lms::idempotency_key(*format, c.student, c.lms_ids, lms::files_digest(c.files));
    items.push_back({{c.student, c.files}, key});
    accepted.push_back(&c);
  }
  if (items.empty()) return result;

  if (progress) progress({"storing", 0, items.size(), "submissions"});
  std::string label = std::string("import ") + lms::to_string(*format) + " " +
                      fs::path(source).lexically_normal().string();
  pg::ImportOutcome outcome = store.import_submissions(version, items, options.lane, label);
  if (progress) progress({"storing", items.size(), items.size(), "submissions"});
  result.batch_id = outcome.batch_id;
  std::vector<Job> jobs;
  for (std::size_t i = 0; i < items.size(); ++i) {
    ImportedStudent s{accepted[i]->student, accepted[i]->display, outcome.submission_ids[i], accepted[i]->late};
    if (outcome.duplicate[i]) {
      result.duplicates.push_back(s);
    } else {
      result.imported.push_back(s);
      jobs.push_back({s.submission_id, 1, options.lane});
    }
  }
  try {
    publish_jobs(settings, store, jobs);
  } catch (const PublishError& e) {
    result.publish_error = e.what();
  }
  return result;
}

std::string format_import_summary(const std::string& assignment, const ImportResult& r) {
  std::size_t late = 0;
  for (const auto& s : r.imported) late += s.late ? 1 : 0;
  std::string out = "import of " + assignment + " (" + lms::to_string(r.format) + "): imported " +
                    std::to_string(r.imported.size()) + (late ? " (" + std::to_string(late) + " late)" : "") +
                    ", already imported " + std::to_string(r.duplicates.size()) + " (duplicates, nothing stored), refused " +
                    std::to_string(r.refused.size()) + "\n";
  if (!r.batch_id.empty()) {
    out += "  batch " + r.batch_id + " (gradeq-producer wait " + r.batch_id + ")\n";
  } else {
    out += "  nothing new to grade: no batch\n";
  }
  for (const auto& s : r.refused) out += "  refused " + s.display + ": " + s.reason + "\n";
  for (const auto& s : r.duplicates) {
    out += "  already imported " + s.display + " (submission " + s.submission_id + ")\n";
  }
  for (const auto& n : r.notes) out += "  not imported " + n + "\n";
  return out;
}

}  // namespace gradeq::producer
