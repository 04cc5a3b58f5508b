// MQTT mode: heartbeats through the server's MQTT broker rather than HTTP POSTs. The board
// publishes the very body the HTTP heartbeat posts to powerbot/<uuid>/heartbeat (QoS 0, not
// retained), and keeps powerbot/<uuid>/status retained: "online" as soon as it connects,
// "offline" from the broker (its last will) once it vanishes. A board that leaves on purpose,
// to reboot into an update, sends DISCONNECT instead, and the broker discards the will.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "heartbeat.h"
#include "url.h"

namespace powerbot {

// The broker drops a board it has not heard from in 1.5 times this; heartbeats every 10 s
// keep the connection busy, so pings are rare.
constexpr uint16_t kMqttKeepAliveSec = 15;

struct MqttMessage {
  std::string topic;
  std::string payload;
  uint8_t qos = 0;
  bool retained = false;
};

// mqtt:// or mqtts:// (port 1883 or 8883 unless one is given), with an optional user and
// password (percent-encoded), and nothing after the host and port but a "/". False, and
// why in `error`, for anything else.
bool parse_broker_url(const std::string& text, Url& out, std::string* error = nullptr);

// Whether `sensor_uuid` can be one level of a topic: one that holds "/" would add levels,
// "+" and "#" are wildcards no topic may publish to.
bool fits_topic(const std::string& sensor_uuid);

std::string heartbeat_topic(const std::string& sensor_uuid);  // powerbot/<uuid>/heartbeat
std::string status_topic(const std::string& sensor_uuid);     // powerbot/<uuid>/status

// The heartbeat as MQTT publishes it: heartbeat_body(), the HTTP heartbeat's very bytes.
MqttMessage heartbeat_message(const Heartbeat& heartbeat);

// Given at connect: the broker publishes it when the board vanishes (QoS 1, retained).
MqttMessage last_will(const std::string& sensor_uuid);

// Published right after connecting, retained, so the status topic tells the truth at once.
MqttMessage online_message(const std::string& sensor_uuid);

// Why the broker refused a connect, from its CONNACK return code (MQTT 3.1.1, 3.2.2.3).
const char* describe_refusal(int code);

// Bytes an MQTT client must hold to build the board's largest packet whole (PubSubClient's
// setBufferSize, its 5 bytes of header room included): the CONNECT, with the will and the
// broker's user and password, or a heartbeat like `heartbeat` once its uptime and signal
// have grown to their longest. The client id is the sensor uuid.
size_t mqtt_buffer_size(const Url& broker, const Heartbeat& heartbeat);

}  // namespace powerbot
