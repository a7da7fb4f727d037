#include "gradeq/runner.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/inotify.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace gradeq::runner {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kChunk = 64 * 1024;
// While a step runs the runner wakes at least this often, even with nothing to read: a runner
// that sleeps for a whole second in one poll() is scheduled later when the step has filled the
// container's 0.5 CPU with spinning processes (measured; waking far more often is worse again).
constexpr int kSuperviseTickMs = 50;
constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string errno_text(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

// Report strings must be valid UTF-8 (the JSON writer throws otherwise) and short: keep printable
// ASCII only. Used for every message that may quote foreign bytes.
std::string printable(const std::string& text, std::size_t max = 2000) {
  std::string out;
  for (char c : text) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  return out;
}

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);  // never retried on EINTR: the descriptor is gone either way
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// The descriptors one poll() waits on; add() skips a closed one and returns -1 for it.
struct PollSet {
  struct pollfd fds[6];
  int n = 0;
  int add(const Fd& fd, short events) {
    if (!fd.open()) return -1;
    fds[n] = {fd.get(), events, 0};
    return n++;
  }
  bool ready(int i) const { return i >= 0 && fds[i].revents != 0; }
  int wait(int timeout_ms) { return ::poll(fds, static_cast<nfds_t>(n), timeout_ms); }
};

struct Pipe {
  Fd read;
  Fd write;
};

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe2", errno));
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    throw std::runtime_error(errno_text("fcntl(O_NONBLOCK)", errno));
  }
}

int pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
  long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) {
    ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    return static_cast<int>(fd);
  }
#else
  (void)pid;
#endif
  return -1;
}

// Closes every descriptor in [first, last]. Async-signal-safe (used between fork and exec).
void close_from_to(unsigned first, unsigned last) {
  if (first > last) return;
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, first, last, 0) == 0) return;
#endif
  long max = ::sysconf(_SC_OPEN_MAX);
  if (max < 0 || max > 1048576) max = 1048576;
  for (long fd = first; fd < max && fd <= static_cast<long>(last); ++fd) ::close(static_cast<int>(fd));
}

std::int64_t ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

std::int64_t timeval_ms(const struct timeval& tv) {
  return static_cast<std::int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
}

// Reads what is available from a non-blocking pipe into `buffer`, keeping at most `cap` bytes.
// Returns false when the pipe is finished (EOF or error). Sets `exceeded` when more than `cap`
// bytes arrived in total.
bool read_some(Fd& fd, std::string& buffer, std::size_t cap, bool& exceeded) {
  char chunk[kChunk];
  for (int rounds = 0; rounds < 16; ++rounds) {  // bounded: let the other stream have a turn
    ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
    if (n > 0) {
      std::size_t room = buffer.size() < cap ? cap - buffer.size() : 0;
      std::size_t take = std::min(room, static_cast<std::size_t>(n));
      buffer.append(chunk, take);
      if (take < static_cast<std::size_t>(n)) exceeded = true;
      if (exceeded) return true;
      continue;
    }
    if (n == 0) {
      fd.reset();
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
    fd.reset();
    return false;
  }
  return true;
}

// Reaps finished children. As PID 1 the runner inherits every orphan of the step, which it has
// just SIGKILLed: wait (briefly) until they are all gone, so that zombies never eat the
// container's pids limit.
void reap_zombies(bool wait_for_all) {
  int status;
  const auto until = Clock::now() + std::chrono::milliseconds(wait_for_all ? 2000 : 0);
  while (true) {
    pid_t r = ::waitpid(-1, &status, WNOHANG);
    if (r > 0) continue;
    if (r < 0 && errno == EINTR) continue;
    if (r == 0 && wait_for_all && Clock::now() < until) {
      ::usleep(2000);
      continue;
    }
    break;  // ECHILD: no children left; or 0 with children still alive outside a container
  }
}

// SIGPIPE ignored for the scope (feeding a step that closed its stdin must be EPIPE, not death),
// whatever the caller's disposition; restored afterwards.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() {
    struct sigaction ignore;
    std::memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    saved_ok_ = ::sigaction(SIGPIPE, &ignore, &saved_) == 0;
  }
  IgnoreSigpipe(const IgnoreSigpipe&) = delete;
  IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;
  ~IgnoreSigpipe() {
    if (saved_ok_) ::sigaction(SIGPIPE, &saved_, nullptr);
  }

 private:
  struct sigaction saved_;
  bool saved_ok_ = false;
};

// What the child reports through its error pipe when it cannot exec.
struct ChildFailure {
  int stage;  // 1 chdir, 2 exec, 3 dup2
  int err;
};

[[noreturn]] void child_fail(int fd, int stage) {
  ChildFailure f{stage, errno};
  ssize_t ignored = ::write(fd, &f, sizeof f);
  (void)ignored;
  ::_exit(127);
}

