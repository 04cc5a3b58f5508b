// JSON for the board: writing the heartbeat, reading the server's flat answers.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace powerbot::json {

// `text` as a JSON string literal, quotes included. UTF-8 passes through; control
// characters, quotes and backslashes are escaped.
std::string quote(const std::string& text);

struct Value {
  enum class Type { null, boolean, number, string, nested };
  Type type = Type::null;
  bool boolean = false;
  std::string text;  // a string's characters, or a number as written

  // A non-negative whole number that fits `out`; false for anything else.
  bool as_uint(uint64_t& out) const;
};

// The members of one JSON object (`{...}` and nothing else but white space). Nested
// objects and arrays are checked and skipped (Type::nested). False for anything that
// is not well-formed JSON, or nests deeper than 16 levels (the object itself is one).
bool parse_object(const std::string& text, std::map<std::string, Value>& members);

}  // namespace powerbot::json
