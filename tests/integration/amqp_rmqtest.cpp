// gradeq_amqp against a real RabbitMQ (GRADEQ_AMQP_URL). Every test declares its own queues
// under a random prefix and deletes them afterwards.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gradeq/amqp.hpp"
#include "support.hpp"

namespace {

using namespace std::chrono_literals;
using gradeq::amqp::AmqpError;
using gradeq::amqp::Consumer;
using gradeq::amqp::ConsumerOptions;
using gradeq::amqp::Delivery;
using gradeq::amqp::Disposition;
using gradeq::amqp::Publisher;
using gradeq::amqp::Topology;
using gradeq::testing::amqp_url;
using gradeq::testing::unique_token;

constexpr auto kOverall = 60s;  // generous: no test comes near it on a healthy broker

// Polls `condition` until it holds or `timeout` passes.
bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds timeout = kOverall) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

// A one-shot gate handlers block on. wait() gives up after kOverall so that a failing test can
// never hang its consumer forever.
class Gate {
 public:
  void open() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, kOverall, [&] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Consumer::run on its own thread; stopped and joined on destruction.
class Running {
 public:
  Running(Consumer& consumer, std::function<Disposition(const Delivery&)> handler, int workers)
      : handler_(std::move(handler)) {
    thread_ = std::thread([this, &consumer, workers] {
      try {
        consumer.run(handler_, workers, stop_);
      } catch (const std::exception& e) {
        error_ = e.what();
      }
      returned_ = true;
    });
  }
  ~Running() { stop(); }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;

  void request_stop() { stop_ = true; }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  bool returned() const { return returned_; }
  const std::string& error() const { return error_; }

 private:
  std::function<Disposition(const Delivery&)> handler_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> returned_{false};
  std::string error_;
  std::thread thread_;
};

// A TCP relay between the adapter and the broker, so a test can cut connections the way a
// broker restart or a network failure does, without touching the shared broker.
class Relay {
 public:
  Relay(std::string host, int port) : host_(std::move(host)), port_(port) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(listener_, 16) != 0) {
      throw std::runtime_error("relay: cannot listen");
    }
    socklen_t len = sizeof(addr);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    local_port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~Relay() {
    done_ = true;
    shutdown(listener_, SHUT_RDWR);
    sever();
    if (acceptor_.joinable()) acceptor_.join();
    close(listener_);
    std::lock_guard<std::mutex> lock(mutex_);
    for (std::thread& t : pumps_) t.join();
  }

  int port() const { return local_port_; }
  int accepted() const { return accepted_; }

  // Cuts every connection relayed so far (new ones are still accepted).
  void sever() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
  }

 private:
  int connect_upstream() {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &found) != 0) return -1;
    int fd = -1;
    for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
      fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
      if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
      }
    }
    freeaddrinfo(found);
    return fd;
  }

  void accept_loop() {
    while (!done_) {
      const int client = accept(listener_, nullptr, nullptr);
      if (client < 0) {
        if (done_) return;
        continue;
      }
      const int upstream = connect_upstream();
      if (upstream < 0) {
        close(client);
        continue;
      }
      ++accepted_;
      std::lock_guard<std::mutex> lock(mutex_);
      fds_.insert(fds_.end(), {client, upstream});
      pumps_.emplace_back([client, upstream] { pump(client, upstream); });
    }
  }

  static void pump(int a, int b) {
    char buffer[65536];
    pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    for (;;) {
      if (poll(fds, 2, 1000) < 0) break;
      bool stop = false;
      for (int i = 0; i < 2 && !stop; ++i) {
        if (!fds[i].revents) continue;
        const ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
        if (n <= 0 || write(fds[1 - i].fd, buffer, static_cast<size_t>(n)) != n) stop = true;
      }
      if (stop) break;
    }
    shutdown(a, SHUT_RDWR);
    shutdown(b, SHUT_RDWR);
    // The fds stay open (and listed) until the relay dies, so sever() never hits a reused fd.
  }

  std::string host_;
  int port_;
  int listener_ = -1;
  int local_port_ = 0;
  std::atomic<bool> done_{false};
  std::atomic<int> accepted_{0};
  std::mutex mutex_;
  std::vector<int> fds_;
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

// amqp://user:pass@host:port/vhost -> {host, port, url with host:port replaced by `new_authority`}
struct UrlParts {
  std::string host;
  int port = 5672;
  std::string with_authority(const std::string& authority) const {
    return prefix + authority + suffix;
  }
  std::string prefix;  // up to and including '@' (or "amqp://")
  std::string suffix;  // from the '/' before the vhost
};