// Everything the child needs, prepared before fork so the child only makes system calls.
struct ChildPlan {
  std::vector<std::string> argv_storage;
  std::vector<char*> argv;
  std::vector<std::string> env_storage;
  std::vector<char*> envp;
  std::string shell;
  std::string workdir;
  rlim_t cpu_soft = 0;
  rlim_t cpu_hard = 0;
  int nice = 0;
  bool idle = false;
};

[[noreturn]] void run_child(const ChildPlan& plan, int in_fd, int out_fd, int err_fd,
                            int report_fd) {
  ::setpgid(0, 0);

  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  // The three pipe ends are all > 2 (the runner keeps 0/1/2 open), so these dup2s never
  // clobber one another.
  if (::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) {
    child_fail(report_fd, 3);
  }
  // Every descriptor but 0/1/2 and the close-on-exec error pipe goes now.
  unsigned rfd = static_cast<unsigned>(report_fd);
  close_from_to(3, rfd - 1);
  close_from_to(rfd + 1, ~0U);

  if (::chdir(plan.workdir.c_str()) != 0) child_fail(report_fd, 1);

  struct rlimit cpu{plan.cpu_soft, plan.cpu_hard};
  ::setrlimit(RLIMIT_CPU, &cpu);
  struct rlimit core{0, 0};
  ::setrlimit(RLIMIT_CORE, &core);
  // Below the runner's priority, for good: however many processes the step starts, the runner
  // gets the CPU to enforce its limits. SCHED_IDLE: the step runs whenever the runner does not
  // want the CPU, and a waking runner preempts it at once (measured with 120 spinning processes
  // in a 0.5 CPU container: the deadline seen ~0.1-0.3 s late, against 1-2 s at nice 0). Leaving
  // SCHED_IDLE or lowering the nice value again needs RLIMIT_NICE, pinned at 0 here, or a
  // capability. nice 19 too, in case SCHED_IDLE is refused (some sandboxed kernels).
  struct rlimit no_nice{0, 0};
  ::setrlimit(RLIMIT_NICE, &no_nice);
  ::setpriority(PRIO_PROCESS, 0, plan.nice);
  if (plan.idle) {
    struct sched_param idle{};
    ::sched_setscheduler(0, SCHED_IDLE, &idle);
  }

  // The runner is not dumpable (so that student code cannot ptrace it or open /proc/1/fd); the
  // child must be, to adjust its own oom_score_adj. Only now, when none of the runner's
  // descriptors (its stdout carries the report) is left in it; exec replaces this memory image.
  ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  // Make the student's processes the OOM killer's first choice, not the runner.
  int adj = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (adj >= 0) {
    ssize_t ignored = ::write(adj, "1000", 4);
    (void)ignored;
    ::close(adj);
  }

  ::execve(plan.shell.c_str(), plan.argv.data(), plan.envp.data());
  child_fail(report_fd, 2);
}

ChildPlan make_plan(const wire::Step& step, const std::string& workdir, const Options& options,
                    double time_s) {
  ChildPlan plan;
  plan.shell = options.shell;
  plan.workdir = workdir;
  // Arguments are appended to the command line: `COMMAND "$@"` with them as $1, $2, ..., so
  // they reach the program unchanged (no second round of shell splitting or globbing).
  plan.argv_storage = {"sh", "-c", step.args.empty() ? step.command : step.command + " \"$@\"", "sh"};
  for (const auto& a : step.args) plan.argv_storage.push_back(a);
  for (auto& s : plan.argv_storage) plan.argv.push_back(s.data());
  plan.argv.push_back(nullptr);

  const char* path = std::getenv("PATH");
  plan.env_storage = {std::string("PATH=") + (path && *path ? path : kDefaultPath),
                      "HOME=" + workdir, "TMPDIR=/tmp", "LANG=C.UTF-8"};
  for (auto& s : plan.env_storage) plan.envp.push_back(s.data());
  plan.envp.push_back(nullptr);

  auto soft = static_cast<rlim_t>(std::ceil(time_s)) + 1;
  plan.cpu_soft = soft;
  plan.cpu_hard = soft + 1;
  plan.nice = options.step_nice;
  plan.idle = options.step_sched_idle;
  return plan;
}

}  // namespace

void check_relative_path(const std::string& path) {
  if (path.empty()) throw std::invalid_argument("file path is empty");
  if (path.find('\0') != std::string::npos) {
    throw std::invalid_argument("file path contains a NUL byte: \"" + printable(path) + "\"");
  }
  if (path.front() == '/') {
    throw std::invalid_argument("file path is absolute: \"" + printable(path) + "\"");
  }
  std::size_t start = 0;
  bool has_name = false;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (part == "..") {
      throw std::invalid_argument("file path has a \"..\" component: \"" + printable(path) + "\"");
    }
    if (!part.empty() && part != ".") has_name = true;
    start = end + 1;
  }
  if (!has_name || path.back() == '/') {
    throw std::invalid_argument("file path does not name a file: \"" + printable(path) + "\"");
  }
}

