#include "baseline.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "gradeq/docker_sandbox.hpp"
#include "gradeq/grader.hpp"
#include "gradeq/grading.hpp"
#include "gradeq/spec.hpp"
#include "support.hpp"

extern char** environ;

namespace gradeq::bench {

using Clock = std::chrono::steady_clock;

namespace {

// The student's file is written into the work dir first, as the runner does; outputs go to
// files in the tmpfs, as the runner captures them. `exit 0`: a crashing solution is not a failed
// docker run.
const char* const kFloorScript =
    "cd /sandbox && printf '%s' \"$1\" > stats.py && shift &&"
    " for input in \"$@\"; do printf '%s' \"$input\" | python3 stats.py > out 2> err; done; exit 0";
const char* const kNaiveScript =
    "cd /sandbox && printf '%s' \"$1\" > stats.py && printf '%s' \"$2\" | python3 stats.py > out 2> err;"
    " exit 0";

// Runs argv (argv[0] looked up on PATH) with stdin from /dev/null and output discarded; the exit
// status, -1 if it could not start.
int run_quietly(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

namespace {

pg::Work work_of(const Spec& spec, int student) {
  pg::Work work;
  work.submission_id = "00000000-0000-0000-0000-" + std::string(12 - std::to_string(student).size(), '0') +
                       std::to_string(student);
  work.student = student_name(student);
  work.spec = spec;
  work.files = {{"stats.py", variant_of(student).code, false}};
  return work;
}

grader::Settings grader_settings() {
  grader::Settings settings;
  settings.grader_id = "bench:" + std::to_string(::getpid());
  return settings;
}

}  // namespace

Baseline::Baseline(const std::string& spec_path) : spec_path_(spec_path) {
  DockerSandbox sandbox;
  grader::JobHandler handler(grader_settings(), sandbox);
  auto args = DockerSandbox::run_arguments(handler.make_request(work_of(load_spec_file(spec_path), 0)));
  // Without -i (nothing on stdin) and --name (docker names it); the runner is replaced by the
  // shell script.
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-i") {
      args.erase(args.begin() + static_cast<long>(i));
      --i;
    } else if (args[i] == "--name") {
      args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
      --i;
    }
  }
  if (args.empty() || args.back() != DockerSandbox::kRunnerPath) {
    throw std::logic_error("unexpected docker arguments: the runner is not the last one");
  }
  args.pop_back();
  prefix_ = {"docker"};
  prefix_.insert(prefix_.end(), args.begin(), args.end());
}

std::vector<std::string> Baseline::command(const std::string& script, const std::vector<std::string>& args) const {
  std::vector<std::string> argv = prefix_;
  argv.insert(argv.end(), {"/bin/sh", "-c", script, "sh"});
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

namespace {

// Runs job(0) .. job(count - 1), `concurrency` at a time, timing each; a job returns what went
// wrong, or "" when it went right.
BaselineRun run_all(int count, int concurrency, const std::function<std::string(int)>& job) {
  BaselineRun run;
  run.containers = count;
  run.container_s.resize(static_cast<std::size_t>(count));
  std::atomic<int> next{0};
  std::mutex mu;
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&] {
      for (int i; (i = next++) < count;) {
        const auto s = Clock::now();
        const std::string problem = job(i);
        run.container_s[static_cast<std::size_t>(i)] = std::chrono::duration<double>(Clock::now() - s).count();
        if (!problem.empty()) {
          std::lock_guard<std::mutex> lock(mu);
          if (run.failures++ == 0) run.first_failure = problem;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  run.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  return run;
}

// Runs docker commands, `concurrency` at a time; a failure is a non-zero exit.
BaselineRun run_all(const std::vector<std::vector<std::string>>& commands, int concurrency) {
  return run_all(static_cast<int>(commands.size()), concurrency, [&](int i) {
    const int rc = run_quietly(commands[static_cast<std::size_t>(i)]);
    return rc == 0 ? std::string() : "docker run exited " + std::to_string(rc);
  });
}

}  // namespace

BaselineRun Baseline::floor(int n, int concurrency) const {
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < n; ++i) {
    std::vector<std::string> args{variant_of(i).code};
    for (const auto& t : tests()) args.push_back(t.stdin_text);
    commands.push_back(command(kFloorScript, args));
  }
  auto run = run_all(commands, concurrency);
  run.submissions = n;
  run.subs_per_s = n / run.wall_s;
  return run;
}

BaselineRun Baseline::sandbox(int n, int concurrency) const {
  const Spec spec = load_spec_file(spec_path_);
  DockerSandbox sandbox;
  grader::JobHandler handler(grader_settings(), sandbox);
  auto run = run_all(n, concurrency, [&](int i) {
    try {
      const GradeResult result = grade(spec, sandbox.run(handler.make_request(work_of(spec, i))).report);
      const Grade got{result.score, result.failed_tests};
      if (got == variant_of(i).expected) return std::string();
      return student_name(i) + ": want " + describe(variant_of(i).expected) + ", got " + describe(got);
    } catch (const std::exception& e) {
      return student_name(i) + ": " + e.what();
    }
  });
  run.submissions = n;
  run.subs_per_s = n / run.wall_s;
  return run;
}

BaselineRun Baseline::naive(int n) const {
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < n; ++i) {
    for (const auto& t : tests()) commands.push_back(command(kNaiveScript, {variant_of(i).code, t.stdin_text}));
  }
  auto run = run_all(commands, 1);
  run.submissions = n;
  run.subs_per_s = n / run.wall_s;
  return run;
}

}  // namespace gradeq::bench
