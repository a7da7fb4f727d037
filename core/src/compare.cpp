#include "gradeq/compare.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include <boost/regex.hpp>

namespace gradeq {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// \r\n -> \n, trailing whitespace of every line dropped, trailing empty lines dropped.
std::string normalize_trimmed(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  std::size_t line_start = 0;
  while (line_start <= text.size()) {
    std::size_t end = text.find('\n', line_start);
    bool last = end == std::string::npos;
    if (last) end = text.size();
    std::size_t trimmed_end = end;
    while (trimmed_end > line_start && is_space(text[trimmed_end - 1])) --trimmed_end;
    out.append(text, line_start, trimmed_end - line_start);
    out += '\n';
    if (last) break;
    line_start = end + 1;
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string trim_right(const std::string& text) {
  std::size_t end = text.size();
  while (end > 0 && is_space(text[end - 1])) --end;
  return text.substr(0, end);
}

std::vector<std::string> tokenize(const std::string& text) {
  std::vector<std::string> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    std::size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) tokens.emplace_back(text, start, i - start);
  }
  return tokens;
}

std::optional<double> parse_number(const std::string& token) {
  if (token.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(token.c_str(), &end);
  if (end != token.c_str() + token.size() || errno == ERANGE) return std::nullopt;
  if (std::isnan(value)) return std::nullopt;
  return value;
}

// A short, printable rendering of a token or line for messages.
std::string shown(const std::string& text) {
  constexpr std::size_t kMax = 40;
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c < 0x20 || c == 0x7f) {
      out += '?';
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMax) out += "...";
  return out + "\"";
}

std::size_t line_of(const std::string& text, std::size_t offset) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) line += text[i] == '\n';
  return line;
}

CompareResult compare_lines(const std::string& actual, const std::string& expected) {
  if (actual == expected) return {true, ""};
  std::size_t i = 0;
  while (i < actual.size() && i < expected.size() && actual[i] == expected[i]) ++i;
  std::size_t line = line_of(expected, i);
  if (i == actual.size()) return {false, "output ends early at line " + std::to_string(line)};
  if (i == expected.size()) {
    return {false, "unexpected extra output at line " + std::to_string(line_of(actual, i))};
  }
  std::size_t start = expected.rfind('\n', i == 0 ? 0 : i - 1);
  start = start == std::string::npos ? 0 : start + 1;
  if (i > 0 && expected[i - 1] == '\n') start = i;
  auto line_text = [start](const std::string& s) {
    std::size_t end = s.find('\n', start);
    return s.substr(start, end == std::string::npos ? std::string::npos : end - start);
  };
  return {false, "line " + std::to_string(line) + ": expected " + shown(line_text(expected)) +
                     ", got " + shown(line_text(actual))};
}

CompareResult compare_tokens(const std::string& actual, const std::string& expected,
                             const Tolerance* tolerance) {
  auto got = tokenize(actual);
  auto want = tokenize(expected);
  std::size_t n = std::min(got.size(), want.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (got[i] == want[i]) continue;
    if (tolerance) {
      auto g = parse_number(got[i]);
      auto w = parse_number(want[i]);
      if (g && w) {
        double diff = std::fabs(*g - *w);
        if (diff <= tolerance->abs || diff <= tolerance->rel * std::fabs(*w)) continue;
        return {false, "token " + std::to_string(i + 1) + ": expected " + want[i] + ", got " +
                           got[i] + " (difference " + std::to_string(diff) + ")"};
      }
    }
    return {false, "token " + std::to_string(i + 1) + ": expected " + shown(want[i]) + ", got " +
                       shown(got[i])};
  }
  if (got.size() < want.size()) {
    return {false, "expected " + std::to_string(want.size()) + " tokens, got " +
                       std::to_string(got.size())};
  }
  if (got.size() > want.size()) {
    return {false, "expected " + std::to_string(want.size()) + " tokens, got " +
                       std::to_string(got.size()) + " (extra " + shown(got[want.size()]) + ")"};
  }
  return {true, ""};
}

}  // namespace

const char* to_string(CompareMode mode) {
  switch (mode) {
    case CompareMode::exact: return "exact";
    case CompareMode::trimmed: return "trimmed";
    case CompareMode::tokens: return "tokens";
    case CompareMode::float_: return "float";
    case CompareMode::regex: return "regex";
  }
  return "?";
}

std::optional<CompareMode> compare_mode_from_string(const std::string& text) {
  for (auto mode : {CompareMode::exact, CompareMode::trimmed, CompareMode::tokens,
                    CompareMode::float_, CompareMode::regex}) {
    if (text == to_string(mode)) return mode;
  }
  return std::nullopt;
}

void check_regex(const std::string& pattern) {
  try {
    boost::regex re(pattern, boost::regex::ECMAScript);
  } catch (const boost::regex_error& e) {
    throw std::invalid_argument(std::string("invalid regex: ") + e.what());
  }
}

CompareResult compare_output(const std::string& actual, const std::string& expected,
                             CompareMode mode, const Tolerance& tolerance) {
  switch (mode) {
    case CompareMode::exact:
      return compare_lines(actual, expected);
    case CompareMode::trimmed:
      return compare_lines(normalize_trimmed(actual), normalize_trimmed(expected));
    case CompareMode::tokens:
      return compare_tokens(actual, expected, nullptr);
    case CompareMode::float_:
      return compare_tokens(actual, expected, &tolerance);
    case CompareMode::regex: {
      // Boost.Regex rather than std::regex: it matches without recursion (no stack overflow on
      // long outputs) and gives up with an exception on catastrophic backtracking.
      boost::regex re;
      try {
        re = boost::regex(expected, boost::regex::ECMAScript);
      } catch (const boost::regex_error& e) {
        return {false, std::string("the expected pattern is not a valid regex: ") + e.what()};
      }
      std::string subject = trim_right(actual);
      try {
        if (boost::regex_match(subject, re)) return {true, ""};
      } catch (const std::runtime_error&) {
        return {false, "output too complex to match against the expected pattern"};
      }
      return {false, "output does not match the expected pattern"};
    }
  }
  return {false, "unknown comparison mode"};
}

}  // namespace gradeq
