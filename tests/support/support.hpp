// Shared helpers for the integration tiers: where the real services are, and unique names so
// that every test gets its own queues and its own database.
#pragma once

#include <string>

namespace gradeq::testing {

// The value of an environment variable, or `fallback` when it is unset or empty.
std::string env_or(const char* name, const std::string& fallback);

// GRADEQ_AMQP_URL / GRADEQ_DATABASE_URL, or the defaults of the local stack (scripts/lib.sh).
std::string amqp_url();
std::string database_url();

// A short random lowercase token, for queue prefixes and database names.
std::string unique_token();

// A database of its own for one test (suite), created from GRADEQ_DATABASE_URL's server with
// every migration applied, dropped again at destruction.
class TempDatabase {
 public:
  TempDatabase();
  ~TempDatabase();
  TempDatabase(const TempDatabase&) = delete;
  TempDatabase& operator=(const TempDatabase&) = delete;
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }
  // The single number a query such as "SELECT count(*) FROM ..." returns.
  long count(const std::string& sql) const;

 private:
  std::string name_;
  std::string url_;
};

// `url` with its database name replaced.
std::string with_database(const std::string& url, const std::string& database);

}  // namespace gradeq::testing
