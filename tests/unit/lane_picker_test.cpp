// gradeq_amqp's broker-free pieces: the consumer's lane choice (LanePicker) and the reading of a
// delivery's properties and headers (x-delivery-count, x-death, message_id).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "lane_picker.hpp"
#include "properties.hpp"

namespace {

using gradeq::amqp::Delivery;
using gradeq::amqp::detail::Lane;
using gradeq::amqp::detail::LanePicker;

// ---- LanePicker ---------------------------------------------------------------------------

// Drains `interactive` and `bulk` waiting deliveries (nothing else arrives) and returns the
// order as a string of 'i' / 'b'.
std::string drain(LanePicker& picker, int interactive, int bulk) {
  std::string order;
  for (;;) {
    const Lane lane = picker.pick(false, interactive > 0, bulk > 0);
    if (lane == Lane::none) return order;
    if (lane == Lane::interactive) {
      --interactive;
      order += 'i';
    } else {
      EXPECT_EQ(lane, Lane::bulk);
      --bulk;
      order += 'b';
    }
  }
}

TEST(LanePicker, NothingWaitingPicksNothing) {
  LanePicker picker(4);
  EXPECT_EQ(picker.pick(false, false, false), Lane::none);
}

TEST(LanePicker, InteractiveFirst) {
  LanePicker picker(4);
  EXPECT_EQ(picker.pick(false, true, true), Lane::interactive);
  EXPECT_EQ(picker.pick(false, true, false), Lane::interactive);
}

TEST(LanePicker, BulkNeverStarvesBehindABurst) {
  LanePicker picker(4);
  // Both lanes always have something waiting: four interactive, one bulk, and again.
  std::string order;
  for (int i = 0; i < 15; ++i) {
    order += picker.pick(false, true, true) == Lane::interactive ? 'i' : 'b';
  }
  EXPECT_EQ(order, "iiiibiiiibiiiib");
}

TEST(LanePicker, BurstOfOneAlternates) {
  LanePicker picker(1);
  EXPECT_EQ(drain(picker, 3, 5), "ibibibbb");
}

TEST(LanePicker, BulkAloneFlows) {
  LanePicker picker(4);
  EXPECT_EQ(drain(picker, 0, 6), "bbbbbb");
}

TEST(LanePicker, InteractiveAloneFlowsPastTheBurst) {
  LanePicker picker(2);
  EXPECT_EQ(drain(picker, 7, 0), "iiiiiii");
}

TEST(LanePicker, InteractiveRunsOutThenBulkTakesOver) {
  LanePicker picker(4);
  EXPECT_EQ(drain(picker, 10, 5), "iiiibiiiibiibbb");
}

TEST(LanePicker, CounterResetsWhenInteractiveRunsDry) {
  LanePicker picker(4);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(picker.pick(false, true, true), Lane::interactive);
  EXPECT_EQ(picker.in_a_row(), 3);
  // The interactive lane is found empty: a bulk one goes, and the count starts over.
  EXPECT_EQ(picker.pick(false, false, true), Lane::bulk);
  EXPECT_EQ(picker.in_a_row(), 0);
  // A full burst again before the next bulk one.
  EXPECT_EQ(drain(picker, 6, 2), "iiiibiib");

  // Found empty with nothing waiting at all resets too.
  LanePicker idle(4);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(idle.pick(false, true, false), Lane::interactive);
  EXPECT_EQ(idle.pick(false, false, false), Lane::none);
  EXPECT_EQ(idle.in_a_row(), 0);
  EXPECT_EQ(drain(idle, 5, 1), "iiiibi");
}

TEST(LanePicker, InteractiveHandedOutWhileBulkWasAbsentCountTowardTheBurst) {
  // The count is of interactive deliveries in a row, whether or not bulk was waiting: a bulk
  // delivery that arrives after a long interactive run goes next.
  LanePicker picker(4);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(picker.pick(false, true, false), Lane::interactive);
  EXPECT_EQ(picker.in_a_row(), 4) << "saturates at the burst";
  EXPECT_EQ(picker.pick(false, true, true), Lane::bulk);
  EXPECT_EQ(picker.pick(false, true, true), Lane::interactive);
}

TEST(LanePicker, DeadFirstAndOutsideTheCount) {
  LanePicker picker(2);
  EXPECT_EQ(picker.pick(true, true, true), Lane::dead);
  EXPECT_EQ(picker.pick(true, false, true), Lane::dead);
  EXPECT_EQ(picker.pick(true, false, false), Lane::dead);
  EXPECT_EQ(picker.in_a_row(), 0);
  EXPECT_EQ(picker.pick(false, true, true), Lane::interactive);
  EXPECT_EQ(picker.pick(true, true, true), Lane::dead);  // does not break the interactive run
  EXPECT_EQ(picker.in_a_row(), 1);
  EXPECT_EQ(picker.pick(false, true, true), Lane::interactive);
  EXPECT_EQ(picker.pick(true, true, true), Lane::dead);
  EXPECT_EQ(picker.pick(false, true, true), Lane::bulk);
}

TEST(LanePicker, BurstBelowOneIsRefused) {
  EXPECT_THROW(LanePicker(0), std::invalid_argument);
  EXPECT_THROW(LanePicker(-3), std::invalid_argument);
}

// ---- properties and headers ----------------------------------------------------------------

amqp_bytes_t bytes(const char* s) { return amqp_cstring_bytes(s); }

amqp_field_value_t utf8(const char* s) {
  amqp_field_value_t v{};
  v.kind = AMQP_FIELD_KIND_UTF8;
  v.value.bytes = bytes(s);
  return v;
}

amqp_field_value_t i64(std::int64_t n) {
  amqp_field_value_t v{};
  v.kind = AMQP_FIELD_KIND_I64;
  v.value.i64 = n;
  return v;
}

amqp_field_value_t timestamp(std::uint64_t t) {
  amqp_field_value_t v{};
  v.kind = AMQP_FIELD_KIND_TIMESTAMP;
  v.value.u64 = t;
  return v;
}

amqp_table_entry_t entry(const char* key, amqp_field_value_t value) {
  amqp_table_entry_t e{};
  e.key = bytes(key);
  e.value = value;
  return e;
}

amqp_table_t table(std::vector<amqp_table_entry_t>& entries) {
  amqp_table_t t{};
  t.num_entries = static_cast<int>(entries.size());
  t.entries = entries.empty() ? nullptr : entries.data();
  return t;
}

amqp_field_value_t table_value(std::vector<amqp_table_entry_t>& entries) {
  amqp_field_value_t v{};
  v.kind = AMQP_FIELD_KIND_TABLE;
  v.value.table = table(entries);
  return v;
}

amqp_field_value_t array_value(std::vector<amqp_field_value_t>& values) {
  amqp_field_value_t v{};
  v.kind = AMQP_FIELD_KIND_ARRAY;
  v.value.array.num_entries = static_cast<int>(values.size());
  v.value.array.entries = values.empty() ? nullptr : values.data();
  return v;
}

amqp_basic_properties_t with_headers(std::vector<amqp_table_entry_t>& headers) {
  amqp_basic_properties_t p{};
  p._flags = AMQP_BASIC_HEADERS_FLAG;
  p.headers = table(headers);
  return p;
}

Delivery read(const amqp_basic_properties_t& properties) {
  Delivery d;
  gradeq::amqp::detail::read_properties(properties, d);
  return d;
}

// What RabbitMQ 3.10.8 sends on the dead queue after a quorum lane's delivery limit (observed).
TEST(DeliveryProperties, ReadsWhatRabbitMqSendsForADeadLetter) {
  std::vector<amqp_field_value_t> routing_keys{utf8("p.interactive")};
  std::vector<amqp_table_entry_t> newest{entry("count", i64(1)),
                                         entry("reason", utf8("delivery_limit")),
                                         entry("queue", utf8("p.interactive")),
                                         entry("time", timestamp(1795524800)),
                                         entry("exchange", utf8("")),
                                         entry("routing-keys", array_value(routing_keys))};
  std::vector<amqp_table_entry_t> older{entry("count", i64(3)), entry("reason", utf8("rejected")),
                                        entry("queue", utf8("p.bulk")),
                                        entry("time", timestamp(1700000000))};
  std::vector<amqp_field_value_t> deaths{table_value(newest), table_value(older)};
  std::vector<amqp_table_entry_t> headers{entry("x-death", array_value(deaths)),
                                          entry("x-delivery-count", i64(2)),
                                          entry("x-first-death-queue", utf8("p.bulk")),
                                          entry("x-first-death-reason", utf8("rejected"))};
  amqp_basic_properties_t p = with_headers(headers);
  p._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
  p.message_id = bytes("1b4e28ba-2fa1-4d2e-883f-0016d3cca427");

  const Delivery d = read(p);
  EXPECT_EQ(d.delivery_count, 2u);
  EXPECT_EQ(d.message_id, "1b4e28ba-2fa1-4d2e-883f-0016d3cca427");
  ASSERT_TRUE(d.death.has_value());
  EXPECT_EQ(d.death->reason, "delivery_limit");  // the first entry: the most recent death
  EXPECT_EQ(d.death->queue, "p.interactive");
  EXPECT_EQ(d.death->count, 1);
  EXPECT_EQ(d.death->time, 1795524800);
}

TEST(DeliveryProperties, NoPropertiesGiveTheDefaults) {
  amqp_basic_properties_t p{};
  const Delivery d = read(p);
  EXPECT_EQ(d.delivery_count, 0u);
  EXPECT_FALSE(d.death.has_value());
  EXPECT_EQ(d.message_id, "");

  // Headers present in the struct but not flagged are not read.
  std::vector<amqp_table_entry_t> headers{entry("x-delivery-count", i64(3))};
  amqp_basic_properties_t unflagged = with_headers(headers);
  unflagged._flags = 0;
  EXPECT_EQ(read(unflagged).delivery_count, 0u);

  // An empty header table.
  std::vector<amqp_table_entry_t> none;
  const Delivery empty = read(with_headers(none));
  EXPECT_EQ(empty.delivery_count, 0u);
  EXPECT_FALSE(empty.death.has_value());
}

TEST(DeliveryProperties, EveryIntegerKindIsAccepted) {
  struct Case {
    amqp_field_value_t value;
    std::uint32_t expected;
  };
  std::vector<Case> cases;
  auto add = [&](char kind, auto setter, std::uint32_t expected) {
    amqp_field_value_t v{};
    v.kind = static_cast<std::uint8_t>(kind);
    setter(v.value);
    cases.push_back({v, expected});
  };
  using V = decltype(amqp_field_value_t{}.value);
  add(AMQP_FIELD_KIND_I8, [](V& v) { v.i8 = 7; }, 7);
  add(AMQP_FIELD_KIND_U8, [](V& v) { v.u8 = 200; }, 200);
  add(AMQP_FIELD_KIND_I16, [](V& v) { v.i16 = 3000; }, 3000);
  add(AMQP_FIELD_KIND_U16, [](V& v) { v.u16 = 60000; }, 60000);
  add(AMQP_FIELD_KIND_I32, [](V& v) { v.i32 = 123456; }, 123456);
  add(AMQP_FIELD_KIND_U32, [](V& v) { v.u32 = 4000000000u; }, 4000000000u);
  add(AMQP_FIELD_KIND_I64, [](V& v) { v.i64 = 5; }, 5);
  add(AMQP_FIELD_KIND_U64, [](V& v) { v.u64 = 6; }, 6);
  add(AMQP_FIELD_KIND_TIMESTAMP, [](V& v) { v.u64 = 8; }, 8);
  // Out of range: clamped.
  add(AMQP_FIELD_KIND_I64, [](V& v) { v.i64 = -1; }, 0);
  add(AMQP_FIELD_KIND_I8, [](V& v) { v.i8 = -100; }, 0);
  add(AMQP_FIELD_KIND_I64, [](V& v) { v.i64 = std::int64_t{1} << 40; },
      std::numeric_limits<std::uint32_t>::max());
  add(AMQP_FIELD_KIND_U64, [](V& v) { v.u64 = std::numeric_limits<std::uint64_t>::max(); },
      std::numeric_limits<std::uint32_t>::max());
  for (const Case& c : cases) {
    std::vector<amqp_table_entry_t> headers{entry("x-delivery-count", c.value)};
    EXPECT_EQ(read(with_headers(headers)).delivery_count, c.expected)
        << "kind '" << static_cast<char>(c.value.kind) << "'";
  }

  // x-death's count and time likewise.
  amqp_field_value_t count{};
  count.kind = AMQP_FIELD_KIND_U16;
  count.value.u16 = 9;
  amqp_field_value_t time{};
  time.kind = AMQP_FIELD_KIND_I32;
  time.value.i32 = 1700000000;
  std::vector<amqp_table_entry_t> death{entry("count", count), entry("time", time),
                                        entry("reason", utf8("expired"))};
  std::vector<amqp_field_value_t> deaths{table_value(death)};
  std::vector<amqp_table_entry_t> headers{entry("x-death", array_value(deaths))};
  const Delivery d = read(with_headers(headers));
  ASSERT_TRUE(d.death.has_value());
  EXPECT_EQ(d.death->count, 9);
  EXPECT_EQ(d.death->time, 1700000000);
  EXPECT_EQ(d.death->reason, "expired");
  EXPECT_EQ(d.death->queue, "");

  amqp_field_value_t huge{};
  huge.kind = AMQP_FIELD_KIND_U64;
  huge.value.u64 = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(gradeq::amqp::detail::integer_value(huge), std::numeric_limits<std::int64_t>::max());
}

TEST(DeliveryProperties, MalformedHeadersGiveDefaultsNeverACrash) {
  // x-delivery-count of a non-integer kind.
  {
    std::vector<amqp_table_entry_t> headers{entry("x-delivery-count", utf8("3"))};
    EXPECT_EQ(read(with_headers(headers)).delivery_count, 0u);
    amqp_field_value_t f{};
    f.kind = AMQP_FIELD_KIND_F64;
    f.value.f64 = 3.0;
    headers = {entry("x-delivery-count", f)};
    EXPECT_EQ(read(with_headers(headers)).delivery_count, 0u);
  }
  // x-death that is not an array, an empty array, an array of non-tables, a null entries
  // pointer, a negative count.
  {
    std::vector<amqp_table_entry_t> headers{entry("x-death", utf8("rejected"))};
    EXPECT_FALSE(read(with_headers(headers)).death.has_value());

    std::vector<amqp_field_value_t> empty;
    headers = {entry("x-death", array_value(empty))};
    EXPECT_FALSE(read(with_headers(headers)).death.has_value());

    std::vector<amqp_field_value_t> strings{utf8("a"), utf8("b")};
    headers = {entry("x-death", array_value(strings))};
    EXPECT_FALSE(read(with_headers(headers)).death.has_value());

    amqp_field_value_t null_array{};
    null_array.kind = AMQP_FIELD_KIND_ARRAY;
    null_array.value.array.num_entries = 3;
    null_array.value.array.entries = nullptr;
    headers = {entry("x-death", null_array)};
    EXPECT_FALSE(read(with_headers(headers)).death.has_value());

    amqp_field_value_t negative{};
    negative.kind = AMQP_FIELD_KIND_ARRAY;
    negative.value.array.num_entries = -1;
    negative.value.array.entries = strings.data();
    headers = {entry("x-death", negative)};
    EXPECT_FALSE(read(with_headers(headers)).death.has_value());
  }
  // An x-death entry with fields of the wrong kinds: a Death with defaults for those.
  {
    std::vector<amqp_table_entry_t> bad{entry("count", utf8("one")), entry("reason", i64(5)),
                                        entry("queue", utf8("q")), entry("time", utf8("now"))};
    std::vector<amqp_field_value_t> deaths{table_value(bad)};
    std::vector<amqp_table_entry_t> headers{entry("x-death", array_value(deaths))};
    const Delivery d = read(with_headers(headers));
    ASSERT_TRUE(d.death.has_value());
    EXPECT_EQ(d.death->queue, "q");
    EXPECT_EQ(d.death->reason, "");
    EXPECT_EQ(d.death->count, 0);
    EXPECT_EQ(d.death->time, 0);
  }
  // An empty x-death entry table with a null entries pointer and a non-zero count.
  {
    amqp_field_value_t broken{};
    broken.kind = AMQP_FIELD_KIND_TABLE;
    broken.value.table.num_entries = 2;
    broken.value.table.entries = nullptr;
    std::vector<amqp_field_value_t> deaths{broken};
    std::vector<amqp_table_entry_t> headers{entry("x-death", array_value(deaths))};
    const Delivery d = read(with_headers(headers));
    ASSERT_TRUE(d.death.has_value());
    EXPECT_EQ(d.death->reason, "");
  }
  // A header table claiming entries it does not have.
  {
    amqp_basic_properties_t p{};
    p._flags = AMQP_BASIC_HEADERS_FLAG;
    p.headers.num_entries = 4;
    p.headers.entries = nullptr;
    const Delivery d = read(p);
    EXPECT_EQ(d.delivery_count, 0u);
    EXPECT_FALSE(d.death.has_value());
  }
  // Keys that only share a prefix, and a key with null bytes, are not matches.
  {
    amqp_table_entry_t nullkey{};
    nullkey.key.len = 16;
    nullkey.key.bytes = nullptr;
    nullkey.value = i64(4);
    std::vector<amqp_table_entry_t> headers{entry("x-delivery-count-2", i64(7)),
                                            entry("x-delivery", i64(8)), nullkey};
    EXPECT_EQ(read(with_headers(headers)).delivery_count, 0u);
  }
  // A message_id flagged but with null bytes.
  {
    amqp_basic_properties_t p{};
    p._flags = AMQP_BASIC_MESSAGE_ID_FLAG;
    p.message_id.len = 5;
    p.message_id.bytes = nullptr;
    EXPECT_EQ(read(p).message_id, "");
  }
}

TEST(DeliveryProperties, TheFirstOfDuplicateKeysWins) {
  std::vector<amqp_table_entry_t> headers{entry("x-delivery-count", i64(1)),
                                          entry("x-delivery-count", i64(2))};
  EXPECT_EQ(read(with_headers(headers)).delivery_count, 1u);
}

}  // namespace
