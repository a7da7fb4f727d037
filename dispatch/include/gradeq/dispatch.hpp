// Getting jobs onto the queue: the outbox's publishing side, shared by the producer (publish
// after commit, `sweep`) and the grader (its sweeper thread).
//
// The outbox (gradeq.jobs, see migrations/0002_delivery.sql) is written in the submission's
// transaction; publish_and_mark() publishes after commit and records the broker's confirm. A
// crash between the two leaves the job unpublished, and sweep() publishes it after a grace
// period; sweep() also republishes submissions whose grader died holding them (lease expired).
// Duplicates are harmless: the grader's result write is conditional.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gradeq/amqp.hpp"
#include "gradeq/job.hpp"
#include "gradeq/pg_store.hpp"

namespace gradeq::dispatch {

// One broker connection in confirm mode and the topology, declared on first use. Not
// thread-safe: one per thread.
class JobPublisher {
 public:
  JobPublisher(std::string amqp_url, std::string queue_prefix);

  // Publishes every job to its lane's queue as a persistent message and returns once the broker
  // has confirmed all of them. Throws amqp::AmqpError (some may have been enqueued: retrying
  // the whole list is safe).
  void publish(const std::vector<Job>& jobs);

  // Declares the topology unless this publisher already did. Throws amqp::AmqpError.
  void declare();

  const amqp::Topology& topology() const { return topology_; }
  const std::string& url() const { return url_; }

 private:
  std::string url_;
  amqp::Topology topology_;
  bool declared_ = false;
  amqp::Publisher publisher_;
};

// Publishes, then records the jobs published in the outbox. If the broker fails, throws
// amqp::AmqpError and the jobs stay unpublished (the sweeper's to publish). If only the record
// fails (the database went away), the jobs are on the queue and the sweeper may publish them a
// second time: harmless.
void publish_and_mark(pg::Store& store, JobPublisher& publisher, const std::vector<Job>& jobs);

// One sweep (see pg::Store::sweep), with `empty_lanes` read from the lane queues' depths just
// before. Throws pg::DatabaseError or amqp::AmqpError.
pg::SweepResult sweep(pg::Store& store, JobPublisher& publisher, const pg::SweepPolicy& policy);

}  // namespace gradeq::dispatch
