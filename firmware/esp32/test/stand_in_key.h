// A release key for tests that need one without the arithmetic: its "signature" of a digest is
// the digest's first eight bytes, so only an offer signed for the right board, version and
// SHA-256 verifies. The real key (mbedtls_key.h) is tested in test_signature.cpp.
#pragma once

#include <string>
#include <vector>

#include "powerbot/signature.h"

class StandInKey : public powerbot::ReleaseKey {
 public:
  bool verifies(const powerbot::Sha256::Digest& digest, const std::vector<uint8_t>& signature) const override {
    return signature == std::vector<uint8_t>(digest.begin(), digest.begin() + 8);
  }

  // The hex "signature" an offer of `version` with `sha256` for `board` needs.
  static std::string sign(const std::string& board, const std::string& version, const std::string& sha256) {
    std::string text = powerbot::signed_text(board, version, sha256);
    powerbot::Sha256 hash;
    hash.update(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    powerbot::Sha256::Digest digest = hash.digest();
    return powerbot::to_hex(digest.data(), 8);
  }
};
