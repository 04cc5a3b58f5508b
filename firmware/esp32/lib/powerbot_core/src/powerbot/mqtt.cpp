#include "mqtt.h"

#include <algorithm>

namespace powerbot {

namespace {

constexpr size_t kHeaderRoom = 5;      // a fixed header byte and up to 4 bytes of remaining length
constexpr size_t kConnectFixed = 10;  // protocol name and level, flags, keep-alive

size_t field(const std::string& text) { return 2 + text.size(); }  // a length-prefixed string

}  // namespace

bool parse_broker_url(const std::string& text, Url& out, std::string* error) {
  Url url;
  if (!parse_url(text, {{"mqtt://", false, 1883}, {"mqtts://", true, 8883}}, true, url, error)) return false;
  if (url.path != "/") {
    if (error != nullptr) *error = "a broker's URL has nothing after the host and port";
    return false;
  }
  out = url;
  return true;
}

bool fits_topic(const std::string& sensor_uuid) {
  return sensor_uuid.find_first_of(std::string("/+#\0", 4)) == std::string::npos;
}

std::string heartbeat_topic(const std::string& sensor_uuid) { return "powerbot/" + sensor_uuid + "/heartbeat"; }

std::string status_topic(const std::string& sensor_uuid) { return "powerbot/" + sensor_uuid + "/status"; }

MqttMessage heartbeat_message(const Heartbeat& heartbeat) {
  return {heartbeat_topic(heartbeat.sensor_uuid), heartbeat_body(heartbeat), 0, false};
}

MqttMessage last_will(const std::string& sensor_uuid) { return {status_topic(sensor_uuid), "offline", 1, true}; }

MqttMessage online_message(const std::string& sensor_uuid) { return {status_topic(sensor_uuid), "online", 0, true}; }

const char* describe_refusal(int code) {
  switch (code) {
    case 1: return "the broker refused the protocol version (it needs MQTT 3.1.1)";
    case 2: return "the broker refused the client id (the sensor uuid)";
    case 3: return "the broker is unavailable";
    case 4: return "the broker refused the user or password";
    case 5: return "the broker refused: not authorised";
    default: return "the broker refused the connection";
  }
}

size_t mqtt_buffer_size(const Url& broker, const Heartbeat& heartbeat) {
  MqttMessage will = last_will(heartbeat.sensor_uuid);
  size_t connect = kHeaderRoom + kConnectFixed + field(heartbeat.sensor_uuid) + field(will.topic) + field(will.payload);
  if (!broker.user.empty()) connect += field(broker.user);
  if (!broker.password.empty()) connect += field(broker.password);
  Heartbeat longest = heartbeat;
  longest.uptime_sec = UINT32_MAX;
  longest.has_rssi = true;
  longest.rssi = INT32_MIN;
  MqttMessage message = heartbeat_message(longest);
  size_t publish = kHeaderRoom + field(message.topic) + message.payload.size();
  return std::max(connect, publish);
}

}  // namespace powerbot
