#include "gradeq/compare.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
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

// A decimal number as strtod reads it (also inf, infinity, nan), but not hexadecimal: "0x10" is
// a word, not 16. Overflow (1e999) is not a number either, so it is compared as text rather
// than as infinity; underflow (1e-400) is the tiny number it is.
std::optional<double> parse_number(const std::string& token) {
  if (token.empty() || token.find_first_of("xX") != std::string::npos) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(token.c_str(), &end);
  if (end != token.c_str() + token.size()) return std::nullopt;
  if (errno == ERANGE && std::isinf(value)) return std::nullopt;
  return value;
}

// Whether a printed number is close enough to the expected one. NaN equals only NaN, an infinity
// only the same infinity (a relative tolerance of an infinite value would accept anything).
bool close_enough(double got, double want, const Tolerance& tolerance) {
  if (std::isnan(got) || std::isnan(want)) return std::isnan(got) && std::isnan(want);
  if (std::isinf(got) || std::isinf(want)) return got == want;
  double diff = std::fabs(got - want);
  // Printed decimals are not exact in binary: 3.14 - 3.13 is 0.010000000000000231 while
  // 3.15 - 3.14 is 0.009999999999999787. A few units in the last place of slack keeps a
  // difference of exactly the tolerance inside it on both sides.
  double slack = 8 * std::numeric_limits<double>::epsilon() * std::max(std::fabs(got), std::fabs(want));
  return diff <= tolerance.abs + slack || diff <= tolerance.rel * std::fabs(want) + slack;
}

std::string format_number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

// Length of the valid UTF-8 sequence starting at text[i], or 0 if there is none.
std::size_t utf8_length(const std::string& text, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  std::size_t n;
  unsigned min;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  unsigned code = c & (0x7f >> n);
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return n;
}

// A short, printable rendering of a token or line for messages: at most kMax characters, always
// valid UTF-8 (the message is stored as text, whatever bytes the program printed), control
// characters and invalid bytes escaped.
std::string clipped(const std::string& text, std::size_t from = 0) {
  constexpr std::size_t kMax = 40;
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  std::size_t shown_chars = 0;
  std::size_t i = from;
  if (from > 0) out += "...";
  while (i < text.size() && shown_chars < kMax) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    std::size_t n = utf8_length(text, i);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (n == 0 || c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
      n = 1;
    } else {
      out.append(text, i, n);
    }
    i += n == 0 ? 1 : n;
    ++shown_chars;
  }
  if (i < text.size()) out += "...";
  return out;
}

std::string shown(const std::string& text, std::size_t from = 0) {
  return "\"" + clipped(text, from) + "\"";
}

std::size_t line_of(const std::string& text, std::size_t offset) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) line += text[i] == '\n';
  return line;
}

