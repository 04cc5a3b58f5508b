#include "harness.h"
#include "powerbot/sha256.h"

using powerbot::Sha256;

namespace {

std::string digest(const std::string& text, size_t piece) {
  Sha256 hash;
  for (size_t at = 0; at < text.size(); at += piece) {
    std::string part = text.substr(at, piece);
    hash.update(reinterpret_cast<const uint8_t*>(part.data()), part.size());
  }
  return hash.hex_digest();
}

}  // namespace

// FIPS 180-4's examples, fed whole and in odd pieces.
TEST(sha256_matches_the_standard_test_vectors) {
  for (size_t piece : {1u, 3u, 63u, 64u, 65u, 1000u}) {
    CHECK_EQ(digest("", piece), std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    CHECK_EQ(digest("abc", piece), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    CHECK_EQ(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", piece),
             std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
  }
  CHECK_EQ(digest(std::string(1000000, 'a'), 4096),
           std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}
