// DockerSandbox against the real engine and the real runner images (images/build.sh).
// A missing engine or image is a failure, never a skip. Images: GRADEQ_IMAGE_PREFIX (default
// "gradeq-runner-") + language + ":latest".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gradeq/docker_sandbox.hpp"
#include "gradeq/sandbox.hpp"
#include "gradeq/wire.hpp"
#include "support.hpp"

namespace {

using gradeq::DockerSandbox;
using gradeq::SandboxError;
using gradeq::SandboxRequest;
using gradeq::wire::Step;
using gradeq::wire::StepResult;
using ::testing::HasSubstr;

std::string image(const std::string& language) {
  return gradeq::testing::env_or("GRADEQ_IMAGE_PREFIX", "gradeq-runner-") + language + ":latest";
}

// Output of a shell command on the host (docker ps / inspect, to check from outside).
std::string host(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) return "";
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe.get())) > 0) out.append(buf, n);
  return out;
}

std::string containers_named(const std::string& name) {
  return host("docker ps -aq --filter name=^/" + name + "$");
}

Step step(const std::string& name, const std::string& command, double time_s = 5,
          int output_kb = 64) {
  Step s;
  s.name = name;
  s.command = command;
  s.time_s = time_s;
  s.output_kb = output_kb;
  return s;
}

class DockerSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_ = gradeq::testing::unique_token();
    // The engine and the images are prerequisites of this tier: say so plainly.
    for (const char* lang : {"python", "c"}) {
      ASSERT_TRUE(sandbox_.image_exists(image(lang)))
          << image(lang) << " is missing: run images/build.sh build/runner/gradeq-runner";
    }
  }
  void TearDown() override { sandbox_.reap("gradeq.test=" + token_); }

  SandboxRequest request(const std::string& language, const std::string& suffix = "") {
    SandboxRequest r;
    r.image = image(language);
    r.name = "gradeq-test-" + token_ + suffix;
    r.labels = {{"gradeq.test", token_}, {"gradeq.submission", "s-" + token_}};
    r.deadline = std::chrono::seconds(120);
    return r;
  }

  DockerSandbox sandbox_;
  std::string token_;
};

TEST_F(DockerSandboxTest, PythonHelloWorldWithStdin) {
  auto r = request("python");
  r.bundle.files.push_back({"hello.py", "import sys\nname = sys.stdin.read().strip()\n"
                                        "print(f'hello, {name}', sys.argv[1:])\n", false});
  Step s = step("hello", "python3 hello.py");
  s.args = {"x y", "z"};
  s.stdin_data = "world\n";
  r.bundle.tests.push_back(s);
  auto outcome = sandbox_.run(r);
  EXPECT_EQ(outcome.report.runner_error, "");
  EXPECT_FALSE(outcome.report.build.has_value());
  ASSERT_EQ(outcome.report.tests.size(), 1u);
  const auto& t = outcome.report.tests[0];
  EXPECT_EQ(t.name, "hello");
  EXPECT_TRUE(t.started) << t.error;
  EXPECT_EQ(t.exit_code, 0) << t.stderr_data;
  EXPECT_EQ(t.stdout_data, "hello, world ['x y', 'z']\n");
  EXPECT_GT(outcome.container_ms, 0);
  EXPECT_EQ(containers_named(r.name), "");  // --rm
}

TEST_F(DockerSandboxTest, ExitCodeStderrAndRawBytesCaptured) {
  auto r = request("python");
  r.bundle.tests.push_back(step(
      "fail", "python3 -c 'import sys; sys.stdout.buffer.write(b\"a\\x00b\\xff\"); "
              "sys.stderr.write(\"oops\\n\"); sys.exit(3)'"));
  auto outcome = sandbox_.run(r);
  ASSERT_EQ(outcome.report.tests.size(), 1u);
  const auto& t = outcome.report.tests[0];
  EXPECT_EQ(t.exit_code, 3);
  EXPECT_EQ(t.term_signal, 0);
  EXPECT_EQ(t.stderr_data, "oops\n");
  EXPECT_EQ(t.stdout_data, std::string("a\0b\xff", 4));
  EXPECT_FALSE(t.timed_out || t.output_exceeded || t.oom_killed);
}

