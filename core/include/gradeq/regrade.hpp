// What a regrade changed (`gradeq-producer regrade-report`): for each regraded submission, its
// result before the regrade (captured when the regrade was made) and the regrade's own result,
// whether the score or status changed, which failed tests changed, and the report as a
// report::Table (aligned text, CSV or JSON). No database types: pg::Store::regrade_items fills
// the items.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "gradeq/report_table.hpp"

namespace gradeq::regrade {

// The regrade's attempt, as far as it got.
enum class State {
  graded,      // it has a result
  error,       // a system fault ended it: no result; the previous score stands
  pending,     // queued or running
  superseded,  // a newer regrade of the same submission replaced it before it finished
};

std::string to_string(State state);

// One result of a submission. Scores are the database's decimal text ("2.5", "3"), shown as
// they are; they are compared by value.
struct Result {
  std::string status;                     // before: the submission's status at regrade time
                                          // (graded | error | queued | running); after: the
                                          // State's name
  std::optional<std::string> score;       // none: no grading result (never graded, or errored)
  std::optional<std::string> max_score;
  std::vector<std::string> failed_tests;  // in spec order
  std::string reason;                     // error: why (a system fault)
};

struct Item {
  std::string student;
  std::string submission_id;
  Result before;
  State state = State::pending;
  Result after;  // after.status == to_string(state)
};

// Pending and superseded items are neither changed nor unchanged.
bool finished(const Item& item);
// A finished item whose status, score or maximum differs from before.
bool changed(const Item& item);

// The failed tests that changed: failing now but not before (in the new spec's order), and
// failing before but not now (in the old order). Empty unless the regrade has a result.
struct FailedDiff {
  std::vector<std::string> now_failing;
  std::vector<std::string> now_passing;
};
FailedDiff failed_diff(const Item& item);

struct Summary {
  std::size_t total = 0;
  std::size_t changed = 0;
  std::size_t unchanged = 0;
  std::size_t pending = 0;
  std::size_t errors = 0;      // of the changed and unchanged: regrades a system fault ended
  std::size_t superseded = 0;
};
Summary summarize(const std::vector<Item>& items);

// "12 regraded: 3 changed, 8 unchanged, 1 pending" (errors and superseded named when any).
std::string summary_line(const Summary& summary);

// One row per item that changed, is pending or was superseded (with `all`: every item), in the
// given order. Columns: student, submission_id, old_status, old_score, old_max, new_status,
// new_score, new_max, now_failing, now_passing, note (an error's reason; "previous score kept").
report::Table table(const std::vector<Item>& items, bool all);

}  // namespace gradeq::regrade
