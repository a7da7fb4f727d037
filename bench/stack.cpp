#include "stack.hpp"

#include <sys/wait.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <pqxx/pqxx>

#include "gradeq/amqp.hpp"

namespace gradeq::bench {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string grader_binary() { return GRADEQ_BINARY_DIR "/grader/gradeq-grader"; }
std::string producer_binary() { return GRADEQ_BINARY_DIR "/producer/gradeq-producer"; }

CpuSnapshot operator-(const CpuSnapshot& a, const CpuSnapshot& b) {
  CpuSnapshot d;
  d.machine = a.machine - b.machine;
  d.graders = a.graders - b.graders;
  d.docker_cli = a.docker_cli - b.docker_cli;
  d.dockerd = a.dockerd - b.dockerd;
  d.containerd = a.containerd - b.containerd;
  d.postgres = a.postgres - b.postgres;
  d.rabbitmq = a.rabbitmq - b.rabbitmq;
  d.at = a.at;
  return d;
}

double machine_busy_s() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;
  std::vector<double> f;
  for (double x; f.size() < 8 && in >> x;) f.push_back(x);
  if (f.size() < 8) return 0;
  // user nice system idle iowait irq softirq steal
  const double busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
  return busy / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

namespace {

double cpu_of(const std::vector<std::string>& names) {
  double total = 0;
  for (pid_t pid : testing::pids_named(names)) {
    if (auto u = testing::process_usage(pid)) total += u->cpu_s + u->cpu_children_s;
  }
  return total;
}

}  // namespace

CpuSnapshot cpu_snapshot(const std::vector<pid_t>& workers) {
  CpuSnapshot s;
  s.at = Clock::now();
  s.machine = machine_busy_s();
  for (pid_t pid : workers) {
    if (auto u = testing::process_usage(pid)) {
      s.graders += u->cpu_s;
      s.docker_cli += u->cpu_children_s;
    }
  }
  s.dockerd = cpu_of({"dockerd"});
  s.containerd = cpu_of({"containerd"});
  s.postgres = cpu_of({"postgres"});
  s.rabbitmq = cpu_of({"beam.smp", "erl_child_setup", "epmd", "inet_gethost"});
  return s;
}

Stack::Stack(Workload& workload, fs::path log_dir)
    : workload_(workload), log_dir_(std::move(log_dir)), prefix_("gradeq-bench-" + testing::unique_token()) {
  fs::create_directories(log_dir_);
  poll_ = std::make_unique<pqxx::connection>(db_.url());
  run_producer({"assignment", "add", workload_.spec().string()}, "assignment add");
}

Stack::~Stack() {
  stop_graders();
  poll_.reset();  // before the database is dropped
  try {
    amqp::delete_topology(testing::amqp_url(), amqp::Topology{prefix_});
  } catch (const std::exception&) {
    // Best effort: leftover queues are visible by their prefix and harmless.
  }
}

void Stack::run_producer(std::vector<std::string> args, const char* what) {
  std::vector<std::string> argv{producer_binary(), "--database-url", db_.url(), "--amqp-url",
                                testing::amqp_url(), "--queue-prefix", prefix_};
  argv.insert(argv.end(), args.begin(), args.end());
  const fs::path log = log_dir_ / ("producer-" + std::to_string(++producer_runs_) + ".log");
  const pid_t pid = testing::spawn(argv, log.string(), true);
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(std::string("gradeq-producer ") + what + " failed (" +
                             testing::describe_status(status) + "):\n" + testing::tail(log, 20));
  }
}