namespace {

void make_dirs(const std::string& dir) {
  std::string current;
  std::size_t start = 0;
  if (!dir.empty() && dir.front() == '/') current = "/";
  while (start < dir.size()) {
    std::size_t end = dir.find('/', start);
    if (end == std::string::npos) end = dir.size();
    std::string part = dir.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (!current.empty() && current.back() != '/') current += '/';
    current += part;
    if (::mkdir(current.c_str(), 0755) != 0 && errno != EEXIST) {
      throw std::runtime_error(errno_text("mkdir " + printable(current), errno));
    }
    struct stat st;
    if (::stat(current.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      throw std::runtime_error("not a directory: " + printable(current));
    }
  }
}

}  // namespace

void write_files(const wire::Bundle& bundle) {
  const std::string& workdir = bundle.workdir;
  if (workdir.empty() || workdir.front() != '/') {
    throw std::invalid_argument("workdir is not an absolute path: \"" + printable(workdir) + "\"");
  }
  make_dirs(workdir);
  for (const auto& file : bundle.files) {
    check_relative_path(file.path);
    std::string full = workdir + "/" + file.path;
    auto slash = full.rfind('/');
    make_dirs(full.substr(0, slash));
    mode_t mode = file.executable ? 0755 : 0644;
    Fd fd(::open(full.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
    if (!fd.open()) throw std::runtime_error(errno_text("open " + printable(full), errno));
    if (!write_all_fd(fd.get(), file.content)) {
      throw std::runtime_error(errno_text("write " + printable(full), errno));
    }
    if (::fchmod(fd.get(), mode) != 0) {
      throw std::runtime_error(errno_text("chmod " + printable(full), errno));
    }
    int rc = ::close(fd.release());
    if (rc != 0 && errno != EINTR) {
      throw std::runtime_error(errno_text("close " + printable(full), errno));
    }
  }
}

std::optional<std::int64_t> parse_oom_kill(const std::string& text) {
  std::istringstream in(text);
  std::string key;
  std::string value;
  while (in >> key >> value) {
    if (key == "oom_kill") {
      try {
        std::size_t used = 0;
        long long n = std::stoll(value, &used);
        if (used == value.size() && n >= 0) return static_cast<std::int64_t>(n);
      } catch (const std::exception&) {
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t> read_oom_kill_counter(const std::vector<std::string>& paths) {
  for (const auto& path : paths) {
    std::ifstream in(path);
    if (!in) continue;
    std::stringstream text;
    text << in.rdbuf();
    if (auto n = parse_oom_kill(text.str())) return n;
  }
  return std::nullopt;
}

int release_sysv_ipc(const std::string& sysvipc_dir) {
  // /proc/sysvipc/{shm,msg,sem} list every object of the reader's IPC namespace, whatever its
  // permissions (a segment created with mode 0 cannot be SHM_STATed, but its creator may remove
  // it). Line format: a header, then "key id perms ...".
  using Remove = int (*)(int);
  const std::pair<const char*, Remove> kinds[] = {
      {"shm", [](int id) { return ::shmctl(id, IPC_RMID, nullptr); }},
      {"msg", [](int id) { return ::msgctl(id, IPC_RMID, nullptr); }},
      {"sem", [](int id) { return ::semctl(id, 0, IPC_RMID); }},
  };
  int removed = 0;
  for (const auto& [file, remove] : kinds) {
    std::ifstream in(sysvipc_dir + "/" + file);
    std::string line;
    if (!std::getline(in, line)) continue;  // no such file, or empty
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      long long key = 0;
      long long id = -1;
      if (!(fields >> key >> id) || id < 0 || id > INT_MAX) continue;
      if (remove(static_cast<int>(id)) == 0) ++removed;
    }
  }
  return removed;
}

namespace {

constexpr int kMaxDepth = 64;

// Removes what is inside the directory open as `dirfd`, in batches (a directory may hold a great
// many names; the runner's memory is the container's too).
int remove_inside(int dirfd, int depth) {
  int removed = 0;
  while (true) {
    std::vector<std::string> names;
    int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) break;
    DIR* dir = ::fdopendir(dup);
    if (!dir) {
      ::close(dup);
      break;
    }
    ::rewinddir(dir);
    while (names.size() < 4096) {
      errno = 0;
      struct dirent* e = ::readdir(dir);
      if (!e) break;
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
        names.emplace_back(e->d_name);
      }
    }
    ::closedir(dir);
    if (names.empty()) break;
    int before = removed;
    for (const auto& name : names) {
      if (::unlinkat(dirfd, name.c_str(), 0) == 0) {  // files, symbolic links (never followed)
        ++removed;
        continue;
      }
      struct stat st;
      if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode) ||
          depth >= kMaxDepth) {
        continue;
      }
      ::fchmodat(dirfd, name.c_str(), 0700, 0);  // a directory of ours made unreadable
      int sub = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) continue;
      removed += remove_inside(sub, depth + 1);
      ::close(sub);
      if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) == 0) ++removed;
    }
    if (removed == before) break;  // nothing of this batch could go: do not spin on it
  }
  return removed;
}

}  // namespace