UrlParts split_url(const std::string& url) {
  UrlParts parts;
  const std::size_t scheme = url.find("://") + 3;
  const std::size_t at = url.find('@', scheme);
  const std::size_t start = at == std::string::npos ? scheme : at + 1;
  std::size_t end = url.find('/', start);
  if (end == std::string::npos) end = url.size();
  const std::string authority = url.substr(start, end - start);
  const std::size_t colon = authority.rfind(':');
  parts.host = colon == std::string::npos ? authority : authority.substr(0, colon);
  if (colon != std::string::npos) parts.port = std::stoi(authority.substr(colon + 1));
  parts.prefix = url.substr(0, start);
  parts.suffix = url.substr(end);
  return parts;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Records every delivery a handler sees, in order.
class Recorder {
 public:
  void add(const Delivery& d) {
    std::lock_guard<std::mutex> lock(mutex_);
    deliveries_.push_back(d);
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mutex_);
    return deliveries_.size();
  }
  std::vector<Delivery> all() {
    std::lock_guard<std::mutex> lock(mutex_);
    return deliveries_;
  }
  std::vector<Delivery> from(const std::string& queue) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Delivery> out;
    for (const Delivery& d : deliveries_) {
      if (d.queue == queue) out.push_back(d);
    }
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<Delivery> deliveries_;
};

std::vector<std::string> numbered(const std::string& stem, int n) {
  std::vector<std::string> bodies;
  for (int i = 0; i < n; ++i) bodies.push_back(stem + std::to_string(i));
  return bodies;
}

class AmqpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = amqp_url();
    topology_.prefix = "gradeq-test-" + unique_token();
    gradeq::amqp::declare_topology(url_, topology_, 5);
  }
  void TearDown() override {
    try {
      gradeq::amqp::delete_topology(url_, topology_);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "delete_topology: " << e.what();
    }
  }

  std::uint32_t depth(const std::string& queue) {
    return gradeq::amqp::queue_depth(url_, queue);
  }

  std::string url_;
  Topology topology_;
};

TEST(AmqpTopology, QueueNamesDeriveFromThePrefix) {
  Topology t;
  EXPECT_EQ(t.interactive(), "gradeq.interactive");
  EXPECT_EQ(t.bulk(), "gradeq.bulk");
  EXPECT_EQ(t.dead(), "gradeq.dead");
  t.prefix = "x";
  EXPECT_EQ(t.dead(), "x.dead");
}

TEST_F(AmqpTest, DeclareIsIdempotentAndRefusesOtherArguments) {
  EXPECT_NO_THROW(gradeq::amqp::declare_topology(url_, topology_, 5));
  try {
    gradeq::amqp::declare_topology(url_, topology_, 7);
    FAIL() << "declaring with another delivery limit must fail";
  } catch (const AmqpError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("PRECONDITION_FAILED"));
  }
  EXPECT_EQ(depth(topology_.interactive()), 0u);
  EXPECT_THROW(depth(topology_.prefix + ".missing"), AmqpError);
}

TEST_F(AmqpTest, FiveHundredConfirmedMessagesAreConsumedExactlyOnceByFourWorkers) {
  const int n = 500;
  Publisher publisher(url_);
  publisher.publish(topology_.bulk(), numbered("b", n / 2));
  publisher.publish(topology_.interactive(), numbered("i", n / 2));
  EXPECT_EQ(depth(topology_.bulk()), static_cast<std::uint32_t>(n / 2));
  EXPECT_EQ(depth(topology_.interactive()), static_cast<std::uint32_t>(n / 2));

  std::mutex mutex;
  std::map<std::string, int> seen;
  std::set<std::thread::id> threads;
  std::atomic<int> handled{0};
  Consumer consumer(url_, topology_, 10);
  {
    Running running(consumer, [&](const Delivery& d) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        ++seen[d.body];
        threads.insert(std::this_thread::get_id());
        EXPECT_EQ(d.queue, d.body[0] == 'b' ? topology_.bulk() : topology_.interactive());
        EXPECT_FALSE(d.redelivered);
      }
      std::this_thread::sleep_for(1ms);
      ++handled;
      return Disposition::ack;
    }, 4);
    ASSERT_TRUE(wait_for([&] { return handled.load() >= n; })) << handled.load() << " handled";
    // Acks are settled before run() returns; then nothing may be left in any queue.
    running.stop();
    EXPECT_EQ(running.error(), "");
  }
  EXPECT_EQ(handled.load(), n);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(n));
  for (const auto& [body, count] : seen) EXPECT_EQ(count, 1) << body;
  EXPECT_GT(threads.size(), 1u) << "deliveries should be spread over the workers";
  EXPECT_EQ(depth(topology_.bulk()), 0u);
  EXPECT_EQ(depth(topology_.interactive()), 0u);
  EXPECT_EQ(depth(topology_.dead()), 0u);
}

