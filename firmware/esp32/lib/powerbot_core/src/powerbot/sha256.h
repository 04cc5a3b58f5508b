// SHA-256 (FIPS 180-4), to verify a downloaded image before the board switches to it.
//
// Portable rather than the chip's mbedtls so that the very code that checks images on
// the board is the code the host tests run against the server's downloads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace powerbot {

// `size` bytes as lower-case hex, two digits a byte.
std::string to_hex(const uint8_t* data, size_t size);

class Sha256 {
 public:
  using Digest = std::array<uint8_t, 32>;

  Sha256();
  void update(const uint8_t* data, size_t size);
  // The digest; the hasher is spent afterwards.
  Digest digest();
  // The digest as 64 lower-case hex digits; the hasher is spent afterwards.
  std::string hex_digest();

 private:
  void block(const uint8_t* chunk);

  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t length_ = 0;
};

}  // namespace powerbot
