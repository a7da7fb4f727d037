// SHA-256 through OpenSSL's libcrypto (Debian libssl-dev), not a digest of our own.
#include "gradeq/sha256.hpp"

#include <openssl/evp.h>

#include <stdexcept>

#include "gradeq/text.hpp"

namespace gradeq {

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &n, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return to_hex({reinterpret_cast<const char*>(digest), n});
}

}  // namespace gradeq
