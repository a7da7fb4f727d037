#include "support.hpp"

#include <cstdlib>
#include <random>

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

}  // namespace gradeq::testing
