// The in-container runner's logic (gradeq_runner_lib), exercised on the host in a temp dir.
// Outside a container the runner is not PID 1, so it never kills "everything": only the step's
// own process group.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "gradeq/runner.hpp"
#include "gradeq/wire.hpp"

namespace {

namespace fs = std::filesystem;
using gradeq::runner::Options;
using gradeq::wire::Bundle;
using gradeq::wire::Step;
using gradeq::wire::StepResult;
using ::testing::HasSubstr;

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gradeq-runner-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // A counter file that the tests control, so that host OOM kills cannot interfere.
    counter_ = dir_ + "/oom_control";
    write_file(counter_, "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
    options_.oom_counter_paths = {counter_};
    options_.drain_grace_ms = 500;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  static void write_file(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }
  // Whether `pid` is gone or a zombie, waiting a little for a SIGKILLed process to finish dying.
  static bool dead(pid_t pid) {
    for (int i = 0; i < 200; ++i) {
      std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
      if (stat.empty()) return true;
      auto close_paren = stat.rfind(')');
      if (close_paren != std::string::npos && stat.substr(close_paren + 2, 1) == "Z") return true;
      ::usleep(10000);
    }
    return false;
  }
  static std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  Step step(const std::string& command, double time_s = 5, int output_kb = 64) const {
    Step s;
    s.name = "t";
    s.command = command;
    s.time_s = time_s;
    s.output_kb = output_kb;
    return s;
  }
  StepResult run(const Step& s) const { return gradeq::runner::run_step(s, dir_, options_); }

  std::string dir_;
  std::string counter_;
  Options options_;
};

TEST(RunnerPaths, RefusesAbsoluteAndDotDot) {
  using gradeq::runner::check_relative_path;
  EXPECT_NO_THROW(check_relative_path("main.py"));
  EXPECT_NO_THROW(check_relative_path("src/a/b.c"));
  EXPECT_NO_THROW(check_relative_path("./x..y/..z"));
  EXPECT_THROW(check_relative_path(""), std::invalid_argument);
  EXPECT_THROW(check_relative_path("/etc/passwd"), std::invalid_argument);
  EXPECT_THROW(check_relative_path(".."), std::invalid_argument);
  EXPECT_THROW(check_relative_path("../x"), std::invalid_argument);
  EXPECT_THROW(check_relative_path("a/../../x"), std::invalid_argument);
  EXPECT_THROW(check_relative_path("a/.."), std::invalid_argument);
  EXPECT_THROW(check_relative_path("dir/"), std::invalid_argument);
  EXPECT_THROW(check_relative_path("."), std::invalid_argument);
  EXPECT_THROW(check_relative_path(std::string("a\0b", 3)), std::invalid_argument);
}

TEST(RunnerOom, ParsesCgroupV1AndV2Counters) {
  using gradeq::runner::parse_oom_kill;
  EXPECT_EQ(parse_oom_kill("oom_kill_disable 0\nunder_oom 0\noom_kill 7\n"), 7);
  EXPECT_EQ(parse_oom_kill("low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\noom_group_kill 0\n"), 2);
  EXPECT_EQ(parse_oom_kill("oom_kill_disable 0\nunder_oom 0\n"), std::nullopt);
  EXPECT_EQ(parse_oom_kill(""), std::nullopt);
  EXPECT_EQ(gradeq::runner::read_oom_kill_counter({"/nonexistent/a", "/nonexistent/b"}),
            std::nullopt);
}

TEST_F(RunnerTest, WritesFilesAndRunsWithStdinAndArgs) {
  Bundle b;
  b.workdir = dir_ + "/work";
  b.files.push_back({"sub/dir/echo.sh", "cat; printf '[%s]' \"$@\"\n", false});
  b.files.push_back({"tool", "#!/bin/sh\necho tool\n", true});
  Step s = step("./tool && sh sub/dir/echo.sh");  // the args are appended: ... echo.sh "$@"
  s.args = {"a b", "c"};
  s.stdin_data = std::string("in\0put\n", 7);
  b.tests.push_back(s);
  auto report = gradeq::runner::run_bundle(b, options_);
  ASSERT_EQ(report.runner_error, "");
  ASSERT_EQ(report.tests.size(), 1u);
  const auto& r = report.tests[0];
  EXPECT_TRUE(r.started) << r.error;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_data, std::string("tool\nin\0put\n[a b][c]", 20));
  struct stat st;
  ASSERT_EQ(::stat((b.workdir + "/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  ASSERT_EQ(::stat((b.workdir + "/sub/dir/echo.sh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(RunnerTest, RefusedPathIsARunnerErrorAndNothingRuns) {
  Bundle b;
  b.workdir = dir_;
  b.files.push_back({"../escape.txt", "x", false});
  b.tests.push_back(step("touch ran"));
  auto report = gradeq::runner::run_bundle(b, options_);
  EXPECT_THAT(report.runner_error, HasSubstr(".."));
  EXPECT_TRUE(report.tests.empty());
  EXPECT_FALSE(fs::exists(dir_ + "/ran"));
  EXPECT_FALSE(fs::exists(fs::path(dir_).parent_path() / "escape.txt"));

  b.files = {{"/abs.txt", "x", false}};
  report = gradeq::runner::run_bundle(b, options_);
  EXPECT_THAT(report.runner_error, HasSubstr("absolute"));
}

TEST_F(RunnerTest, ExitCodeStderrAndRawBytes) {
  auto r = run(step("printf 'a\\000b\\377'; echo oops >&2; exit 3"));
  EXPECT_TRUE(r.started);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_EQ(r.stdout_data, std::string("a\0b\xff", 4));
  EXPECT_EQ(r.stderr_data, "oops\n");
  EXPECT_FALSE(r.timed_out || r.output_exceeded || r.oom_killed);
}

TEST_F(RunnerTest, SignalIsReported) {
  auto r = run(step("kill -SEGV $$"));
  EXPECT_EQ(r.term_signal, SIGSEGV);
  EXPECT_FALSE(r.timed_out || r.output_exceeded || r.oom_killed);
}

TEST_F(RunnerTest, WallClockLimitKillsTheWholeGroup) {
  // A background child that outlives its shell must die with it.
  auto r = run(step("sleep 30 & echo $! > bg.pid; sleep 30", 0.5));
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_FALSE(r.output_exceeded || r.oom_killed);
  std::string pid_text = read_file(dir_ + "/bg.pid");
  ASSERT_FALSE(pid_text.empty());
  EXPECT_TRUE(dead(std::stoi(pid_text)));  // gone, or a zombie left to the host's init
}

TEST_F(RunnerTest, DetachedChildrenOfAFinishedStepAreKilled) {
  auto r = run(step("sleep 30 & echo $! > bg.pid; echo done"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_data, "done\n");
  EXPECT_FALSE(r.timed_out);
  EXPECT_TRUE(dead(std::stoi(read_file(dir_ + "/bg.pid"))));
}

TEST_F(RunnerTest, OutputCapIsExactAndExceedingItKills) {
  auto ok = run(step("head -c 4096 /dev/zero", 5, 4));
  EXPECT_FALSE(ok.output_exceeded);
  EXPECT_FALSE(ok.stdout_truncated);
  EXPECT_EQ(ok.stdout_data.size(), 4096u);

  auto over = run(step("head -c 4097 /dev/zero; sleep 30", 5, 4));
  EXPECT_TRUE(over.output_exceeded);
  EXPECT_TRUE(over.stdout_truncated);
  EXPECT_FALSE(over.timed_out);
  EXPECT_EQ(over.stdout_data.size(), 4096u);

  auto flood = run(step("yes 1>&2", 5, 16));
  EXPECT_TRUE(flood.output_exceeded);
  EXPECT_TRUE(flood.stderr_truncated);
  EXPECT_FALSE(flood.stdout_truncated);
  EXPECT_EQ(flood.stderr_data.size(), 16u * 1024u);
}

TEST_F(RunnerTest, LargeStdinReadOrIgnored) {
  Step s = step("wc -c");
  s.stdin_data.assign(3 * 1024 * 1024 + 7, 'x');
  auto r = run(s);
  EXPECT_EQ(r.stdout_data, "3145735\n");
  s.command = "exit 0";  // never reads: EPIPE, not a hang or a crash
  r = run(s);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.timed_out);
}

TEST_F(RunnerTest, StepSeesOnlyItsOwnThreeDescriptors) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);  // not close-on-exec: the runner must still not pass it on
  auto r = run(step("ls /proc/self/fd"));
  ::close(fds[0]);
  ::close(fds[1]);
  // ls itself holds one descriptor open on the directory it lists.
  EXPECT_THAT(r.stdout_data, ::testing::AnyOf("0\n1\n2\n3\n", "0\n1\n2\n"));
}

TEST_F(RunnerTest, BuildFailureSkipsTests) {
  Bundle b;
  b.workdir = dir_;
  b.build = step("echo broken >&2; exit 1");
  b.build->name = "build";
  b.tests.push_back(step("touch ran"));
  auto report = gradeq::runner::run_bundle(b, options_);
  ASSERT_TRUE(report.build.has_value());
  EXPECT_EQ(report.build->exit_code, 1);
  EXPECT_EQ(report.build->stderr_data, "broken\n");
  EXPECT_TRUE(report.tests.empty());
  EXPECT_FALSE(fs::exists(dir_ + "/ran"));

  b.build = step("echo ok > built");
  report = gradeq::runner::run_bundle(b, options_);
  ASSERT_EQ(report.tests.size(), 1u);
  EXPECT_TRUE(fs::exists(dir_ + "/ran"));
}

TEST_F(RunnerTest, ExecFailureIsNotStarted) {
  options_.shell = "/nonexistent/sh";
  auto r = run(step("true"));
  EXPECT_FALSE(r.started);
  EXPECT_THAT(r.error, HasSubstr("/nonexistent/sh"));
}

TEST_F(RunnerTest, OomCounterRiseMeansOomKilled) {
  // The step itself bumps the (fake) counter and dies of SIGKILL, as the kernel would do it.
  auto r = run(step("printf 'oom_kill 1\\n' > " + counter_ + "; kill -9 $$"));
  EXPECT_TRUE(r.oom_killed);
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_FALSE(r.timed_out || r.output_exceeded);
}

TEST_F(RunnerTest, UnaskedSigkillWithACounterThatDidNotMoveIsNotOom) {
  auto r = run(step("kill -9 $$"));
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_FALSE(r.oom_killed);
  EXPECT_FALSE(r.timed_out);
}

TEST_F(RunnerTest, UnaskedSigkillWithoutACounterIsOom) {
  options_.oom_counter_paths = {dir_ + "/missing"};
  auto r = run(step("kill -9 $$"));
  EXPECT_TRUE(r.oom_killed);
  EXPECT_FALSE(r.timed_out);
}

TEST_F(RunnerTest, CpuLimitSignalIsATimeout) {
  auto r = run(step("kill -XCPU $$"));
  EXPECT_EQ(r.term_signal, SIGXCPU);
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.oom_killed);
}

TEST_F(RunnerTest, BadBundleDocumentIsARunnerError) {
  auto report = gradeq::runner::run_document("{\"schema\":\"nope\"}", options_);
  EXPECT_THAT(report.runner_error, HasSubstr("bad bundle"));
  report = gradeq::runner::run_document(std::string("\xff\xfe garbage", 10), options_);
  EXPECT_THAT(report.runner_error, HasSubstr("bad bundle"));
  // The message quotes foreign bytes; the report must still be valid JSON.
  auto parsed = gradeq::wire::report_from_json(gradeq::runner::report_json(report));
  EXPECT_THAT(parsed.runner_error, HasSubstr("bad bundle"));
}

TEST_F(RunnerTest, StepProcessesRunBelowTheRunnersPriority) {
  // SCHED_IDLE and nice 19, which they cannot undo (RLIMIT_NICE 0, no CAP_SYS_NICE): however
  // many processes a step starts, the runner gets the CPU to see its deadlines (the sandbox's
  // proof: test-suites/hostile-c "spinners" and "forkbomb" end within bounds of 1 s).
  errno = 0;
  const int mine = ::getpriority(PRIO_PROCESS, 0);
  auto r = run(step("nice; chrt -p $$; grep 'Max nice' /proc/self/limits"));
  EXPECT_THAT(r.stdout_data, ::testing::StartsWith("19\n"));
  EXPECT_THAT(r.stdout_data, HasSubstr("scheduling policy: SCHED_IDLE"));
  EXPECT_THAT(r.stdout_data, ::testing::MatchesRegex("(.|\n)*Max nice priority +0 +0 *\n"))
      << "RLIMIT_NICE 0: no way back";
  EXPECT_EQ(::getpriority(PRIO_PROCESS, 0), mine) << "the runner itself keeps its priority";
}

TEST_F(RunnerTest, EmptyDirectoryRemovesEverythingInsideAndFollowsNoLink) {
  const std::string scratch = dir_ + "/scratch";
  const std::string outside = dir_ + "/outside";
  fs::create_directories(scratch + "/a/b/c");
  fs::create_directories(scratch + "/locked/inner");
  fs::create_directories(outside + "/keep");
  write_file(scratch + "/file", "x");
  write_file(scratch + "/.hidden", "x");
  write_file(scratch + "/a/b/c/deep", "x");
  write_file(scratch + "/locked/inner/f", "x");
  write_file(outside + "/keep/precious", "x");
  fs::create_symlink(outside + "/keep", scratch + "/link-to-dir");
  fs::create_symlink(outside + "/keep/precious", scratch + "/a/link-to-file");
  ASSERT_EQ(::chmod((scratch + "/locked/inner").c_str(), 0), 0);
  ASSERT_EQ(::chmod((scratch + "/locked").c_str(), 0500), 0);

  EXPECT_EQ(gradeq::runner::empty_directory(scratch), 11);
  EXPECT_TRUE(fs::is_empty(scratch));
  EXPECT_TRUE(fs::exists(outside + "/keep/precious")) << "a link was followed";
  EXPECT_EQ(gradeq::runner::empty_directory(scratch), 0);
  EXPECT_EQ(gradeq::runner::empty_directory(dir_ + "/missing"), 0);
}

// Runs `body` in a child process with an IPC namespace of its own (the host's System V objects
// must never be touched), returning its exit status: 0 for success, else what went wrong.
int in_private_ipc_namespace(const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (::unshare(CLONE_NEWIPC) != 0 && ::unshare(CLONE_NEWUSER | CLONE_NEWIPC) != 0) ::_exit(99);
    ::_exit(body());
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

// Lines of /proc/sysvipc/<kind> after its header: the objects of the caller's namespace.
int sysv_objects(const char* kind) {
  std::ifstream in(std::string("/proc/sysvipc/") + kind);
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return lines - 1;
}

TEST(RunnerIpc, ReleasesEverySystemVObjectOfItsNamespace) {
  int status = in_private_ipc_namespace([] {
    // What a student leaves: touched shared memory (one segment with mode 0), a message queue
    // holding a message, a semaphore set.
    for (int mode : {0600, 0}) {
      int id = ::shmget(IPC_PRIVATE, 1 << 20, IPC_CREAT | mode);
      if (id < 0) return 1;
      if (mode != 0) {
        void* p = ::shmat(id, nullptr, 0);
        if (p == reinterpret_cast<void*>(-1)) return 2;
        std::memset(p, 1, 1 << 20);
        ::shmdt(p);
      }
    }
    int q = ::msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    struct {
      long type;
      char text[8];
    } message{1, "hello"};
    if (q < 0 || ::msgsnd(q, &message, sizeof message.text, 0) != 0) return 3;
    if (::semget(IPC_PRIVATE, 3, IPC_CREAT | 0600) < 0) return 4;
    if (sysv_objects("shm") != 2 || sysv_objects("msg") != 1 || sysv_objects("sem") != 1) return 5;
    if (gradeq::runner::release_sysv_ipc("/proc/sysvipc") != 4) return 6;
    if (sysv_objects("shm") != 0 || sysv_objects("msg") != 0 || sysv_objects("sem") != 0) return 7;
    return gradeq::runner::release_sysv_ipc("/proc/sysvipc") == 0 ? 0 : 8;
  });
  EXPECT_EQ(status, 0) << "99: no private IPC namespace (needs root or user namespaces)";
}

TEST_F(RunnerTest, WhatAStepLeavesInSharedMemoryIsGoneAfterIt) {
  fs::create_directories(dir_ + "/shm");
  options_.release_ipc_after_step = true;
  options_.scratch_dirs = {dir_ + "/shm"};
  const Options options = options_;
  const std::string dir = dir_;
  int status = in_private_ipc_namespace([&] {
    Step s;
    s.name = "pin";
    s.command = "ipcmk -M 65536 >/dev/null && ipcmk -Q >/dev/null && touch shm/a && mkdir -p shm/d/e"
                " && chmod 0 shm/d/e && cat /proc/sysvipc/shm | wc -l";
    s.time_s = 5;
    auto r = gradeq::runner::run_step(s, dir, options);
    if (r.exit_code != 0 || r.stdout_data != "2\n") return 1;  // the header and the segment
    if (sysv_objects("shm") != 0 || sysv_objects("msg") != 0) return 2;
    return fs::is_empty(dir + "/shm") ? 0 : 3;
  });
  EXPECT_EQ(status, 0) << "99: no private IPC namespace (needs root or user namespaces)";
}

// ---------------------------------------------------------------------------------------------
// The report channel of a unit-test step (runner.hpp). On the host the tests run as root, whom
// file modes do not stop: that only the runner can read the FIFO is checked by its mode here and
// by a hostile submission under the sandbox's user in the docker and e2e tiers.

TEST(RunnerReportPath, MustBeAFolderOfItsOwnDirectlyInTheRoot) {
  using gradeq::runner::check_report_path;
  EXPECT_EQ(check_report_path("/tmp/junit/report.xml", "/tmp"), "/tmp/junit");
  for (const char* bad : {"/tmp/report.xml", "/tmp/a/b/report.xml", "/etc/junit/r.xml", "/tmp/../r.xml",
                          "/tmp/./r.xml", "/tmp/x/..", "/tmp//r.xml", "/tmp/x/", "tmp/x/r.xml", "/tmpx/y/r.xml"}) {
    EXPECT_THROW(check_report_path(bad, "/tmp"), std::invalid_argument) << bad;
  }
}

class RunnerReportTest : public RunnerTest {
 protected:
  void SetUp() override {
    RunnerTest::SetUp();
    options_.report_root = dir_;
    report_ = dir_ + "/junit/report.xml";
  }
  Step unit(const std::string& command) const {
    Step s = step(command);
    s.report = report_;
    s.report_kb = 4;
    return s;
  }
  std::string report_;
};

TEST_F(RunnerReportTest, TheReportComesThroughAFifoInAFreshFolder) {
  // Left over from an earlier step: a fake report and a file beside it.
  fs::create_directories(dir_ + "/junit");
  write_file(report_, "<testsuite><testcase name='fake'/></testsuite>");
  write_file(dir_ + "/junit/other", "x");
  auto r = run(unit("test -p junit/report.xml && ls -A junit && stat -c %a junit/report.xml; "
                    "printf '<testsuite/>' > junit/report.xml; exit 1"));
  EXPECT_TRUE(r.started);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.stdout_data, "report.xml\n200\n");  // only the FIFO, write-only
  EXPECT_EQ(r.report_data, "<testsuite/>");
  EXPECT_EQ(r.report_opens, 1);
  EXPECT_EQ(r.report_changes, "");
  EXPECT_EQ(r.report_error, "");
  EXPECT_FALSE(r.report_truncated);
  EXPECT_FALSE(fs::exists(dir_ + "/junit")) << "the folder is removed after the step";
}

TEST_F(RunnerReportTest, ACommandThatWritesNoReport) {
  auto r = run(unit("echo crashed >&2; exit 3"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.report_opens, 0);
  EXPECT_EQ(r.report_data, "");
  EXPECT_EQ(r.report_changes, "");
}

TEST_F(RunnerReportTest, EveryWriterCounts) {
  auto r = run(unit("echo one > junit/report.xml; echo two >> junit/report.xml"));
  EXPECT_EQ(r.report_data, "one\ntwo\n");
  EXPECT_EQ(r.report_opens, 2);
  // Two writers open at once. (In lockstep, within the runner's reaction time, inotify may merge
  // their events into one: the grader's one-declaration rule is what catches a second writer
  // then, see JunitGrade.AForgedReportIsNotBelieved.)
  r = run(unit("exec 3>junit/report.xml; sleep 0.2; exec 4>junit/report.xml; echo a >&3; echo b >&4"));
  EXPECT_EQ(r.report_opens, 2);
  // One writer that writes many times is one.
  r = run(unit("for i in 1 2 3 4 5; do echo $i; done > junit/report.xml"));
  EXPECT_EQ(r.report_opens, 1);
  EXPECT_EQ(r.report_data, "1\n2\n3\n4\n5\n");
  // Through a hard link elsewhere too.
  r = run(unit("ln junit/report.xml elsewhere.xml && echo real > junit/report.xml && echo fake > elsewhere.xml"));
  EXPECT_EQ(r.report_opens, 2);
  EXPECT_THAT(r.report_changes, HasSubstr("the attributes of report.xml changed"));
}

TEST_F(RunnerReportTest, ChangesToTheFolderAreSeen) {
  auto r = run(unit("mv junit/report.xml junit/away && echo '<fake/>' > junit/report.xml"));
  EXPECT_THAT(r.report_changes, HasSubstr("report.xml was renamed; away was created; report.xml was created"));
  EXPECT_EQ(r.report_opens, 0);  // the regular file that replaced it is not the FIFO
  EXPECT_EQ(r.report_data, "");

  // Renamed away, then back after the real report went elsewhere: the same FIFO, seen moving.
  r = run(unit("mv junit/report.xml junit/away && echo real > junit/report.xml && rm junit/report.xml && "
               "echo fake > junit/away && mv junit/away junit/report.xml"));
  EXPECT_EQ(r.report_data, "fake\n");
  EXPECT_THAT(r.report_changes, HasSubstr("report.xml was renamed"));

  r = run(unit("chmod 600 junit/report.xml"));
  EXPECT_EQ(r.report_changes, "the attributes of report.xml changed");
  r = run(unit("mv junit junit2 && mkdir junit && mkfifo junit/report.xml"));
  EXPECT_THAT(r.report_changes, HasSubstr("the folder was renamed"));
  EXPECT_THAT(r.report_changes, HasSubstr("the folder was replaced"));
  r = run(unit("touch junit/.hidden"));
  EXPECT_THAT(r.report_changes, HasSubstr(".hidden was created"));
  r = run(unit("rm junit/report.xml"));
  EXPECT_THAT(r.report_changes, HasSubstr("report.xml was removed"));
}

TEST_F(RunnerReportTest, BeyondTheCapTheReportIsReadAndDropped) {
  // 200 KiB through a 4 KiB cap: the writer is never blocked on a full FIFO.
  auto r = run(unit("head -c 204800 /dev/zero | tr '\\0' x > junit/report.xml; echo done"));
  EXPECT_EQ(r.stdout_data, "done\n");
  EXPECT_FALSE(r.timed_out);
  EXPECT_TRUE(r.report_truncated);
  EXPECT_EQ(r.report_data, std::string(4096, 'x'));
}

TEST_F(RunnerReportTest, AReportPathOutsideTheRootOrAFolderThatCannotBePreparedIsNotRun) {
  Step s = unit("touch ran");
  s.report = "/etc/junit/report.xml";
  auto r = run(s);
  EXPECT_FALSE(r.started);
  EXPECT_THAT(r.report_error, HasSubstr("cannot prepare the report folder: report path \"/etc/junit/report.xml\" is not inside"));
  EXPECT_FALSE(fs::exists(dir_ + "/ran"));
  // Deeper than the runner follows when it empties a folder: left by "an earlier step".
  std::string deep = dir_ + "/junit";
  for (int i = 0; i < 70; ++i) deep += "/d";
  fs::create_directories(deep);
  r = run(unit("touch ran"));
  EXPECT_FALSE(r.started);
  EXPECT_THAT(r.report_error, HasSubstr("cannot prepare the report folder: rmdir"));
  EXPECT_FALSE(fs::exists(dir_ + "/ran"));
}

TEST(RunnerReport, EncodingFailureFallsBackToAValidReport) {
  gradeq::wire::Report report;
  report.runner_error = "bad \xff byte";  // not UTF-8: nlohmann refuses to dump it
  auto parsed = gradeq::wire::report_from_json(gradeq::runner::report_json(report));
  EXPECT_THAT(parsed.runner_error, HasSubstr("cannot encode the report"));
}

TEST(RunnerFd, WriteAndReadAllThroughAPipe) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string data(1 << 20, 'z');  // bigger than the pipe buffer: needs a reader meanwhile
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    bool ok = gradeq::runner::write_all_fd(fds[1], data);
    ::_exit(ok ? 0 : 1);
  }
  ::close(fds[1]);
  std::string got = gradeq::runner::read_all_fd(fds[0]);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_EQ(got, data);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