TEST_F(AmqpTest, RejectedMessageLandsInTheDeadQueue) {
  Publisher(url_).publish(topology_.interactive(), {R"({"poison":true})"});
  std::atomic<int> calls{0};
  Consumer consumer(url_, topology_, 5);
  Running running(consumer, [&](const Delivery& d) {
    ++calls;
    EXPECT_EQ(d.body, R"({"poison":true})");
    return Disposition::reject;
  }, 2);
  EXPECT_TRUE(wait_for([&] { return depth(topology_.dead()) == 1; }));
  running.stop();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(depth(topology_.interactive()), 0u);
}

TEST_F(AmqpTest, ThrowingHandlerGetsTheMessageRedelivered) {
  Publisher(url_).publish(topology_.bulk(), {"flaky"});
  std::mutex mutex;
  std::vector<bool> redelivered;
  Consumer consumer(url_, topology_, 5);
  Running running(consumer, [&](const Delivery& d) {
    std::lock_guard<std::mutex> lock(mutex);
    redelivered.push_back(d.redelivered);
    if (redelivered.size() == 1) throw std::runtime_error("database went away");
    return Disposition::ack;
  }, 1);
  EXPECT_TRUE(wait_for([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return redelivered.size() >= 2;
  }));
  running.stop();
  ASSERT_EQ(redelivered.size(), 2u);
  EXPECT_FALSE(redelivered[0]);
  EXPECT_TRUE(redelivered[1]);
  EXPECT_EQ(depth(topology_.bulk()), 0u);
  EXPECT_EQ(depth(topology_.dead()), 0u);
}

TEST_F(AmqpTest, MessageThatAlwaysThrowsIsDeadLetteredPastTheDeliveryLimit) {
  // RabbitMQ 3.10 quorum queues: with x-delivery-limit=N a message is dead-lettered when it is
  // given back for the (N+1)th time (it would be delivered for the (N+2)th time), so it is
  // handled N+1 times in all, with delivery_count 0..N.
  gradeq::amqp::delete_topology(url_, topology_);
  const int limit = 2;
  gradeq::amqp::declare_topology(url_, topology_, limit);
  Publisher(url_).publish(topology_.interactive(), {"crashes-the-grader"});
  std::atomic<int> calls{0};
  std::atomic<int> redelivered{0};
  std::mutex mutex;
  std::multiset<std::uint32_t> counts;
  Consumer consumer(url_, topology_, 5);
  Running running(consumer, [&](const Delivery& d) -> Disposition {
    ++calls;
    if (d.redelivered) ++redelivered;
    {
      std::lock_guard<std::mutex> lock(mutex);
      counts.insert(d.delivery_count);
    }
    throw std::runtime_error("boom");
  }, 2);
  EXPECT_TRUE(wait_for([&] { return depth(topology_.dead()) == 1; }));
  running.stop();
  EXPECT_EQ(calls.load(), limit + 1);
  EXPECT_EQ(redelivered.load(), limit);
  EXPECT_EQ(counts, (std::multiset<std::uint32_t>{0, 1, 2})) << "delivery_count 0..limit";
  EXPECT_EQ(depth(topology_.interactive()), 0u);
}

TEST_F(AmqpTest, PublishingToAMissingQueueFailsAndThePublisherStaysUsable) {
  Publisher publisher(url_);
  try {
    publisher.publish(topology_.prefix + ".nosuchqueue", {"a", "b"});
    FAIL() << "an unroutable mandatory message must fail the publish";
  } catch (const AmqpError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("NO_ROUTE"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("2 of 2"));
  }
  publisher.publish(topology_.bulk(), {"after"});
  EXPECT_EQ(depth(topology_.bulk()), 1u);
  publisher.publish(topology_.bulk(), {});  // no-op
  EXPECT_EQ(depth(topology_.bulk()), 1u);
}

