#include "harness.h"
#include "powerbot/json.h"

using powerbot::json::parse_object;
using powerbot::json::quote;
using powerbot::json::Value;

TEST(quote_escapes_quotes_backslashes_and_control_characters) {
  CHECK_EQ(quote("a\"b\\c\nd\te\x01"), std::string("\"a\\\"b\\\\c\\nd\\te\\u0001\""));
  CHECK_EQ(quote("Під'їзд 2"), std::string("\"Під'їзд 2\""));  // UTF-8 passes through
}

TEST(parse_object_reads_flat_members_of_every_type) {
  std::map<std::string, Value> members;
  CHECK(parse_object(R"( {"s":"x\u00e9\ud83d\ude00","n":1234,"f":-1.5e3,"t":true,"no":false,"z":null,"o":{"a":[1,{}]},"a":[]} )",
                     members));
  CHECK_EQ(members["s"].text, std::string("x\xC3\xA9\xF0\x9F\x98\x80"));
  uint64_t n = 0;
  CHECK(members["n"].as_uint(n));
  CHECK_EQ(n, 1234u);
  CHECK(!members["f"].as_uint(n));
  CHECK_EQ(members["f"].text, std::string("-1.5e3"));
  CHECK(members["t"].boolean && members["t"].type == Value::Type::boolean);
  CHECK(!members["no"].boolean && members["no"].type == Value::Type::boolean);
  CHECK(members["z"].type == Value::Type::null);
  CHECK(members["o"].type == Value::Type::nested && members["a"].type == Value::Type::nested);
}

TEST(parse_object_refuses_what_is_not_one_json_object) {
  std::map<std::string, Value> members;
  const char* bad[] = {
      "", "[]", "{", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":01}", "{\"a\":1} x", "{'a':1}", "{\"a\":tru}",
      "{\"a\":\"\x01\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}", "{\"a\":1.}", "{\"a\":-}", "{\"a\":[1,]}",
      "{\"a\":\"unterminated}",
  };
  for (const char* text : bad) {
    if (parse_object(text, members)) harness::fail(__FILE__, __LINE__, std::string("accepted ") + text);
    CHECK(members.empty());
  }
}

TEST(parse_object_refuses_deep_nesting) {
  // Sixteen levels, the object itself included, and no more.
  std::string deep = "{\"a\":" + std::string(15, '[') + std::string(15, ']') + "}";
  std::map<std::string, Value> members;
  CHECK(parse_object(deep, members));
  std::string deeper = "{\"a\":" + std::string(16, '[') + std::string(16, ']') + "}";
  CHECK(!parse_object(deeper, members));
}

TEST(as_uint_refuses_numbers_beyond_64_bits) {
  std::map<std::string, Value> members;
  CHECK(parse_object("{\"big\":18446744073709551615,\"bigger\":18446744073709551616}", members));
  uint64_t value = 0;
  CHECK(members["big"].as_uint(value));
  CHECK_EQ(value, UINT64_MAX);
  CHECK(!members["bigger"].as_uint(value));
}
