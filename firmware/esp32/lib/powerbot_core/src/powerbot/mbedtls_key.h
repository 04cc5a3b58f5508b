// The release key as the board holds it: a PEM public key, checked with mbedTLS. The ESP32's
// framework has it, and the host tests build this very file against libmbedtls 2.28, the
// version ESP-IDF 4.4 carries.
#pragma once

#include <mbedtls/pk.h>

#include "signature.h"

namespace powerbot {

class MbedtlsReleaseKey : public ReleaseKey {
 public:
  // `pem`: an ECDSA P-256 public key (SubjectPublicKeyInfo), as `manage.py firmware_key public` writes it.
  explicit MbedtlsReleaseKey(const char* pem);
  ~MbedtlsReleaseKey() override;
  MbedtlsReleaseKey(const MbedtlsReleaseKey&) = delete;
  MbedtlsReleaseKey& operator=(const MbedtlsReleaseKey&) = delete;

  // Whether `pem` was an ECDSA P-256 public key; a key that is not verifies nothing.
  bool loaded() const { return loaded_; }
  bool verifies(const Sha256::Digest& digest, const std::vector<uint8_t>& signature) const override;

 private:
  mutable mbedtls_pk_context pk_;  // mbedtls_pk_verify takes it mutable, and changes nothing
  bool loaded_ = false;
};

}  // namespace powerbot