TEST(AmqpErrors, PublisherAgainstAClosedPortThrowsQuicklyWithAClearMessage) {
  // A port nothing listens on: bind an ephemeral one, then release it.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  close(fd);

  const std::string url =
      "amqp://guest:s3cret@127.0.0.1:" + std::to_string(port) + "/%2f";
  Publisher publisher(url);
  const auto start = std::chrono::steady_clock::now();
  try {
    publisher.publish("gradeq.bulk", {"x"});
    FAIL() << "publish must throw";
  } catch (const AmqpError& e) {
    const std::string what = e.what();
    EXPECT_THAT(what, ::testing::HasSubstr("Connection refused"));
    EXPECT_THAT(what, ::testing::HasSubstr("127.0.0.1:" + std::to_string(port)));
    EXPECT_THAT(what, ::testing::Not(::testing::HasSubstr("s3cret")));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_THROW(publisher.publish("gradeq.bulk", {"x"}), AmqpError);  // still fails, no hang

  EXPECT_THROW(Publisher("not a url"), AmqpError);
  EXPECT_THROW(Consumer("http://example.com", Topology{}, 1), AmqpError);
  EXPECT_THROW(Consumer(gradeq::testing::amqp_url(), Topology{}, 0), std::invalid_argument);
}

TEST_F(AmqpTest, StopFinishesHandlersInFlightAndGivesTheRestBack) {
  const int n = 10;
  Publisher(url_).publish(topology_.bulk(), numbered("s", n));
  Gate gate;
  std::atomic<int> started{0};
  std::atomic<int> finished{0};
  Consumer consumer(url_, topology_, n);  // everything is delivered to this consumer at once
  Running running(consumer, [&](const Delivery&) {
    ++started;
    gate.wait();
    ++finished;
    return Disposition::ack;
  }, 2);
  ASSERT_TRUE(wait_for([&] { return started.load() == 2 && depth(topology_.bulk()) == 0; }));

  running.request_stop();
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(running.returned()) << "run() must wait for the handlers in flight";
  gate.open();
  running.stop();
  EXPECT_EQ(running.error(), "");
  EXPECT_EQ(started.load(), 2) << "no new handler may start once stop is set";
  EXPECT_EQ(finished.load(), 2);
  // The two handled messages were acked; the eight held back are ready again.
  EXPECT_TRUE(wait_for([&] { return depth(topology_.bulk()) == n - 2; }, 10s))
      << depth(topology_.bulk());
  EXPECT_EQ(depth(topology_.dead()), 0u);
}

TEST_F(AmqpTest, StopWhileIdleReturnsPromptly) {
  Consumer consumer(url_, topology_, 4);
  Running running(consumer, [](const Delivery&) { return Disposition::ack; }, 2);
  std::this_thread::sleep_for(200ms);
  running.stop();
  EXPECT_TRUE(running.returned());
  EXPECT_EQ(running.error(), "");
}

TEST_F(AmqpTest, InteractiveIsServedBeforeBulkWhenBothAreWaiting) {
  const int prefetch = 10;
  Publisher publisher(url_);
  publisher.publish(topology_.bulk(), numbered("b", 50));
  Gate gate;
  std::mutex mutex;
  std::vector<std::string> order;
  Consumer consumer(url_, topology_, prefetch);
  Running running(consumer, [&](const Delivery& d) {
    bool first = false;
    {
      std::lock_guard<std::mutex> lock(mutex);
      order.push_back(d.body);
      first = order.size() == 1;
    }
    if (first) gate.wait();  // hold the only worker while both lanes fill up locally
    return Disposition::ack;
  }, 1);
  ASSERT_TRUE(wait_for([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return order.size() == 1;
  }));
  publisher.publish(topology_.interactive(), numbered("i", 5));
  // All five are delivered to this consumer (prefetch 10), and bulk has `prefetch` waiting too.
  ASSERT_TRUE(wait_for([&] { return depth(topology_.interactive()) == 0; }));
  std::this_thread::sleep_for(500ms);  // let the I/O thread take them off the socket
  gate.open();
  ASSERT_TRUE(wait_for([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return order.size() == 55;
  }));
  running.stop();
  ASSERT_EQ(order.size(), 55u);
  EXPECT_EQ(order[0][0], 'b');
  // Interactive first, but at most interactive_burst (4 by default) in a row while bulk waits.
  std::vector<std::string> burst(order.begin() + 1, order.begin() + 5);
  EXPECT_THAT(burst, ::testing::Each(::testing::StartsWith("i")))
      << "four interactive deliveries must come right after the one in hand";
  EXPECT_EQ(order[5][0], 'b') << "then one bulk delivery";
  EXPECT_EQ(order[6][0], 'i') << "then the fifth interactive one";
  std::set<std::string> interactive(burst.begin(), burst.end());
  interactive.insert(order[6]);
  EXPECT_EQ(interactive, (std::set<std::string>{"i0", "i1", "i2", "i3", "i4"}));
  EXPECT_EQ(depth(topology_.bulk()), 0u);
}

TEST_F(AmqpTest, ConsumerReconnectsAfterConnectionLossAndTheBrokerRedelivers) {
  const UrlParts parts = split_url(url_);
  Relay relay(parts.host, parts.port);
  const std::string relayed = parts.with_authority("127.0.0.1:" + std::to_string(relay.port()));

  const int n = 20;
  Publisher(url_).publish(topology_.bulk(), numbered("r", n));
  std::mutex mutex;
  std::map<std::string, int> seen;
  std::set<std::string> redelivered;
  std::atomic<bool> cut{false};
  Consumer consumer(relayed, topology_, 5);
  Running running(consumer, [&](const Delivery& d) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      ++seen[d.body];
      if (d.redelivered) redelivered.insert(d.body);
    }
    // The first handler loses the connection under its feet: its ack cannot reach the broker.
    if (!cut.exchange(true)) relay.sever();
    return Disposition::ack;
  }, 2);
  ASSERT_TRUE(wait_for([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return seen.size() == static_cast<std::size_t>(n) && !redelivered.empty();
  }));
  ASSERT_TRUE(wait_for([&] { return depth(topology_.bulk()) == 0; }));
  running.stop();
  EXPECT_EQ(running.error(), "");
  EXPECT_GE(relay.accepted(), 2) << "the consumer must have reconnected";
  std::lock_guard<std::mutex> lock(mutex);
  // At least once: every message was handled; the one in hand at the cut was handled again.
  for (const auto& [body, count] : seen) EXPECT_GE(count, 1) << body;
  EXPECT_EQ(depth(topology_.dead()), 0u);
}

