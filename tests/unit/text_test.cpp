// storable_text: arbitrary bytes -> valid UTF-8 without NUL, capped with a visible marker.
#include <gtest/gtest.h>

#include "gradeq/text.hpp"

namespace gradeq {
namespace {

TEST(StorableText, ValidUtf8PassesUnchanged) {
  std::string text = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 ok\n";
  EXPECT_EQ(storable_text(text, 1000), text);
}

TEST(StorableText, NulAndInvalidBytesAreReplacedOneForOne) {
  EXPECT_EQ(storable_text(std::string("a\0b", 3), 100), "a\xe2\x90\x80" "b");
  EXPECT_EQ(storable_text("x\xff\xfey", 100), "x\xef\xbf\xbd\xef\xbf\xbdy");
  // A lone continuation byte, a truncated sequence, an overlong '/', a UTF-16 surrogate.
  EXPECT_EQ(storable_text("\x80", 100), "\xef\xbf\xbd");
  EXPECT_EQ(storable_text("\xe2\x82", 100), "\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(storable_text("\xc0\xaf", 100), "\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(storable_text("\xed\xa0\x80", 100), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(StorableText, CapKeepsThePrefixAndSaysHowMuchThereWas) {
  std::string out = storable_text(std::string(5000, 'x'), 100);
  EXPECT_EQ(out.substr(0, 100), std::string(100, 'x'));
  EXPECT_EQ(out.substr(100), "\n[... output truncated by gradeq: 5000 bytes in all, 100 kept ...]");
}

TEST(StorableText, CapNeverSplitsAMultiByteCharacter) {
  std::string euro = "\xe2\x82\xac";
  std::string out = storable_text("ab" + euro + "cd", 4);  // the cap falls inside the euro sign
  EXPECT_EQ(out.substr(0, 3), "ab\n");
  EXPECT_NE(out.find("7 bytes in all, 4 kept"), std::string::npos);
}

TEST(StorableText, EmptyStaysEmpty) { EXPECT_EQ(storable_text("", 10), ""); }

}  // namespace
}  // namespace gradeq
