// The pipeline under measurement: a database and queues of the benchmark's own on the running
// local stack, real gradeq-grader processes, submissions through the real gradeq-producer, and
// what every part used (CPU from /proc, peak RSS).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "process.hpp"
#include "support.hpp"
#include "workload.hpp"

namespace gradeq::bench {

// CPU seconds used so far by each part of the machine (see cpu_snapshot()).
struct CpuSnapshot {
  double machine = 0;     // all cores, busy time (/proc/stat: everything but idle and iowait)
  double graders = 0;     // gradeq-grader processes themselves
  double docker_cli = 0;  // their waited-for children: the docker CLI processes
  double dockerd = 0;
  double containerd = 0;  // containerd and its waited-for children
  double postgres = 0;    // the postmaster, its backends and its waited-for children
  double rabbitmq = 0;    // beam.smp and friends
  std::chrono::steady_clock::time_point at;
};
// Busy CPU seconds of the whole machine so far, all cores.
double machine_busy_s();

// The snapshot now, `workers` being the processes that drive the containers (the graders, or
// the benchmark itself for the baselines): their own CPU counts as graders, their children's as
// docker_cli.
CpuSnapshot cpu_snapshot(const std::vector<pid_t>& workers);

CpuSnapshot operator-(const CpuSnapshot& a, const CpuSnapshot& b);

struct GraderSetup {
  int graders = 1;      // processes
  int concurrency = 4;  // workers per process
  int prefetch = 0;     // 0: the grader's default
  std::vector<std::string> extra;  // more gradeq-grader arguments, as given
};

// One submission's timeline, from the database.
struct Timeline {
  std::string student;
  std::string lane;
  double e2e_s = 0;                 // submitted_at -> result stored (grading_runs.finished_at)
  double queue_s = 0;               // submitted_at -> picked up (claimed)
  double claim_to_container_s = 0;  // claimed -> docker run started
  double container_s = 0;           // docker run, start to exit
  double tests_s = 0;               // of which the tests ran (the runner's wall time per test, summed)
  double after_container_s = 0;     // container exit -> storing transaction began (grading)
};

class Stack {
 public:
  Stack(Workload& workload, std::filesystem::path log_dir);
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // Starts the graders and waits until every one consumes (throws if one does not in 60 s).
  void start_graders(const GraderSetup& setup);
  // SIGTERM to every grader, waited for.
  void stop_graders();

  // gradeq-producer submit-batch DIR (bulk lane): seconds the command took; throws if it failed.
  double submit_batch(const std::filesystem::path& dir, const std::string& lane = "bulk");
  // gradeq-producer submit (interactive lane) of one student's file.
  double submit_one(const std::string& student, const std::filesystem::path& file);

  // Waits until `n` submissions are graded or in error (throws after `timeout`).
  void wait_done(long n, std::chrono::seconds timeout);
  long done_count() const;
  // When the last result was stored (wall clock, seconds since the epoch).
  double last_result_epoch_s() const;

  std::map<std::string, Grade> grades() const;  // student -> grade, graded submissions
  long errors() const;
  std::vector<Timeline> timelines(const std::string& lane = "") const;
  std::optional<Timeline> timeline_of(const std::string& student) const;

  // Peak RSS of the grader processes (max over them), MiB.
  double grader_peak_rss_mb() const;
  CpuSnapshot cpu_snapshot() const;

  const testing::TempDatabase& db() const { return db_; }
  const std::string& prefix() const { return prefix_; }

 private:
  void run_producer(std::vector<std::string> args, const char* what);

  Workload& workload_;
  std::filesystem::path log_dir_;
  testing::TempDatabase db_;
  // One connection for polling: a new one per poll would cost PostgreSQL a backend start each
  // time, CPU that the measurement would charge to the pipeline.
  std::unique_ptr<pqxx::connection> poll_;
  std::string prefix_;
  std::vector<std::unique_ptr<testing::ChildProcess>> graders_;
  int producer_runs_ = 0;
};

std::string grader_binary();
std::string producer_binary();

}  // namespace gradeq::bench
