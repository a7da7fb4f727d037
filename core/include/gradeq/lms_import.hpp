// Importing LMS exports: the pure part. How Canvas and Moodle name the files of their bulk
// downloads, which student an archive entry belongs to, which paths are safe to store, the CSV
// manifest format, and the idempotency key of an imported submission. No I/O: the archive is read
// by adapters/archive, the import itself is producer/src/import.cpp.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradeq/wire.hpp"

namespace gradeq::lms {

// What `gradeq-producer import` reads: a Canvas "Download Submissions" zip, a Moodle assignment
// "Download all submissions" zip, a folder of student folders, or a CSV manifest.
enum class Format { canvas, moodle, dir, csv };

// "canvas" | "moodle" | "dir" | "csv"; nullopt otherwise ("auto" is the caller's business).
std::optional<Format> format_from_string(const std::string& text);
const char* to_string(Format format);

// A path inside a submission made safe to store and to write into the sandbox's work dir: '\'
// taken as a separator (Windows zips), "." and empty components dropped. `problem` says why it
// is refused: empty, absolute (a leading '/' or '\', a drive letter), a ".." component, or a
// control character.
struct SafePath {
  std::string path;
  std::string problem;  // empty: accepted
};
SafePath safe_path(const std::string& raw);

// Canvas "Download Submissions": {lastfirst}_{late_}?{user_id}_{submission_id}_{original name},
// e.g. "doejane_late_12345_678901_wordfreq-1.py". The original name is what the student uploaded,
// with a "-N" before the extension when it was a resubmission of the same name.
struct CanvasName {
  std::string name;           // Canvas's sortable name without separators: "doejane"
  bool late = false;
  std::string user_id;        // the Canvas user ID: the student
  std::string submission_id;  // Canvas's ID of the submitted file
  std::string file;           // the original name, as written
};
std::optional<CanvasName> parse_canvas_name(const std::string& entry);

// "wordfreq-1.py" -> "wordfreq.py", "Makefile-2" -> "Makefile"; anything else unchanged.
std::string without_resubmission_suffix(const std::string& file);

// Moodle "Download all submissions": a folder per participant and plugin,
// "{Full Name}_{participant_id}_assignsubmission_{file|onlinetext}_/{path}", or with "download
// submissions in folders" off, flat names "{Full Name}_{id}_assignsubmission_file_{name}".
struct MoodleName {
  std::string full_name;       // "José Ramírez"
  std::string participant_id;  // the student
  std::string plugin;          // "file", "onlinetext", ...
  std::string file;            // the path inside the folder (or the flat file name), raw
};
std::optional<MoodleName> parse_moodle_path(const std::string& entry);

// Which LMS's naming the entries of a zip follow (the one more entries match); nullopt when
// none does.
std::optional<Format> detect_zip_format(const std::vector<std::string>& entry_paths);

// Where one zip entry goes.
struct EntryTarget {
  std::string student;         // the student ID; empty when the entry is nobody's (see `ignored`)
  std::string display;         // for messages: "doejane (12345)", "José Ramírez (77)"
  std::string file;            // its path in the submission, when `problem` is empty
  std::string problem;         // non-empty: this entry refuses the student (why)
  std::string ignored;         // non-empty: not imported, and why (a note in the summary)
  std::string lms_submission;  // Canvas: the submission ID in the name
  bool late = false;
};
// `required`: the spec's files (a Moodle online text is imported only when it is one of them).
EntryTarget map_zip_entry(Format format, const std::string& entry_path,
                          const std::vector<std::string>& required);

// Canvas renames a resubmitted "wordfreq.py" to "wordfreq-1.py": a file whose name differs from
// a required file only by that suffix takes the required name, unless that name is taken.
void restore_required_names(std::vector<wire::File>& files, const std::vector<std::string>& required);

// The CSV manifest: a header naming the columns `student` and `path` (others are ignored), then
// one row per file (RFC 4180: quoted fields, "" for a quote, CRLF or LF). A student may have
// several rows.
struct ManifestRow {
  std::size_t line = 0;  // of the row's first character
  std::string student;
  std::string path;
};
// what(): "NAME:LINE:COLUMN: problem".
class ManifestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
std::vector<ManifestRow> parse_manifest(const std::string& text, const std::string& name);

// SHA-256 over the files sorted by path, each as its path and content with their lengths: the
// same files give the same digest whatever their order.
std::string files_digest(const std::vector<wire::File>& files);

// The import's idempotency key of one student's submission: the LMS, its identifiers of the
// submission (Canvas user and submission IDs; Moodle participant; a folder's or manifest's
// student) and the files' digest. The same export imported again gives the same keys; a changed
// file gives a new one.
std::string idempotency_key(Format format, const std::string& student,
                            const std::vector<std::string>& lms_submissions, const std::string& digest);

}  // namespace gradeq::lms