TEST_F(DockerSandboxTest, SleepPastWallLimitTimesOutAndLaterTestsStillRun) {
  auto r = request("python");
  // The first test also leaves a detached child behind; it must not survive into the next test.
  r.bundle.tests.push_back(step("sleepy", "(sleep 300 &); setsid sleep 301 & sleep 30", 1));
  r.bundle.tests.push_back(step(
      "after", "python3 -c 'import os\n"
               "for p in os.listdir(\"/proc\"):\n"
               "  if p.isdigit():\n"
               "    try: print(open(\"/proc/\"+p+\"/cmdline\",\"rb\").read().replace(b\"\\0\",b\" \").decode())\n"
               "    except OSError: pass'"));
  auto outcome = sandbox_.run(r);
  ASSERT_EQ(outcome.report.tests.size(), 2u);
  const auto& sleepy = outcome.report.tests[0];
  EXPECT_TRUE(sleepy.timed_out);
  EXPECT_FALSE(sleepy.output_exceeded || sleepy.oom_killed);
  const auto& after = outcome.report.tests[1];
  EXPECT_TRUE(after.started);
  EXPECT_EQ(after.exit_code, 0) << after.stderr_data;
  EXPECT_FALSE(after.timed_out);
  EXPECT_THAT(after.stdout_data, HasSubstr("gradeq-runner"));  // the listing works
  EXPECT_THAT(after.stdout_data, ::testing::Not(HasSubstr("sleep")));
}

TEST_F(DockerSandboxTest, CpuSpinTimesOut) {
  auto r = request("python");
  r.bundle.tests.push_back(step("spin", "python3 -c 'while True: pass'", 1));
  auto outcome = sandbox_.run(r);
  ASSERT_EQ(outcome.report.tests.size(), 1u);
  const auto& t = outcome.report.tests[0];
  EXPECT_TRUE(t.timed_out);
  EXPECT_FALSE(t.output_exceeded || t.oom_killed);
  EXPECT_GT(t.cpu_ms, 0);
}

TEST_F(DockerSandboxTest, StdoutFloodIsCappedAndKilled) {
  auto r = request("python");
  r.bundle.tests.push_back(step("flood", "yes flood", 10, 16));
  r.bundle.tests.push_back(step("next", "echo next"));
  auto outcome = sandbox_.run(r);
  ASSERT_EQ(outcome.report.tests.size(), 2u);
  const auto& t = outcome.report.tests[0];
  EXPECT_TRUE(t.output_exceeded);
  EXPECT_TRUE(t.stdout_truncated);
  EXPECT_FALSE(t.timed_out || t.oom_killed);
  EXPECT_EQ(t.stdout_data.size(), 16u * 1024u);
  EXPECT_EQ(t.stdout_data.substr(0, 12), "flood\nflood\n");
  EXPECT_EQ(outcome.report.tests[1].stdout_data, "next\n");
}

TEST_F(DockerSandboxTest, MemoryHogIsOomKilledNotACrash) {
  auto r = request("python");
  r.bundle.tests.push_back(
      step("hog", "python3 -c 's = \"x\" * (300 * 1024 * 1024); print(len(s))'", 20));
  r.bundle.tests.push_back(step("next", "echo still here"));
  auto outcome = sandbox_.run(r);
  ASSERT_EQ(outcome.report.runner_error, "");
  ASSERT_EQ(outcome.report.tests.size(), 2u);
  const auto& t = outcome.report.tests[0];
  EXPECT_TRUE(t.oom_killed) << "exit " << t.exit_code << " signal " << t.term_signal << " "
                            << t.stderr_data;
  EXPECT_FALSE(t.timed_out);
  EXPECT_FALSE(t.output_exceeded);
  EXPECT_EQ(t.stdout_data, "");
  // The kernel's SIGKILL reaches python; the shell around it reports it as 128+9.
  EXPECT_TRUE(t.term_signal == SIGKILL || t.exit_code == 128 + SIGKILL)
      << "exit " << t.exit_code << " signal " << t.term_signal;
  // The runner survived the OOM and carried on.
  EXPECT_EQ(outcome.report.tests[1].stdout_data, "still here\n");
  EXPECT_FALSE(outcome.report.tests[1].oom_killed);
}

