// Queue topology: two lane queues dead-lettering into one dead queue, all durable quorum queues;
// and the result events' exchange with the webhook queues.
#include <vector>

#include "connection.hpp"

namespace gradeq::amqp {

std::string Topology::interactive() const { return prefix + ".interactive"; }
std::string Topology::bulk() const { return prefix + ".bulk"; }
std::string Topology::dead() const { return prefix + ".dead"; }

namespace {

constexpr amqp_channel_t kChannel = 1;

detail::Connection open(const std::string& url, const char* name) {
  detail::ConnectOptions options;
  options.connection_name = name;
  detail::Connection connection(detail::parse_endpoint(url), options);
  connection.open_channel(kChannel);
  return connection;
}

amqp_table_entry_t string_entry(const char* key, const std::string& value) {
  amqp_table_entry_t e{};
  e.key = amqp_cstring_bytes(key);
  e.value.kind = AMQP_FIELD_KIND_UTF8;
  e.value.value.bytes = detail::to_bytes(value);
  return e;
}

amqp_table_entry_t long_entry(const char* key, std::int64_t value) {
  amqp_table_entry_t e{};
  e.key = amqp_cstring_bytes(key);
  e.value.kind = AMQP_FIELD_KIND_I64;
  e.value.value.i64 = value;
  return e;
}

void declare(detail::Connection& connection, const std::string& queue,
             std::vector<amqp_table_entry_t> arguments) {
  amqp_table_t table;
  table.num_entries = static_cast<int>(arguments.size());
  table.entries = arguments.data();
  amqp_queue_declare(connection.get(), kChannel, detail::to_bytes(queue), /*passive=*/0,
                     /*durable=*/1, /*exclusive=*/0, /*auto_delete=*/0, table);
  connection.check_rpc(kChannel, ("queue.declare '" + queue + "'").c_str());
}

}  // namespace

void declare_topology(const std::string& url, const Topology& topology, int delivery_limit) {
  if (delivery_limit < 1) throw AmqpError("amqp: delivery_limit must be at least 1");
  detail::Connection connection = open(url, "gradeq topology");
  const std::string quorum = "quorum";
  const std::string empty;
  const std::string dead = topology.dead();
  declare(connection, dead, {string_entry("x-queue-type", quorum)});
  for (const std::string& lane : {topology.interactive(), topology.bulk()}) {
    declare(connection, lane,
            {string_entry("x-queue-type", quorum), long_entry("x-delivery-limit", delivery_limit),
             string_entry("x-dead-letter-exchange", empty),
             string_entry("x-dead-letter-routing-key", dead)});
  }
}

void delete_topology(const std::string& url, const Topology& topology) {
  detail::Connection connection = open(url, "gradeq topology");
  for (const std::string& queue : {topology.interactive(), topology.bulk(), topology.dead()}) {
    amqp_queue_delete(connection.get(), kChannel, detail::to_bytes(queue), /*if_unused=*/0,
                      /*if_empty=*/0);
    connection.check_rpc(kChannel, ("queue.delete '" + queue + "'").c_str());
  }
}

std::string EventTopology::exchange() const { return prefix + ".events"; }
std::string EventTopology::webhooks() const { return prefix + ".webhooks"; }
std::string EventTopology::wait_queue(std::chrono::milliseconds delay) const {
  return prefix + ".webhooks.wait." + std::to_string(delay.count()) + "ms";
}

void declare_event_topology(const std::string& url, const EventTopology& topology,
                            const std::vector<std::chrono::milliseconds>& delays) {
  detail::Connection connection = open(url, "gradeq event topology");
  const std::string exchange = topology.exchange();
  amqp_exchange_declare(connection.get(), kChannel, detail::to_bytes(exchange),
                        amqp_cstring_bytes("topic"), /*passive=*/0, /*durable=*/1,
                        /*auto_delete=*/0, /*internal=*/0, amqp_empty_table);
  connection.check_rpc(kChannel, ("exchange.declare '" + exchange + "'").c_str());
  const std::string webhooks = topology.webhooks();
  declare(connection, webhooks, {string_entry("x-queue-type", "quorum")});
  amqp_queue_bind(connection.get(), kChannel, detail::to_bytes(webhooks), detail::to_bytes(exchange),
                  amqp_cstring_bytes("submission.*"), amqp_empty_table);
  connection.check_rpc(kChannel, ("queue.bind '" + webhooks + "'").c_str());
  const std::string empty;
  for (const auto delay : delays) {
    // Classic: every message of a queue has the same TTL, so they expire in order at the head.
    declare(connection, topology.wait_queue(delay),
            {long_entry("x-message-ttl", delay.count()),
             string_entry("x-dead-letter-exchange", empty),
             string_entry("x-dead-letter-routing-key", webhooks)});
  }
}

void delete_event_topology(const std::string& url, const EventTopology& topology,
                           const std::vector<std::chrono::milliseconds>& delays) {
  detail::Connection connection = open(url, "gradeq event topology");
  std::vector<std::string> queues{topology.webhooks()};
  for (const auto delay : delays) queues.push_back(topology.wait_queue(delay));
  for (const std::string& queue : queues) {
    amqp_queue_delete(connection.get(), kChannel, detail::to_bytes(queue), 0, 0);
    connection.check_rpc(kChannel, ("queue.delete '" + queue + "'").c_str());
  }
  const std::string exchange = topology.exchange();
  amqp_exchange_delete(connection.get(), kChannel, detail::to_bytes(exchange), /*if_unused=*/0);
  connection.check_rpc(kChannel, ("exchange.delete '" + exchange + "'").c_str());
}

std::uint32_t queue_depth(const std::string& url, const std::string& queue) {
  detail::Connection connection = open(url, "gradeq queue_depth");
  const amqp_queue_declare_ok_t* ok =
      amqp_queue_declare(connection.get(), kChannel, detail::to_bytes(queue), /*passive=*/1, 0, 0,
                         0, amqp_empty_table);
  connection.check_rpc(kChannel, ("queue.declare(passive) '" + queue + "'").c_str());
  return ok->message_count;
}

}  // namespace gradeq::amqp
