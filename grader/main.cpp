// gradeq-grader: the grading daemon. Only wiring: the work lives in gradeq_grader_lib.
//
// Runs until SIGTERM or SIGINT, then finishes the jobs in hand, acks them and exits 0.
// Exit codes: 0 stopped cleanly; 1 bad configuration; 2 a system fault it could not recover from.
// --health: 0 healthy, 2 not (one line on stdout says why).
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "gradeq/docker_sandbox.hpp"
#include "gradeq/grader.hpp"
#include "gradeq/log.hpp"

namespace {
std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

}  // namespace

int main(int argc, char** argv) {
  using namespace gradeq;
  grader::Settings s;
  CLI::App app{"gradeq-grader: consume grading jobs and run them in Docker"};
  app.option_defaults()->always_capture_default();
  app.add_option("--database-url", s.database_url, "PostgreSQL URL")->envname("GRADEQ_DATABASE_URL");
  app.add_option("--amqp-url", s.amqp_url, "RabbitMQ URL")->envname("GRADEQ_AMQP_URL");
  app.add_option("--queue-prefix", s.queue_prefix, "Queue name prefix")->envname("GRADEQ_QUEUE_PREFIX");
  app.add_option("--image-prefix", s.image_prefix, "Runner image prefix (image = PREFIX<language>:latest)")
      ->envname("GRADEQ_IMAGE_PREFIX");
  app.add_option("--docker", s.docker, "docker CLI to use")->envname("GRADEQ_DOCKER");
  app.add_option("-c,--concurrency", s.concurrency, "Submissions graded at once")
      ->envname("GRADEQ_CONCURRENCY")->check(CLI::Range(1, 64));
  app.add_option("--reserved-interactive", s.reserved_interactive,
                 "Extra workers that take only interactive jobs, so a student never waits behind a batch")
      ->envname("GRADEQ_RESERVED_INTERACTIVE")->check(CLI::Range(0, 64));
  app.add_option("--bulk-cpu-shares", s.bulk_cpu_shares,
                 "CPU weight of bulk containers against interactive ones (1024); 0: the same")
      ->envname("GRADEQ_BULK_CPU_SHARES")
      ->check(CLI::Validator(
          [](std::string& v) {
            const long x = std::strtol(v.c_str(), nullptr, 10);
            return x == 0 || (x >= 2 && x <= 1024) ? std::string() : std::string("must be 0 or 2..1024");
          },
          "0 or 2..1024"));
  app.add_option("--bulk-hold", s.bulk_hold_s,
                 "Seconds a bulk job may wait for running interactive containers before starting its own")
      ->envname("GRADEQ_BULK_HOLD_S")->check(CLI::Range(0.0, 60.0));
  app.add_option("--prefetch", s.prefetch, "Deliveries held per lane (0: twice the concurrency)")
      ->envname("GRADEQ_PREFETCH")->check(CLI::Range(0, 1000));
  app.add_option("--stored-output-cap", s.stored_output_cap, "Bytes of each output stream kept in the database")
      ->envname("GRADEQ_STORED_OUTPUT_CAP");
  app.add_option("--max-memory-mb", s.max_memory_mb, "Most memory a spec may ask for")
      ->envname("GRADEQ_MAX_MEMORY_MB")->check(CLI::Range(16, 65536));
  app.add_option("--max-cpus", s.max_cpus, "Most CPUs a spec may ask for")
      ->envname("GRADEQ_MAX_CPUS")->check(CLI::Range(0.05, 64.0));
  app.add_option("--runtime", s.runtime, "OCI runtime for the containers, by name (e.g. runsc for gVisor)")
      ->envname("GRADEQ_RUNTIME");
  app.add_flag("--allow-network", s.allow_network, "Give containers a network (default: none)")
      ->envname("GRADEQ_ALLOW_NETWORK");
  app.add_option("--pids-limit", s.pids_limit, "Processes per container")->envname("GRADEQ_PIDS_LIMIT");
  app.add_option("--grace", s.grace_s, "Seconds added to a spec's limits for the container deadline")
      ->envname("GRADEQ_GRACE_S");
  app.add_option("--sweep-interval", s.sweep_interval_s,
                 "Seconds between sweeps for lost jobs (unpublished, or running past their lease); 0: none")
      ->envname("GRADEQ_SWEEP_INTERVAL_S")->check(CLI::Range(0.0, 86400.0));
  app.add_option("--sweep-grace", s.sweep_grace_s, "Seconds an unpublished job may wait before it is swept")
      ->envname("GRADEQ_SWEEP_GRACE_S")->check(CLI::Range(0.0, 86400.0));
  app.add_option("--lease-margin", s.lease_margin_s,
                 "Seconds added to a job's container deadline before it counts as lost")
      ->envname("GRADEQ_LEASE_MARGIN_S")->check(CLI::Range(0.0, 86400.0));
  app.add_option("--metrics-port", s.metrics_port, "Serve GET /metrics and /healthz on this port; 0: off")
      ->envname("GRADEQ_METRICS_PORT")->check(CLI::Range(0, 65535));
  app.add_option("--metrics-address", s.metrics_address,
                 "Address the metrics port listens on (0.0.0.0 in a container, for the scraper to reach it)")
      ->envname("GRADEQ_METRICS_ADDRESS");
  std::string log_format = "text";
  app.add_option("--log-format", log_format, "Log lines as text, or as one JSON object each")
      ->envname("GRADEQ_LOG_FORMAT")->check(CLI::IsMember({"text", "json"}));
  bool health = false;
  app.add_flag("--health", health,
               "Probe: exit 0 if healthy, else 2 with the reason (asks the running grader's /healthz when a"
               " metrics port is set; else checks PostgreSQL, RabbitMQ and the Docker engine)");
  bool show_config = false;
  app.add_flag("--show-config", show_config, "Print the effective settings and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every mistake on the command line is bad input: 1, not
    // CLI11's own codes (105, 106, 108 ...), as the exit codes above say.
    return app.exit(e) == 0 ? 0 : 1;
  }

  if (show_config) {
    std::cout << "amqp queue prefix = " << s.queue_prefix << "\nimage prefix = " << s.image_prefix
              << "\nconcurrency = " << s.concurrency << "\nmax_memory_mb = " << s.max_memory_mb
              << "\nmax_cpus = " << s.max_cpus << "\nnetwork = " << (s.allow_network ? "on" : "off")
              << "\nruntime = " << (s.runtime.empty() ? "(engine default)" : s.runtime)
              << "\nmetrics = " << (s.metrics_port ? s.metrics_address + ":" + std::to_string(s.metrics_port) : "off")
              << "\nlog format = " << log_format << "\n";
    return 0;
  }

  if (health) {  // bounded: a probe answers within a few seconds whatever hangs
    DockerSandbox sandbox(s.docker);
    const std::string why = grader::check_health(s, sandbox, std::chrono::seconds(3));
    if (why.empty()) std::cout << "ok" << std::endl;
    else std::cout << "unhealthy: " << why << std::endl;
    std::_Exit(why.empty() ? 0 : 2);  // a check left hanging must not hold the exit
  }

  try {  // a runtime name docker would misread is a configuration error, not a job's fault
    SandboxRequest probe;
    probe.image = "probe";
    probe.name = "probe";
    probe.runtime = s.runtime;
    DockerSandbox::run_arguments(probe);
  } catch (const std::invalid_argument& e) {
    std::cerr << "gradeq-grader: " << e.what() << "\n";
    return 1;
  }

  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  log::use_format(log_format);
  try {
    DockerSandbox sandbox(s.docker);
    if (s.grader_id.empty()) s.grader_id = grader::default_grader_id();
    try {
      int reaped = reap_orphaned_containers(sandbox, s.grader_id);
      if (reaped) spdlog::warn("removed {} container(s) left behind by graders that died", reaped);
    } catch (const SandboxError& e) {  // the engine is down: jobs will wait for it; reap next start
      spdlog::warn("could not look for containers of dead graders: {}", e.what());
    }
    grader::run(s, sandbox, g_stop);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 2;
  }
  return 0;
}
