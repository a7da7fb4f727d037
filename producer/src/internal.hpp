// Helpers the producer's operations share (producer.cpp, regrade.cpp); not part of the API.
#pragma once

#include <string>
#include <vector>

#include "gradeq/producer.hpp"

namespace gradeq::producer::detail {

// A student ID gradeq accepts: letters, digits and _.@+- (not first), at most 128 characters.
bool valid_student(const std::string& id);

// Publishes jobs already committed to the outbox and marks them published. A broker that does
// not answer is retried for `settings.publish_retry`, then PublishError (the jobs stay in the
// outbox for the sweeper or `republish`).
void publish_jobs(const Settings& settings, pg::Store& store, const std::vector<Job>& jobs);

// The assignment's newest version; an unknown assignment is InputError.
pg::AssignmentVersion latest_version(pg::Store& store, const std::string& course, const std::string& name);

}  // namespace gradeq::producer::detail
