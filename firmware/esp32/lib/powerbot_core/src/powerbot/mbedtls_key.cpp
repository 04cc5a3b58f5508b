#include "mbedtls_key.h"

#include <cstring>

#include <mbedtls/ecp.h>

namespace powerbot {

MbedtlsReleaseKey::MbedtlsReleaseKey(const char* pem) {
  mbedtls_pk_init(&pk_);
  // mbedTLS reads PEM only with its terminating NUL counted.
  int parsed = mbedtls_pk_parse_public_key(&pk_, reinterpret_cast<const unsigned char*>(pem), std::strlen(pem) + 1);
  loaded_ = parsed == 0 && mbedtls_pk_get_type(&pk_) == MBEDTLS_PK_ECKEY &&
            mbedtls_pk_ec(pk_)->grp.id == MBEDTLS_ECP_DP_SECP256R1;
}

MbedtlsReleaseKey::~MbedtlsReleaseKey() { mbedtls_pk_free(&pk_); }

bool MbedtlsReleaseKey::verifies(const Sha256::Digest& digest, const std::vector<uint8_t>& signature) const {
  if (!loaded_ || signature.empty()) return false;
  return mbedtls_pk_verify(&pk_, MBEDTLS_MD_SHA256, digest.data(), digest.size(), signature.data(),
                           signature.size()) == 0;
}

}  // namespace powerbot
