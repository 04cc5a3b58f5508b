// MQTT mode on the board: one long-lived connection to the broker, PubSubClient over a
// WiFiClient of its own (WiFiClientSecure for mqtts, checked against the built-in CA
// certificate), apart from the HTTP connection that the update check and the fallback keep
// using. What it sends (topics, will, payloads, sizes) comes from powerbot/mqtt.h.
#pragma once

#include <PubSubClient.h>
#include <WiFiClient.h>
#include <WiFiClientSecure.h>

#include <string>

#include "powerbot/heartbeat.h"
#include "powerbot/mqtt.h"
#include "powerbot/url.h"

class BrokerConnection {
 public:
  explicit BrokerConnection(const char* ca_certificate) : ca_certificate_(ca_certificate) {}

  // The broker, and the board's uuid (its client id and its topics) from `heartbeat`, which
  // also sizes the buffer.
  void begin(const powerbot::Url& broker, const powerbot::Heartbeat& heartbeat);

  // Connects with the last will ("offline", retained, QoS 1, on the status topic) and
  // publishes "online", retained; false, and why, when either fails.
  bool connect(std::string& why);
  bool connected();
  // Keeps the connection alive (a ping when it has been quiet) and notices when it is lost.
  void loop();
  bool publish(const powerbot::MqttMessage& message);

  // Says goodbye with DISCONNECT, so the broker discards the will: a board that leaves on
  // purpose, to reboot or to download an update, never shows "offline".
  void disconnect();

 private:
  const char* ca_certificate_;
  powerbot::Url broker_;  // PubSubClient keeps a pointer to its host
  std::string client_id_;
  powerbot::MqttMessage will_, online_;
  WiFiClient plain_;
  WiFiClientSecure secure_;
  PubSubClient mqtt_;
};