int empty_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return 0;
  int removed = remove_inside(fd, 0);
  ::close(fd);
  return removed;
}

std::string check_report_path(const std::string& path, const std::string& root) {
  const std::string prefix = root + "/";
  auto refuse = [&](const std::string& why) {
    throw std::invalid_argument("report path \"" + printable(path) + "\" " + why);
  };
  if (path.find('\0') != std::string::npos) refuse("contains a NUL byte");
  if (path.compare(0, prefix.size(), prefix) != 0) refuse("is not inside " + printable(root));
  const std::string rest = path.substr(prefix.size());
  const auto slash = rest.find('/');
  if (slash == std::string::npos || rest.find('/', slash + 1) != std::string::npos) {
    refuse("is not " + printable(root) + "/FOLDER/NAME");
  }
  const std::string folder = rest.substr(0, slash);
  const std::string name = rest.substr(slash + 1);
  for (const auto& part : {folder, name}) {
    if (part.empty() || part == "." || part == "..") refuse("is not " + printable(root) + "/FOLDER/NAME");
  }
  return prefix + folder;
}

namespace {

// Removes whatever is at `path` (a folder and what is in it, a file, a link: never followed).
void remove_path(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw std::runtime_error(errno_text("lstat " + printable(path), errno));
  }
  if (S_ISDIR(st.st_mode)) {
    ::chmod(path.c_str(), 0700);
    empty_directory(path);
    if (::rmdir(path.c_str()) != 0) throw std::runtime_error(errno_text("rmdir " + printable(path), errno));
  } else if (::unlink(path.c_str()) != 0) {
    throw std::runtime_error(errno_text("unlink " + printable(path), errno));
  }
}

