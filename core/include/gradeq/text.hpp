// Making arbitrary bytes storable and showable as text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gradeq {

// Valid UTF-8 without NUL bytes, at most `cap` bytes of the input kept: invalid sequences become
// U+FFFD, NUL becomes U+2400 (␀), and a cut adds a visible marker naming the original size.
// PostgreSQL text columns reject both NUL and invalid UTF-8, and student output has both.
std::string storable_text(const std::string& bytes, std::size_t cap);

// Lowercase hex of bytes, two digits a byte (digests, keys, PostgreSQL's decode(x, 'hex')).
std::string to_hex(std::string_view bytes);

}  // namespace gradeq
