#include "gradeq/docker_sandbox.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cerrno>
#include <cstdlib>
#include <iomanip>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/process/args.hpp>
#include <boost/process/async_pipe.hpp>
#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/io.hpp>
#include <boost/process/search_path.hpp>

namespace gradeq {

namespace {

namespace bp = boost::process;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxStderr = 256 * 1024;
constexpr std::size_t kChunk = 64 * 1024;

// Blocks SIGPIPE in this thread while it writes to docker's stdin (an early-exiting docker makes
// the write fail with EPIPE instead of killing the process), and consumes any SIGPIPE that became
// pending before unblocking it again.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, &set_, &old);
    was_blocked_ = sigismember(&old, SIGPIPE) == 1;
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;
  ~SigpipeBlock() {
    if (was_blocked_) return;
    struct timespec zero{0, 0};
    while (sigtimedwait(&set_, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_UNBLOCK, &set_, nullptr);
  }

 private:
  sigset_t set_;
  bool was_blocked_ = false;
};

// Runs in the forked child, after Boost.Process has put the pipes on 0/1/2 and before exec:
// every other descriptor of this (multi-threaded) process becomes close-on-exec, so that no pipe
// of a concurrent run leaks into this docker process (it would delay that run's EOF until this
// one exits). Boost's own exec-error pipe is close-on-exec already and keeps working.
// Async-signal-safe only.
struct ChildHygiene : bp::extend::handler {
  template <typename Executor>
  void on_exec_setup(Executor&) const {
    bool done = false;
#ifdef SYS_close_range
    constexpr unsigned kCloseRangeCloexec = 1U << 2;  // CLOSE_RANGE_CLOEXEC, Linux 5.11
    done = ::syscall(SYS_close_range, 3U, ~0U, kCloseRangeCloexec) == 0;
#endif
    if (!done) {
      long max = ::sysconf(_SC_OPEN_MAX);
      if (max < 0 || max > 65536) max = 65536;
      for (int fd = 3; fd < max; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(SIGPIPE, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
  }
};

void set_cloexec(int fd) {
  if (fd >= 0) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  bool timed_out = false;
  bool out_overflow = false;
  std::int64_t ms = 0;       // start to exit, or to the end of its output when exit is deferred
  pid_t deferred_pid = -1;   // with defer_exit: the command closed its output but may still run
};

struct Exit {
  int code = -1;        // exit code, 128 + signal when a signal ended it, -1 if not our child
  bool killed = false;  // the bound passed: we SIGKILLed it
};

// Waits for `pid` (a child) for at most `bound`, then SIGKILLs it and reaps it.
Exit wait_bounded(pid_t pid, std::chrono::milliseconds bound) {
  const auto until = Clock::now() + bound;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), false};
    if (r < 0 && errno != EINTR) return {};
    if (Clock::now() >= until) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return {128 + SIGKILL, true};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace

// docker clients still waiting for the engine to remove their container (see run()).
struct DockerSandbox::Removals {
  std::mutex mutex;
  std::condition_variable done;
  int pending = 0;
};

namespace {

// `docker run --rm` closes its output when the container exits, then waits until the engine has
// removed the container (~80 ms here: the engine's work, not ours to wait for). A report that
// is complete by then needs nothing more from the client: it is reaped off the caller's path.
void reap_in_background(pid_t pid, std::shared_ptr<DockerSandbox::Removals> removals) {
  {
    std::lock_guard<std::mutex> lock(removals->mutex);
    ++removals->pending;
  }
  std::thread([pid, removals] {
    wait_bounded(pid, std::chrono::seconds(120));
    std::lock_guard<std::mutex> lock(removals->mutex);
    if (--removals->pending == 0) removals->done.notify_all();
  }).detach();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && (s[start] == '\n' || s[start] == ' ')) ++start;
  return s.substr(start);
}

std::string shorten(const std::string& s, std::size_t max = 4000) {
  std::string t = trim(s);
  if (t.size() <= max) return t;
  return t.substr(0, max) + "...";
}

// Reads one pipe to EOF into `buffer`, keeping at most `cap` bytes; `overflow` says more came.
class PipeReader : public std::enable_shared_from_this<PipeReader> {
 public:
  PipeReader(bp::async_pipe& pipe, std::string& buffer, std::size_t cap, bool stop_on_overflow,
             bool& overflow, std::function<void()> on_done)
      : pipe_(pipe), buffer_(buffer), cap_(cap), stop_on_overflow_(stop_on_overflow),
        overflow_(overflow), on_done_(std::move(on_done)) {}

  void start() { read(); }

 private:
  void read() {
    auto self = shared_from_this();
    pipe_.async_read_some(asio::buffer(chunk_), [self](const boost::system::error_code& ec,
                                                       std::size_t n) { self->done(ec, n); });
  }
  void done(const boost::system::error_code& ec, std::size_t n) {
    if (n > 0) {
      std::size_t room = buffer_.size() < cap_ ? cap_ - buffer_.size() : 0;
      std::size_t take = std::min(room, n);
      buffer_.append(chunk_.data(), take);
      if (take < n) {
        overflow_ = true;
        if (stop_on_overflow_) {
          on_done_();
          return;
        }
      }
    }
    if (ec) {  // EOF, or the pipe was closed/cancelled
      on_done_();
      return;
    }
    read();
  }

  bp::async_pipe& pipe_;
  std::string& buffer_;
  std::size_t cap_;
  bool stop_on_overflow_;
  bool& overflow_;
  std::function<void()> on_done_;
  std::array<char, kChunk> chunk_{};
};

// Runs `binary args...` with `input` on its stdin (then EOF), collecting stdout (at most
// `max_out` bytes; more sets out_overflow and stops) and stderr, for at most `timeout`. On
// timeout or overflow the process is killed (SIGKILL) and reaped. Throws SandboxError when it
// cannot be started.
//
// With `defer_exit`, a command that closed both output streams is not waited for: its pid is
// returned in deferred_pid and the caller must reap it (wait_bounded or reap_in_background).
CommandResult execute(const std::string& binary, const std::vector<std::string>& args,
                      const std::string& input, std::chrono::milliseconds timeout,
                      std::size_t max_out, bool defer_exit = false) {
  CommandResult result;
  SigpipeBlock sigpipe_block;
  asio::io_context ioc;
  bp::async_pipe in(ioc);
  bp::async_pipe out(ioc);
  bp::async_pipe err(ioc);
  for (auto* p : {&in, &out, &err}) {
    set_cloexec(p->native_source());
    set_cloexec(p->native_sink());
  }

  const auto start = Clock::now();
  bp::child child;
  try {
    // ChildHygiene last: it runs after the redirections are in place.
    child = bp::child(bp::exe = binary, bp::args = args, bp::std_in < in, bp::std_out > out,
                      bp::std_err > err, ChildHygiene{});
  } catch (const std::exception& e) {
    throw SandboxError("cannot start " + binary + ": " + e.what());
  }

  asio::steady_timer timer(ioc, timeout);
  int open_streams = 2;
  bool err_overflow = false;
  auto stream_done = [&]() {
    if (--open_streams == 0) {
      // docker closed its output: it is exiting, and will not read the rest of its input.
      timer.cancel();
      boost::system::error_code ignored;
      in.close(ignored);
    }
  };
  auto out_reader =
      std::make_shared<PipeReader>(out, result.out, max_out, true, result.out_overflow, [&]() {
        if (result.out_overflow) {
          ioc.stop();
          return;
        }
        stream_done();
      });
  auto err_reader =
      std::make_shared<PipeReader>(err, result.err, kMaxStderr, false, err_overflow, stream_done);
  out_reader->start();
  err_reader->start();

  if (input.empty()) {
    in.close();
  } else {
    asio::async_write(in, asio::buffer(input),
                      [&in](const boost::system::error_code&, std::size_t) {
                        boost::system::error_code ignored;
                        in.close(ignored);  // EOF for the container; EPIPE is fine
                      });
  }
  timer.async_wait([&](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;
    result.timed_out = true;
    ioc.stop();
  });

  try {
    ioc.run();
  } catch (const std::exception& e) {
    std::error_code ignored;
    child.terminate(ignored);
    throw SandboxError("docker I/O failed: " + std::string(e.what()));
  }

  std::error_code ec;
  if (result.timed_out || result.out_overflow) {
    child.terminate(ec);  // SIGKILL to the docker client; the caller deals with the container
    child.wait(ec);
  } else {
    // Both streams are at EOF: docker is exiting. Reaped here with a bound, or by the caller.
    const pid_t pid = child.id();
    child.detach();
    result.ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    if (defer_exit) {
      result.deferred_pid = pid;
      return result;
    }
    const Exit ended = wait_bounded(pid, std::chrono::seconds(10));
    result.exit_code = ended.code;
    result.timed_out = ended.killed;
    result.ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    return result;
  }
  result.exit_code = child.exit_code();
  result.ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  return result;
}

std::string random_name() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::ostringstream name;
  name << "gradeq-" << std::hex << rng();
  return name.str();
}

bool valid_container_name(const std::string& name) {
  if (name.empty() || name.size() > 200) return false;
  auto ok = [](char c, bool first) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return alnum || (!first && (c == '_' || c == '.' || c == '-'));
  };
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!ok(name[i], i == 0)) return false;
  }
  return true;
}

