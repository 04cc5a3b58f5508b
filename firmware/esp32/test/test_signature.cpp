// Release signatures: the board's mbedTLS check against what the server's `cryptography` signed,
// and the rules around it (what is signed, how the hex is read).
#include "harness.h"
#include "powerbot/mbedtls_key.h"
#include "powerbot/signature.h"
#include "signature_vectors.h"
#include "stand_in_key.h"

using namespace powerbot;

namespace {

Offer signed_offer() {
  Offer offer;
  offer.available = true;
  offer.version = vectors::kVersion;
  offer.sha256 = vectors::kSha256;
  offer.signature = vectors::kSignature;
  return offer;
}

}  // namespace

TEST(the_signed_text_names_board_version_and_sha256_one_per_line) {
  CHECK_EQ(signed_text("wt32-eth01", "1.3.0", "ab"), std::string("powerbot-firmware-release\nwt32-eth01\n1.3.0\nab\n"));
}

TEST(the_servers_signature_verifies_with_the_release_key) {
  MbedtlsReleaseKey key(vectors::kReleaseKey);
  CHECK(key.loaded());
  CHECK(check_signature(signed_offer(), vectors::kBoard, key) == SignatureCheck::valid);
  Offer upper = signed_offer();
  for (char& c : upper.signature) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(check_signature(upper, vectors::kBoard, key) == SignatureCheck::valid);
}

TEST(a_signature_verifies_only_for_its_board_version_and_image) {
  MbedtlsReleaseKey key(vectors::kReleaseKey);
  CHECK(check_signature(signed_offer(), "esp32-wifi", key) == SignatureCheck::invalid);
  Offer newer = signed_offer();
  newer.version = "9.9.9";  // an old signed image offered as a newer version
  CHECK(check_signature(newer, vectors::kBoard, key) == SignatureCheck::invalid);
  Offer other_image = signed_offer();
  other_image.sha256[0] = other_image.sha256[0] == '0' ? '1' : '0';
  CHECK(check_signature(other_image, vectors::kBoard, key) == SignatureCheck::invalid);
}

TEST(a_damaged_or_foreign_signature_does_not_verify) {
  MbedtlsReleaseKey key(vectors::kReleaseKey);
  Offer flipped = signed_offer();
  char& last = flipped.signature.back();
  last = last == '0' ? '1' : '0';
  CHECK(check_signature(flipped, vectors::kBoard, key) == SignatureCheck::invalid);
  for (const char* garbage : {"zz", "abc", "30", "", "00000000"}) {
    Offer bad = signed_offer();
    bad.signature = garbage;
    CHECK(check_signature(bad, vectors::kBoard, key) ==
          (bad.signature.empty() ? SignatureCheck::missing : SignatureCheck::invalid));
  }
  Offer trailing = signed_offer();
  trailing.signature += "00";  // DER with a byte after it
  CHECK(check_signature(trailing, vectors::kBoard, key) == SignatureCheck::invalid);
  Offer huge = signed_offer();
  huge.signature = std::string(4 * kMaxSignatureBytes, 'a');
  CHECK(check_signature(huge, vectors::kBoard, key) == SignatureCheck::invalid);

  MbedtlsReleaseKey other(vectors::kOtherKey);
  CHECK(other.loaded());
  CHECK(check_signature(signed_offer(), vectors::kBoard, other) == SignatureCheck::invalid);
}

TEST(only_a_p256_public_key_is_taken) {
  CHECK(!MbedtlsReleaseKey(vectors::kP384Key).loaded());
  CHECK(!MbedtlsReleaseKey("").loaded());
  CHECK(!MbedtlsReleaseKey("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").loaded());
  MbedtlsReleaseKey unusable(vectors::kP384Key);
  CHECK(check_signature(signed_offer(), vectors::kBoard, unusable) == SignatureCheck::invalid);
}

TEST(hex_is_read_two_digits_a_byte_in_either_case) {
  std::vector<uint8_t> bytes;
  CHECK(parse_hex("00fFa1", bytes));
  CHECK(bytes == std::vector<uint8_t>({0x00, 0xFF, 0xA1}));
  CHECK(!parse_hex("0", bytes));
  CHECK(!parse_hex("0g", bytes));
  CHECK(!parse_hex(" 0", bytes));
  CHECK(bytes == std::vector<uint8_t>({0x00, 0xFF, 0xA1}));  // untouched by a refusal
}

TEST(the_stand_in_key_of_the_tests_checks_what_is_signed_too) {
  StandInKey key;
  Offer offer = signed_offer();
  offer.signature = StandInKey::sign(vectors::kBoard, vectors::kVersion, vectors::kSha256);
  CHECK(check_signature(offer, vectors::kBoard, key) == SignatureCheck::valid);
  CHECK(check_signature(offer, "esp32-wifi", key) == SignatureCheck::invalid);
}