// The channel a step's report comes through (wire::Step::report), the runner's defence against
// a forged report. Student code runs as the runner's user, so nothing can be out of its reach by
// permission alone; what it does to the channel is seen instead:
//  - the report's folder is the runner's: created afresh before the step (whatever was there is
//    removed), holding one FIFO only. A FIFO can only be appended to: a report written before or
//    after the test command's own (a fake from an import-time hook, an atexit handler, a
//    background process) adds a second document, and the whole is no longer one XML document.
//  - only the runner can read the FIFO: it opens its ends, then makes the FIFO write-only
//    (mode 0200; reopening it for reading, also through /proc/PID/fd, is EACCES), so nobody can
//    take the command's report out of it and leave a fake in its place.
//  - inotify watches the folder and the FIFO while the step runs: a change of the folder's
//    entries (the FIFO replaced, renamed, linked, a file created), of attributes (chmod) or the
//    folder's own removal or renaming is reported (report_changes), and so is every opening of
//    the FIFO (report_opens): the test command opens it once; a second opening is a second
//    writer.
// The folder must sit directly in a folder student code cannot rename (/tmp, a mount point).
class ReportChannel {
 public:
  ReportChannel(const std::string& path, const std::string& root, std::size_t cap)
      : path_(path), cap_(cap) {
    folder_ = check_report_path(path, root);
    name_ = path.substr(folder_.size() + 1);
    remove_path(folder_);
    if (::mkdir(folder_.c_str(), 0755) != 0) fail("mkdir " + folder_);
    made_ = true;
    Fd dir(::open(folder_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.open()) fail("open " + folder_);
    if (::mkfifoat(dir.get(), name_.c_str(), 0600) != 0) fail("mkfifo " + path_);
    reader_.reset(::openat(dir.get(), name_.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
    if (!reader_.open()) fail("open " + path_);
    // The runner's own writer: while it is open the reader never sees EOF (no busy poll on a
    // hang-up between two writers); closed once the step's processes are gone.
    writer_.reset(::openat(dir.get(), name_.c_str(), O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
    if (!writer_.open()) fail("open " + path_ + " for writing");
    struct stat st;
    if (::fstat(dir.get(), &st) != 0) fail("stat " + folder_);
    folder_ino_ = st.st_ino;
    if (::fstat(reader_.get(), &st) != 0) fail("stat " + path_);
    fifo_ino_ = st.st_ino;
    inotify_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!inotify_.open()) fail("inotify_init1");
    folder_wd_ = ::inotify_add_watch(inotify_.get(), folder_.c_str(),
                                     IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB |
                                         IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW);
    if (folder_wd_ < 0) fail("inotify_add_watch " + folder_);
    // On the FIFO itself, so that an opening through a hard link elsewhere counts too. inotify
    // merges an event into an identical unread one just before it: two openings in a row would
    // count once. Closings count too, and writes (IN_MODIFY) stand between the events of two
    // writers, so that two writers show as two unless they open and close in lockstep.
    fifo_wd_ = ::inotify_add_watch(inotify_.get(), path_.c_str(),
                                   IN_OPEN | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF |
                                       IN_MOVE_SELF | IN_DONT_FOLLOW);
    if (fifo_wd_ < 0) fail("inotify_add_watch " + path_);
    // Write-only from now on: nobody (of the runner's user) can open it for reading any more.
    // Last, because adding a watch needs read permission; the change it makes is not counted.
    if (::fchmod(reader_.get(), 0200) != 0) fail("chmod " + path_);
    collect_events();
    changes_.clear();
    opens_ = closes_ = 0;
  }
  ReportChannel(const ReportChannel&) = delete;
  ReportChannel& operator=(const ReportChannel&) = delete;
  ~ReportChannel() {
    inotify_.reset();
    reader_.reset();
    writer_.reset();
    if (made_) {
      try {
        remove_path(folder_);
      } catch (const std::exception&) {
        // The next step with a report removes it first; nothing else reads it.
      }
    }
  }

  const Fd& reader() const { return reader_; }
  const Fd& events() const { return inotify_; }

  // Reads the watches' events now (unread identical events merge: reading them as they come
  // keeps two writers' events apart).
  void read_events() { collect_events(); }

  // Reads what the FIFO holds now (a bounded amount per call: a flood must not starve the
  // supervision); beyond the cap it is read and dropped.
  void read_available() { drain(16); }

  // Once every process of the step is gone: the rest of the report, and what was seen.
  void finish(wire::StepResult& result) {
    collect_events();
    writer_.reset();
    drain(std::numeric_limits<int>::max());
    struct stat st;
    if (::lstat(folder_.c_str(), &st) != 0 || st.st_ino != folder_ino_ || !S_ISDIR(st.st_mode)) {
      note("the folder was replaced");
    } else if (::lstat(path_.c_str(), &st) != 0 || st.st_ino != fifo_ino_ || !S_ISFIFO(st.st_mode)) {
      note(name_ + " was replaced");
    }
    result.report_data = std::move(data_);
    result.report_truncated = truncated_;
    result.report_opens = std::max(opens_, closes_);
    result.report_changes = changes_;
  }

 private:
  // Reads until EOF (every writer gone: the FIFO is finished), until nothing is there now
  // (EAGAIN: a writer is still alive; only on a host, where the step's leftovers are not all
  // killed) or for `chunks` reads.
  void drain(int chunks) {
    char chunk[kChunk];
    for (int i = 0; i < chunks && reader_.open(); ++i) {
      ssize_t n = ::read(reader_.get(), chunk, sizeof chunk);
      if (n > 0) {
        const std::size_t room = data_.size() < cap_ ? cap_ - data_.size() : 0;
        data_.append(chunk, std::min(room, static_cast<std::size_t>(n)));
        if (static_cast<std::size_t>(n) > room) truncated_ = true;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) reader_.reset();
      return;
    }
  }

  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(errno_text(printable(what), errno));
  }

  void note(const std::string& change) {
    if (changes_.find(change) != std::string::npos) return;
    if (!changes_.empty()) changes_ += "; ";
    changes_ += changes_.size() < 1000 ? change : "...";
  }

  void collect_events() {
    alignas(struct inotify_event) char buffer[16 * 1024];
    while (inotify_.open()) {
      ssize_t n = ::read(inotify_.get(), buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      for (char* p = buffer; p < buffer + n;) {
        const auto* e = reinterpret_cast<const struct inotify_event*>(p);
        p += sizeof(struct inotify_event) + e->len;
        const std::string entry = e->len ? printable(std::string(e->name), 200) : "";
        const std::string what = e->wd == fifo_wd_ ? name_ : entry.empty() ? "the folder" : entry;
        if (e->mask & IN_Q_OVERFLOW) {
          note("too many changes to follow");
        } else if (e->wd == fifo_wd_ && (e->mask & IN_OPEN)) {
          ++opens_;
        } else if (e->wd == fifo_wd_ && (e->mask & IN_CLOSE_WRITE)) {
          ++closes_;
        } else if (e->wd == fifo_wd_ && (e->mask & IN_MODIFY)) {
          // a write: what matters is that it separates the events of two writers
        } else if (e->mask & (IN_CREATE | IN_MOVED_TO)) {
          note(what + " was created");
        } else if (e->mask & (IN_DELETE | IN_DELETE_SELF | IN_IGNORED)) {
          note(what + " was removed");
        } else if (e->mask & (IN_MOVED_FROM | IN_MOVE_SELF)) {
          note(what + " was renamed");
        } else if (e->mask & IN_ATTRIB) {
          note("the attributes of " + what + " changed");
        }
      }
    }
  }

  std::string path_;
  std::string folder_;
  std::string name_;
  std::size_t cap_;
  bool made_ = false;
  Fd reader_;
  Fd writer_;
  Fd inotify_;
  int folder_wd_ = -1;
  int fifo_wd_ = -1;
  ino_t folder_ino_ = 0;
  ino_t fifo_ino_ = 0;
  std::string data_;
  bool truncated_ = false;
  int opens_ = 0;
  int closes_ = 0;
  std::string changes_;
};

}  // namespace

wire::StepResult run_step(const wire::Step& step, const std::string& workdir,
                          const Options& options) {
  wire::StepResult result;
  result.name = step.name;
  IgnoreSigpipe ignore_sigpipe;

  double time_s = step.time_s;
  if (!(time_s > 0)) time_s = 0.001;  // also catches NaN
  time_s = std::min(time_s, 86400.0);
  const std::size_t cap = static_cast<std::size_t>(std::max(0, step.output_kb)) * 1024;

  ChildPlan plan = make_plan(step, workdir, options, time_s);
  Pipe in;
  Pipe out;
  Pipe err;
  Pipe report;
  try {
    in = make_pipe();
    out = make_pipe();
    err = make_pipe();
    report = make_pipe();
    set_nonblocking(in.write.get());
    set_nonblocking(out.read.get());
    set_nonblocking(err.read.get());
  } catch (const std::exception& e) {
    result.error = printable(e.what());
    return result;
  }
  std::unique_ptr<ReportChannel> channel;
  if (!step.report.empty()) {
    try {
      const auto report_cap = static_cast<std::size_t>(std::max(0, step.report_kb)) * 1024;
      channel = std::make_unique<ReportChannel>(step.report, options.report_root, report_cap);
    } catch (const std::exception& e) {
      // What is in the way may be the student's (a folder left by an earlier step that cannot
      // be removed): a fact about this step, which is not run.
      result.report_error = "cannot prepare the report folder: " + printable(e.what());
      return result;
    }
  }

  const auto oom_before = read_oom_kill_counter(options.oom_counter_paths);
  // CPU time of the step = growth of the runner's children's usage: it includes the shell and,
  // in a container where the runner is PID 1, the orphans it reaps (a killed shell's children).
  struct rusage children_before;
  ::getrusage(RUSAGE_CHILDREN, &children_before);
  const auto start = Clock::now();
  pid_t pid = ::fork();
  // EAGAIN: the pids limit, typically processes of the previous step still dying. Retry briefly.
  for (int attempt = 0; pid < 0 && errno == EAGAIN && attempt < 50; ++attempt) {
    ::usleep(20000);
    reap_zombies(false);
    pid = ::fork();
  }
  if (pid < 0) {
    result.error = errno_text("fork", errno);
    return result;
  }
  if (pid == 0) run_child(plan, in.read.get(), out.write.get(), err.write.get(), report.write.get());

  ::setpgid(pid, pid);  // also done by the child; whichever runs first wins the race
  in.read.reset();
  out.write.reset();
  err.write.reset();
  report.write.reset();

  // EOF on the error pipe means exec succeeded (close-on-exec); data means it failed.
  ChildFailure failure{0, 0};
  std::size_t got = 0;
  while (got < sizeof failure) {
    ssize_t n = ::read(report.read.get(), reinterpret_cast<char*>(&failure) + got,
                       sizeof failure - got);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  report.read.reset();
  if (got == sizeof failure) {
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const char* stage = failure.stage == 1 ? "chdir " : failure.stage == 2 ? "exec " : "dup2 ";
    result.error = errno_text(std::string(stage) + printable(failure.stage == 1 ? workdir
                                                           : failure.stage == 2 ? plan.shell
                                                                                 : ""),
                              failure.err);
    return result;
  }
  result.started = true;

  Fd pidfd(pidfd_open(pid));
  if (step.stdin_data.empty()) in.write.reset();
  std::size_t in_off = 0;

  enum class Kill { none, timeout, output };
  Kill kill_reason = Kill::none;
  bool exited = false;
  bool exit_ready = !pidfd.open();  // without a pidfd, try wait4 on every round
  int status = 0;
  struct rusage usage;
  std::memset(&usage, 0, sizeof usage);
  bool out_exceeded = false;
  bool err_exceeded = false;
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(time_s));

  while (true) {
    if (exit_ready) {
      pid_t r = ::wait4(pid, &status, WNOHANG, &usage);
      if (r == pid) {
        exited = true;
        break;
      }
      if (pidfd.open()) exit_ready = false;
    }
    auto now = Clock::now();
    if (now >= deadline) {
      kill_reason = Kill::timeout;
      break;
    }
    PollSet set;
    const int in_i = set.add(in.write, POLLOUT);
    const int out_i = set.add(out.read, POLLIN);
    const int err_i = set.add(err.read, POLLIN);
    const int pid_i = set.add(pidfd, POLLIN);
    const int report_i = channel ? set.add(channel->reader(), POLLIN) : -1;
    const int events_i = channel ? set.add(channel->events(), POLLIN) : -1;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    int timeout =
        static_cast<int>(std::min<std::int64_t>(left, pidfd.open() ? kSuperviseTickMs : 10));
    int ready = set.wait(timeout);
    if (ready < 0) {
      if (errno == EINTR) continue;
      result.error = errno_text("poll", errno);
      kill_reason = Kill::timeout;  // cannot supervise it any more: stop it
      break;
    }
    if (ready == 0) {
      if (!pidfd.open()) exit_ready = true;
      continue;
    }
    if (set.ready(in_i)) {
      std::size_t todo = std::min(kChunk, step.stdin_data.size() - in_off);
      ssize_t w = ::write(in.write.get(), step.stdin_data.data() + in_off, todo);
      if (w > 0) {
        in_off += static_cast<std::size_t>(w);
        if (in_off == step.stdin_data.size()) in.write.reset();
      } else if (w < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
        in.write.reset();  // EPIPE: the program does not read its input; that is fine
      }
    }
    if (set.ready(out_i)) read_some(out.read, result.stdout_data, cap, out_exceeded);
    if (set.ready(err_i)) read_some(err.read, result.stderr_data, cap, err_exceeded);
    if (set.ready(report_i)) channel->read_available();
    if (set.ready(events_i)) channel->read_events();
    if (out_exceeded || err_exceeded) {
      kill_reason = Kill::output;
      break;
    }
    if (set.ready(pid_i)) exit_ready = true;
    if (!pidfd.open()) exit_ready = true;
  }

  if (!exited) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);  // in case setpgid lost a race with exec (cannot happen, but cheap)
    while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
    }
  }
  const auto end = Clock::now();