bool valid_workdir(const std::string& dir) {
  if (dir.size() < 2 || dir.front() != '/' || dir == "/tmp" || dir.back() == '/') return false;
  for (char c : dir) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return dir.find("/..") == std::string::npos && dir.find("//") == std::string::npos;
}

std::string format_cpus(double cpus) {
  std::ostringstream s;
  s.imbue(std::locale::classic());
  s << std::setprecision(6) << cpus;
  return s.str();
}

std::string docker_failure(const std::string& what, const CommandResult& r) {
  std::string message = what + " (docker exit " + std::to_string(r.exit_code) + ")";
  std::string err = shorten(r.err);
  if (!err.empty()) message += ": " + err;
  return message;
}

}  // namespace

DockerSandbox::DockerSandbox(std::string docker_binary)
    : docker_binary_(std::move(docker_binary)), removals_(std::make_shared<Removals>()) {}

DockerSandbox::~DockerSandbox() = default;

bool DockerSandbox::drain(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(removals_->mutex);
  return removals_->done.wait_for(lock, timeout, [&] { return removals_->pending == 0; });
}

std::string DockerSandbox::resolve_binary() const {
  if (docker_binary_.empty()) throw SandboxError("docker binary: empty path");
  if (docker_binary_.find('/') != std::string::npos) {
    if (::access(docker_binary_.c_str(), X_OK) != 0) {
      throw SandboxError("docker binary " + docker_binary_ + " is not executable or missing");
    }
    return docker_binary_;
  }
  auto path = bp::search_path(docker_binary_);
  if (path.empty()) throw SandboxError("docker binary \"" + docker_binary_ + "\" not found on PATH");
  return path.string();
}