TEST_F(AmqpTest, PublisherReconnectsAfterTheBrokerDroppedItsIdleConnection) {
  const UrlParts parts = split_url(url_);
  Relay relay(parts.host, parts.port);
  Publisher publisher(parts.with_authority("127.0.0.1:" + std::to_string(relay.port())));
  publisher.publish(topology_.bulk(), {"one"});
  relay.sever();
  std::this_thread::sleep_for(100ms);
  publisher.publish(topology_.bulk(), {"two"});
  EXPECT_EQ(relay.accepted(), 2);
  EXPECT_EQ(depth(topology_.bulk()), 2u);
}

// ---- delivery_count, death, message_id, the dead queue, fairness -------------------------------

TEST_F(AmqpTest, EachRequeueRaisesTheDeliveryCount) {
  Publisher(url_).publish(topology_.bulk(), {"flaky"});
  Recorder seen;
  Consumer consumer(url_, topology_, 5);
  Running running(consumer, [&](const Delivery& d) {
    seen.add(d);
    if (seen.size() <= 2) throw std::runtime_error("not yet");  // nack, requeue=true
    return Disposition::ack;
  }, 1);
  ASSERT_TRUE(wait_for([&] { return seen.size() >= 3; }));
  running.stop();
  const std::vector<Delivery> all = seen.all();
  ASSERT_EQ(all.size(), 3u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].delivery_count, i) << "delivery " << i;
    EXPECT_EQ(all[i].redelivered, i > 0) << "delivery " << i;
    EXPECT_FALSE(all[i].death.has_value());
    EXPECT_EQ(all[i].message_id, all[0].message_id) << "a requeue keeps the message id";
  }
  EXPECT_EQ(depth(topology_.bulk()), 0u);
  EXPECT_EQ(depth(topology_.dead()), 0u);
}

TEST_F(AmqpTest, AConnectionDyingWithTheMessageUnackedRaisesTheDeliveryCount) {
  const UrlParts parts = split_url(url_);
  Relay relay(parts.host, parts.port);
  Publisher(url_).publish(topology_.interactive(), {"in-hand-at-the-cut"});
  Recorder seen;
  const std::string relayed = parts.with_authority("127.0.0.1:" + std::to_string(relay.port()));
  Consumer consumer(relayed, topology_, 5);
  Running running(consumer, [&](const Delivery& d) {
    seen.add(d);
    if (seen.size() == 1) relay.sever();  // the ack cannot reach the broker
    return Disposition::ack;
  }, 1);
  ASSERT_TRUE(wait_for([&] { return seen.size() >= 2; }));
  ASSERT_TRUE(wait_for([&] { return depth(topology_.interactive()) == 0; }));
  running.stop();
  const std::vector<Delivery> all = seen.all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].delivery_count, 0u);
  EXPECT_EQ(all[1].delivery_count, 1u) << "RabbitMQ 3.10 counts a return by a dead connection";
  EXPECT_TRUE(all[1].redelivered);
  EXPECT_EQ(all[1].message_id, all[0].message_id);
}

