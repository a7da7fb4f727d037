// Output comparison, mode by mode, and the messages a student sees for a mismatch.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gradeq/compare.hpp"

namespace gradeq {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

CompareResult cmp(const std::string& actual, const std::string& expected, CompareMode mode,
                  Tolerance tolerance = {}) {
  return compare_output(actual, expected, mode, tolerance);
}

bool same(const std::string& actual, const std::string& expected, CompareMode mode,
          Tolerance tolerance = {}) {
  CompareResult r = cmp(actual, expected, mode, tolerance);
  if (r.equal) {
    EXPECT_EQ(r.message, "");
  } else {
    EXPECT_NE(r.message, "") << "a mismatch must say why";
  }
  return r.equal;
}

// A message must be storable (PostgreSQL text, JSON): valid UTF-8 whatever the student printed.
bool storable(const std::string& message) {
  try {
    (void)nlohmann::json(message).dump();
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

TEST(CompareMode, NamesRoundTrip) {
  for (auto mode : {CompareMode::exact, CompareMode::trimmed, CompareMode::tokens,
                    CompareMode::float_, CompareMode::regex}) {
    EXPECT_EQ(compare_mode_from_string(to_string(mode)), mode);
  }
  EXPECT_STREQ(to_string(CompareMode::float_), "float");
  EXPECT_FALSE(compare_mode_from_string("float_").has_value());
  EXPECT_FALSE(compare_mode_from_string("Exact").has_value());
  EXPECT_FALSE(compare_mode_from_string("").has_value());
}

// ---------------------------------------------------------------------------------------------
// exact

TEST(CompareExact, ByteForByte) {
  EXPECT_TRUE(same("1\n2\n", "1\n2\n", CompareMode::exact));
  EXPECT_TRUE(same("", "", CompareMode::exact));
  EXPECT_TRUE(same(std::string("a\0b", 3), std::string("a\0b", 3), CompareMode::exact));
  EXPECT_FALSE(same(std::string("a\0c", 3), std::string("a\0b", 3), CompareMode::exact));
  EXPECT_FALSE(same("1\r\n", "1\n", CompareMode::exact));
  EXPECT_FALSE(same("1 \n", "1\n", CompareMode::exact));
}

TEST(CompareExact, TrailingNewlineMatters) {
  CompareResult missing = cmp("1\n2", "1\n2\n", CompareMode::exact);
  EXPECT_FALSE(missing.equal);
  EXPECT_THAT(missing.message, HasSubstr("missing newline at the end"));

  CompareResult extra = cmp("1\n2\n\n", "1\n2\n", CompareMode::exact);
  EXPECT_FALSE(extra.equal);
  EXPECT_THAT(extra.message, HasSubstr("line 3"));
}

TEST(CompareExact, MessageSaysLineAndColumn) {
  CompareResult r = cmp("1\n2\nFuzz\n4\n", "1\n2\nFizz\n4\n", CompareMode::exact);
  EXPECT_FALSE(r.equal);
  EXPECT_EQ(r.message, "line 3, column 2: expected \"Fizz\", got \"Fuzz\"");
}

TEST(CompareExact, MismatchOnTheFirstByteOfAnEmptyFirstLine) {
  // Expected starts with an empty line; the output does not.
  CompareResult r = cmp("x\nabc\n", "\nabc\n", CompareMode::exact);
  EXPECT_FALSE(r.equal);
  EXPECT_EQ(r.message, "line 1, column 1: expected \"\", got \"x\"");
}

TEST(CompareExact, MismatchAtTheStartOfALaterLine) {
  CompareResult r = cmp("a\nX\n", "a\nb\n", CompareMode::exact);
  EXPECT_EQ(r.message, "line 2, column 1: expected \"b\", got \"X\"");
}

TEST(CompareExact, OutputEndsEarly) {
  CompareResult r = cmp("1\n2\n", "1\n2\n3\n", CompareMode::exact);
  EXPECT_FALSE(r.equal);
  EXPECT_THAT(r.message, HasSubstr("output ends early at line 3"));
  r = cmp("", "hello\n", CompareMode::exact);
  EXPECT_THAT(r.message, HasSubstr("output ends early at line 1"));
}

TEST(CompareExact, ExtraOutput) {
  CompareResult r = cmp("1\n2\n3\n", "1\n2\n", CompareMode::exact);
  EXPECT_FALSE(r.equal);
  EXPECT_THAT(r.message, HasSubstr("unexpected extra output at line 3"));
  EXPECT_THAT(r.message, HasSubstr("\"3\""));
}

TEST(CompareExact, LongLinesShowTheDifferenceNotTheirStart) {
  std::string prefix(500, 'a');
  CompareResult r = cmp(prefix + "X" + "tail\n", prefix + "Y" + "tail\n", CompareMode::exact);
  EXPECT_FALSE(r.equal);
  EXPECT_THAT(r.message, HasSubstr("line 1, column 501"));
  EXPECT_THAT(r.message, HasSubstr("Ytail"));
  EXPECT_THAT(r.message, HasSubstr("Xtail"));
  EXPECT_LT(r.message.size(), 200u);
}

TEST(CompareExact, MessagesShowControlCharactersAndStayValidUtf8) {
  CompareResult r = cmp("a\r\n", "a\n", CompareMode::exact);
  EXPECT_THAT(r.message, HasSubstr("\\r"));

  r = cmp("caf\xff\xfe\n", "caf\xc3\xa9\n", CompareMode::exact);
  EXPECT_FALSE(r.equal);
  EXPECT_TRUE(storable(r.message)) << r.message;
  EXPECT_THAT(r.message, HasSubstr("\\xff"));

  // Cut in the middle of a multi-byte character: still valid UTF-8.
  std::string line;
  for (int i = 0; i < 100; ++i) line += "\xc3\xa9";  // é é é ...
  r = cmp(line + "x\n", line + "y\n", CompareMode::exact);
  EXPECT_FALSE(r.equal);
  EXPECT_TRUE(storable(r.message)) << r.message;
  r = cmp("x" + line + "\n", "y" + line + "\n", CompareMode::exact);
  EXPECT_TRUE(storable(r.message)) << r.message;
}

// ---------------------------------------------------------------------------------------------
// trimmed

TEST(CompareTrimmed, IgnoresCrlfTrailingSpacesAndTrailingBlankLines) {
  EXPECT_TRUE(same("1\r\n2\r\n", "1\n2\n", CompareMode::trimmed));
  EXPECT_TRUE(same("1   \n2\t\n", "1\n2\n", CompareMode::trimmed));
  EXPECT_TRUE(same("1\n2\n\n\n  \n", "1\n2", CompareMode::trimmed));
  EXPECT_TRUE(same("1\n2", "1\n2\n", CompareMode::trimmed));
  EXPECT_TRUE(same("", "\n\n", CompareMode::trimmed));
}

TEST(CompareTrimmed, LeadingSpacesAndInnerBlankLinesMatter) {
  EXPECT_FALSE(same("  1\n", "1\n", CompareMode::trimmed));
  EXPECT_FALSE(same("1\n\n2\n", "1\n2\n", CompareMode::trimmed));
  EXPECT_FALSE(same("\n1\n", "1\n", CompareMode::trimmed));
  EXPECT_FALSE(same("1 2\n", "1  2\n", CompareMode::trimmed));
  EXPECT_FALSE(same("1\n2\n", "1\n2\n3\n", CompareMode::trimmed));
}

TEST(CompareTrimmed, MessageCountsLinesOfTheOriginal) {
  CompareResult r = cmp("a\r\nb  \r\nc\r\n", "a\nb\nd\n", CompareMode::trimmed);
  EXPECT_FALSE(r.equal);
  EXPECT_EQ(r.message, "line 3, column 1: expected \"d\", got \"c\"");
  r = cmp("a\nb\n", "a\nb\nc\n", CompareMode::trimmed);
  EXPECT_THAT(r.message, HasSubstr("output ends early at line 3"));
}

// ---------------------------------------------------------------------------------------------
// tokens

TEST(CompareTokens, WhitespaceIsOnlyASeparator) {
  EXPECT_TRUE(same("1  2\n3\t4\r\n", "1 2 3 4", CompareMode::tokens));
  EXPECT_TRUE(same("\n\n 1 2 \n", "1\n2\n", CompareMode::tokens));
  EXPECT_TRUE(same("", "  \n", CompareMode::tokens));
}

TEST(CompareTokens, TokensAreComparedExactly) {
  CompareResult r = cmp("1 2 4", "1 2 3", CompareMode::tokens);
  EXPECT_FALSE(r.equal);
  EXPECT_EQ(r.message, "token 3: expected \"3\", got \"4\"");
  EXPECT_FALSE(same("1.0", "1", CompareMode::tokens));  // no numeric tolerance here
  EXPECT_FALSE(same("Fizz", "fizz", CompareMode::tokens));
}

TEST(CompareTokens, CountMismatch) {
  CompareResult fewer = cmp("1 2", "1 2 3", CompareMode::tokens);
  EXPECT_FALSE(fewer.equal);
  EXPECT_EQ(fewer.message, "expected 3 tokens, got 2");
  CompareResult more = cmp("1 2 3 4", "1 2 3", CompareMode::tokens);
  EXPECT_FALSE(more.equal);
  EXPECT_EQ(more.message, "expected 3 tokens, got 4 (extra \"4\")");
}

// ---------------------------------------------------------------------------------------------
// float

TEST(CompareFloat, AbsoluteTolerance) {
  Tolerance t{0.01, 0};
  EXPECT_TRUE(same("3.145", "3.14", CompareMode::float_, t));
  // A difference of exactly the tolerance is inside it, on both sides, whatever binary
  // floating point makes of the decimals (3.14 - 3.13 > 0.01 > 3.15 - 3.14 in doubles).
  EXPECT_TRUE(same("3.13", "3.14", CompareMode::float_, t));
  EXPECT_TRUE(same("3.15", "3.14", CompareMode::float_, t));
  EXPECT_FALSE(same("3.1501", "3.14", CompareMode::float_, t));
  EXPECT_FALSE(same("3.1299", "3.14", CompareMode::float_, t));
  EXPECT_FALSE(same("3.16", "3.14", CompareMode::float_, t));
  EXPECT_TRUE(same("-0", "0", CompareMode::float_, t));
}

TEST(CompareFloat, RelativeTolerance) {
  Tolerance t{0, 1e-3};
  EXPECT_TRUE(same("1000.9", "1000", CompareMode::float_, t));
  EXPECT_FALSE(same("1001.1", "1000", CompareMode::float_, t));
  EXPECT_TRUE(same("999", "1000", CompareMode::float_, t));   // exactly 0.1 %
  EXPECT_TRUE(same("1001", "1000", CompareMode::float_, t));
  // Relative to the expected value, not the output.
  EXPECT_FALSE(same("0.0011", "0.001", CompareMode::float_, t));
}

TEST(CompareFloat, EitherToleranceIsEnough) {
  Tolerance t{0.5, 1e-6};
  EXPECT_TRUE(same("1000000.4", "1000000", CompareMode::float_, t));  // abs
  t = {1e-9, 0.1};
  EXPECT_TRUE(same("1050000", "1000000", CompareMode::float_, t));  // rel
}

TEST(CompareFloat, DefaultToleranceAndNotation) {
  EXPECT_TRUE(same("0.3333333333", "0.333333333333", CompareMode::float_));
  EXPECT_TRUE(same("1e3 2.50", "1000 2.5", CompareMode::float_));
  EXPECT_TRUE(same("+7", "7", CompareMode::float_));
  EXPECT_FALSE(same("0.334", "0.333", CompareMode::float_));
}

TEST(CompareFloat, NonNumericTokensAreExact) {
  Tolerance t{1, 1};
  EXPECT_TRUE(same("average 3.58\n", "average 3.583333\n", CompareMode::float_, t));
  CompareResult r = cmp("Average 3.58", "average 3.58", CompareMode::float_, t);
  EXPECT_FALSE(r.equal);
  EXPECT_EQ(r.message, "token 1: expected \"average\", got \"Average\"");
  EXPECT_FALSE(same("1,5", "1.5", CompareMode::float_, t));
  EXPECT_FALSE(same("3.5x", "3.5", CompareMode::float_, t));
  // Hexadecimal is not a decimal number: "0x10" is not 16.
  EXPECT_FALSE(same("0x10", "16", CompareMode::float_, t));
}

TEST(CompareFloat, CountMismatch) {
  CompareResult r = cmp("1.0 2.0", "1.0 2.0 3.0", CompareMode::float_);
  EXPECT_FALSE(r.equal);
  EXPECT_EQ(r.message, "expected 3 tokens, got 2");
  r = cmp("1.0 2.0 3.0", "1.0 2.0", CompareMode::float_);
  EXPECT_FALSE(r.equal);
  EXPECT_THAT(r.message, HasSubstr("expected 2 tokens, got 3"));
}

TEST(CompareFloat, MessageShowsTheDifference) {
  CompareResult r = cmp("1 3.152", "1 3.14", CompareMode::float_, {0.001, 0});
  EXPECT_FALSE(r.equal);
  EXPECT_EQ(r.message, "token 2: expected 3.14, got 3.152 (difference 0.012)");
  // Small differences are not shown as 0.000000.
  r = cmp("1.00002", "1", CompareMode::float_, {1e-6, 1e-6});
  EXPECT_FALSE(r.equal);
  EXPECT_THAT(r.message, HasSubstr("difference 2e-05"));
}

TEST(CompareFloat, NanAndInfinity) {
  Tolerance t{1e-6, 1e-6};
  // NaN equals NaN, however it is spelled; nothing else.
  EXPECT_TRUE(same("nan", "nan", CompareMode::float_, t));
  EXPECT_TRUE(same("-nan", "NaN", CompareMode::float_, t));
  EXPECT_FALSE(same("nan", "1", CompareMode::float_, t));
  EXPECT_FALSE(same("1", "nan", CompareMode::float_, t));
  // Infinity equals only an infinity of the same sign.
  EXPECT_TRUE(same("inf", "inf", CompareMode::float_, t));
  EXPECT_TRUE(same("Infinity", "inf", CompareMode::float_, t));
  EXPECT_FALSE(same("-inf", "inf", CompareMode::float_, t));
  EXPECT_FALSE(same("1e308", "inf", CompareMode::float_, t));  // a relative tolerance of inf is inf
  EXPECT_FALSE(same("inf", "1e308", CompareMode::float_, t));
  EXPECT_FALSE(same("nan", "inf", CompareMode::float_, t));
  // Out of double's range: compared as text rather than as infinity.
  EXPECT_FALSE(same("1e999", "1e998", CompareMode::float_, t));
  EXPECT_TRUE(same("1e999", "1e999", CompareMode::float_, t));
  // Underflow is a number close to 0.
  EXPECT_TRUE(same("1e-400", "0", CompareMode::float_, t));
}

TEST(CompareFloat, MessagesAreShortAndStorable) {
  std::string huge(10000, '9');
  CompareResult r = cmp(huge + ".5", "1", CompareMode::float_);
  EXPECT_FALSE(r.equal);
  EXPECT_LT(r.message.size(), 300u);
  r = cmp("\xff\xfe", "x", CompareMode::float_);
  EXPECT_TRUE(storable(r.message)) << r.message;
}

// ---------------------------------------------------------------------------------------------
// regex

TEST(CompareRegex, FullMatchWithTrailingWhitespaceTrimmed) {
  EXPECT_TRUE(same("Hello, Bob!\n", "Hello, \\w+!", CompareMode::regex));
  EXPECT_TRUE(same("Hello, Bob!  \r\n\n", "Hello, \\w+!", CompareMode::regex));
  EXPECT_FALSE(same("Hello, Bob! Bye", "Hello, \\w+!", CompareMode::regex));  // whole output
  EXPECT_FALSE(same("Oh. Hello, Bob!", "Hello, \\w+!", CompareMode::regex));
  EXPECT_FALSE(same("  Hello, Bob!", "Hello, \\w+!", CompareMode::regex));  // leading ws counts
  CompareResult r = cmp("nope", "Hello, \\w+!", CompareMode::regex);
  EXPECT_EQ(r.message, "output does not match the expected pattern");
}

TEST(CompareRegex, PatternsWithATrailingNewlineStillMatch) {
  // A block scalar (expect_stdout: |) or an expected file ends the pattern with a newline.
  EXPECT_TRUE(same("42\n", "\\d+\n", CompareMode::regex));
  EXPECT_TRUE(same("a\nb\n", "a\nb\n\n", CompareMode::regex));
  // An escaped trailing space is part of the pattern, not whitespace to trim.
  EXPECT_FALSE(same("x", "x\\ ", CompareMode::regex));
  EXPECT_NO_THROW(check_regex("x\\ "));
}

TEST(CompareRegex, MultiLineWithEcmaScriptSemantics) {
  EXPECT_TRUE(same("error: x\nerror: y\n2\n", "error: .*\nerror: .*\n2", CompareMode::regex));
  // In ECMAScript "." does not match a newline: one "error: .*" is one line.
  EXPECT_FALSE(same("error: x\nmore\n", "error: .*", CompareMode::regex));
  EXPECT_TRUE(same("a\nb", "[\\s\\S]*", CompareMode::regex));
}

TEST(CompareRegex, InvalidPattern) {
  CompareResult r = cmp("x", "(unclosed", CompareMode::regex);
  EXPECT_FALSE(r.equal);
  EXPECT_THAT(r.message, HasSubstr("not a valid regex"));
  EXPECT_THROW(check_regex("(unclosed"), std::invalid_argument);
  EXPECT_THROW(check_regex("[z-a]"), std::invalid_argument);
  EXPECT_NO_THROW(check_regex("a+b*\\d{2,3}"));
}

TEST(CompareRegex, MegabyteOutputDoesNotCrash) {
  std::string big;
  big.reserve(1 << 20);
  while (big.size() < (1 << 20)) big += "line of student output 0123456789\n";
  EXPECT_TRUE(same(big, "[\\s\\S]*", CompareMode::regex));
  EXPECT_TRUE(same(big, "(?:line of student output \\d+\\n)*line of student output \\d+",
                   CompareMode::regex));
  EXPECT_FALSE(same(big + "x", "[\\s\\S]*y", CompareMode::regex));
  // A repeated group over a whole megabyte is more than Boost's matcher allows itself: the
  // comparison fails with a message instead of the grader crashing.
  for (const char* pattern : {"(.|\\n)*", "(line of student output \\d+\\n?)+", "(.*\\n)*.*"}) {
    CompareResult r = cmp(big, pattern, CompareMode::regex);
    if (!r.equal) {
      EXPECT_EQ(r.message, "output too complex to match against the expected pattern");
    }
  }
  CompareResult r = cmp(std::string(40, 'x'), "(x+x+)+y", CompareMode::regex);
  EXPECT_FALSE(r.equal);
}

TEST(CompareRegex, GroupRepeatsWorkAtTheDefaultOutputCap) {
  std::string out;
  while (out.size() < 64 * 1024) out += "line of student output 0123456789\n";
  EXPECT_TRUE(same(out, "(line of student output \\d+\\n?)+", CompareMode::regex));
}

TEST(CompareRegex, BinaryOutput) {
  EXPECT_TRUE(same(std::string("a\0b", 3), "a[\\s\\S]b", CompareMode::regex));
  EXPECT_FALSE(same("\xff\xfe", "x", CompareMode::regex));
}

}  // namespace
}  // namespace gradeq