std::vector<std::string> DockerSandbox::run_arguments(const SandboxRequest& request) {
  const auto& limits = request.limits;
  if (!valid_container_name(request.name)) {
    throw std::invalid_argument("sandbox: invalid container name \"" + request.name + "\"");
  }
  if (request.image.empty() || request.image.front() == '-' ||
      request.image.find_first_of(" \t\n") != std::string::npos) {
    throw std::invalid_argument("sandbox: invalid image \"" + request.image + "\"");
  }
  if (limits.memory_mb <= 0 || !(limits.cpus > 0) || limits.pids <= 0 || limits.tmpfs_mb <= 0) {
    throw std::invalid_argument("sandbox: limits must be positive");
  }
  if (limits.cpu_shares != 0 && (limits.cpu_shares < 2 || limits.cpu_shares > 262144)) {
    throw std::invalid_argument("sandbox: cpu_shares must be 0 (default) or 2..262144");
  }
  const std::string& workdir = request.bundle.workdir;
  if (!valid_workdir(workdir)) {
    throw std::invalid_argument("sandbox: invalid workdir \"" + workdir + "\"");
  }

  std::vector<std::string> args{"run", "-i", "--rm", "--name", request.name};
  for (const auto& [key, value] : request.labels) {
    if (key.empty() || key.find('=') != std::string::npos) {
      throw std::invalid_argument("sandbox: invalid label key \"" + key + "\"");
    }
    if (key == "gradeq.managed") continue;
    args.push_back("--label");
    args.push_back(key + "=" + value);
  }
  args.insert(args.end(), {"--label", "gradeq.managed=1"});
  if (!request.runtime.empty()) {
    if (request.runtime.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
            std::string::npos ||
        request.runtime.front() == '-') {
      throw std::invalid_argument("sandbox: invalid runtime name \"" + request.runtime + "\"");
    }
    args.insert(args.end(), {"--runtime", request.runtime});
  }
  if (!limits.network) args.insert(args.end(), {"--network", "none"});
  if (limits.cpu_shares) args.insert(args.end(), {"--cpu-shares", std::to_string(limits.cpu_shares)});
  const std::string memory = std::to_string(limits.memory_mb) + "m";
  const std::string tmpfs_opts =
      ":rw,exec,size=" + std::to_string(limits.tmpfs_mb) + "m,uid=65534,gid=65534";
  args.insert(args.end(), {"--memory", memory, "--memory-swap", memory,
                           "--cpus", format_cpus(limits.cpus),
                           "--pids-limit", std::to_string(limits.pids),
                           "--read-only",
                           "--tmpfs", workdir + tmpfs_opts,
                           "--tmpfs", "/tmp" + tmpfs_opts,
                           // /dev/shm is a tmpfs too: without this it is 64 MB, four times the
                           // work dir, and its pages count against the memory limit.
                           "--shm-size", std::to_string(limits.tmpfs_mb) + "m",
                           "-w", workdir,
                           "--cap-drop", "ALL",
                           "--security-opt", "no-new-privileges",
                           "--user", "65534:65534",
                           "--pull", "never",
                           // The report reaches us through the attached stdout; a log driver
                           // would only write a second copy of it to the engine's disk.
                           "--log-driver", "none",
                           request.image, kRunnerPath});
  return args;
}