// The line of `text` that starts at `start`, without its newline.
std::string line_at(const std::string& text, std::size_t start) {
  std::size_t end = text.find('\n', start);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// Characters (not bytes) from `start` to `offset`: the column, 1-based, is this plus one.
std::size_t chars_between(const std::string& text, std::size_t start, std::size_t offset) {
  std::size_t count = 0;
  for (std::size_t i = start; i < offset; ++i) {
    count += (static_cast<unsigned char>(text[i]) & 0xc0) != 0x80;
  }
  return count;
}

// Where `a` and `b` first differ, and how, in terms of lines and columns of `expected`.
CompareResult compare_lines(const std::string& actual, const std::string& expected) {
  if (actual == expected) return {true, ""};
  std::size_t i = 0;
  while (i < actual.size() && i < expected.size() && actual[i] == expected[i]) ++i;
  bool at_line_start = i == 0 || expected[i - 1] == '\n';

  if (i == actual.size()) {  // the output is a prefix of the expected output
    std::string rest = expected.substr(i);
    if (rest == "\n") {
      return {false, "missing newline at the end of the output (line " +
                         std::to_string(line_of(expected, i)) + ")"};
    }
    if (rest[0] == '\n' || at_line_start) {
      std::size_t start = rest[0] == '\n' ? i + 1 : i;
      return {false, "output ends early at line " + std::to_string(line_of(expected, start)) +
                         " (expected " + shown(line_at(expected, start)) + ")"};
    }
  }
  if (i == expected.size()) {  // the expected output is a prefix of the output
    std::string rest = actual.substr(i);
    if (rest == "\n") {
      return {false, "unexpected newline at the end of the output (line " +
                         std::to_string(line_of(actual, i)) + ")"};
    }
    if (rest[0] == '\n' || at_line_start) {
      std::size_t start = rest[0] == '\n' ? i + 1 : i;
      return {false, "unexpected extra output at line " + std::to_string(line_of(actual, start)) +
                         ": " + shown(line_at(actual, start))};
    }
  }
  // A difference inside a line (both share the bytes before i, so the line starts alike).
  std::size_t start = at_line_start ? i : expected.rfind('\n', i - 1);
  start = at_line_start ? i : (start == std::string::npos ? 0 : start + 1);
  std::size_t char_start = i;  // a difference inside a multi-byte character: its first byte
  while (char_start > start && (static_cast<unsigned char>(expected[char_start]) & 0xc0) == 0x80) {
    --char_start;
  }
  std::size_t column = chars_between(expected, start, char_start) + 1;
  // Long lines: show the text around the difference, not the line's (identical) beginning.
  std::size_t from = 0;
  if (column > 30) {
    from = char_start - start >= 20 ? char_start - start - 20 : 0;
    std::string line = line_at(expected, start);
    while (from > 0 && (static_cast<unsigned char>(line[from]) & 0xc0) == 0x80) --from;
  }
  return {false, "line " + std::to_string(line_of(expected, i)) + ", column " + std::to_string(column) +
                     ": expected " + shown(line_at(expected, start), from) + ", got " +
                     shown(line_at(actual, start), from)};
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
        if (close_enough(*g, *w, *tolerance)) continue;
        std::string message = "token " + std::to_string(i + 1) + ": expected " + clipped(want[i]) +
                              ", got " + clipped(got[i]);
        double diff = std::fabs(*g - *w);
        if (std::isfinite(diff)) message += " (difference " + format_number(diff) + ")";
        return {false, message};
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

namespace {

// The pattern without trailing whitespace: a block scalar (expect_stdout: |) or an expected file
// ends with a newline that the output, whose trailing whitespace is trimmed, cannot match. A
// whitespace character escaped with a backslash ("x\ ") is part of the pattern and stays.
std::string trim_pattern(const std::string& pattern) {
  std::size_t end = pattern.size();
  while (end > 0 && is_space(pattern[end - 1])) {
    std::size_t backslashes = 0;
    while (backslashes < end - 1 && pattern[end - 2 - backslashes] == '\\') ++backslashes;
    if (backslashes % 2 == 1) break;
    --end;
  }
  return pattern.substr(0, end);
}

// ECMAScript as the spec says: "." does not match a newline, "^" and "$" match only at the ends
// (Boost's Perl-derived defaults differ on both).
boost::regex compile_regex(const std::string& pattern) {
  return boost::regex(trim_pattern(pattern), boost::regex::ECMAScript | boost::regex::no_mod_m);
}

}  // namespace

void check_regex(const std::string& pattern) {
  try {
    compile_regex(pattern);
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
        re = compile_regex(expected);
      } catch (const boost::regex_error& e) {
        return {false, std::string("the expected pattern is not a valid regex: ") + e.what()};
      }
      std::string subject = trim_right(actual);
      try {
        if (boost::regex_match(subject, re, boost::match_not_dot_newline)) return {true, ""};
      } catch (const std::exception&) {
        // Boost gives up (rather than overflowing the stack) on patterns that backtrack too much
        // or repeat a group over a very long output.
        return {false, "output too complex to match against the expected pattern"};
      }
      return {false, "output does not match the expected pattern"};
    }
  }
  return {false, "unknown comparison mode"};
}

}  // namespace gradeq
