// What the producer's operations share (producer.cpp, import.cpp); not part of the library's
// interface.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "gradeq/producer.hpp"

namespace gradeq::producer::detail {

// A whole file; InputError naming it if it cannot be read.
std::string read_bytes(const std::filesystem::path& path);

// A student ID gradeq accepts: [A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}.
bool valid_student(const std::string& id);

// What is wrong with one student's files against the spec (missing required files) and the
// size limits of `settings`; empty if nothing.
std::vector<std::string> check_files(const Settings& settings, const Spec& spec,
                                     const std::vector<wire::File>& files);

// Publishes stored jobs (retrying a broker that does not answer for settings.publish_retry) and
// marks them published; PublishError if the broker never confirms.
void publish_jobs(const Settings& settings, pg::Store& store, const std::vector<Job>& jobs);

// The assignment's newest version; InputError for an unknown one.
pg::AssignmentVersion latest_version(pg::Store& store, const std::string& course, const std::string& name);

}  // namespace gradeq::producer::detail
