#include "harness.h"

#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace harness {

namespace {

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

std::vector<Case>& cases() {
  static std::vector<Case> all;
  return all;
}

void fail(const char* file, int line, const std::string& what) {
  throw Failure(std::string(file) + ":" + std::to_string(line) + ": " + what);
}

std::string data_path(const std::string& name) { return std::string(POWERBOT_TEST_DATA) + "/" + name; }

}  // namespace harness

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
    for (const harness::Case& test : harness::cases()) std::printf("%s\n", test.name);
    return 0;
  }
  int passed = 0, failed = 0;
  for (const harness::Case& test : harness::cases()) {
    bool chosen = argc == 1;
    for (int i = 1; i < argc; ++i) chosen = chosen || std::strcmp(argv[i], test.name) == 0;
    if (!chosen) continue;
    try {
      test.run();
      ++passed;
      std::printf("ok %s\n", test.name);
    } catch (const std::exception& failure) {
      ++failed;
      std::printf("FAIL %s: %s\n", test.name, failure.what());
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
