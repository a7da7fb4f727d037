#include "support.hpp"

#include <chrono>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>

#include <pqxx/pqxx>

#include "gradeq/pg_store.hpp"

namespace gradeq::testing {

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : fallback;
}

std::string amqp_url() {
  return env_or("GRADEQ_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f");
}

std::string database_url() {
  return env_or("GRADEQ_DATABASE_URL", "postgresql://gradeq:gradeq@127.0.0.1:55432/gradeq");
}

std::string unique_token() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string token;
  for (int i = 0; i < 10; ++i) token += kChars[rng() % (sizeof(kChars) - 1)];
  return token;
}

std::string with_database(const std::string& url, const std::string& database) {
  auto slash = url.find('/', url.find("//") + 2);
  if (slash == std::string::npos) throw std::invalid_argument("database URL has no path: " + url);
  auto query = url.find('?', slash);
  return url.substr(0, slash + 1) + database + (query == std::string::npos ? "" : url.substr(query));
}

TempDatabase::TempDatabase() : name_("gradeq_test_" + unique_token()) {
  {
    pqxx::connection admin(database_url());
    pqxx::nontransaction(admin).exec("CREATE DATABASE " + name_);
  }
  url_ = with_database(database_url(), name_);
  pg::migrate(url_, GRADEQ_SOURCE_DIR "/migrations");
}

long TempDatabase::count(const std::string& sql) const {
  pqxx::connection c(url_);
  pqxx::read_transaction tx(c);
  return tx.exec1(sql)[0].as<long>();
}

TempDatabase::~TempDatabase() {
  // FORCE cannot end an autovacuum worker that a role without pg_signal_backend does not own,
  // and one may have just started on the fresh database: try again a few times.
  for (int attempt = 0; attempt < 10; ++attempt) {
    try {
      pqxx::connection admin(database_url());
      pqxx::nontransaction(admin).exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
      return;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  }
  // Best effort: a leftover test database is harmless and visible by its name.
}

}  // namespace gradeq::testing
