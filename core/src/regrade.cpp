#include "gradeq/regrade.hpp"

#include <algorithm>
#include <cstdlib>

namespace gradeq::regrade {

namespace {

// Two decimal texts denote the same number ("3" and "3.0"); both absent counts as equal.
bool same_number(const std::optional<std::string>& a, const std::optional<std::string>& b) {
  if (!a || !b) return !a && !b;
  if (*a == *b) return true;
  char* end_a = nullptr;
  char* end_b = nullptr;
  const double x = std::strtod(a->c_str(), &end_a);
  const double y = std::strtod(b->c_str(), &end_b);
  return *end_a == '\0' && *end_b == '\0' && x == y;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

report::Cell text(const std::string& value) { return {false, value, {}}; }
report::Cell number(const std::optional<std::string>& value) {
  return value ? report::Cell{false, *value, {}} : report::Cell{};
}
report::Cell names(const std::vector<std::string>& values) {
  report::Cell cell{false, "", {}};
  for (const auto& v : values) cell.items.emplace_back(v);
  return cell;
}

}  // namespace

std::string to_string(State state) {
  switch (state) {
    case State::graded: return "graded";
    case State::error: return "error";
    case State::pending: return "pending";
    case State::superseded: return "superseded";
  }
  return "pending";
}

bool finished(const Item& item) { return item.state == State::graded || item.state == State::error; }

bool changed(const Item& item) {
  if (!finished(item)) return false;
  if (item.before.status != item.after.status) return true;
  return item.state == State::graded && (!same_number(item.before.score, item.after.score) ||
                                         !same_number(item.before.max_score, item.after.max_score));
}

FailedDiff failed_diff(const Item& item) {
  FailedDiff diff;
  if (item.state != State::graded) return diff;
  for (const auto& t : item.after.failed_tests) {
    if (!contains(item.before.failed_tests, t)) diff.now_failing.push_back(t);
  }
  for (const auto& t : item.before.failed_tests) {
    if (!contains(item.after.failed_tests, t)) diff.now_passing.push_back(t);
  }
  return diff;
}

Summary summarize(const std::vector<Item>& items) {
  Summary s;
  s.total = items.size();
  for (const auto& item : items) {
    if (item.state == State::pending) {
      ++s.pending;
    } else if (item.state == State::superseded) {
      ++s.superseded;
    } else {
      if (item.state == State::error) ++s.errors;
      if (changed(item)) {
        ++s.changed;
      } else {
        ++s.unchanged;
      }
    }
  }
  return s;
}

std::string summary_line(const Summary& s) {
  std::string out = std::to_string(s.total) + " regraded: " + std::to_string(s.changed) + " changed, " +
                    std::to_string(s.unchanged) + " unchanged";
  if (s.pending) out += ", " + std::to_string(s.pending) + " pending";
  if (s.errors) {
    out += ", " + std::to_string(s.errors) + " ended in error (system fault; previous score kept)";
  }
  if (s.superseded) out += ", " + std::to_string(s.superseded) + " superseded by a newer regrade";
  return out;
}

report::Table table(const std::vector<Item>& items, bool all) {
  report::Table t;
  using report::Kind;
  t.columns = {{"student", Kind::text},        {"submission_id", Kind::text},
               {"old_status", Kind::text},     {"old_score", Kind::number},
               {"old_max", Kind::number},      {"new_status", Kind::text},
               {"new_score", Kind::number},    {"new_max", Kind::number},
               {"now_failing", Kind::text_array}, {"now_passing", Kind::text_array},
               {"note", Kind::text}};
  for (const auto& item : items) {
    if (!all && finished(item) && !changed(item)) continue;
    const FailedDiff diff = failed_diff(item);
    std::string note;
    if (item.state == State::error) {
      note = "previous score kept";
      if (!item.after.reason.empty()) note += "; " + item.after.reason;
    } else if (item.state == State::superseded) {
      note = "a newer regrade of this submission replaced this one";
    }
    t.rows.push_back({text(item.student), text(item.submission_id), text(item.before.status),
                      number(item.before.score), number(item.before.max_score), text(to_string(item.state)),
                      number(item.after.score), number(item.after.max_score), names(diff.now_failing),
                      names(diff.now_passing), note.empty() ? report::Cell{} : text(note)});
  }
  return t;
}

}  // namespace gradeq::regrade
