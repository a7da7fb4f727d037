#include "gradeq/dispatch.hpp"

namespace gradeq::dispatch {

JobPublisher::JobPublisher(std::string amqp_url, std::string queue_prefix)
    : url_(std::move(amqp_url)), topology_{std::move(queue_prefix)}, publisher_(url_) {}

void JobPublisher::declare() {
  if (declared_) return;
  amqp::declare_topology(url_, topology_);
  declared_ = true;
}

void JobPublisher::publish(const std::vector<Job>& jobs) {
  if (jobs.empty()) return;
  declare();
  std::vector<std::string> interactive;
  std::vector<std::string> bulk;
  for (const auto& job : jobs) (job.lane == Lane::bulk ? bulk : interactive).push_back(to_json(job));
  publisher_.publish(topology_.interactive(), interactive);
  publisher_.publish(topology_.bulk(), bulk);
}

void publish_and_mark(pg::Store& store, JobPublisher& publisher, const std::vector<Job>& jobs) {
  publisher.publish(jobs);
  store.mark_published(jobs);
}

pg::SweepResult sweep(pg::Store& store, JobPublisher& publisher, const pg::SweepPolicy& policy) {
  publisher.declare();
  pg::SweepPolicy with_depths = policy;
  with_depths.empty_lanes.clear();
  const amqp::Topology& t = publisher.topology();
  for (auto [lane, queue] : {std::pair{Lane::interactive, t.interactive()}, std::pair{Lane::bulk, t.bulk()}}) {
    try {
      if (amqp::queue_depth(publisher.url(), queue) == 0) with_depths.empty_lanes.push_back(lane);
    } catch (const amqp::AmqpError&) {
      // The broker went away since the declare: publishing fails below anyway.
    }
  }
  return store.sweep(with_depths, [&](const std::vector<Job>& jobs) { publisher.publish(jobs); });
}

}  // namespace gradeq::dispatch