TEST_F(AmqpTest, DeliveriesGivenBackAtStopComeBackWithAHigherDeliveryCount) {
  const int n = 4;
  Publisher(url_).publish(topology_.bulk(), numbered("g", n));
  Gate gate;
  std::atomic<int> started{0};
  {
    Consumer consumer(url_, topology_, n);
    Running running(consumer, [&](const Delivery&) {
      ++started;
      gate.wait();
      return Disposition::ack;
    }, 1);
    ASSERT_TRUE(wait_for([&] { return started.load() == 1 && depth(topology_.bulk()) == 0; }));
    running.request_stop();
    std::this_thread::sleep_for(300ms);  // let run() see the stop before the handler returns
    gate.open();
    running.stop();
  }
  // The handled ones were acked; those held back went back with basic.nack(requeue=true).
  const int handled = started.load();
  ASSERT_LT(handled, n) << "nothing was given back";
  const auto given_back = static_cast<std::uint32_t>(n - handled);
  ASSERT_TRUE(wait_for([&] { return depth(topology_.bulk()) == given_back; }, 10s));
  Recorder seen;
  Consumer again(url_, topology_, n);
  Running running(again, [&](const Delivery& d) {
    seen.add(d);
    return Disposition::ack;
  }, 1);
  ASSERT_TRUE(wait_for([&] { return seen.size() == given_back; }));
  running.stop();
  for (const Delivery& d : seen.all()) {
    EXPECT_EQ(d.delivery_count, 1u) << d.body << ": given back unhandled, and still counted";
    EXPECT_TRUE(d.redelivered) << d.body;
  }
}

TEST_F(AmqpTest, PastTheDeliveryLimitTheMessageArrivesFromTheDeadQueueWithItsDeath) {
  // x-delivery-limit=1: delivered with delivery_count 0, then 1; its second return (it would
  // be delivered a third time) dead-letters it with reason "delivery_limit".
  gradeq::amqp::delete_topology(url_, topology_);
  gradeq::amqp::declare_topology(url_, topology_, 1);
  const std::int64_t before = unix_now();
  Publisher(url_).publish(topology_.interactive(), {"crashes-every-time"});
  Recorder seen;
  ConsumerOptions options;
  options.consume_dead = true;
  Consumer consumer(url_, topology_, 5, options);
  Running running(consumer, [&](const Delivery& d) -> Disposition {
    seen.add(d);
    if (d.queue == topology_.dead()) return Disposition::ack;
    throw std::runtime_error("crash");
  }, 2);
  ASSERT_TRUE(wait_for([&] { return !seen.from(topology_.dead()).empty(); }));
  running.stop();
  const std::int64_t after = unix_now();

  const std::vector<Delivery> lane = seen.from(topology_.interactive());
  ASSERT_EQ(lane.size(), 2u) << "delivered delivery_limit + 1 times";
  EXPECT_EQ(lane[0].delivery_count, 0u);
  EXPECT_EQ(lane[1].delivery_count, 1u);
  for (const Delivery& d : lane) EXPECT_FALSE(d.death.has_value());

  const std::vector<Delivery> dead = seen.from(topology_.dead());
  ASSERT_EQ(dead.size(), 1u);
  const Delivery& d = dead[0];
  EXPECT_EQ(d.body, "crashes-every-time");
  ASSERT_TRUE(d.death.has_value());
  EXPECT_EQ(d.death->reason, "delivery_limit");
  EXPECT_EQ(d.death->queue, topology_.interactive());
  EXPECT_EQ(d.death->count, 1);
  EXPECT_GE(d.death->time, before - 60) << "unix seconds";
  EXPECT_LE(d.death->time, after + 60) << "unix seconds";
  EXPECT_EQ(d.delivery_count, 0u) << "the dead queue counts its own returns, from 0";
  EXPECT_FALSE(d.redelivered);
  EXPECT_EQ(d.message_id, lane[0].message_id) << "dead-lettering keeps the message id";
  EXPECT_EQ(depth(topology_.interactive()), 0u);
  EXPECT_EQ(depth(topology_.dead()), 0u);
}

TEST_F(AmqpTest, ARejectedMessageArrivesFromTheDeadQueueAsRejected) {
  Publisher(url_).publish(topology_.bulk(), {R"({"poison":true})"});
  Recorder seen;
  ConsumerOptions options;
  options.consume_dead = true;
  Consumer consumer(url_, topology_, 5, options);
  Running running(consumer, [&](const Delivery& d) {
    seen.add(d);
    return d.queue == topology_.dead() ? Disposition::ack : Disposition::reject;
  }, 2);
  ASSERT_TRUE(wait_for([&] { return !seen.from(topology_.dead()).empty(); }));
  running.stop();
  const std::vector<Delivery> lane = seen.from(topology_.bulk());
  ASSERT_EQ(lane.size(), 1u);
  const std::vector<Delivery> dead = seen.from(topology_.dead());
  ASSERT_EQ(dead.size(), 1u);
  ASSERT_TRUE(dead[0].death.has_value());
  EXPECT_EQ(dead[0].death->reason, "rejected");
  EXPECT_EQ(dead[0].death->queue, topology_.bulk());
  EXPECT_EQ(dead[0].death->count, 1);
  EXPECT_GT(dead[0].death->time, 0);
  EXPECT_EQ(dead[0].body, R"({"poison":true})");
  EXPECT_EQ(dead[0].message_id, lane[0].message_id);
  EXPECT_EQ(depth(topology_.bulk()), 0u);
  EXPECT_EQ(depth(topology_.dead()), 0u);
}

