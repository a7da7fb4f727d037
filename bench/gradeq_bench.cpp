// gradeq-bench: the pipeline measured against the container floor and the naive approach, on
// the running local stack (./scripts/bench sets it up). See bench/README.md for what each mode
// measures and the figures on this machine.
//
//   pipeline  N submissions of a five-test Python assignment: producer -> RabbitMQ -> graders ->
//             PostgreSQL, every grade checked; the floor and the naive approach in the same run.
//   lanes     an interactive submission's latency idle and amid a bulk batch.
//   producer  storing and publishing a 10,000-submission batch.
//   scale     throughput against grader processes and workers per grader; writes an SVG.
//
// Progress goes to stderr; the last line of stdout is one JSON document with the figures.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "baseline.hpp"
#include "gradeq/amqp.hpp"
#include "gradeq/dispatch.hpp"
#include "gradeq/job.hpp"
#include "gradeq/pg_store.hpp"
#include "stack.hpp"
#include "stats.hpp"
#include "support.hpp"
#include "svg.hpp"
#include "workload.hpp"

namespace gradeq::bench {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

double now_epoch_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void say(const std::string& text) { std::cerr << "bench: " << text << std::endl; }

std::string fixed(double x, int digits = 2) {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(digits);
  o << x;
  return o.str();
}

json r(double x, int digits = 3) { return std::isfinite(x) ? json(round_to(x, digits)) : json(nullptr); }

// Compares the stored grades with the expected ones; describes the first few differences.
bool grades_match(const std::map<std::string, Grade>& got, const std::map<std::string, Grade>& want,
                  std::string* diff) {
  int shown = 0;
  bool ok = true;
  for (const auto& [student, g] : want) {
    auto it = got.find(student);
    if (it == got.end() || !(it->second == g)) {
      ok = false;
      if (shown++ < 5) {
        *diff += "\n  " + student + ": want " + describe(g) + ", got " +
                 (it == got.end() ? std::string("nothing") : describe(it->second));
      }
    }
  }
  return ok;
}

struct Common {
  fs::path out = fs::path(GRADEQ_SOURCE_DIR) / "bench" / "out";
  fs::path work;  // the submissions' files
};

fs::path fresh_dir(const Common& c, const std::string& name) {
  const fs::path dir = c.out / (name + "-" + testing::unique_token().substr(0, 6));
  fs::create_directories(dir);
  return dir;
}

json cpu_json(const CpuSnapshot& d, int n) {
  const double known = d.graders + d.docker_cli + d.dockerd + d.containerd + d.postgres + d.rabbitmq;
  return {{"machine", r(d.machine / n)},         {"grader", r(d.graders / n, 4)},
          {"docker_cli", r(d.docker_cli / n, 4)}, {"dockerd", r(d.dockerd / n, 4)},
          {"containerd", r(d.containerd / n, 4)}, {"postgres", r(d.postgres / n, 4)},
          {"rabbitmq", r(d.rabbitmq / n, 4)},     {"rest", r((d.machine - known) / n)}};
}

// ---------------------------------------------------------------------------------------------
// pipeline

struct PipelineOptions {
  int n = 200;
  GraderSetup setup;
  int naive_n = 20;
  int rounds = 1;
};

struct PipelineRound {
  double subs_per_s = 0;
  double wall_s = 0;
  double producer_s = 0;
  bool grades_correct = false;
  long errors = 0;
  std::string diff;
  std::vector<Timeline> timelines;
  double peak_rss_mb = 0;
  CpuSnapshot cpu;
};

PipelineRound run_pipeline(Workload& workload, const Common& common, const PipelineOptions& o, int round) {
  PipelineRound pr;
  Stack stack(workload, fresh_dir(common, "pipeline-round" + std::to_string(round)));
  stack.start_graders(o.setup);
  const fs::path batch = workload.batch(o.n);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the start-up settle
  const CpuSnapshot before = stack.cpu_snapshot();
  const double t0 = now_epoch_s();
  pr.producer_s = stack.submit_batch(batch);
  stack.wait_done(o.n, std::chrono::seconds(120 + o.n * 5));
  pr.cpu = stack.cpu_snapshot() - before;
  pr.peak_rss_mb = stack.grader_peak_rss_mb();
  pr.wall_s = stack.last_result_epoch_s() - t0;
  pr.subs_per_s = o.n / pr.wall_s;
  pr.errors = stack.errors();
  pr.grades_correct = grades_match(stack.grades(), Workload::expected(o.n), &pr.diff) && pr.errors == 0;
  pr.timelines = stack.timelines();
  stack.stop_graders();
  return pr;
}

int pipeline(const Common& common, const PipelineOptions& o) {
  Workload workload(common.work);
  Baseline baseline(workload.spec().string());
  const int workers = o.setup.graders * o.setup.concurrency;
  std::vector<double> sandbox_container;
  std::vector<double> sandbox_rates, floor_rates, naive_rates, pipe_rates, ratio_floor, ratio_naive, floor_container, naive_container;
  std::vector<double> e2e, queue, claim, container, after, rss, grader_cpu, cli_cpu;
  std::vector<json> rounds;
  bool all_correct = true;
  int baseline_failures = 0;
  std::vector<CpuSnapshot> pipe_cpu, floor_cpu, sandbox_cpu;
  for (int round = 1; round <= o.rounds; ++round) {
    say("round " + std::to_string(round) + "/" + std::to_string(o.rounds) + ": floor, " + std::to_string(o.n) +
        " containers at concurrency " + std::to_string(workers));
    const std::vector<pid_t> self{::getpid()};
    CpuSnapshot c0 = cpu_snapshot(self);
    const BaselineRun floor = baseline.floor(o.n, workers);
    floor_cpu.push_back(cpu_snapshot(self) - c0);
    say("  floor: " + fixed(floor.subs_per_s) + " subs/s (" + fixed(floor.wall_s, 1) + " s)");

    say("  sandbox: " + std::to_string(o.n) + " submissions through the grader's sandbox and grading, no queue or database");
    c0 = cpu_snapshot(self);
    const BaselineRun sandbox = baseline.sandbox(o.n, workers);
    sandbox_cpu.push_back(cpu_snapshot(self) - c0);
    say("  sandbox: " + fixed(sandbox.subs_per_s) + " subs/s (" + fixed(sandbox.wall_s, 1) + " s)" +
        (sandbox.failures ? ", WRONG: " + sandbox.first_failure : ""));

    say("  pipeline: " + std::to_string(o.n) + " submissions, " + std::to_string(o.setup.graders) + " grader(s) x " +
        std::to_string(o.setup.concurrency) + " workers");
    PipelineRound pr = run_pipeline(workload, common, o, round);
    say("  pipeline: " + fixed(pr.subs_per_s) + " subs/s (" + fixed(pr.wall_s, 1) + " s), grades " +
        (pr.grades_correct ? "all correct" : "WRONG:" + pr.diff));

    say("  naive: " + std::to_string(o.naive_n) + " submissions, one docker run per test, one at a time");
    const BaselineRun naive = baseline.naive(o.naive_n);
    say("  naive: " + fixed(naive.subs_per_s) + " subs/s (" + fixed(naive.wall_s, 1) + " s)");

    all_correct = all_correct && pr.grades_correct && sandbox.failures == 0;
    sandbox_rates.push_back(sandbox.subs_per_s);
    sandbox_container.insert(sandbox_container.end(), sandbox.container_s.begin(), sandbox.container_s.end());
    baseline_failures += floor.failures + naive.failures;
    if (floor.failures || naive.failures) say("  baseline docker failures: " + floor.first_failure + naive.first_failure);
    floor_rates.push_back(floor.subs_per_s);
    naive_rates.push_back(naive.subs_per_s);
    pipe_rates.push_back(pr.subs_per_s);
    ratio_floor.push_back(pr.subs_per_s / floor.subs_per_s);
    ratio_naive.push_back(pr.subs_per_s / naive.subs_per_s);
    floor_container.insert(floor_container.end(), floor.container_s.begin(), floor.container_s.end());
    naive_container.insert(naive_container.end(), naive.container_s.begin(), naive.container_s.end());
    for (const auto& t : pr.timelines) {
      e2e.push_back(t.e2e_s);
      queue.push_back(t.queue_s);
      claim.push_back(t.claim_to_container_s);
      container.push_back(t.container_s);
      after.push_back(t.after_container_s);
    }
    rss.push_back(pr.peak_rss_mb);
    grader_cpu.push_back(pr.cpu.graders / o.n);
    cli_cpu.push_back(pr.cpu.docker_cli / o.n);
    pipe_cpu.push_back(pr.cpu);
    rounds.push_back({{"pipeline_subs_per_s", r(pr.subs_per_s)},
                      {"floor_subs_per_s", r(floor.subs_per_s)},
                      {"naive_subs_per_s", r(naive.subs_per_s)},
                      {"sandbox_subs_per_s", r(sandbox.subs_per_s)},
                      {"ratio_floor", r(pr.subs_per_s / floor.subs_per_s)},
                      {"ratio_naive", r(pr.subs_per_s / naive.subs_per_s)},
                      {"pipeline_wall_s", r(pr.wall_s)},
                      {"producer_submit_s", r(pr.producer_s)},
                      {"grades_correct", pr.grades_correct},
                      {"cpu_s_per_sub", cpu_json(pr.cpu, o.n)}});
  }
  // The round with the median pipeline throughput gives the CPU breakdown.
  std::size_t mid = 0;
  for (std::size_t i = 0; i < pipe_rates.size(); ++i) {
    if (pipe_rates[i] == percentile(pipe_rates, 50)) mid = i;
  }
  const double pipe = median(pipe_rates), fl = median(floor_rates), nv = median(naive_rates);
  const double rf = median(ratio_floor), rn = median(ratio_naive), peak = *std::max_element(rss.begin(), rss.end());
  json doc = {
      {"bench", "pipeline"},
      {"machine_cores", std::thread::hardware_concurrency()},
      {"submissions", o.n},
      {"tests_per_submission", tests().size()},
      {"graders", o.setup.graders},
      {"concurrency_per_grader", o.setup.concurrency},
      {"grader_args", o.setup.extra},
      {"prefetch_per_lane", o.setup.prefetch > 0 ? o.setup.prefetch : 2 * o.setup.concurrency},
      {"rounds", o.rounds},
      {"naive_submissions", o.naive_n},
      {"pipeline_subs_per_s", r(pipe)},
      {"pipeline_tests_per_s", r(pipe * static_cast<double>(tests().size()))},
      {"floor_subs_per_s", r(fl)},
      {"naive_subs_per_s", r(nv)},
      {"sandbox_subs_per_s", r(median(sandbox_rates))},
      {"ratio_floor", r(rf)},
      {"ratio_naive", r(rn)},
      {"all_grades_correct", all_correct},
      {"baseline_docker_failures", baseline_failures},
      {"latency_s", {{"p50", r(percentile(e2e, 50))}, {"p95", r(percentile(e2e, 95))}, {"p99", r(percentile(e2e, 99))}}},
      {"grader_cpu_s_per_sub", r(median(grader_cpu), 4)},
      {"grader_docker_cli_cpu_s_per_sub", r(median(cli_cpu), 4)},
      {"grader_peak_rss_mb", r(peak, 1)},
      {"phases_median_ms",
       {{"queue_wait", r(1000 * median(queue), 1)},
        {"claim_to_container", r(1000 * median(claim), 1)},
        {"container", r(1000 * median(container), 1)},
        {"container_to_store", r(1000 * median(after), 1)}}},
      {"floor_container_median_ms", r(1000 * median(floor_container), 1)},
      {"naive_container_median_ms", r(1000 * median(naive_container), 1)},
      {"sandbox_container_median_ms", r(1000 * median(sandbox_container), 1)},
      {"cpu_s_per_sub",
       {{"pipeline", cpu_json(pipe_cpu[mid], o.n)},
        {"sandbox", cpu_json(sandbox_cpu[mid], o.n)},
        {"floor", cpu_json(floor_cpu[mid], o.n)}}},
      {"targets",
       {{"ratio_floor_min", 0.9},
        {"ratio_naive_min", 5},
        {"grader_rss_max_mb", 64},
        {"met", all_correct && rf >= 0.9 && rn >= 5 && peak < 64}}},
      {"per_round", rounds},
  };
  std::cout << doc.dump() << std::endl;
  return all_correct ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// lanes

struct LanesOptions {
  int bulk = 1000;
  int probes = 20;
  GraderSetup setup;
};

// Submits probe `i` (student s9xxxx) on the interactive lane and waits for its result; its
// timeline (e2e_s: submitted -> result stored).
Timeline probe(Stack& stack, Workload& workload, int i) {
  const int student = 90000 + i;
  stack.submit_one(student_name(student), workload.single(student));
  const auto until = Clock::now() + std::chrono::seconds(300);
  for (;;) {
    if (auto t = stack.timeline_of(student_name(student))) return *t;
    if (Clock::now() > until) throw std::runtime_error("probe " + student_name(student) + " not graded in 300 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::vector<double> field(const std::vector<Timeline>& ts, double Timeline::*member) {
  std::vector<double> out;
  for (const auto& t : ts) out.push_back(t.*member);
  return out;
}

json latency_json(const std::vector<Timeline>& ts) {
  const auto e2e = field(ts, &Timeline::e2e_s);
  return {{"p50", r(percentile(e2e, 50))},
          {"p95", r(percentile(e2e, 95))},
          {"max", r(percentile(e2e, 100))},
          {"median_queue_wait", r(median(field(ts, &Timeline::queue_s)))},
          {"median_container", r(median(field(ts, &Timeline::container_s)))},
          {"median_tests", r(median(field(ts, &Timeline::tests_s)))}};
}

int lanes(const Common& common, const LanesOptions& o) {
  Workload workload(common.work);
  Stack stack(workload, fresh_dir(common, "lanes"));
  stack.start_graders(o.setup);
  const fs::path batch = workload.batch(o.bulk);  // written before anything is timed
  say("lanes: " + std::to_string(o.probes) + " interactive probes on idle graders");
  std::vector<Timeline> idle_t, loaded_t;
  for (int i = 0; i < o.probes; ++i) idle_t.push_back(probe(stack, workload, i));
  const auto idle = field(idle_t, &Timeline::e2e_s);
  say("  idle p50 " + fixed(percentile(idle, 50)) + " s, p95 " + fixed(percentile(idle, 95)) + " s");

  say("lanes: " + std::to_string(o.bulk) + " bulk submissions, then " + std::to_string(o.probes) + " probes amid them");
  stack.submit_batch(batch);
  const long warm = o.probes + 4 * o.setup.graders * o.setup.concurrency;
  while (stack.done_count() < warm) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  long bulk_left_min = o.bulk;
  for (int i = 0; i < o.probes; ++i) {
    const long left = stack.db().count(
        "SELECT count(*) FROM gradeq.submissions WHERE lane = 'bulk' AND status IN ('queued', 'running')");
    bulk_left_min = std::min(bulk_left_min, left);
    loaded_t.push_back(probe(stack, workload, o.probes + i));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  const auto loaded = field(loaded_t, &Timeline::e2e_s);
  const long bulk_left_end = stack.db().count(
      "SELECT count(*) FROM gradeq.submissions WHERE lane = 'bulk' AND status IN ('queued', 'running')");
  say("  loaded p50 " + fixed(percentile(loaded, 50)) + " s, p95 " + fixed(percentile(loaded, 95)) + " s; bulk left " +
      std::to_string(bulk_left_end));
  stack.stop_graders();

  // Every result stored so far must be right: the probes and the bulk submissions graded.
  auto got = stack.grades();
  std::map<std::string, Grade> want;
  for (const auto& [student, g] : got) {
    const int i = std::stoi(student.substr(1));
    want[student] = variant_of(i).expected;
  }
  std::string diff;
  const bool correct = grades_match(got, want, &diff) && stack.errors() == 0 &&
                       static_cast<int>(idle.size() + loaded.size()) == 2 * o.probes;
  if (!correct) say("grades WRONG:" + diff);
  const double ratio = percentile(loaded, 95) / percentile(idle, 95);
  json doc = {
      {"bench", "lanes"},
      {"graders", o.setup.graders},
      {"concurrency_per_grader", o.setup.concurrency},
      {"grader_args", o.setup.extra},
      {"bulk_submissions", o.bulk},
      {"probes", o.probes},
      {"idle_latency_s", latency_json(idle_t)},
      {"loaded_latency_s", latency_json(loaded_t)},
      {"ratio_p95", r(ratio)},
      {"bulk_still_waiting_min", bulk_left_min},
      {"all_grades_correct", correct},
      {"targets", {{"ratio_p95_max", 2}, {"met", correct && ratio <= 2 && bulk_left_end > 0}}},
  };
  std::cout << doc.dump() << std::endl;
  return correct ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// producer

// The batch's parts timed one by one through the same library calls: storing (one transaction),
// publishing (confirms), marking the outbox published. `student_first` keeps the rows apart
// from the measured batch's.
json producer_phases(const Stack& stack, int n, int student_first) {
  std::vector<pg::NewSubmission> subs;
  for (int i = student_first; i < student_first + n; ++i) {
    subs.push_back({student_name(i), {{"stats.py", variant_of(i).code, false}}});
  }
  pg::Store store(stack.db().url());
  const auto version = store.latest_version("bench", "stats");
  auto t0 = Clock::now();
  auto [ids, batch] = store.add_submissions(version, subs, Lane::bulk, std::string("phases"));
  const double store_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<Job> jobs;
  for (const auto& id : ids) jobs.push_back({id, 1, Lane::bulk});
  const amqp::Topology scratch{stack.prefix() + "-phases"};
  dispatch::JobPublisher publisher(testing::amqp_url(), scratch.prefix);
  publisher.declare();
  t0 = Clock::now();
  publisher.publish(jobs);
  const double publish_s = std::chrono::duration<double>(Clock::now() - t0).count();
  t0 = Clock::now();
  store.mark_published(jobs);
  const double mark_s = std::chrono::duration<double>(Clock::now() - t0).count();
  amqp::delete_topology(testing::amqp_url(), scratch);
  return {{"store_s", r(store_s)}, {"publish_s", r(publish_s)}, {"mark_published_s", r(mark_s)}};
}

int producer_bench(const Common& common, int n, int naive_n) {
  Workload workload(common.work);
  Stack stack(workload, fresh_dir(common, "producer"));
  say("producer: writing " + std::to_string(n) + " student folders");
  const fs::path batch = workload.batch(n);
  const fs::path small = workload.batch(naive_n, n);
  say("producer: gradeq-producer submit-batch of " + std::to_string(n));
  const double cpu0 = machine_busy_s();
  const double batch_s = stack.submit_batch(batch);
  const double batch_cpu = machine_busy_s() - cpu0;
  say("  " + fixed(batch_s) + " s");
  const amqp::Topology topology{stack.prefix()};
  const long stored = stack.db().count("SELECT count(*) FROM gradeq.submissions");
  const long published = stack.db().count("SELECT count(*) FROM gradeq.jobs WHERE published_at IS NOT NULL");
  const long files = stack.db().count("SELECT count(*) FROM gradeq.submission_files");
  const long on_queue = amqp::queue_depth(testing::amqp_url(), topology.bulk());
  const bool batch_ok = stored == n && published == n && files == n && on_queue == n;

  say("producer: naive, one gradeq-producer submit per submission, " + std::to_string(naive_n) + " of them");
  const auto t0 = Clock::now();
  for (int i = n; i < n + naive_n; ++i) stack.submit_one(student_name(i), small / student_name(i) / "stats.py");
  const double naive_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const double naive_rate = naive_n / naive_s;
  const bool naive_ok = amqp::queue_depth(testing::amqp_url(), topology.interactive()) == static_cast<unsigned>(naive_n);

  say("producer: the batch's phases one by one");
  const json phases = producer_phases(stack, n, 2 * n);
  json doc = {
      {"bench", "producer"},
      {"submissions", n},
      {"producer_s", r(batch_s)},
      {"producer_subs_per_s", r(n / batch_s, 1)},
      {"producer_machine_cpu_s", r(batch_cpu)},
      {"phases", phases},
      {"naive_submissions", naive_n},
      {"naive_subs_per_s", r(naive_rate, 1)},
      {"ratio_naive", r(n / batch_s / naive_rate, 1)},
      {"stored", stored},
      {"published", published},
      {"on_queue", on_queue},
      {"all_stored_and_published", batch_ok && naive_ok},
      {"targets", {{"producer_s_max", 20}, {"met", batch_ok && naive_ok && batch_s < 20}}},
  };
  std::cout << doc.dump() << std::endl;
  return batch_ok && naive_ok ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// scale

std::vector<int> parse_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, ',');) out.push_back(std::stoi(item));
  return out;
}

int scale(const Common& common, int n, const std::vector<int>& grader_counts, const std::vector<int>& concurrencies,
          fs::path svg_path) {
  Workload workload(common.work);
  Baseline baseline(workload.spec().string());
  const fs::path batch = workload.batch(n);
  const auto expected = Workload::expected(n);
  std::map<int, double> floor_at;  // total workers -> floor subs/s
  json points = json::array();
  std::vector<Series> series;
  bool all_correct = true;
  for (int g : grader_counts) {
    Series s{std::to_string(g) + (g == 1 ? " grader" : " graders"), {}};
    for (int c : concurrencies) {
      const int workers = g * c;
      if (!floor_at.count(workers)) {
        floor_at[workers] = baseline.floor(n, workers).subs_per_s;
        say("floor at " + std::to_string(workers) + ": " + fixed(floor_at[workers]) + " subs/s");
      }
      Stack stack(workload, fresh_dir(common, "scale-g" + std::to_string(g) + "c" + std::to_string(c)));
      GraderSetup setup;
      setup.graders = g;
      setup.concurrency = c;
      stack.start_graders(setup);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      const CpuSnapshot before = stack.cpu_snapshot();
      const double t0 = now_epoch_s();
      stack.submit_batch(batch);
      stack.wait_done(n, std::chrono::seconds(120 + n * 5));
      const CpuSnapshot cpu = stack.cpu_snapshot() - before;
      const double rate = n / (stack.last_result_epoch_s() - t0);
      std::string diff;
      const bool correct = grades_match(stack.grades(), expected, &diff) && stack.errors() == 0;
      all_correct = all_correct && correct;
      const double rss = stack.grader_peak_rss_mb();
      stack.stop_graders();
      say(std::to_string(g) + " grader(s) x " + std::to_string(c) + " workers: " + fixed(rate) + " subs/s (floor " +
          fixed(floor_at[workers]) + ")" + (correct ? "" : " grades WRONG:" + diff));
      s.points.push_back({std::log2(workers), rate});
      points.push_back({{"graders", g},
                        {"concurrency_per_grader", c},
                        {"workers", workers},
                        {"subs_per_s", r(rate)},
                        {"floor_subs_per_s", r(floor_at[workers])},
                        {"ratio_floor", r(rate / floor_at[workers])},
                        {"machine_cpu_s_per_sub", r(cpu.machine / n)},
                        {"grader_peak_rss_mb", r(rss, 1)},
                        {"grades_correct", correct}});
    }
    series.push_back(std::move(s));
  }
  Series floor_series{"floor (docker run only)", {}};
  Chart chart;
  for (const auto& [workers, rate] : floor_at) {
    floor_series.points.push_back({std::log2(workers), rate});
    chart.x_ticks.push_back({std::log2(workers), std::to_string(workers)});
  }
  series.push_back(std::move(floor_series));
  chart.title = "gradeq throughput, " + std::to_string(n) + " submissions x 5 tests, " +
                std::to_string(std::thread::hardware_concurrency()) + " cores";
  chart.x_label = "workers in all (grader processes x concurrency per grader)";
  chart.y_label = "submissions per second";
  chart.series = std::move(series);
  fs::create_directories(svg_path.parent_path());
  std::ofstream(svg_path) << to_svg(chart);
  say("chart: " + svg_path.string());
  json doc = {{"bench", "scale"}, {"submissions", n}, {"points", points}, {"svg", svg_path.string()},
              {"all_grades_correct", all_correct}};
  std::cout << doc.dump() << std::endl;
  return all_correct ? 0 : 1;
}

}  // namespace
}  // namespace gradeq::bench

int main(int argc, char** argv) {
  using namespace gradeq::bench;
  CLI::App app{"gradeq-bench: gradeq's pipeline against the container floor (see bench/README.md)"};
  app.require_subcommand(1);
  Common common;
  std::string out = common.out.string();
  app.add_option("--out", out, "Folder for logs and charts")->capture_default_str();

  PipelineOptions po;
  auto* p = app.add_subcommand("pipeline", "Throughput and latency against the floor and the naive approach");
  p->add_option("-n,--submissions", po.n, "Submissions to grade")->capture_default_str()->check(CLI::PositiveNumber);
  p->add_option("--graders", po.setup.graders, "gradeq-grader processes")->capture_default_str()->check(CLI::PositiveNumber);
  p->add_option("--concurrency", po.setup.concurrency, "Workers per grader")->capture_default_str()->check(CLI::PositiveNumber);
  p->add_option("--prefetch", po.setup.prefetch, "Deliveries held per lane (0: the grader's default)")->capture_default_str();
  p->add_option("--grader-arg", po.setup.extra, "An argument for gradeq-grader (repeat it), e.g. --grader-arg=--bulk-hold=0");
  p->add_option("--naive-n", po.naive_n, "Submissions graded the naive way")->capture_default_str()->check(CLI::PositiveNumber);
  p->add_option("--rounds", po.rounds, "Rounds of floor, pipeline and naive; medians are reported")
      ->capture_default_str()->check(CLI::PositiveNumber);

  LanesOptions lo;
  auto* l = app.add_subcommand("lanes", "Interactive latency idle and amid a bulk batch");
  l->add_option("--bulk", lo.bulk, "Bulk submissions")->capture_default_str()->check(CLI::PositiveNumber);
  l->add_option("--probes", lo.probes, "Interactive submissions measured, idle and loaded each")
      ->capture_default_str()->check(CLI::PositiveNumber);
  l->add_option("--graders", lo.setup.graders, "gradeq-grader processes")->capture_default_str();
  l->add_option("--concurrency", lo.setup.concurrency, "Workers per grader")->capture_default_str();
  l->add_option("--grader-arg", lo.setup.extra, "An argument for gradeq-grader (repeat it)");

  int producer_n = 10000, producer_naive = 100;
  auto* pr = app.add_subcommand("producer", "Store and publish one big batch");
  pr->add_option("-n,--submissions", producer_n, "Submissions in the batch")->capture_default_str();
  pr->add_option("--naive-n", producer_naive, "Submissions sent one gradeq-producer submit each")->capture_default_str();

  int scale_n = 100;
  std::string grader_list = "1,2,4", concurrency_list = "1,2,4";
  std::string svg;
  auto* s = app.add_subcommand("scale", "Throughput against grader processes and workers; writes an SVG chart");
  s->add_option("-n,--submissions", scale_n, "Submissions per configuration")->capture_default_str();
  s->add_option("--graders", grader_list, "Grader process counts")->capture_default_str();
  s->add_option("--concurrency", concurrency_list, "Workers per grader")->capture_default_str();
  s->add_option("--svg", svg, "Chart file (default: OUT/scale.svg)");

  CLI11_PARSE(app, argc, argv);
  common.out = out;
  common.work = std::filesystem::temp_directory_path() / ("gradeq-bench-" + gradeq::testing::unique_token());
  try {
    if (*p) return pipeline(common, po);
    if (*l) return lanes(common, lo);
    if (*pr) return producer_bench(common, producer_n, producer_naive);
    if (*s) {
      return scale(common, scale_n, parse_list(grader_list), parse_list(concurrency_list),
                   svg.empty() ? common.out / "scale.svg" : std::filesystem::path(svg));
    }
  } catch (const std::exception& e) {
    std::cerr << "gradeq-bench: " << e.what() << std::endl;
    return 2;
  }
  return 2;
}
