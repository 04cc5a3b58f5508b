#include "heartbeat.h"

#include "json.h"

namespace powerbot {

std::string heartbeat_body(const Heartbeat& heartbeat) {
  using json::quote;
  std::string body = "{\"api_key\":" + quote(heartbeat.api_key) +
                     ",\"building_id\":" + std::to_string(heartbeat.building_id);
  if (heartbeat.section_id > 0) body += ",\"section_id\":" + std::to_string(heartbeat.section_id);
  body += ",\"sensor_uuid\":" + quote(heartbeat.sensor_uuid);
  if (!heartbeat.name.empty()) body += ",\"name\":" + quote(heartbeat.name);
  if (!heartbeat.comment.empty()) body += ",\"comment\":" + quote(heartbeat.comment);
  body += ",\"firmware_version\":" + quote(heartbeat.firmware_version);
  body += ",\"uptime_sec\":" + std::to_string(heartbeat.uptime_sec);
  if (heartbeat.has_rssi) body += ",\"rssi\":" + std::to_string(heartbeat.rssi);
  if (!heartbeat.reset_reason.empty()) body += ",\"reset_reason\":" + quote(heartbeat.reset_reason);
  if (!heartbeat.release_key.empty()) body += ",\"release_key\":" + quote(heartbeat.release_key);
  if (!heartbeat.refused_reason.empty()) {
    body += ",\"update_refused\":{\"version\":" + quote(heartbeat.refused_version) +
            ",\"reason\":" + quote(heartbeat.refused_reason) + "}";
  }
  return body + "}";
}

const char* reset_reason_name(int reason) {
  // In the order of ESP-IDF's esp_reset_reason_t (ESP_RST_UNKNOWN = 0 ... ESP_RST_SDIO = 10).
  static const char* const kNames[] = {
      "unknown", "power_on", "external_pin", "software", "panic", "interrupt_watchdog",
      "task_watchdog", "other_watchdog", "deep_sleep", "brownout", "sdio",
  };
  if (reason < 0 || reason >= static_cast<int>(sizeof kNames / sizeof kNames[0])) return "unknown";
  return kNames[reason];
}

}  // namespace powerbot