TEST_F(DockerSandboxTest, FailingCBuildRunsNoTests) {
  auto r = request("c");
  r.bundle.files.push_back({"main.c", "int main(void) { return 0 }\n", false});
  Step build = step("build", "gcc -O2 -Wall -o main main.c", 60, 256);
  r.bundle.build = build;
  r.bundle.tests.push_back(step("t1", "./main"));
  auto outcome = sandbox_.run(r);
  ASSERT_TRUE(outcome.report.build.has_value());
  EXPECT_NE(outcome.report.build->exit_code, 0);
  EXPECT_THAT(outcome.report.build->stderr_data, HasSubstr("error"));
  EXPECT_TRUE(outcome.report.tests.empty());
}

TEST_F(DockerSandboxTest, WorkingCBuildRunsTests) {
  auto r = request("c");
  r.bundle.files.push_back({"src/main.c",
                            "#include <stdio.h>\n#include <stdlib.h>\n"
                            "int main(int argc, char** argv) {\n"
                            "  int n = 0; if (scanf(\"%d\", &n) != 1) return 2;\n"
                            "  printf(\"%d %s\\n\", n * atoi(argv[1]), argv[2]);\n  return 0;\n}\n",
                            false});
  r.bundle.build = step("build", "gcc -O2 -Wall -o main src/main.c", 60, 256);
  Step t = step("mul", "./main");
  t.args = {"6", "ok"};
  t.stdin_data = "7\n";
  r.bundle.tests.push_back(t);
  auto outcome = sandbox_.run(r);
  ASSERT_TRUE(outcome.report.build.has_value());
  EXPECT_EQ(outcome.report.build->exit_code, 0) << outcome.report.build->stderr_data;
  ASSERT_EQ(outcome.report.tests.size(), 1u);
  EXPECT_EQ(outcome.report.tests[0].exit_code, 0);
  EXPECT_EQ(outcome.report.tests[0].stdout_data, "42 ok\n");
}

TEST_F(DockerSandboxTest, CppImageBuildsAndRuns) {
  ASSERT_TRUE(sandbox_.image_exists(image("cpp"))) << image("cpp") << " is missing";
  auto r = request("cpp");
  r.bundle.files.push_back(
      {"main.cpp", "#include <iostream>\n#include <vector>\nint main() { std::vector<int> v{1,2,3};"
                   " int s = 0; for (int x : v) s += x; std::cout << s << '\\n'; }\n", false});
  r.bundle.build = step("build", "g++ -O2 -o main main.cpp", 60, 256);
  r.bundle.tests.push_back(step("sum", "./main"));
  auto outcome = sandbox_.run(r);
  ASSERT_TRUE(outcome.report.build.has_value());
  EXPECT_EQ(outcome.report.build->exit_code, 0) << outcome.report.build->stderr_data;
  ASSERT_EQ(outcome.report.tests.size(), 1u);
  EXPECT_EQ(outcome.report.tests[0].stdout_data, "6\n");
}

TEST_F(DockerSandboxTest, NetworkIsUnreachable) {
  auto r = request("python");
  r.bundle.tests.push_back(step(
      "net", "python3 -c 'import socket; socket.create_connection((\"1.1.1.1\", 53), timeout=3)'"));
  auto outcome = sandbox_.run(r);
  ASSERT_EQ(outcome.report.tests.size(), 1u);
  const auto& t = outcome.report.tests[0];
  EXPECT_NE(t.exit_code, 0);
  EXPECT_THAT(t.stderr_data, HasSubstr("Network is unreachable"));
}

