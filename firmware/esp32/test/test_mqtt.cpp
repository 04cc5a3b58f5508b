#include "harness.h"
#include "powerbot/http.h"
#include "powerbot/mqtt.h"

using namespace powerbot;

namespace {

Heartbeat sample() {
  Heartbeat heartbeat;
  heartbeat.api_key = "pbw_key";
  heartbeat.building_id = 10;
  heartbeat.section_id = 2;
  heartbeat.sensor_uuid = "esp32-a1b2c3d4e5f6";
  heartbeat.firmware_version = "1.2.0";
  heartbeat.uptime_sec = 42;
  heartbeat.reset_reason = "power_on";
  return heartbeat;
}

}  // namespace

TEST(broker_urls_are_split_into_host_port_and_credentials) {
  Url url;
  CHECK(parse_broker_url("mqtt://user:pass@127.0.0.1:1883", url));
  CHECK(!url.tls && url.host == "127.0.0.1" && url.port == 1883 && url.user == "user" && url.password == "pass");
  CHECK(parse_broker_url("mqtts://broker.example.org", url));
  CHECK(url.tls && url.host == "broker.example.org" && url.port == 8883 && url.user.empty() && url.password.empty());
  CHECK(parse_broker_url("mqtt://10.0.0.5/", url));
  CHECK(url.port == 1883 && url.host == "10.0.0.5");
  CHECK(parse_broker_url("mqtt://powerbot@[::1]:1884", url));
  CHECK(url.host == "::1" && url.port == 1884 && url.user == "powerbot" && url.password.empty());
  CHECK(parse_broker_url("mqtts://u:@h:8884", url));  // an empty password is none
  CHECK(url.tls && url.user == "u" && url.password.empty() && url.port == 8884);
}

TEST(broker_credentials_are_percent_decoded) {
  Url url;
  CHECK(parse_broker_url("mqtt://pow%65r%3Abot:p%40ss%3Aw%2Frd%25+x%20y@h", url));
  CHECK_EQ(url.user, std::string("power:bot"));
  CHECK_EQ(url.password, std::string("p@ss:w/rd%+x y"));  // "+" is a plus in a URL's credentials
  CHECK(parse_broker_url("mqtt://u:a:b@h", url));       // the first ":" ends the user
  CHECK_EQ(url.password, std::string("a:b"));
  // Up to the last "@", so a password's raw "@", "/" or "?" reads as the server's URL parser has it.
  CHECK(parse_broker_url("mqtt://u:p@ss/w?rd#@broker:1", url));
  CHECK(url.password == "p@ss/w?rd#" && url.host == "broker" && url.port == 1);
  CHECK(parse_broker_url("mqtt://%C3%BC:%E2%82%AC@h", url));
  CHECK(url.user == "ü" && url.password == "€");
}

TEST(bad_broker_urls_are_refused_saying_why_and_never_quoting_the_password) {
  Url url;
  std::string why;
  auto refused = [&](const char* text, const char* reason) {
    why.clear();
    CHECK(!parse_broker_url(text, url, &why));
    CHECK_EQ(why, std::string(reason));
    CHECK(why.find("secret") == std::string::npos);
  };
  refused("http://user:secret@h", "the URL must start with mqtt:// or mqtts://");
  refused("MQTT://h", "the URL must start with mqtt:// or mqtts://");
  refused("mqtt://user:secret@", "the URL has no host");
  refused("mqtt://user:secret@:1883", "the URL has no host");
  refused("mqtt://user:secret@h:0", "the port must be between 1 and 65535");
  refused("mqtt://user:secret@h:65536", "the port must be at most 65535");
  refused("mqtt://h:", "the port must be between 1 and 65535");
  refused("mqtt://h:mqtt", "the port must be a number");
  refused("mqtt://h/powerbot", "a broker's URL has nothing after the host and port");
  refused("mqtt://h?x=1", "a broker's URL has nothing after the host and port");
  refused("mqtt://[::1", "an IPv6 address must end with ]");
  refused("mqtt://user:secret%zz@h", "a % in the user or password must be followed by two hex digits (%25 for a % itself)");
  refused("mqtt://user:secret%4@h", "a % in the user or password must be followed by two hex digits (%25 for a % itself)");
  refused("mqtt://user:secret%@h", "a % in the user or password must be followed by two hex digits (%25 for a % itself)");
  refused("mqtt://user:secret%00@h", "the user and password cannot hold control characters");
  refused("mqtt://user:se cret@h", "write a space in the user or password as %20");
  refused("mqtt://:secret@h", "a password needs a user");
  refused("mqtt://@h", "the URL has an @ but no user");
  refused("mqtt://h h", "the host is not valid");
  // The server's URL takes no credentials, as before.
  CHECK(!parse_url("http://user:secret@h", url, &why));
  CHECK(!parse_url("http://user@h", url, &why));
  CHECK_EQ(why, std::string("the host is not valid"));
}

TEST(percent_decoding_is_strict) {
  std::string out = "untouched";
  CHECK(percent_decode("a%2Fb+c%7e", out));
  CHECK_EQ(out, std::string("a/b+c~"));
  CHECK(percent_decode("", out));
  CHECK_EQ(out, std::string(""));
  CHECK(!percent_decode("%", out));
  CHECK(!percent_decode("ab%4", out));
  CHECK(!percent_decode("%g0", out));
  CHECK_EQ(out, std::string(""));  // left as it was on a refusal
}