TEST_F(AmqpTest, RejectingADeadQueueDeliveryDropsTheMessage) {
  Publisher(url_).publish(topology_.interactive(), {"twice-poison"});
  Recorder seen;
  ConsumerOptions options;
  options.consume_dead = true;
  Consumer consumer(url_, topology_, 5, options);
  Running running(consumer, [&](const Delivery& d) {
    seen.add(d);
    return Disposition::reject;
  }, 1);
  ASSERT_TRUE(wait_for([&] { return !seen.from(topology_.dead()).empty(); }));
  running.stop();
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_EQ(depth(topology_.interactive()), 0u);
  EXPECT_EQ(depth(topology_.dead()), 0u) << "the dead queue dead-letters nothing";
}

TEST_F(AmqpTest, EveryPublishedMessageHasItsOwnMessageId) {
  const int n = 20;
  Publisher publisher(url_);
  publisher.publish(topology_.interactive(), numbered("m", n / 2));
  publisher.publish(topology_.interactive(), numbered("m", n / 2));  // same bodies, new ids
  Recorder seen;
  Consumer consumer(url_, topology_, 5);
  Running running(consumer, [&](const Delivery& d) {
    seen.add(d);
    return Disposition::ack;
  }, 2);
  ASSERT_TRUE(wait_for([&] { return seen.size() == n; }));
  running.stop();
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> ids;
  for (const Delivery& d : seen.all()) {
    EXPECT_FALSE(d.message_id.empty()) << d.body;
    EXPECT_TRUE(std::regex_match(d.message_id, uuid)) << d.message_id;
    ids.insert(d.message_id);
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(n));
}

