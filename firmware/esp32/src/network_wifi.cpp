#include <WiFi.h>
#include <esp_system.h>

#include "network.h"
#include "powerbot/backoff.h"

namespace network {

namespace {

powerbot::Backoff backoff(1000, 60000);
powerbot::Deadline next_attempt;
std::string ssid, password;

}  // namespace

void begin(const powerbot::Settings& settings) {
  ssid = settings.wifi_ssid;
  password = settings.wifi_password;
  WiFi.mode(WIFI_STA);
  WiFi.setAutoReconnect(false);  // reconnecting is ours, with backoff
  WiFi.begin(ssid.c_str(), password.c_str());
  next_attempt.in(millis(), 15000);
}

bool up() { return WiFi.status() == WL_CONNECTED; }

void keep_alive(uint32_t now_ms) {
  if (up()) {
    backoff.reset();
    next_attempt.hold(now_ms);  // a link up for weeks: the first attempt after it drops is at once
    return;
  }
  if (!next_attempt.due(now_ms)) return;
  Serial.printf("wifi: reconnecting to %s (attempt %u)\n", ssid.c_str(), static_cast<unsigned>(backoff.failures() + 1));
  WiFi.disconnect();
  WiFi.begin(ssid.c_str(), password.c_str());
  next_attempt.in(now_ms, 10000 + backoff.next_delay_ms(esp_random()));
}

bool has_rssi() { return true; }

int32_t rssi() { return WiFi.RSSI(); }

}  // namespace network
