// A small test harness for the host build: TEST(name) { CHECK(...); CHECK_EQ(a, b); }.
// `core_tests` runs them all, `core_tests NAME...` some, `core_tests --list` names them.
#pragma once

#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace harness {

struct Case {
  const char* name;
  void (*run)();
};

std::vector<Case>& cases();
void fail(const char* file, int line, const std::string& what);

struct Register {
  Register(const char* name, void (*run)()) { cases().push_back({name, run}); }
};

template <typename T>
std::string show(const T& value) {
  std::ostringstream out;
  if constexpr (std::is_enum_v<T>) {
    out << static_cast<long long>(value);
  } else if constexpr (std::is_convertible_v<T, std::string>) {
    out << '"' << std::string(value) << '"';
  } else {
    out << value;
  }
  return out.str();
}

// Where versions.txt and the other shared tables are (the tests' folder).
std::string data_path(const std::string& name);

}  // namespace harness

#define TEST(name)                                                 \
  static void name();                                              \
  static const harness::Register register_##name(#name, name);     \
  static void name()

#define CHECK(condition)                                                   \
  do {                                                                     \
    if (!(condition)) harness::fail(__FILE__, __LINE__, "CHECK(" #condition ")"); \
  } while (0)

#define CHECK_EQ(actual, expected)                                                            \
  do {                                                                                        \
    const auto actual_ = (actual);                                                            \
    const auto expected_ = (expected);                                                        \
    if (!(actual_ == expected_)) {                                                            \
      harness::fail(__FILE__, __LINE__, std::string(#actual " == " #expected ": got ") +      \
                                            harness::show(actual_) + ", expected " + harness::show(expected_)); \
    }                                                                                         \
  } while (0)
