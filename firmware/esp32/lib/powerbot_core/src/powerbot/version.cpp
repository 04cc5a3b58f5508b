#include "version.h"

namespace powerbot {

namespace {

bool all_digits(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool identifier_chars(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
    if (!ok) return false;
  }
  return true;
}

// A numeric part: digits without a leading zero, within 32 bits.
bool number(const std::string& text, uint32_t& out) {
  if (!all_digits(text) || (text.size() > 1 && text[0] == '0')) return false;
  uint64_t value = 0;
  for (char c : text) {
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > UINT32_MAX) return false;
  }
  out = static_cast<uint32_t>(value);
  return true;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

}  // namespace

bool Version::parse(const std::string& text, Version& out) {
  std::string rest = text;
  size_t plus = rest.find('+');
  if (plus != std::string::npos) {
    for (const std::string& part : split(rest.substr(plus + 1), '.')) {
      if (!identifier_chars(part)) return false;
    }
    rest = rest.substr(0, plus);
  }
  Version version;
  size_t dash = rest.find('-');
  if (dash != std::string::npos) {
    version.prerelease = split(rest.substr(dash + 1), '.');
    for (const std::string& part : version.prerelease) {
      if (!identifier_chars(part) || (all_digits(part) && part.size() > 1 && part[0] == '0')) return false;
    }
    rest = rest.substr(0, dash);
  }
  std::vector<std::string> core = split(rest, '.');
  if (core.size() != 3 || !number(core[0], version.major) || !number(core[1], version.minor) ||
      !number(core[2], version.patch)) {
    return false;
  }
  out = version;
  return true;
}

int compare(const Version& a, const Version& b) {
  if (a.major != b.major) return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
  // A pre-release is older than its release; otherwise identifiers decide, left to right.
  if (a.prerelease.empty() || b.prerelease.empty()) {
    if (a.prerelease.empty() == b.prerelease.empty()) return 0;
    return a.prerelease.empty() ? 1 : -1;
  }
  for (size_t i = 0; i < a.prerelease.size() && i < b.prerelease.size(); ++i) {
    const std::string& x = a.prerelease[i];
    const std::string& y = b.prerelease[i];
    bool x_numeric = all_digits(x), y_numeric = all_digits(y);
    if (x_numeric && y_numeric) {
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;  // no leading zeros: longer is larger
      if (x != y) return x < y ? -1 : 1;
    } else if (x_numeric != y_numeric) {
      return x_numeric ? -1 : 1;  // numeric identifiers are older than alphanumeric ones
    } else if (x != y) {
      return x < y ? -1 : 1;
    }
  }
  if (a.prerelease.size() == b.prerelease.size()) return 0;
  return a.prerelease.size() < b.prerelease.size() ? -1 : 1;
}

}  // namespace powerbot
