// A stand-in for libFuzzer where clang is not at hand: it feeds LLVMFuzzerTestOneInput inputs
// made from a fixed seed (random bytes mixed with the tokens these parsers look for), so the
// drivers run in the test suite for seconds, under the address and undefined-behaviour
// sanitizers. With clang the same drivers build against libFuzzer for a long, coverage-guided
// run (firmware/README.md, "Fuzzing").
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

const char* const kTokens[] = {
    "HTTP/1.1 ", "HTTP/1.0 ", "200", " OK", "502", "\r\n", "\r\n\r\n", "Content-Length: ", "Transfer-Encoding: chunked",
    "X-Firmware-SHA256: ", ": ", "{", "}", "\"", "update_available", "true", "false", "version", "url", "size",
    "sha256", "mandatory", "1.2.3", ",", "[", "]", "=", "&", "%", "%0D%0A", "+", "server_url", "api_key",
    "sensor_uuid", "building_id", "section_id", "mqtt_url", "mqtt_password", "http://", "https://", "mqtt://", "@",
    "0", "9999999999999", "-1", "\\u0000", "null", "/api/v1/firmware/download/wt32-eth01/1.3.0",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
};

unsigned long option(int argc, char** argv, const char* name, unsigned long fallback) {
  size_t length = std::strlen(name);
  for (int i = 1; i < argc; i++) {
    if (std::strncmp(argv[i], name, length) == 0) return std::strtoul(argv[i] + length, nullptr, 10);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned long runs = option(argc, argv, "--runs=", 10000);
  unsigned long seed = option(argc, argv, "--seed=", 1);
  std::mt19937 random(static_cast<uint32_t>(seed));
  std::string input;
  for (unsigned long run = 0; run < runs; run++) {
    input.clear();
    unsigned pieces = random() % 96;
    for (unsigned piece = 0; piece < pieces; piece++) {
      if (random() % 3 == 0) {
        for (unsigned byte = random() % 8 + 1; byte > 0; byte--) input.push_back(static_cast<char>(random() % 256));
      } else {
        input += kTokens[random() % (sizeof kTokens / sizeof kTokens[0])];
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
  std::printf("runs: %lu seed: %lu\n", runs, seed);
  return 0;
}
