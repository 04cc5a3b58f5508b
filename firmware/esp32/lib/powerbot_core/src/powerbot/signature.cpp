#include "signature.h"

#include "url.h"

namespace powerbot {

std::string signed_text(const std::string& board, const std::string& version, const std::string& sha256) {
  return "powerbot-firmware-release\n" + board + "\n" + version + "\n" + sha256 + "\n";
}

bool parse_hex(const std::string& text, std::vector<uint8_t>& out) {
  if (text.size() % 2 != 0) return false;
  std::vector<uint8_t> bytes;
  bytes.reserve(text.size() / 2);
  for (size_t at = 0; at < text.size(); at += 2) {
    int high = hex_value(text[at]), low = hex_value(text[at + 1]);
    if (high < 0 || low < 0) return false;
    bytes.push_back(static_cast<uint8_t>(high << 4 | low));
  }
  out = std::move(bytes);
  return true;
}

SignatureCheck check_signature(const Offer& offer, const std::string& board, const ReleaseKey& key) {
  if (offer.signature.empty()) return SignatureCheck::missing;
  std::vector<uint8_t> signature;
  if (offer.signature.size() > 2 * kMaxSignatureBytes || !parse_hex(offer.signature, signature)) {
    return SignatureCheck::invalid;
  }
  std::string text = signed_text(board, offer.version, offer.sha256);
  Sha256 hash;
  hash.update(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  return key.verifies(hash.digest(), signature) ? SignatureCheck::valid : SignatureCheck::invalid;
}

}  // namespace powerbot
