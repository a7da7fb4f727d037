#include "gradeq/text.hpp"

namespace gradeq {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not one.
std::size_t utf8_sequence(const std::string& s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned cp;
  if ((c & 0xe0) == 0xc0) {
    n = 2;
    cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3;
    cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not valid UTF-8.
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

}  // namespace

std::string storable_text(const std::string& bytes, std::size_t cap) {
  std::string out;
  std::size_t limit = bytes.size() < cap ? bytes.size() : cap;
  out.reserve(limit + 64);
  std::size_t i = 0;
  while (i < limit) {
    if (bytes[i] == '\0') {
      out += "\xe2\x90\x80";  // U+2400 SYMBOL FOR NULL
      ++i;
      continue;
    }
    std::size_t n = utf8_sequence(bytes, i);
    if (n == 0 || i + n > limit) {
      if (n != 0) break;  // a valid sequence cut by the cap: stop before it
      out += "\xef\xbf\xbd";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
      continue;
    }
    out.append(bytes, i, n);
    i += n;
  }
  if (bytes.size() > cap) {
    out += "\n[... output truncated by gradeq: " + std::to_string(bytes.size()) + " bytes in all, " +
           std::to_string(cap) + " kept ...]";
  }
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * bytes.size(), '0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 15];
  }
  return out;
}

}  // namespace gradeq
