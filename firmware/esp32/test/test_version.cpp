#include <fstream>

#include "harness.h"
#include "powerbot/version.h"

using powerbot::compare;
using powerbot::Version;

namespace {

Version must_parse(const std::string& text) {
  Version version;
  if (!Version::parse(text, version)) harness::fail(__FILE__, __LINE__, "cannot parse " + text);
  return version;
}

}  // namespace

// The table the server's tests read too (firmware/tests/test_versions.py).
TEST(versions_compare_as_the_shared_table_says) {
  std::ifstream table(harness::data_path("versions.txt"));
  CHECK(table.good());
  std::string line;
  int checked = 0;
  while (std::getline(table, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '!') {
      std::string text = line.substr(1);
      text.erase(0, text.find_first_not_of(' '));
      Version ignored;
      if (Version::parse(text, ignored)) harness::fail(__FILE__, __LINE__, "accepted '" + text + "'");
    } else if (line.find(" < ") != std::string::npos) {
      size_t at = line.find(" < ");
      Version older = must_parse(line.substr(0, at)), newer = must_parse(line.substr(at + 3));
      if (!(compare(older, newer) < 0 && compare(newer, older) > 0)) harness::fail(__FILE__, __LINE__, line);
    } else {
      size_t at = line.find(" = ");
      CHECK(at != std::string::npos);
      CHECK_EQ(compare(must_parse(line.substr(0, at)), must_parse(line.substr(at + 3))), 0);
    }
    ++checked;
  }
  CHECK(checked >= 30);
}

TEST(version_parts_are_read) {
  Version version = must_parse("12.3.45-rc.1+sha.abc");
  CHECK_EQ(version.major, 12u);
  CHECK_EQ(version.minor, 3u);
  CHECK_EQ(version.patch, 45u);
  CHECK_EQ(version.prerelease.size(), 2u);
  CHECK_EQ(version.prerelease[1], std::string("1"));
  Version untouched;
  CHECK(!Version::parse("4294967296.0.0", untouched));  // beyond 32 bits
  CHECK_EQ(untouched.major, 0u);
}