void Stack::start_graders(const GraderSetup& setup) {
  const std::size_t first = graders_.size();
  for (int g = 0; g < setup.graders; ++g) {
    const fs::path log = log_dir_ / ("grader-" + std::to_string(graders_.size() + 1) + ".log");
    std::vector<std::string> argv{grader_binary(), "--database-url", db_.url(),
                                  "--amqp-url", testing::amqp_url(),
                                  "--queue-prefix", prefix_,
                                  "--concurrency", std::to_string(setup.concurrency)};
    if (setup.prefetch > 0) argv.insert(argv.end(), {"--prefetch", std::to_string(setup.prefetch)});
    argv.insert(argv.end(), setup.extra.begin(), setup.extra.end());
    graders_.push_back(std::make_unique<testing::ChildProcess>(argv, log));
  }
  const auto until = Clock::now() + std::chrono::seconds(60);
  for (std::size_t i = first; i < graders_.size(); ++i) {
    auto& g = *graders_[i];
    while (testing::slurp(g.log()).find(" consuming ") == std::string::npos) {
      if (!g.alive() || Clock::now() > until) {
        throw std::runtime_error("gradeq-grader did not start consuming:\n" + testing::tail(g.log(), 20));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

void Stack::stop_graders() {
  for (auto& g : graders_) {
    if (g->alive()) g->terminate(std::chrono::seconds(60));
  }
  graders_.clear();
}

double Stack::submit_batch(const fs::path& dir, const std::string& lane) {
  const auto t0 = Clock::now();
  run_producer({"submit-batch", "--assignment", workload_.assignment(), "--lane", lane, dir.string()},
               "submit-batch");
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double Stack::submit_one(const std::string& student, const fs::path& file) {
  const auto t0 = Clock::now();
  run_producer({"submit", "--assignment", workload_.assignment(), "--student", student, file.string()},
               "submit");
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

long Stack::done_count() const {
  pqxx::nontransaction tx(*poll_);
  return tx.exec1("SELECT count(*) FROM gradeq.submissions WHERE status IN ('graded', 'error')")[0].as<long>();
}

void Stack::wait_done(long n, std::chrono::seconds timeout) {
  const auto until = Clock::now() + timeout;
  while (done_count() < n) {
    if (Clock::now() > until) {
      std::string logs;
      for (const auto& g : graders_) logs += "--- " + g->log().string() + "\n" + testing::tail(g->log(), 15);
      throw std::runtime_error("only " + std::to_string(done_count()) + " of " + std::to_string(n) +
                               " submissions done after " + std::to_string(timeout.count()) + " s\n" + logs);
    }
    // The end time comes from the database (the last result's finished_at), not from here.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

double Stack::last_result_epoch_s() const {
  pqxx::read_transaction tx(*poll_);
  return tx.exec1("SELECT extract(epoch FROM max(finished_at))::float8 FROM gradeq.grading_runs")[0].as<double>();
}

std::map<std::string, Grade> Stack::grades() const {
  std::map<std::string, Grade> out;
  pqxx::read_transaction tx(*poll_);
  for (const auto& row : tx.exec("SELECT student, score, coalesce(array_to_string(failed_tests, ','), '')"
                                 "  FROM gradeq.v_results WHERE status = 'graded'")) {
    Grade g;
    g.score = row[1].as<double>();
    std::stringstream names(row[2].as<std::string>());
    for (std::string name; std::getline(names, name, ',');) g.failed.push_back(name);
    out[row[0].as<std::string>()] = g;
  }
  return out;
}

long Stack::errors() const { return db_.count("SELECT count(*) FROM gradeq.submissions WHERE status = 'error'"); }

namespace {

const char* const kTimelineQuery =
    "SELECT s.student, s.lane,"
    "       extract(epoch FROM r.finished_at - s.submitted_at)::float8,"
    "       extract(epoch FROM s.picked_up_at - s.submitted_at)::float8,"
    "       extract(epoch FROM r.started_at - s.picked_up_at)::float8,"
    "       r.container_ms / 1000.0,"
    "       extract(epoch FROM r.finished_at - r.started_at)::float8 - r.container_ms / 1000.0,"
    "       (SELECT coalesce(sum(t.duration_ms), 0) FROM gradeq.test_results t WHERE t.run_id = r.id) / 1000.0"
    "  FROM gradeq.submissions s JOIN gradeq.grading_runs r ON r.submission_id = s.id"
    "   AND r.attempt = s.attempt";

Timeline timeline_from(const pqxx::row& row) {
  Timeline t;
  t.student = row[0].as<std::string>();
  t.lane = row[1].as<std::string>();
  t.e2e_s = row[2].as<double>();
  t.queue_s = row[3].as<double>();
  t.claim_to_container_s = row[4].as<double>();
  t.container_s = row[5].as<double>();
  t.after_container_s = row[6].as<double>();
  t.tests_s = row[7].as<double>();
  return t;
}

}  // namespace

std::vector<Timeline> Stack::timelines(const std::string& lane) const {
  pqxx::read_transaction tx(*poll_);
  std::vector<Timeline> out;
  for (const auto& row : tx.exec_params(std::string(kTimelineQuery) + " WHERE $1 = '' OR s.lane = $1", lane)) {
    out.push_back(timeline_from(row));
  }
  return out;
}

std::optional<Timeline> Stack::timeline_of(const std::string& student) const {
  pqxx::read_transaction tx(*poll_);
  auto r = tx.exec_params(std::string(kTimelineQuery) + " WHERE s.student = $1", student);
  if (r.empty()) return std::nullopt;
  return timeline_from(r[0]);
}

double Stack::grader_peak_rss_mb() const {
  double peak = 0;
  for (const auto& g : graders_) {
    if (auto u = testing::process_usage(g->pid())) peak = std::max(peak, u->peak_rss_mb);
  }
  return peak;
}

CpuSnapshot Stack::cpu_snapshot() const {
  std::vector<pid_t> pids;
  for (const auto& g : graders_) pids.push_back(g->pid());
  return bench::cpu_snapshot(pids);
}

}  // namespace gradeq::bench
