// The heartbeat body: the documented fields, then what the board tells about itself.
#pragma once

#include <cstdint>
#include <string>

namespace powerbot {

struct Heartbeat {
  std::string api_key;
  int64_t building_id = 0;
  int32_t section_id = 0;  // 0: not sent, the building's default section takes it
  std::string sensor_uuid;
  std::string name;     // empty: not sent
  std::string comment;  // empty: not sent
  // Beyond the contract, kept by the server as telemetry:
  std::string firmware_version;
  uint32_t uptime_sec = 0;
  bool has_rssi = false;  // Wi-Fi boards only
  int32_t rssi = 0;
  std::string reset_reason;  // e.g. "power_on", "task_watchdog"
  std::string release_key;   // the id of the release key it trusts (POWERBOT_RELEASE_KEY_ID)
  // The last offered update it refused since it started, and why (refusal_code()); empty: none.
  std::string refused_version;
  std::string refused_reason;
};

std::string heartbeat_body(const Heartbeat& heartbeat);

// The name of an ESP-IDF reset reason (esp_reset_reason_t's value), as the heartbeat sends it.
const char* reset_reason_name(int reason);

}  // namespace powerbot
