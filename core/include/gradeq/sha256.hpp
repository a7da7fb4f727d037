// SHA-256 (FIPS 180-4) of bytes in memory, as lowercase hex. Small and dependency-free: used for
// content hashes (import idempotency keys), not for anything secret.
#pragma once

#include <string>
#include <string_view>

namespace gradeq {

std::string sha256_hex(std::string_view bytes);

}  // namespace gradeq
