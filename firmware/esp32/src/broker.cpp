#include "broker.h"

#include <esp_task_wdt.h>

namespace {

constexpr int32_t kConnectTimeoutMs = 10000;
// For the broker's CONNACK. A TCP connect, a TLS handshake and this stay within the watchdog.
constexpr uint16_t kAnswerTimeoutSec = 10;
constexpr uint32_t kGoodbyeMs = 200;  // for DISCONNECT to leave before a restart cuts the link

const char* describe_state(int state) {
  switch (state) {
    case MQTT_CONNECTION_TIMEOUT: return "no answer from the broker";
    case MQTT_CONNECTION_LOST: return "the connection was lost";
    case MQTT_CONNECT_FAILED: return "cannot reach the broker";
    case MQTT_DISCONNECTED: return "the broker closed the connection (or a packet did not fit the buffer)";
    default: return powerbot::describe_refusal(state);
  }
}

}  // namespace

void BrokerConnection::begin(const powerbot::Url& broker, const powerbot::Heartbeat& heartbeat) {
  broker_ = broker;
  client_id_ = heartbeat.sensor_uuid;
  will_ = powerbot::last_will(client_id_);
  online_ = powerbot::online_message(client_id_);
  if (broker_.tls) {
    secure_.setCACert(ca_certificate_);  // the settings refuse mqtts without one
    secure_.setHandshakeTimeout(10);     // seconds; the default would outlast the watchdog
    mqtt_.setClient(secure_);
  } else {
    mqtt_.setClient(plain_);
  }
  mqtt_.setServer(broker_.host.c_str(), broker_.port);
  mqtt_.setKeepAlive(powerbot::kMqttKeepAliveSec);
  mqtt_.setSocketTimeout(kAnswerTimeoutSec);
  size_t size = powerbot::mqtt_buffer_size(broker_, heartbeat);
  if (size > UINT16_MAX || !mqtt_.setBufferSize(static_cast<uint16_t>(size))) {
    Serial.printf("mqtt: cannot hold %u-byte packets; heartbeats will go over HTTP\n", static_cast<unsigned>(size));
  }
}

bool BrokerConnection::connect(std::string& why) {
  if (broker_.tls && ca_certificate_ == nullptr) {
    why = "mqtts needs the CA certificate built in";
    return false;
  }
  esp_task_wdt_reset();
  Client& link = broker_.tls ? static_cast<Client&>(secure_) : static_cast<Client&>(plain_);
  link.stop();  // whatever is left of a lost connection
  // Opened here, with a timeout of ours: PubSubClient takes a connection that is already
  // open, and would otherwise wait as long as the client's default.
  int opened = broker_.tls ? secure_.connect(broker_.host.c_str(), broker_.port, kConnectTimeoutMs)
                           : plain_.connect(broker_.host.c_str(), broker_.port, kConnectTimeoutMs);
  esp_task_wdt_reset();
  if (opened != 1) {
    why = describe_state(MQTT_CONNECT_FAILED);
    return false;
  }
  const char* user = broker_.user.empty() ? nullptr : broker_.user.c_str();
  const char* password = broker_.password.empty() ? nullptr : broker_.password.c_str();
  bool accepted = mqtt_.connect(client_id_.c_str(), user, password, will_.topic.c_str(), will_.qos, will_.retained,
                                will_.payload.c_str(), true);
  esp_task_wdt_reset();
  if (!accepted) {
    why = describe_state(mqtt_.state());
    return false;
  }
  if (!publish(online_)) {
    why = "the connection was lost before \"online\" was published";
    return false;
  }
  return true;
}

bool BrokerConnection::connected() { return mqtt_.connected(); }

void BrokerConnection::loop() { mqtt_.loop(); }

bool BrokerConnection::publish(const powerbot::MqttMessage& message) {
  // PubSubClient publishes at QoS 0 only, which is what the heartbeat and "online" use.
  return mqtt_.publish(message.topic.c_str(), reinterpret_cast<const uint8_t*>(message.payload.data()),
                       static_cast<unsigned int>(message.payload.size()), message.retained);
}

void BrokerConnection::disconnect() {
  if (!mqtt_.connected()) return;
  mqtt_.disconnect();
  delay(kGoodbyeMs);
}
