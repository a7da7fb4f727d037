// `regrade` and `regrade-report` (README "Regrading").
#include <string>
#include <vector>

#include "gradeq/producer.hpp"
#include "internal.hpp"

namespace gradeq::producer {

RegradeResult regrade(const Settings& settings, const RegradeOptions& options) {
  auto [course, name] = split_assignment(options.assignment);
  std::vector<std::string> bad;
  for (const auto& s : options.students) {
    if (!detail::valid_student(s)) bad.push_back("\"" + s + "\"");
  }
  if (!bad.empty()) {
    std::string list;
    for (const auto& b : bad) list += (list.empty() ? "" : ", ") + b;
    throw InputError("not a valid student ID: " + list);
  }
  pg::RegradeRequest request;
  request.course = course;
  request.assignment = name;
  request.students = options.students;
  request.failed_only = options.failed_only;
  request.all_submissions = options.all_submissions;
  request.label = "regrade of " + options.assignment;
  if (options.failed_only) request.label += " (failed only)";

  pg::Store store(settings.database_url);
  pg::RegradeBatch batch;
  try {
    batch = store.regrade(request);
  } catch (const pg::NotFound& e) {
    throw InputError(e.what());
  }
  if (batch.batch_id.empty()) {
    std::string what = options.failed_only ? "no submission that is errored or below full marks"
                                           : "no submissions";
    std::string whose;
    if (!options.students.empty()) {
      for (const auto& s : options.students) whose += (whose.empty() ? "" : ", ") + s;
      whose = " by " + whose;
    }
    throw InputError("nothing to regrade: " + options.assignment + " has " + what + whose +
                     "; no batch was made");
  }
  RegradeResult result;
  result.batch_id = batch.batch_id;
  result.version = batch.version;
  result.submissions = batch.jobs.size();
  try {
    detail::publish_jobs(settings, store, batch.jobs);
  } catch (const PublishError& e) {  // the batch is stored: name it, so it can be waited for
    throw PublishError("regrade batch " + batch.batch_id + ": " + e.what(), e.ids);
  }
  return result;
}

RegradeReport regrade_report(const Settings& settings, const std::string& batch_id,
                             const std::string& format, bool all) {
  if (!is_uuid(batch_id)) throw InputError("\"" + batch_id + "\" is not a batch ID");
  auto how = report::format_from_string(format);
  if (!how) throw InputError("unknown format \"" + format + "\" (table, csv or json)");
  pg::Store store(settings.database_url);
  std::vector<regrade::Item> items;
  try {
    items = store.regrade_items(batch_id);
  } catch (const pg::NotFound& e) {
    throw InputError(e.what());
  }
  RegradeReport report;
  report.summary = regrade::summarize(items);
  report.text = report::format(regrade::table(items, all), *how);
  return report;
}

}  // namespace gradeq::producer