  // Whatever is left of the step (background children) dies now, and in a container everything
  // else too, so that nothing of this step runs into the next one.
  ::kill(-pid, SIGKILL);
  if (options.kill_everything_after_step) ::kill(-1, SIGKILL);
  in.write.reset();

  // Drain what the step wrote before it ended; the killed writers close their ends.
  const auto drain_deadline = Clock::now() + std::chrono::milliseconds(options.drain_grace_ms);
  while (out.read.open() || err.read.open()) {
    auto now = Clock::now();
    if (now >= drain_deadline) break;
    PollSet set;
    const int out_i = set.add(out.read, POLLIN);
    const int err_i = set.add(err.read, POLLIN);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(drain_deadline - now).count() + 1;
    int ready = set.wait(static_cast<int>(left));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    if (set.ready(out_i)) {
      if (out_exceeded) {
        std::string sink;
        bool ignored = false;
        read_some(out.read, sink, 0, ignored);
      } else {
        read_some(out.read, result.stdout_data, cap, out_exceeded);
      }
    }
    if (set.ready(err_i)) {
      if (err_exceeded) {
        std::string sink;
        bool ignored = false;
        read_some(err.read, sink, 0, ignored);
      } else {
        read_some(err.read, result.stderr_data, cap, err_exceeded);
      }
    }
  }
  out.read.reset();
  err.read.reset();
  reap_zombies(options.kill_everything_after_step);
  // Every writer of the step is gone (in a container): the report is complete.
  if (channel) channel->finish(result);
  // What outlives processes: System V segments and tmpfs files in /dev/shm stay charged to the
  // container's memory after their creator died (a step could pin ~125 MB and leave the next
  // tests nothing). Nobody of the step is alive any more to hold or re-create them.
  if (options.release_ipc_after_step) {
    release_sysv_ipc(options.sysvipc_dir);
    for (const auto& dir : options.scratch_dirs) empty_directory(dir);
  }

