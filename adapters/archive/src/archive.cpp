#include "gradeq/archive.hpp"

#include <fcntl.h>
#include <locale.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace gradeq::archive {

namespace {

// Bytes handed to libarchive per read: also the slack of the ratio measurement (an entry's
// compressed data may already sit in the buffer read before it started).
constexpr std::size_t kChunk = 16 * 1024;

// The archive file, read through our own callbacks so that what libarchive takes from it is
// counted (the compressed side of the ratio) and no size it declares is relied on.
struct Source {
  int fd = -1;
  std::uint64_t size = 0;
  std::uint64_t consumed = 0;
  std::vector<char> buffer = std::vector<char>(kChunk);
  const std::function<void(std::uint64_t, std::uint64_t)>* progress = nullptr;
  std::string error;
};

la_ssize_t read_cb(struct archive*, void* data, const void** out) {
  auto* s = static_cast<Source*>(data);
  for (;;) {
    ssize_t n = ::read(s->fd, s->buffer.data(), s->buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      s->error = std::strerror(errno);
      return -1;
    }
    s->consumed += static_cast<std::uint64_t>(n);
    if (s->progress && *s->progress) (*s->progress)(std::min(s->consumed, s->size), s->size);
    *out = s->buffer.data();
    return n;
  }
}

la_int64_t seek_cb(struct archive*, void* data, la_int64_t offset, int whence) {
  auto* s = static_cast<Source*>(data);
  off_t at = ::lseek(s->fd, static_cast<off_t>(offset), whence);
  return at < 0 ? ARCHIVE_FATAL : static_cast<la_int64_t>(at);
}

// Entry names are UTF-8 (zips flag them so; Canvas and Moodle write them so), and libarchive
// converts them through the current locale's charset: under the "C" locale a name such as
// "José Ramírez_..." cannot be converted and comes back empty. The reader's thread uses a UTF-8
// LC_CTYPE while it reads (uselocale: the rest of the program keeps its locale).
class Utf8Names {
 public:
  Utf8Names() {
    for (const char* name : {"C.UTF-8", "C.utf8", "en_US.UTF-8"}) {
      utf8_ = ::newlocale(LC_CTYPE_MASK, name, static_cast<locale_t>(nullptr));
      if (utf8_) break;
    }
    if (utf8_) previous_ = ::uselocale(utf8_);
  }
  ~Utf8Names() {
    if (utf8_) {
      ::uselocale(previous_);
      ::freelocale(utf8_);
    }
  }
  Utf8Names(const Utf8Names&) = delete;
  Utf8Names& operator=(const Utf8Names&) = delete;

 private:
  locale_t utf8_ = static_cast<locale_t>(nullptr);
  locale_t previous_ = static_cast<locale_t>(nullptr);
};

struct Reader {
  explicit Reader(const std::string& path) : name(path) {
    source.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (source.fd < 0) throw ArchiveError(path + ": cannot open: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(source.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(source.fd);
      throw ArchiveError(path + ": not a regular file");
    }
    source.size = static_cast<std::uint64_t>(st.st_size);
    a = archive_read_new();
    if (!a) {
      ::close(source.fd);
      throw ArchiveError(path + ": out of memory");
    }
    // The seekable reader trusts the central directory (the only place a zip records that an
    // entry is a symbolic link), not the local headers a streaming reader would go by.
    archive_read_support_format_zip_seekable(a);
    archive_read_set_read_callback(a, read_cb);
    archive_read_set_seek_callback(a, seek_cb);
    archive_read_set_callback_data(a, &source);
    if (archive_read_open1(a) != ARCHIVE_OK) fail("not a readable zip archive");
  }
  ~Reader() {
    if (a) archive_read_free(a);
    if (source.fd >= 0) ::close(source.fd);
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  [[noreturn]] void fail(const std::string& what) {
    std::string why = archive_error_string(a) ? archive_error_string(a) : "";
    if (!source.error.empty()) why = source.error;
    throw ArchiveError(name + ": " + what + (why.empty() ? "" : " (" + why + ")"));
  }

  // The next entry, or nullopt at the end.
  std::optional<Entry> next(std::size_t index) {
    struct archive_entry* e = nullptr;
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) return std::nullopt;
    if (r == ARCHIVE_FATAL) fail("damaged zip archive at entry " + std::to_string(index + 1));
    Entry out;
    out.index = index;
    const char* utf8 = archive_entry_pathname_utf8(e);
    const char* raw = archive_entry_pathname(e);
    out.path = utf8 ? utf8 : raw ? raw : "";
    if (r == ARCHIVE_FAILED) {
      out.kind = Kind::other;
    } else if (archive_entry_hardlink(e)) {
      out.kind = Kind::hardlink;
    } else {
      switch (archive_entry_filetype(e)) {
        case AE_IFREG: out.kind = Kind::file; break;
        case AE_IFDIR: out.kind = Kind::directory; break;
        case AE_IFLNK: out.kind = Kind::symlink; break;
        default: out.kind = Kind::other; break;
      }
    }
    return out;
  }

  Utf8Names utf8_names;  // before the archive: names are converted while it is read
  std::string name;
  Source source;
  struct archive* a = nullptr;
};

}  // namespace

const char* to_string(Kind kind) {
  switch (kind) {
    case Kind::file: return "a regular file";
    case Kind::directory: return "a directory";
    case Kind::symlink: return "a symbolic link";
    case Kind::hardlink: return "a hard link";
    case Kind::other: return "a special file";
  }
  return "?";
}

std::vector<Entry> list_entries(const std::string& path, std::size_t max_entries) {
  Reader reader(path);
  std::vector<Entry> entries;
  while (auto e = reader.next(entries.size())) {
    if (entries.size() >= max_entries) {
      throw ArchiveError(path + ": more than " + std::to_string(max_entries) +
                         " entries (the limit, --max-entries)");
    }
    entries.push_back(std::move(*e));
  }
  return entries;
}

void read_entries(const std::string& path, double max_ratio,
                  const std::function<std::optional<std::size_t>(const Entry&)>& limit,
                  const std::function<void(const Entry&, Data)>& got,
                  const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  Reader reader(path);
  reader.source.progress = &progress;
  std::vector<char> block(64 * 1024);
  for (std::size_t index = 0;; ++index) {
    auto entry = reader.next(index);
    if (!entry) break;
    if (entry->kind != Kind::file) continue;
    auto cap = limit(*entry);
    if (!cap) continue;  // the next header skips its data (the seekable reader seeks past it)
    Data data;
    const std::uint64_t start = reader.source.consumed;
    for (;;) {
      la_ssize_t n = archive_read_data(reader.a, block.data(), block.size());
      if (n == 0) break;
      if (n < 0) {
        if (n == ARCHIVE_FATAL) reader.fail("damaged data in entry \"" + entry->path + "\"");
        data.status = Data::Status::unreadable;
        data.error = archive_error_string(reader.a) ? archive_error_string(reader.a) : "unreadable";
        break;
      }
      data.decompressed += static_cast<std::uint64_t>(n);
      if (data.decompressed > *cap) {
        data.status = Data::Status::over_limit;
        break;
      }
      double compressed = static_cast<double>(reader.source.consumed - start + kChunk);
      double ratio = static_cast<double>(data.decompressed) / compressed;
      if (ratio > max_ratio) {
        data.status = Data::Status::ratio;
        data.ratio = ratio;
        break;
      }
      data.content.append(block.data(), static_cast<std::size_t>(n));
    }
    if (data.status != Data::Status::ok) data.content.clear();
    got(*entry, std::move(data));
  }
}

}  // namespace gradeq::archive
