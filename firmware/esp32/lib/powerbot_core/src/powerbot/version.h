// Semantic versions (semver.org 2.0.0), compared as the server compares them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace powerbot {

// The longest version a release may have (the server's firmware.versions.MAX_LENGTH): a longer
// one in an offer is forged, and would not fit the heartbeat that reports its refusal.
constexpr size_t kMaxVersionLength = 32;

struct Version {
  uint32_t major = 0, minor = 0, patch = 0;
  std::vector<std::string> prerelease;  // e.g. {"rc", "1"}; build metadata is dropped

  // False (and `out` untouched) for anything that is not a semantic version.
  static bool parse(const std::string& text, Version& out);
};

// <0 when a is older than b, 0 when they take the same precedence, >0 when a is newer.
int compare(const Version& a, const Version& b);

}  // namespace powerbot