TEST(a_password_is_taken_out_and_put_back_where_the_parser_finds_it) {
  CHECK_EQ(with_password("mqtt://u:p%40ss@h:1883", ""), std::string("mqtt://u@h:1883"));
  CHECK_EQ(with_password("mqtt://u:p@ss/w@h", ""), std::string("mqtt://u@h"));
  CHECK_EQ(with_password("mqtt://u@h", "n%20w"), std::string("mqtt://u:n%20w@h"));
  CHECK_EQ(with_password("mqtt://u:old@h", "new"), std::string("mqtt://u:new@h"));
  CHECK_EQ(with_password("mqtt://h:1883", ""), std::string("mqtt://h:1883"));
  CHECK_EQ(with_password("mqtt://h:1883", "x"), std::string("mqtt://:x@h:1883"));  // refused: no user
  CHECK_EQ(with_password("not a url", "x"), std::string("not a url"));
  CHECK_EQ(written_password("mqtt://u:p%40ss@h"), std::string("p%40ss"));
  CHECK_EQ(written_password("mqtt://u:p@ss@h"), std::string("p@ss"));
  CHECK_EQ(written_password("mqtt://u@h"), std::string(""));
  CHECK_EQ(written_password("mqtt://h"), std::string(""));
  size_t begin = 0, at_sign = 0;
  CHECK(find_credentials("mqtt://u:p@h", begin, at_sign));
  CHECK(begin == 7 && at_sign == 10);
  CHECK(!find_credentials("mqtt://h", begin, at_sign));
  CHECK(!find_credentials("u@mqtt://h", begin, at_sign));
}

TEST(topics_are_the_sensors_own) {
  CHECK_EQ(heartbeat_topic("esp32-a1b2c3d4e5f6"), std::string("powerbot/esp32-a1b2c3d4e5f6/heartbeat"));
  CHECK_EQ(status_topic("esp32-a1b2c3d4e5f6"), std::string("powerbot/esp32-a1b2c3d4e5f6/status"));
  CHECK(fits_topic("esp32-a1b2c3d4e5f6"));
  CHECK(fits_topic("lobby meter (2)"));
  CHECK(!fits_topic("a/b"));
  CHECK(!fits_topic("a+b"));
  CHECK(!fits_topic("a#"));
  CHECK(!fits_topic(std::string("a\0b", 3)));
}

TEST(the_mqtt_heartbeat_is_the_http_body_unretained_at_qos_0) {
  Heartbeat heartbeat = sample();
  MqttMessage message = heartbeat_message(heartbeat);
  CHECK_EQ(message.topic, std::string("powerbot/esp32-a1b2c3d4e5f6/heartbeat"));
  CHECK_EQ(message.payload, heartbeat_body(heartbeat));
  CHECK_EQ(message.payload,
           std::string("{\"api_key\":\"pbw_key\",\"building_id\":10,\"section_id\":2,\"sensor_uuid\":\"esp32-a1b2c3d4e5f6\","
                       "\"firmware_version\":\"1.2.0\",\"uptime_sec\":42,\"reset_reason\":\"power_on\"}"));
  CHECK_EQ(message.qos, 0);
  CHECK(!message.retained);
}

TEST(the_status_is_online_retained_and_offline_by_the_will) {
  MqttMessage will = last_will("esp32-a1");
  CHECK_EQ(will.topic, std::string("powerbot/esp32-a1/status"));
  CHECK_EQ(will.payload, std::string("offline"));
  CHECK_EQ(will.qos, 1);
  CHECK(will.retained);
  MqttMessage online = online_message("esp32-a1");
  CHECK_EQ(online.topic, std::string("powerbot/esp32-a1/status"));
  CHECK_EQ(online.payload, std::string("online"));
  CHECK(online.retained);
  CHECK_EQ(kMqttKeepAliveSec, 15);
}

TEST(the_mqtt_buffer_holds_the_connect_and_the_longest_heartbeat) {
  Heartbeat heartbeat = sample();
  Url broker;
  CHECK(parse_broker_url("mqtt://powerbot:pass@h", broker));
  Heartbeat longest = heartbeat;
  longest.uptime_sec = 4294967295u;
  longest.has_rssi = true;
  longest.rssi = -2147483647 - 1;
  size_t publish = 5 + 2 + heartbeat_topic(heartbeat.sensor_uuid).size() + heartbeat_body(longest).size();
  CHECK_EQ(mqtt_buffer_size(broker, heartbeat), publish);  // the heartbeat is the larger here
  // A long password makes the CONNECT the larger: 5 bytes of header room, 10 fixed, then each
  // string with its 2-byte length: client id, will topic, will message, user, password.
  CHECK(parse_broker_url("mqtt://powerbot:" + std::string(1000, 'p') + "@h", broker));
  size_t connect = 5 + 10 + (2 + 18) + (2 + status_topic(heartbeat.sensor_uuid).size()) + (2 + 7) + (2 + 8) + (2 + 1000);
  CHECK_EQ(mqtt_buffer_size(broker, heartbeat), connect);
  CHECK(parse_broker_url("mqtt://h", broker));
  heartbeat.api_key = std::string(600, 'k');
  CHECK(mqtt_buffer_size(broker, heartbeat) > 600 + heartbeat_topic(heartbeat.sensor_uuid).size());
}

TEST(a_refusal_is_told_by_its_connack_code) {
  CHECK_EQ(std::string(describe_refusal(4)), std::string("the broker refused the user or password"));
  CHECK_EQ(std::string(describe_refusal(5)), std::string("the broker refused: not authorised"));
  CHECK_EQ(std::string(describe_refusal(2)), std::string("the broker refused the client id (the sensor uuid)"));
  CHECK_EQ(std::string(describe_refusal(42)), std::string("the broker refused the connection"));
}