TEST_F(DockerSandboxTest, StudentCodeCannotReachTheRunner) {
  auto r = request("python");
  // Only its own three pipes, and no way into the runner's descriptors or memory.
  r.bundle.tests.push_back(step("fds", "python3 -c 'import os; print(sorted(os.listdir(\"/proc/self/fd\")))'"));
  r.bundle.tests.push_back(step("peek", "ls /proc/1/fd"));
  r.bundle.tests.push_back(step("whoami", "id -u; touch /etc/x"));
  auto outcome = sandbox_.run(r);
  ASSERT_EQ(outcome.report.tests.size(), 3u);
  EXPECT_EQ(outcome.report.tests[0].stdout_data, "['0', '1', '2', '3']\n");  // 3: the listing
  EXPECT_NE(outcome.report.tests[1].exit_code, 0);
  EXPECT_THAT(outcome.report.tests[1].stderr_data, HasSubstr("Permission denied"));
  EXPECT_EQ(outcome.report.tests[2].stdout_data, "65534\n");
  EXPECT_THAT(outcome.report.tests[2].stderr_data, HasSubstr("Read-only file system"));
}

TEST_F(DockerSandboxTest, ForkBombIsContainedAndTheNextTestRuns) {
  auto r = request("python");
  // Grows to the pids limit ("Cannot fork") and holds on until the wall-clock limit. The shell
  // execs its sleep rather than forking it: with every pid taken a fork could fail, the script
  // would end early and the step would not time out.
  r.bundle.tests.push_back(step("bomb", "b() { b | b & }; b; exec sleep 30", 2));
  r.bundle.tests.push_back(step("next", "cat /proc/self/oom_score_adj"));
  auto outcome = sandbox_.run(r);
  ASSERT_EQ(outcome.report.runner_error, "");
  ASSERT_EQ(outcome.report.tests.size(), 2u);
  EXPECT_TRUE(outcome.report.tests[0].timed_out);
  const auto& next = outcome.report.tests[1];
  EXPECT_TRUE(next.started) << next.error;
  EXPECT_EQ(next.exit_code, 0) << next.stderr_data;
  EXPECT_EQ(next.stdout_data, "1000\n");  // student processes are the OOM killer's first pick
}

TEST_F(DockerSandboxTest, ConcurrentRunsDoNotHoldEachOthersPipes) {
  // A long run and several short ones at once from one DockerSandbox. If a short run's docker
  // process inherited another run's pipe, that run would not see EOF until the long one ended,
  // and its deadline (shorter than the long run) would fire.
  auto slow = request("python", "-slow");
  slow.bundle.tests.push_back(step("slow", "sleep 12", 20));
  auto slow_run = std::async(std::launch::async, [&] { return sandbox_.run(slow); });
  std::vector<std::future<gradeq::SandboxOutcome>> fast;
  std::vector<SandboxRequest> requests;
  for (int i = 0; i < 4; ++i) {
    auto r = request("python", "-fast" + std::to_string(i));
    r.deadline = std::chrono::seconds(8);
    Step s = step("echo", "cat");
    s.stdin_data = "run " + std::to_string(i) + "\n";
    r.bundle.tests.push_back(s);
    requests.push_back(r);
  }
  for (const auto& r : requests) {
    fast.push_back(std::async(std::launch::async, [this, r] { return sandbox_.run(r); }));
  }
  for (int i = 0; i < 4; ++i) {
    auto outcome = fast[static_cast<std::size_t>(i)].get();
    ASSERT_EQ(outcome.report.tests.size(), 1u);
    EXPECT_EQ(outcome.report.tests[0].stdout_data, "run " + std::to_string(i) + "\n");
  }
  auto outcome = slow_run.get();
  ASSERT_EQ(outcome.report.tests.size(), 1u);
  EXPECT_EQ(outcome.report.tests[0].exit_code, 0);
}

