// Helpers the producer's operations share (producer.cpp, regrade.cpp, import.cpp); not part of
// the library's interface.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "gradeq/producer.hpp"

namespace gradeq::producer::detail {

// A whole file; InputError naming it if it cannot be read.
std::string read_bytes(const std::filesystem::path& path);

// A student ID gradeq accepts: letters, digits and _.@+- (not first), at most 128 characters.
bool valid_student(const std::string& id);

// What is wrong with one student's files against the spec (missing required files) and the
// size limits of `settings`; empty if nothing.
std::vector<std::string> check_files(const Settings& settings, const Spec& spec,
                                     const std::vector<wire::File>& files);

// Publishes jobs already committed to the outbox and marks them published. A broker that does
// not answer is retried for `settings.publish_retry`, then PublishError (the jobs stay in the
// outbox for the sweeper or `republish`).
void publish_jobs(const Settings& settings, pg::Store& store, const std::vector<Job>& jobs);

// The assignment's newest version; an unknown assignment is InputError.
pg::AssignmentVersion latest_version(pg::Store& store, const std::string& course, const std::string& name);

}  // namespace gradeq::producer::detail
