#include "process.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace gradeq::testing {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

void close_inherited_descriptors() {
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
#endif
  for (int fd = 3; fd < 4096; ++fd) ::close(fd);
}

}  // namespace

pid_t spawn(const std::vector<std::string>& argv, const std::string& log, bool die_with_parent) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (die_with_parent) ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || out < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    close_inherited_descriptors();
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

std::optional<int> wait_pid(pid_t pid, std::chrono::milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return -1;
    if (Clock::now() >= until) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string describe_status(int status) {
  if (status == -1) return "(not our child)";
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

std::string tail(const fs::path& file, std::size_t lines) {
  std::ifstream in(file);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string text;
  for (const auto& l : last) text += "    " + l + "\n";
  return text;
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string capture(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return "(popen failed)";
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int rc = ::pclose(p);
  if (rc != 0) out += "\n(" + command + ": status " + std::to_string(rc) + ")";
  return out;
}

CommandOutcome run_command(const std::string& command, const fs::path& dir) {
  const std::string redirected = command + " >'" + (dir / "out").string() + "' 2>'" + (dir / "err").string() +
                                 "' </dev/null";
  CommandOutcome r;
  const int raw = std::system(redirected.c_str());
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = slurp(dir / "out");
  r.err = slurp(dir / "err");
  return r;
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

double metric_sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

std::string hostname() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

std::optional<ProcessUsage> process_usage(pid_t pid) {
  const fs::path dir = fs::path("/proc") / std::to_string(pid);
  const std::string stat = slurp(dir / "stat");
  // The command name (field 2) is in parentheses and may hold spaces: fields count from after it.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::vector<std::string> f;
  for (std::string x; fields >> x;) f.push_back(x);
  // f[0] is field 3 (state); utime..cstime are fields 14..17.
  if (f.size() < 15) return std::nullopt;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  ProcessUsage u;
  u.cpu_s = (std::stod(f[11]) + std::stod(f[12])) / tick;
  u.cpu_children_s = (std::stod(f[13]) + std::stod(f[14])) / tick;
  std::istringstream status(slurp(dir / "status"));
  for (std::string line; std::getline(status, line);) {
    auto kb = [&](const char* key) {
      return std::stod(line.substr(std::string(key).size())) / 1024.0;
    };
    if (line.rfind("VmHWM:", 0) == 0) u.peak_rss_mb = kb("VmHWM:");
    if (line.rfind("VmRSS:", 0) == 0) u.rss_mb = kb("VmRSS:");
  }
  return u;
}

std::vector<pid_t> pids_named(const std::vector<std::string>& names) {
  std::vector<pid_t> pids;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::string comm = slurp(entry.path() / "comm");
    if (!comm.empty() && comm.back() == '\n') comm.pop_back();
    if (std::find(names.begin(), names.end(), comm) != names.end()) pids.push_back(std::stoi(name));
  }
  return pids;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, fs::path log)
    : log_(std::move(log)), started_(Clock::now()), started_wall_(std::chrono::system_clock::now()) {
  pid_ = spawn(argv, log_.string(), true);
  id_ = hostname() + ":" + std::to_string(pid_);
}

ChildProcess::~ChildProcess() {
  if (!running_) return;
  ::kill(pid_, SIGTERM);
  if (!wait_pid(pid_, std::chrono::seconds(60))) {
    ::kill(pid_, SIGKILL);
    wait_pid(pid_, std::chrono::seconds(10));
  }
}

void ChildProcess::kill9() {
  ::kill(pid_, SIGKILL);
  wait_pid(pid_, std::chrono::seconds(10));
  running_ = false;
}

std::optional<int> ChildProcess::terminate(std::chrono::milliseconds bound) {
  ::kill(pid_, SIGTERM);
  auto status = wait_pid(pid_, bound);
  if (!status) {
    ::kill(pid_, SIGKILL);
    wait_pid(pid_, std::chrono::seconds(10));
  }
  running_ = false;
  return status;
}

bool ChildProcess::alive() {
  if (!running_) return false;
  if (wait_pid(pid_, std::chrono::milliseconds(0))) running_ = false;
  return running_;
}

}  // namespace gradeq::testing
