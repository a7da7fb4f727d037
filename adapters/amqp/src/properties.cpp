#include "properties.hpp"

#include <cstring>
#include <limits>

namespace gradeq::amqp::detail {

namespace {

// "" for empty or inconsistent (null with a length) bytes.
std::string bytes_string(const amqp_bytes_t& bytes) {
  if (bytes.len == 0 || bytes.bytes == nullptr) return std::string();
  return std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

std::optional<std::string> string_value(const amqp_field_value_t& value) {
  if (value.kind != AMQP_FIELD_KIND_UTF8 && value.kind != AMQP_FIELD_KIND_BYTES) {
    return std::nullopt;
  }
  return bytes_string(value.value.bytes);
}

bool key_is(const amqp_bytes_t& key, const char* name) {
  const std::size_t n = std::strlen(name);
  return key.len == n && (n == 0 || (key.bytes && std::memcmp(key.bytes, name, n) == 0));
}

}  // namespace

std::optional<std::int64_t> integer_value(const amqp_field_value_t& value) {
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  switch (value.kind) {
    case AMQP_FIELD_KIND_I8:
      return value.value.i8;
    case AMQP_FIELD_KIND_U8:
      return value.value.u8;
    case AMQP_FIELD_KIND_I16:
      return value.value.i16;
    case AMQP_FIELD_KIND_U16:
      return value.value.u16;
    case AMQP_FIELD_KIND_I32:
      return value.value.i32;
    case AMQP_FIELD_KIND_U32:
      return value.value.u32;
    case AMQP_FIELD_KIND_I64:
      return value.value.i64;
    case AMQP_FIELD_KIND_U64:
    case AMQP_FIELD_KIND_TIMESTAMP:
      return static_cast<std::int64_t>(value.value.u64 > kMax ? kMax : value.value.u64);
    default:
      return std::nullopt;
  }
}

const amqp_field_value_t* find_entry(const amqp_table_t& table, const char* key) {
  if (table.num_entries <= 0 || table.entries == nullptr) return nullptr;
  for (int i = 0; i < table.num_entries; ++i) {
    if (key_is(table.entries[i].key, key)) return &table.entries[i].value;
  }
  return nullptr;
}

std::optional<Death> parse_x_death(const amqp_field_value_t& value) {
  if (value.kind != AMQP_FIELD_KIND_ARRAY) return std::nullopt;
  const amqp_array_t& deaths = value.value.array;
  if (deaths.num_entries <= 0 || deaths.entries == nullptr) return std::nullopt;
  const amqp_field_value_t& first = deaths.entries[0];
  if (first.kind != AMQP_FIELD_KIND_TABLE) return std::nullopt;
  const amqp_table_t& entry = first.value.table;
  Death death;
  if (const amqp_field_value_t* v = find_entry(entry, "reason")) {
    death.reason = string_value(*v).value_or("");
  }
  if (const amqp_field_value_t* v = find_entry(entry, "queue")) {
    death.queue = string_value(*v).value_or("");
  }
  if (const amqp_field_value_t* v = find_entry(entry, "count")) {
    death.count = integer_value(*v).value_or(0);
  }
  if (const amqp_field_value_t* v = find_entry(entry, "time")) {
    death.time = integer_value(*v).value_or(0);
  }
  return death;
}

void read_properties(const amqp_basic_properties_t& properties, Delivery& delivery) {
  if (properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG) {
    delivery.message_id = bytes_string(properties.message_id);
  }
  if (!(properties._flags & AMQP_BASIC_HEADERS_FLAG)) return;
  const amqp_table_t& headers = properties.headers;
  if (const amqp_field_value_t* v = find_entry(headers, "x-delivery-count")) {
    const std::int64_t count = integer_value(*v).value_or(0);
    constexpr std::int64_t kMax = std::numeric_limits<std::uint32_t>::max();
    delivery.delivery_count =
        static_cast<std::uint32_t>(count < 0 ? 0 : count > kMax ? kMax : count);
  }
  if (const amqp_field_value_t* v = find_entry(headers, "x-death")) {
    delivery.death = parse_x_death(*v);
  }
}

}  // namespace gradeq::amqp::detail