TEST_F(AmqpTest, BulkIsNotStarvedByAFloodOfInteractiveWork) {
  // Everything is delivered to this consumer before the only worker starts handing out (the
  // first delivery is held), so both lanes have deliveries waiting locally until one runs out.
  const int n = 60;
  const int burst = 3;
  Publisher publisher(url_);
  publisher.publish(topology_.bulk(), numbered("b", n));
  publisher.publish(topology_.interactive(), numbered("i", n));
  Gate gate;
  Recorder seen;
  ConsumerOptions options;
  options.interactive_burst = burst;
  Consumer consumer(url_, topology_, n, options);
  Running running(consumer, [&](const Delivery& d) {
    seen.add(d);
    if (seen.size() == 1) gate.wait();
    return Disposition::ack;
  }, 1);
  ASSERT_TRUE(wait_for([&] {
    return seen.size() == 1 && depth(topology_.interactive()) == 0 && depth(topology_.bulk()) == 0;
  }));
  std::this_thread::sleep_for(500ms);  // let the I/O thread take them all off the socket
  gate.open();
  ASSERT_TRUE(wait_for([&] { return seen.size() == 2 * n; }));
  running.stop();

  std::string order;  // 'i' / 'b' per delivery, in handler order
  for (const Delivery& d : seen.all()) order += d.queue == topology_.bulk() ? 'b' : 'i';
  SCOPED_TRACE("order: " + order);
  const std::size_t first_bulk = order.find('b');
  EXPECT_LE(first_bulk, static_cast<std::size_t>(burst))
      << "a bulk delivery within the first burst + 1";
  // While bulk deliveries remain, never more than `burst` interactive ones in a row.
  const std::size_t last_bulk = order.rfind('b');
  const std::size_t last_interactive = order.rfind('i');
  std::size_t run = 0;
  std::size_t longest = 0;
  for (std::size_t i = 0; i < std::min(last_bulk, last_interactive); ++i) {
    run = order[i] == 'i' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  EXPECT_LE(longest, static_cast<std::size_t>(burst));
  // Interactive first: all of it is done after only about n / burst bulk deliveries.
  const auto bulk_before_last_interactive =
      std::count(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(last_interactive), 'b');
  EXPECT_LE(bulk_before_last_interactive, n / burst);
  EXPECT_LT(last_interactive, last_bulk);
  EXPECT_EQ(depth(topology_.interactive()), 0u);
  EXPECT_EQ(depth(topology_.bulk()), 0u);
}

TEST_F(AmqpTest, DeadQueueDeliveriesAreHandedOutBeforeLaneDeliveries) {
  Publisher publisher(url_);
  publisher.publish(topology_.bulk(), numbered("b", 10));
  publisher.publish(topology_.interactive(), numbered("i", 10));
  publisher.publish(topology_.dead(), numbered("d", 3));  // never dead-lettered: no death
  Gate gate;
  Recorder seen;
  ConsumerOptions options;
  options.consume_dead = true;
  Consumer consumer(url_, topology_, 10, options);
  Running running(consumer, [&](const Delivery& d) {
    seen.add(d);
    if (seen.size() == 1) gate.wait();
    return Disposition::ack;
  }, 1);
  ASSERT_TRUE(wait_for([&] {
    return seen.size() == 1 && depth(topology_.interactive()) == 0 &&
           depth(topology_.bulk()) == 0 && depth(topology_.dead()) == 0;
  }));
  std::this_thread::sleep_for(500ms);  // let the I/O thread take them all off the socket
  gate.open();
  ASSERT_TRUE(wait_for([&] { return seen.size() == 23; }));
  running.stop();
  const std::vector<Delivery> all = seen.all();
  // The one held by the gate may be any lane's; the dead ones come right after it at the latest.
  int dead_in_first_four = 0;
  for (std::size_t i = 0; i < 4; ++i) dead_in_first_four += all[i].queue == topology_.dead();
  EXPECT_EQ(dead_in_first_four, 3);
  for (const Delivery& d : all) {
    if (d.queue == topology_.dead()) {
      EXPECT_EQ(d.body[0], 'd');
      EXPECT_FALSE(d.death.has_value()) << "published straight to the dead queue";
    }
  }
  EXPECT_EQ(depth(topology_.dead()), 0u);
}

// With every ordinary worker held by bulk work, an interactive delivery starts at once on the
// reserved worker; the reserved worker never takes bulk work, however much of it waits.
TEST_F(AmqpTest, AReservedWorkerTakesInteractiveWorkWhileBulkHoldsTheOthers) {
  Publisher publisher(url_);
  publisher.publish(topology_.bulk(), numbered("b", 20));
  Gate bulk_gate;
  std::mutex mutex;
  std::vector<std::string> started;
  int bulk_running = 0, most_bulk_running = 0;
  ConsumerOptions options;
  options.reserved_interactive = 1;
  Consumer consumer(url_, topology_, 10, options);
  Running running(consumer, [&](const Delivery& d) {
    const bool bulk = d.body[0] == 'b';
    {
      std::lock_guard<std::mutex> lock(mutex);
      started.push_back(d.body);
      if (bulk) most_bulk_running = std::max(most_bulk_running, ++bulk_running);
    }
    if (bulk) {
      bulk_gate.wait();  // hold the ordinary workers
      std::lock_guard<std::mutex> lock(mutex);
      --bulk_running;
    }
    return Disposition::ack;
  }, 2);
  ASSERT_TRUE(wait_for([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return started.size() == 2;
  }));
  std::this_thread::sleep_for(300ms);  // bulk is waiting locally: the reserved worker must not take it
  {
    std::lock_guard<std::mutex> lock(mutex);
    EXPECT_EQ(started.size(), 2u) << "the reserved worker took bulk work";
  }
  publisher.publish(topology_.interactive(), {"i0", "i1"});
  ASSERT_TRUE(wait_for([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return started.size() == 4;
  })) << "interactive work waited for a bulk worker";
  bulk_gate.open();
  ASSERT_TRUE(wait_for([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return started.size() == 22;
  }));
  running.stop();
  EXPECT_EQ(started[2], "i0");
  EXPECT_EQ(started[3], "i1");
  EXPECT_EQ(most_bulk_running, 2) << "bulk work ran on more than the two ordinary workers";
}

TEST(AmqpErrors, ConsumerRefusesAReservedCountOutOfRange) {
  ConsumerOptions options;
  options.reserved_interactive = -1;
  EXPECT_THROW(Consumer(gradeq::testing::amqp_url(), Topology{}, 1, options), std::invalid_argument);
}

TEST(AmqpErrors, ConsumerRefusesABurstBelowOne) {
  ConsumerOptions options;
  options.interactive_burst = 0;
  EXPECT_THROW(Consumer(gradeq::testing::amqp_url(), Topology{}, 1, options),
               std::invalid_argument);
}

}  // namespace