  struct rusage children_after;
  ::getrusage(RUSAGE_CHILDREN, &children_after);
  result.wall_ms = ms_between(start, end);
  const std::int64_t cpu_children =
      timeval_ms(children_after.ru_utime) + timeval_ms(children_after.ru_stime) -
      timeval_ms(children_before.ru_utime) - timeval_ms(children_before.ru_stime);
  result.cpu_ms = std::max(timeval_ms(usage.ru_utime) + timeval_ms(usage.ru_stime), cpu_children);
  // ru_maxrss is a high-water mark that exec keeps: it is at least the runner's own (about 1.5 MB
  // for a small bundle). RUSAGE_CHILDREN's only tells about this step when it grew.
  result.max_rss_kb = usage.ru_maxrss;
  if (children_after.ru_maxrss > children_before.ru_maxrss) {
    result.max_rss_kb = std::max<std::int64_t>(result.max_rss_kb, children_after.ru_maxrss);
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
    result.term_signal = 0;
  } else if (WIFSIGNALED(status)) {
    result.exit_code = -1;
    result.term_signal = WTERMSIG(status);
  }
  result.stdout_truncated = out_exceeded;
  result.stderr_truncated = err_exceeded;

  // Why it ended: exactly one of the facts, in this order of precedence.
  // The shell (dash) does not exec the command, so a signal that killed the program usually
  // shows as the shell's exit status 128+N.
  auto killed_by = [&result](int sig) {
    return result.term_signal == sig || (result.term_signal == 0 && result.exit_code == 128 + sig);
  };
  const auto oom_after = read_oom_kill_counter(options.oom_counter_paths);
  const std::int64_t cpu_limit_ms = static_cast<std::int64_t>(plan.cpu_soft) * 1000;
  if (kill_reason == Kill::timeout) {
    result.timed_out = true;
  } else if (kill_reason == Kill::output || out_exceeded || err_exceeded) {
    result.output_exceeded = true;
  } else if (result.term_signal == SIGXCPU ||
             (killed_by(SIGXCPU) && result.cpu_ms >= cpu_limit_ms - 50)) {
    result.timed_out = true;  // RLIMIT_CPU soft limit
  } else if (oom_before && oom_after && *oom_after > *oom_before) {
    result.oom_killed = true;
  } else if (killed_by(SIGKILL) && result.cpu_ms >= cpu_limit_ms - 50) {
    result.timed_out = true;  // RLIMIT_CPU hard limit
  } else if (!(oom_before && oom_after) && killed_by(SIGKILL)) {
    result.oom_killed = true;  // no counter to ask; only the kernel sends an unasked SIGKILL here
  }
  return result;
}