SandboxOutcome DockerSandbox::run(const SandboxRequest& request) {
  SandboxRequest named;
  const SandboxRequest* req = &request;
  if (request.name.empty()) {
    named = request;
    named.name = random_name();
    req = &named;
  }
  const auto args = run_arguments(*req);
  const std::string binary = resolve_binary();

  std::string bundle_json;
  try {
    bundle_json = wire::to_json(req->bundle);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("sandbox: bundle cannot be encoded: ") + e.what());
  }

  auto deadline = std::max(req->deadline, std::chrono::milliseconds(1));
  CommandResult r = execute(binary, args, bundle_json, deadline, max_report_bytes_, true);

  if (r.timed_out || r.out_overflow) {
    remove_container(binary, req->name);
    if (r.out_overflow) {
      throw SandboxError("container " + req->name + ": the runner wrote more than " +
                         std::to_string(max_report_bytes_) + " bytes; container killed");
    }
    throw SandboxError("container " + req->name + ": deadline of " +
                       std::to_string(deadline.count()) + " ms passed; container killed" +
                       (trim(r.err).empty() ? "" : " (docker: " + shorten(r.err, 1000) + ")"));
  }

  SandboxOutcome outcome;
  outcome.container_ms = r.ms;
  try {
    outcome.report = wire::report_from_json(r.out);
    if (r.deferred_pid > 0) reap_in_background(r.deferred_pid, removals_);
    return outcome;
  } catch (const std::exception& e) {
    // Not a report: how docker ended says why (the image is missing, the engine refused ...).
    if (r.deferred_pid > 0) r.exit_code = wait_bounded(r.deferred_pid, std::chrono::seconds(10)).code;
    if (r.exit_code != 0) {
      std::string what = "container " + req->name + " (" + req->image + ") failed";
      if (r.exit_code == 137) what += ", killed (out of memory, or docker kill)";
      throw SandboxError(docker_failure(what, r));
    }
    throw SandboxError("container " + req->name + ": the runner's output is not a valid report: " +
                       e.what() + (trim(r.err).empty() ? "" : "; stderr: " + shorten(r.err)));
  }
}

