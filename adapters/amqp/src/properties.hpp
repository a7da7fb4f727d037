// Internal: reading a delivery's message properties (message_id, and the x-delivery-count and
// x-death headers RabbitMQ adds) into a Delivery. Pure functions over rabbitmq-c's decoded
// structures, unit-tested without a broker.
#pragma once

#include <amqp.h>
#include <amqp_framing.h>

#include <cstdint>
#include <optional>
#include <string>

#include "gradeq/amqp.hpp"

namespace gradeq::amqp::detail {

// The value of any AMQP integer field kind (I8..U64, and TIMESTAMP), clamped to int64;
// nullopt for any other kind (strings, floats, tables...).
std::optional<std::int64_t> integer_value(const amqp_field_value_t& value);

// The value of the first entry named `key` in `table`, or nullptr. Tolerates a table whose
// entries pointer is null or whose count is negative (treated as empty).
const amqp_field_value_t* find_entry(const amqp_table_t& table, const char* key);

// x-death's first entry (the most recent death), or nullopt unless `value` is an array whose
// first element is a table. Fields of the entry that are missing or of the wrong kind keep the
// Death defaults.
std::optional<Death> parse_x_death(const amqp_field_value_t& value);

// Sets delivery.delivery_count, .death and .message_id from `properties` (all left at their
// defaults when the corresponding flag, header or field is absent or malformed).
void read_properties(const amqp_basic_properties_t& properties, Delivery& delivery);

}  // namespace gradeq::amqp::detail
