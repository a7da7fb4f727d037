// gradeq-runner: one gradeq.bundle/v1 on stdin, one gradeq.report/v1 on stdout, exit 0.
// See gradeq/runner.hpp for what it does; this file only wires the process.
//
// It must be PID 1 of its container: only then do signals from student code bounce off it, and
// only then may it kill every other process after a step. Under an init process (docker run
// --init) a student's process can ptrace or stop PID 1, outlive its step, and write a report of
// its own to the container's stdout (measured: the forged report arrived first). So it refuses:
// anywhere else than PID 1 the report is a runner_error (a system fault, never a grade), unless
// started with --not-in-container (by hand, on a host, for debugging).
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <exception>
#include <string>

#include "gradeq/runner.hpp"

namespace {

// 0/1/2 must be open: the report goes to 1, and pipes for steps must never land on 0/1/2.
void ensure_standard_fds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0) {
      int null = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
      if (null >= 0 && null != fd) {
        ::dup2(null, fd);
        ::close(null);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  struct sigaction ignore;
  std::memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ::sigaction(SIGPIPE, &ignore, nullptr);  // a step closing its stdin early is EPIPE, not death

  // Not dumpable: processes of the same user (the student's) can neither ptrace the runner nor
  // open /proc/<runner>/fd or /proc/<runner>/mem, so they cannot reach its stdout or its memory.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ensure_standard_fds();

  gradeq::wire::Report report;
  try {
    std::string input = gradeq::runner::read_all_fd(0);
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) {
      ::dup2(null, 0);
      if (null != 0) ::close(null);
    }
    gradeq::runner::Options options;
    // PID 1 of the container's PID namespace: everything else in it belongs to the student.
    options.kill_everything_after_step = ::getpid() == 1;
    // Its own IPC namespace too (Docker's default): the System V objects and /dev/shm are the
    // student's alone, and are freed after every step.
    options.release_ipc_after_step = options.kill_everything_after_step;
    const bool on_host = argc == 2 && std::strcmp(argv[1], "--not-in-container") == 0;
    if (::getpid() != 1 && !on_host) {
      report.runner_error =
          "the runner is not PID 1 of its container (pid " + std::to_string(::getpid()) +
          "; docker run --init?): student code could outlive its steps and forge the report";
    } else {
      report = gradeq::runner::run_document(input, options);
    }
  } catch (const std::exception& e) {
    report = gradeq::wire::Report{};
    report.runner_error = std::string("runner failed: ") + e.what();
  } catch (...) {
    report = gradeq::wire::Report{};
    report.runner_error = "runner failed: unknown exception";
  }

  std::string text = gradeq::runner::report_json(report);
  if (!gradeq::runner::write_all_fd(1, text)) {
    const char message[] = "gradeq-runner: cannot write the report to stdout\n";
    ssize_t ignored = ::write(2, message, sizeof message - 1);
    (void)ignored;
    return 1;
  }
  return 0;
}