wire::Report run_bundle(const wire::Bundle& bundle, const Options& options) {
  wire::Report report;
  try {
    write_files(bundle);
  } catch (const std::exception& e) {
    report.runner_error = "cannot write the submission's files: " + printable(e.what());
    return report;
  }
  try {
    if (bundle.build) {
      report.build = run_step(*bundle.build, bundle.workdir, options);
      const auto& b = *report.build;
      bool ok = b.started && b.term_signal == 0 && b.exit_code == 0 && !b.timed_out &&
                !b.output_exceeded && !b.oom_killed;
      if (!ok) return report;
    }
    for (const auto& test : bundle.tests) {
      report.tests.push_back(run_step(test, bundle.workdir, options));
    }
  } catch (const std::exception& e) {
    report.runner_error = "runner failed: " + printable(e.what());
  }
  return report;
}

wire::Report run_document(const std::string& bundle_json, const Options& options) {
  wire::Bundle bundle;
  try {
    bundle = wire::bundle_from_json(bundle_json);
  } catch (const std::exception& e) {
    wire::Report report;
    report.runner_error = "bad bundle: " + printable(e.what());
    return report;
  }
  return run_bundle(bundle, options);
}

std::string report_json(const wire::Report& report) {
  try {
    return wire::to_json(report) + "\n";
  } catch (const std::exception& e) {
    std::string message = printable(std::string("cannot encode the report: ") + e.what());
    std::string escaped;
    for (char c : message) {
      if (c == '"' || c == '\\') escaped += '\\';
      escaped += c;
    }
    return std::string("{\"schema\":\"") + wire::kReportSchema +
           "\",\"build\":null,\"tests\":[],\"runner_error\":\"" + escaped + "\"}\n";
  }
}

std::string read_all_fd(int fd) {
  std::string data;
  char chunk[kChunk];
  while (true) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      data.append(chunk, static_cast<std::size_t>(n));
    } else if (n == 0) {
      return data;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      struct pollfd p{fd, POLLIN, 0};
      ::poll(&p, 1, -1);
    } else {
      throw std::runtime_error(errno_text("read", errno));
    }
  }
}

bool write_all_fd(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      struct pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, -1);
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace gradeq::runner
