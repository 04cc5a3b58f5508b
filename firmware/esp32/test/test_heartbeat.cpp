#include "harness.h"
#include "powerbot/heartbeat.h"

using namespace powerbot;

namespace {

// A heartbeat with only what every one has.
Heartbeat minimal() {
  Heartbeat heartbeat;
  heartbeat.api_key = "k";
  heartbeat.building_id = 7;
  heartbeat.sensor_uuid = "u";
  heartbeat.firmware_version = "1.0.0";
  return heartbeat;
}

}  // namespace

TEST(the_heartbeat_body_has_the_contract_fields_then_telemetry) {
  Heartbeat heartbeat;
  heartbeat.api_key = "pbw_key";
  heartbeat.building_id = 10;
  heartbeat.section_id = 2;
  heartbeat.sensor_uuid = "esp32-\"lobby\"";
  heartbeat.firmware_version = "1.2.0";
  heartbeat.uptime_sec = 3600;
  heartbeat.has_rssi = true;
  heartbeat.rssi = -67;
  heartbeat.reset_reason = "power_on";
  CHECK_EQ(heartbeat_body(heartbeat),
           std::string("{\"api_key\":\"pbw_key\",\"building_id\":10,\"section_id\":2,\"sensor_uuid\":\"esp32-\\\"lobby\\\"\","
                       "\"firmware_version\":\"1.2.0\",\"uptime_sec\":3600,\"rssi\":-67,\"reset_reason\":\"power_on\"}"));
}

TEST(optional_fields_are_left_out_when_empty) {
  Heartbeat heartbeat = minimal();
  CHECK_EQ(heartbeat_body(heartbeat), std::string("{\"api_key\":\"k\",\"building_id\":7,\"sensor_uuid\":\"u\","
                                                  "\"firmware_version\":\"1.0.0\",\"uptime_sec\":0}"));
  heartbeat.name = "Lobby";
  heartbeat.comment = "by the meter";
  CHECK(heartbeat_body(heartbeat).find(",\"name\":\"Lobby\",\"comment\":\"by the meter\",") != std::string::npos);
}

TEST(reset_reasons_are_named_in_esp_idf_order) {
  CHECK_EQ(std::string(reset_reason_name(1)), std::string("power_on"));
  CHECK_EQ(std::string(reset_reason_name(6)), std::string("task_watchdog"));
  CHECK_EQ(std::string(reset_reason_name(9)), std::string("brownout"));
  CHECK_EQ(std::string(reset_reason_name(42)), std::string("unknown"));
  CHECK_EQ(std::string(reset_reason_name(-1)), std::string("unknown"));
}

TEST(the_release_key_and_a_refused_update_are_reported_as_telemetry) {
  Heartbeat heartbeat = minimal();
  heartbeat.release_key = "c3622386584dc88f";
  heartbeat.refused_version = "1.3.0";
  heartbeat.refused_reason = "bad_signature";
  CHECK_EQ(heartbeat_body(heartbeat),
           std::string("{\"api_key\":\"k\",\"building_id\":7,\"sensor_uuid\":\"u\",\"firmware_version\":\"1.0.0\","
                       "\"uptime_sec\":0,\"release_key\":\"c3622386584dc88f\","
                       "\"update_refused\":{\"version\":\"1.3.0\",\"reason\":\"bad_signature\"}}"));
}
