#include <WiFi.h>
#include <esp_system.h>

#include "network.h"
#include "powerbot/backoff.h"

namespace network {

namespace {

powerbot::Backoff backoff(1000, 60000);
uint32_t next_attempt_ms = 0;
std::string ssid, password;

}  // namespace

void begin(const powerbot::Settings& settings) {
  ssid = settings.wifi_ssid;
  password = settings.wifi_password;
  WiFi.mode(WIFI_STA);
  WiFi.setAutoReconnect(false);  // reconnecting is ours, with backoff
  WiFi.begin(ssid.c_str(), password.c_str());
  next_attempt_ms = millis() + 15000;
}

bool up() { return WiFi.status() == WL_CONNECTED; }

void keep_alive(uint32_t now_ms) {
  if (up()) {
    backoff.reset();
    return;
  }
  if (static_cast<int32_t>(now_ms - next_attempt_ms) < 0) return;
  Serial.printf("wifi: reconnecting to %s (attempt %u)\n", ssid.c_str(), static_cast<unsigned>(backoff.failures() + 1));
  WiFi.disconnect();
  WiFi.begin(ssid.c_str(), password.c_str());
  next_attempt_ms = now_ms + 10000 + backoff.next_delay_ms(esp_random());
}

bool has_rssi() { return true; }

int32_t rssi() { return WiFi.RSSI(); }

}  // namespace network
