// SHA-256 of bytes in memory, as lowercase hex (OpenSSL's libcrypto): import idempotency keys,
// API key hashes.
#pragma once

#include <string>
#include <string_view>

namespace gradeq {

std::string sha256_hex(std::string_view bytes);

}  // namespace gradeq
