// Zip archives (LMS bulk downloads) read entry by entry into memory with libarchive. Nothing is
// ever extracted to disk, so an entry's path is only a name here: the caller decides what it
// means (and refuses unsafe ones, see lms::safe_path). Declared sizes are never trusted: data is
// decompressed up to a cap and the compression ratio is measured while reading.
//
// An archive that cannot be read as a whole (not a zip, truncated, damaged central directory or
// compressed data, too many entries) is ArchiveError. A single entry that is too big, too
// compressed or unreadable (encrypted, bad checksum) is reported for that entry and reading goes
// on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace gradeq::archive {

class ArchiveError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Kind { file, directory, symlink, hardlink, other };
const char* to_string(Kind kind);

struct Entry {
  std::size_t index = 0;  // position in the archive, from 0
  std::string path;       // the stored name (UTF-8 when the archive says so)
  Kind kind = Kind::file;
};

// The entries' names and kinds, without decompressing anything. ArchiveError when `path` is not
// a readable zip, or holds more than `max_entries` entries.
std::vector<Entry> list_entries(const std::string& path, std::size_t max_entries);

struct Data {
  enum class Status {
    ok,           // `content` is the whole entry
    over_limit,   // more than the entry's limit: reading stopped there
    ratio,        // decompressed more than max_ratio times what it took from the archive
    unreadable,   // libarchive could not decompress it (`error` says why)
  };
  Status status = Status::ok;
  std::string content;
  std::uint64_t decompressed = 0;  // bytes produced before reading stopped
  double ratio = 0;                // the measured ratio at the stop (Status::ratio)
  std::string error;
};

// Reads the archive's regular files again, in order. For each, `limit(entry)` says how many bytes
// of it may be kept (nullopt: skip it, nothing is decompressed); `got(entry, data)` receives what
// was read. An entry's ratio is its decompressed bytes over the compressed bytes read from the
// archive meanwhile (plus one read buffer, so it never overestimates); it is checked as data
// arrives and reading stops as soon as it passes `max_ratio`. `progress(done, total)` reports
// bytes of the archive read so far. ArchiveError as for list_entries, also if the archive's
// entries differ from a listing of the same file (it changed in between).
void read_entries(const std::string& path, double max_ratio,
                  const std::function<std::optional<std::size_t>(const Entry&)>& limit,
                  const std::function<void(const Entry&, Data)>& got,
                  const std::function<void(std::uint64_t, std::uint64_t)>& progress = nullptr);

}  // namespace gradeq::archive