TEST_F(DockerSandboxTest, LabelsAreOnTheContainerAndReapRemovesIt) {
  auto r = request("python");
  r.labels["gradeq.attempt"] = "3";
  r.bundle.tests.push_back(step("wait", "sleep 60", 90));
  auto running = std::async(std::launch::async, [&] { return sandbox_.run(r); });

  const std::string filter = "docker ps -q --filter label=gradeq.test=" + token_ +
                             " --filter label=gradeq.managed=1 --filter label=gradeq.attempt=3";
  std::string id;
  for (int i = 0; i < 300 && id.empty(); ++i) {  // up to 30 s for the container to start
    id = host(filter);
    if (id.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(id.empty()) << "no running container with the expected labels";
  EXPECT_EQ(host("docker inspect --format '{{index .Config.Labels \"gradeq.submission\"}}' " +
                 r.name),
            "s-" + token_ + "\n");
  EXPECT_EQ(host("docker inspect --format '{{.HostConfig.NetworkMode}} {{.HostConfig.Memory}} "
                 "{{.HostConfig.ReadonlyRootfs}} {{.Config.User}}' " + r.name),
            "none 134217728 true 65534:65534\n");

  EXPECT_EQ(sandbox_.reap("gradeq.test=" + token_), 1);
  // The run loses its container: no report, so a SandboxError.
  EXPECT_THROW(running.get(), SandboxError);
  EXPECT_EQ(host("docker ps -aq --filter label=gradeq.test=" + token_), "");
  EXPECT_EQ(sandbox_.reap("gradeq.test=" + token_), 0);
}

TEST_F(DockerSandboxTest, MissingImageIsASandboxErrorWithoutPulling) {
  auto r = request("python");
  r.image = "gradeq-no-such-image-" + token_ + ":latest";
  r.bundle.tests.push_back(step("t", "true"));
  EXPECT_FALSE(sandbox_.image_exists(r.image));
  try {
    sandbox_.run(r);
    FAIL() << "expected SandboxError";
  } catch (const SandboxError& e) {
    EXPECT_THAT(e.what(), HasSubstr("No such image"));
  }
  EXPECT_EQ(containers_named(r.name), "");
}

TEST_F(DockerSandboxTest, ImageWithoutTheRunnerIsASandboxError) {
  auto r = request("python");
  r.image = "debian:bookworm-slim";  // exists, but has no /usr/local/bin/gradeq-runner
  r.bundle.tests.push_back(step("t", "true"));
  try {
    sandbox_.run(r);
    FAIL() << "expected SandboxError";
  } catch (const SandboxError& e) {
    EXPECT_THAT(e.what(), HasSubstr("gradeq-runner"));  // docker's stderr names what is missing
  }
  EXPECT_EQ(containers_named(r.name), "");
}

TEST_F(DockerSandboxTest, OversizedReportIsASandboxError) {
  DockerSandbox small;
  small.set_max_report_bytes(4096);
  auto r = request("python");
  r.bundle.tests.push_back(step("big", "head -c 60000 /dev/zero", 5, 64));
  try {
    small.run(r);
    FAIL() << "expected SandboxError";
  } catch (const SandboxError& e) {
    EXPECT_THAT(e.what(), HasSubstr("more than 4096 bytes"));
  }
  EXPECT_EQ(containers_named(r.name), "");
}

TEST_F(DockerSandboxTest, DeadlineShorterThanTheWorkKillsAndLeavesNothing) {
  auto r = request("python");
  r.deadline = std::chrono::seconds(3);
  r.bundle.tests.push_back(step("long", "sleep 60", 90));
  try {
    sandbox_.run(r);
    FAIL() << "expected SandboxError";
  } catch (const SandboxError& e) {
    EXPECT_THAT(e.what(), HasSubstr("deadline"));
  }
  EXPECT_EQ(containers_named(r.name), "");
  EXPECT_EQ(host("docker ps -aq --filter label=gradeq.test=" + token_), "");
}

TEST_F(DockerSandboxTest, DeadlinesDuringStartUpLeaveNothingBehind) {
  // Kill the docker client while the container is being created or started.
  for (int ms : {1, 50, 150, 300, 500}) {
    auto r = request("python", "-d" + std::to_string(ms));
    r.deadline = std::chrono::milliseconds(ms);
    r.bundle.tests.push_back(step("long", "sleep 60", 90));
    EXPECT_THROW(sandbox_.run(r), SandboxError) << ms << " ms";
    EXPECT_EQ(containers_named(r.name), "") << ms << " ms";
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));  // a create still in flight shows up
  EXPECT_EQ(host("docker ps -aq --filter label=gradeq.test=" + token_), "");
}

TEST(DockerSandboxBinary, MissingDockerBinaryIsASandboxError) {
  DockerSandbox sandbox("/nonexistent/docker");
  SandboxRequest r;
  r.image = image("python");
  r.name = "gradeq-test-nobinary";
  EXPECT_THROW(sandbox.run(r), SandboxError);
  EXPECT_THROW(sandbox.image_exists(r.image), SandboxError);
  DockerSandbox not_on_path("gradeq-no-such-docker-binary");
  EXPECT_THROW(not_on_path.reap("gradeq.managed=1"), SandboxError);
}

TEST(DockerSandboxArgs, CommandLineMatchesTheArchitecture) {
  SandboxRequest r;
  r.image = "gradeq-runner-python:latest";
  r.name = "gradeq-abc-1";
  r.labels = {{"gradeq.submission", "abc"}, {"gradeq.attempt", "1"}, {"gradeq.grader", "h:42"}};
  const std::vector<std::string> expected{
      "run", "-i", "--rm", "--name", "gradeq-abc-1",
      "--label", "gradeq.attempt=1", "--label", "gradeq.grader=h:42",
      "--label", "gradeq.submission=abc", "--label", "gradeq.managed=1",
      "--network", "none", "--memory", "128m", "--memory-swap", "128m", "--cpus", "0.5",
      "--pids-limit", "128", "--read-only",
      "--tmpfs", "/sandbox:rw,exec,size=16m,uid=65534,gid=65534",
      "--tmpfs", "/tmp:rw,exec,size=16m,uid=65534,gid=65534",
      "--shm-size", "16m",
      "-w", "/sandbox", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
      "--user", "65534:65534", "--pull", "never", "--log-driver", "none",
      "gradeq-runner-python:latest", "/usr/local/bin/gradeq-runner"};
  EXPECT_EQ(DockerSandbox::run_arguments(r), expected);

  r.limits.network = true;
  auto args = DockerSandbox::run_arguments(r);
  EXPECT_EQ(std::find(args.begin(), args.end(), "--network"), args.end());

  r.name = "bad name";
  EXPECT_THROW(DockerSandbox::run_arguments(r), std::invalid_argument);
  r.name = "ok";
  r.image = "--privileged";
  EXPECT_THROW(DockerSandbox::run_arguments(r), std::invalid_argument);
}

TEST(DockerSandboxArgs, ARuntimeIsSelectedByNameAndOnlyByName) {
  SandboxRequest r;
  r.image = "gradeq-runner-python:latest";
  r.name = "gradeq-abc-1";
  r.runtime = "runsc";
  auto args = DockerSandbox::run_arguments(r);
  auto it = std::find(args.begin(), args.end(), "--runtime");
  ASSERT_NE(it, args.end());
  EXPECT_EQ(*(it + 1), "runsc");
  r.runtime = "--privileged";
  EXPECT_THROW(DockerSandbox::run_arguments(r), std::invalid_argument);
  r.runtime = "runc --privileged";
  EXPECT_THROW(DockerSandbox::run_arguments(r), std::invalid_argument);
}

TEST(DockerSandboxArgs, CpuSharesAreAWeightGivenOnlyWhenAsked) {
  SandboxRequest r;
  r.image = "gradeq-runner-python:latest";
  r.name = "gradeq-abc-1";
  auto args = DockerSandbox::run_arguments(r);
  EXPECT_EQ(std::find(args.begin(), args.end(), "--cpu-shares"), args.end());
  r.limits.cpu_shares = 256;
  args = DockerSandbox::run_arguments(r);
  auto it = std::find(args.begin(), args.end(), "--cpu-shares");
  ASSERT_NE(it, args.end());
  EXPECT_EQ(*(it + 1), "256");
  EXPECT_NE(std::find(args.begin(), args.end(), "0.5"), args.end()) << "the --cpus cap stays";
  for (int bad : {1, -5, 300000}) {
    r.limits.cpu_shares = bad;
    EXPECT_THROW(DockerSandbox::run_arguments(r), std::invalid_argument) << bad;
  }
}

// run() returns once the container has exited and its report is in; the engine removes the
// container meanwhile, and drain() waits for that. The engine gets the CPU weight asked for.
TEST_F(DockerSandboxTest, ContainersAreRemovedAfterRunReturnsAndDrainWaitsForIt) {
  std::vector<SandboxRequest> requests;
  for (int i = 0; i < 3; ++i) {
    auto r = request("python", "-drain" + std::to_string(i));
    r.limits.cpu_shares = 256;
    r.bundle.tests.push_back(step("cgroup", "cat /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null || cat /sys/fs/cgroup/cpu.weight"));
    requests.push_back(r);
  }
  for (const auto& r : requests) {
    auto outcome = sandbox_.run(r);
    ASSERT_EQ(outcome.report.tests.size(), 1u);
    // cgroup v1: cpu.shares as given; v2: the engine's conversion of 256 to cpu.weight (10).
    const std::string seen = outcome.report.tests[0].stdout_data;
    EXPECT_TRUE(seen == "256\n" || seen == "10\n") << seen;
  }
  EXPECT_TRUE(sandbox_.drain(std::chrono::seconds(30)));
  EXPECT_EQ(host("docker ps -aq --filter label=gradeq.test=" + token_), "");
}

TEST_F(DockerSandboxTest, OrphansOfDeadGradersOfThisHostAreReapedOthersAreLeft) {
  // Containers as graders leave them: one of a dead grader of this host, one of a live grader
  // of this host (pid 1 is always alive), one of another host, one of "me" (a previous
  // incarnation with the same host:pid).
  const std::string host = "reaptest-" + token_;
  const std::string me = host + ":4242";
  auto start = [&](const std::string& grader, const std::string& suffix) {
    std::string cmd = "docker run -d --name gradeq-reap-" + token_ + suffix +
                      " --label gradeq.managed=1 --label gradeq.test=" + token_ +
                      " --label gradeq.grader=" + grader +
                      " --network none debian:bookworm-slim sleep 300 >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  };
  start(host + ":999999999", "-dead");
  start(host + ":1", "-live");
  start("elsewhere-" + token_ + ":999999999", "-other");
  start(me, "-me");
  EXPECT_EQ(reap_orphaned_containers(sandbox_, me), 2);
  auto left = sandbox_.label_values("gradeq.test=" + token_, "gradeq.grader");
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"elsewhere-" + token_ + ":999999999", host + ":1"}));
}

TEST_F(DockerSandboxTest, ARuntimeTheEngineDoesNotKnowIsASandboxError) {
  auto r = request("python");
  r.runtime = "no-such-runtime";
  r.bundle.tests.push_back(step("t", "true"));
  try {
    sandbox_.run(r);
    FAIL() << "ran with an unknown runtime";
  } catch (const SandboxError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("runtime"));
  }
  r.runtime = "runc";  // the engine's default, named
  r.name += "-runc";
  auto outcome = sandbox_.run(r);
  ASSERT_EQ(outcome.report.tests.size(), 1u);
  EXPECT_EQ(outcome.report.tests[0].exit_code, 0);
}

}  // namespace
