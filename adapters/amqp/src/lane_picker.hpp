// Internal: which queue's waiting delivery a free worker takes next (ConsumerOptions describes
// the policy). Header-only and free of rabbitmq-c, so that it is unit-tested without a broker.
#pragma once

#include <stdexcept>

namespace gradeq::amqp::detail {

enum class Lane { none, dead, interactive, bulk };

// Not thread-safe: the consumer's dispatcher calls it under its lock.
class LanePicker {
 public:
  // `burst` (>= 1): at most this many interactive deliveries in a row while bulk ones wait.
  explicit LanePicker(int burst) : burst_(burst) {
    if (burst_ < 1) {
      throw std::invalid_argument("amqp consumer: interactive_burst must be at least 1");
    }
  }

  // Given which queues have deliveries waiting, the queue to take the next one from (none when
  // nothing waits). Call it once per delivery handed out: it counts the interactive ones.
  Lane pick(bool dead, bool interactive, bool bulk) {
    if (dead) return Lane::dead;  // rare and cheap; does not count against either lane
    if (!interactive) {
      in_a_row_ = 0;  // the interactive lane ran dry: its next burst starts from zero
      return bulk ? Lane::bulk : Lane::none;
    }
    if (bulk && in_a_row_ >= burst_) {
      in_a_row_ = 0;
      return Lane::bulk;
    }
    if (in_a_row_ < burst_) ++in_a_row_;  // saturates: only "reached burst" matters
    return Lane::interactive;
  }

  // Interactive deliveries handed out in a row (since the last bulk one or the interactive lane
  // last ran dry), capped at burst.
  int in_a_row() const { return in_a_row_; }
  int burst() const { return burst_; }

 private:
  int burst_;
  int in_a_row_ = 0;
};

}  // namespace gradeq::amqp::detail
