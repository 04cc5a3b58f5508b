// Semantic versions (semver.org 2.0.0), compared as the server compares them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace powerbot {

struct Version {
  uint32_t major = 0, minor = 0, patch = 0;
  std::vector<std::string> prerelease;  // e.g. {"rc", "1"}; build metadata is dropped

  // False (and `out` untouched) for anything that is not a semantic version.
  static bool parse(const std::string& text, Version& out);
};

// <0 when a is older than b, 0 when they take the same precedence, >0 when a is newer.
int compare(const Version& a, const Version& b);

}  // namespace powerbot