void DockerSandbox::remove_container(const std::string& binary, const std::string& name) const {
  // kill stops the runner at once; rm -f also removes a container that was created but never
  // started (the client was killed in between). Retry until docker no longer knows the name: a
  // create request still in flight may make it appear a moment later.
  const auto short_timeout = std::min(command_timeout_, std::chrono::milliseconds(15000));
  try {
    execute(binary, {"kill", name}, "", short_timeout, 1 << 20);
  } catch (const SandboxError&) {
  }
  const auto until = Clock::now() + std::chrono::seconds(20);
  int absent_in_a_row = 0;
  while (Clock::now() < until) {
    try {
      execute(binary, {"rm", "-f", name}, "", short_timeout, 1 << 20);
      auto r = execute(binary, {"container", "inspect", "--format", "{{.Id}}", name}, "",
                       short_timeout, 1 << 20);
      if (r.exit_code != 0 && r.err.find("No such") != std::string::npos) {
        if (++absent_in_a_row >= 2) return;
      } else {
        absent_in_a_row = 0;
      }
    } catch (const SandboxError&) {
      return;  // docker itself is gone; the start-up reaper will deal with leftovers
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::vector<std::string> DockerSandbox::label_values(const std::string& label_filter,
                                                     const std::string& key) {
  if (label_filter.empty() || key.empty()) throw std::invalid_argument("label_values: empty argument");
  if (key.find_first_of("\"{}") != std::string::npos) {
    throw std::invalid_argument("label_values: bad label key " + key);
  }
  const std::string binary = resolve_binary();
  auto list = execute(binary,
                      {"ps", "-a", "--filter", "label=" + label_filter, "--format",
                       "{{.Label \"" + key + "\"}}"},
                      "", command_timeout_, 16 << 20);
  if (list.timed_out || list.exit_code != 0) {
    throw SandboxError(docker_failure("docker ps for labels failed", list));
  }
  std::vector<std::string> values;
  std::istringstream lines(list.out);
  for (std::string line; std::getline(lines, line);) {
    line = trim(line);
    if (!line.empty() && std::find(values.begin(), values.end(), line) == values.end()) {
      values.push_back(line);
    }
  }
  return values;
}

int DockerSandbox::reap(const std::string& label_filter) {
  if (label_filter.empty()) throw std::invalid_argument("reap: empty label filter");
  const std::string binary = resolve_binary();
  auto list = execute(binary, {"ps", "-aq", "--no-trunc", "--filter", "label=" + label_filter}, "",
                      command_timeout_, 16 << 20);
  if (list.timed_out || list.exit_code != 0) {
    throw SandboxError(docker_failure("docker ps for reaping failed", list));
  }
  std::vector<std::string> ids;
  std::istringstream lines(list.out);
  for (std::string line; std::getline(lines, line);) {
    line = trim(line);
    if (!line.empty()) ids.push_back(line);
  }
  if (ids.empty()) return 0;
  std::vector<std::string> rm{"rm", "-f"};
  rm.insert(rm.end(), ids.begin(), ids.end());
  auto removed = execute(binary, rm, "", command_timeout_, 16 << 20);
  int count = 0;
  std::istringstream out(removed.out);
  for (std::string line; std::getline(out, line);) {
    if (!trim(line).empty()) ++count;
  }
  // "removal already in progress" / "No such container": gone or going; anything else is real.
  if (count == 0 && removed.exit_code != 0 &&
      removed.err.find("already in progress") == std::string::npos &&
      removed.err.find("No such container") == std::string::npos) {
    throw SandboxError(docker_failure("docker rm for reaping failed", removed));
  }
  return count;
}

bool DockerSandbox::available() {
  try {
    const std::string binary = resolve_binary();
    auto r = execute(binary, {"version", "--format", "{{.Server.Version}}"}, "",
                     std::min(command_timeout_, std::chrono::milliseconds(10000)),
                     1 << 16);
    return !r.timed_out && r.exit_code == 0;
  } catch (const std::exception&) {
    return false;
  }
}

bool DockerSandbox::image_exists(const std::string& image) {
  if (image.empty() || image.front() == '-') return false;
  const std::string binary = resolve_binary();
  auto r = execute(binary, {"image", "inspect", "--format", "{{.Id}}", image}, "", command_timeout_,
                   1 << 20);
  if (r.timed_out) throw SandboxError(docker_failure("docker image inspect timed out", r));
  if (r.exit_code == 0) return true;
  if (r.err.find("No such image") != std::string::npos) return false;
  throw SandboxError(docker_failure("docker image inspect " + image + " failed", r));
}

int reap_orphaned_containers(DockerSandbox& sandbox, const std::string& me) {
  const std::string host = me.substr(0, me.rfind(':'));
  int removed = 0;
  for (const auto& id : sandbox.label_values("gradeq.managed=1", "gradeq.grader")) {
    auto colon = id.rfind(':');
    if (colon == std::string::npos || id.substr(0, colon) != host) continue;
    long pid = std::strtol(id.c_str() + colon + 1, nullptr, 10);
    bool alive = id != me && pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
    if (!alive) removed += sandbox.reap("gradeq.grader=" + id);
  }
  return removed;
}

}  // namespace gradeq
