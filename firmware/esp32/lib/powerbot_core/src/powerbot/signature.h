// Release signatures: a board installs only an image its release key vouches for.
//
// The server (firmware/signing.py) signs, with ECDSA P-256, the text signed_text() builds from
// the board this firmware is for, the offered version and the offered SHA-256; the download is
// then held to that SHA-256 before it is committed. So a signature vouches for one image as one
// version of one board: another board's image, or an old signed image offered as a newer
// version, does not verify.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sha256.h"
#include "update.h"

namespace powerbot {

// The public half of the release signing key, built into the firmware (mbedtls_key.h on the
// board and in the host tests; a stand-in in the unit tests).
class ReleaseKey {
 public:
  virtual ~ReleaseKey() = default;
  // Whether `signature` (DER) is this key's over `digest`.
  virtual bool verifies(const Sha256::Digest& digest, const std::vector<uint8_t>& signature) const = 0;
};

// What a release's signature is over; the server builds the same bytes.
std::string signed_text(const std::string& board, const std::string& version, const std::string& sha256);

// A DER ECDSA P-256 signature is at most 72 bytes.
constexpr size_t kMaxSignatureBytes = 72;

// Hex digits (either case), two per byte, into `out`; false for anything else.
bool parse_hex(const std::string& text, std::vector<uint8_t>& out);

enum class SignatureCheck { valid, missing, invalid };

// Whether `offer` is signed by `key` for `board`, its version and its SHA-256.
SignatureCheck check_signature(const Offer& offer, const std::string& board, const ReleaseKey& key);

}  // namespace powerbot
