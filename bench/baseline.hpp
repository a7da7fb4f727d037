// The two references the pipeline is measured against, on the same image and limits as the
// grader's containers (the arguments come from DockerSandbox::run_arguments for the request the
// grader would make), with no queue and no database:
//   floor: one `docker run --rm` per submission, at the pipeline's concurrency, running the
//          submission's five tests in a shell loop (the cost of the work itself);
//   naive: one `docker run --rm` per test, one at a time.
// and, to split the difference between the floor and the pipeline:
//   sandbox: what the grader's workers do without the queue and the database: DockerSandbox::run
//            (gradeq-runner, the bundle in, the report out) and grading, at the same concurrency.
#pragma once

#include <string>
#include <vector>

#include "gradeq/pg_store.hpp"
#include "workload.hpp"

namespace gradeq::bench {

struct BaselineRun {
  int submissions = 0;
  int containers = 0;
  int failures = 0;        // docker runs that did not exit 0 (the scripts always do)
  double wall_s = 0;
  double subs_per_s = 0;
  std::vector<double> container_s;  // each docker run, start to exit
  std::string first_failure;
};

class Baseline {
 public:
  // The docker arguments of the grader's request for one submission of `spec_path`.
  explicit Baseline(const std::string& spec_path);

  // `n` submissions (students 0..n-1) at `concurrency`.
  BaselineRun floor(int n, int concurrency) const;
  // `n` submissions, 5 containers each, one after the other.
  BaselineRun naive(int n) const;
  // `n` submissions through the grader's sandbox and grading, at `concurrency`; failures counts
  // grades that differ from the expected ones.
  BaselineRun sandbox(int n, int concurrency) const;

 private:
  // docker run ... IMAGE /bin/sh -c SCRIPT sh ARGS...
  std::vector<std::string> command(const std::string& script, const std::vector<std::string>& args) const;
  std::string spec_path_;
  std::vector<std::string> prefix_;  // docker run ... IMAGE (without -i, without --name)
};

}  // namespace gradeq::bench
