#include "board_io.h"

#include <Update.h>
#include <esp_ota_ops.h>
#include <esp_task_wdt.h>

namespace {

constexpr uint32_t kConnectTimeoutMs = 10000;
constexpr uint32_t kReadTimeoutMs = 15000;

std::string text(const String& value) { return std::string(value.c_str()); }

}  // namespace

bool BoardConnection::open(const powerbot::Url& server) {
  close();
  esp_task_wdt_reset();
  const int32_t timeout = static_cast<int32_t>(kConnectTimeoutMs);
  if (server.tls) {
    if (ca_certificate_ == nullptr) return false;  // the settings refuse https without one
    secure_.setCACert(ca_certificate_);
    secure_.setHandshakeTimeout(10);  // seconds; the default would outlast the watchdog
    if (secure_.connect(server.host.c_str(), server.port, timeout) != 1) return false;
    client_ = &secure_;
  } else {
    if (plain_.connect(server.host.c_str(), server.port, timeout) != 1) return false;
    client_ = &plain_;
  }
  return true;
}

bool BoardConnection::write(const uint8_t* data, size_t size) {
  return client_ != nullptr && client_->write(data, size) == size;
}

int BoardConnection::read(uint8_t* buffer, size_t size) {
  if (client_ == nullptr) return -1;
  uint32_t started = millis();
  while (client_->available() == 0) {
    if (!client_->connected()) return 0;
    if (millis() - started > kReadTimeoutMs) return -1;
    esp_task_wdt_reset();
    if (idle_ != nullptr) idle_();
    delay(5);
  }
  esp_task_wdt_reset();
  return client_->read(buffer, size);
}

void BoardConnection::close() {
  if (client_ != nullptr) client_->stop();
  client_ = nullptr;
}

bool running_image_pending() {
  esp_ota_img_states_t state;
  return esp_ota_get_state_partition(esp_ota_get_running_partition(), &state) == ESP_OK &&
         state == ESP_OTA_IMG_PENDING_VERIFY;
}

bool PartitionSink::begin(uint64_t size) {
  // The other slot holds the last good image while this one is unproven: Arduino's Update would
  // overwrite it without the refusal esp_ota_begin gives.
  if (running_image_pending()) {
    Serial.println("update: refused, the running image has not proved itself yet");
    return false;
  }
  return Update.begin(static_cast<size_t>(size));
}

bool PartitionSink::write(const uint8_t* data, size_t size) {
  esp_task_wdt_reset();
  return Update.write(const_cast<uint8_t*>(data), size) == size;
}

bool PartitionSink::commit() {
  record_.installing = version_;
  flash_.save_install(record_);
  // end() checks the image's own header and checksum and makes it the one to boot.
  if (Update.end()) return true;
  Serial.printf("update: %s\n", Update.errorString());
  record_.installing.clear();
  flash_.save_install(record_);
  return false;
}

void PartitionSink::abort() { Update.abort(); }

bool Flash::has_settings() {
  preferences_.begin("powerbot", true);
  bool saved = preferences_.isKey("server_url");
  preferences_.end();
  return saved;
}

powerbot::Settings Flash::load_settings(const powerbot::Settings& defaults) {
  powerbot::Settings settings = defaults;
  preferences_.begin("powerbot", true);
  if (preferences_.isKey("server_url")) {
    settings.wifi_ssid = text(preferences_.getString("wifi_ssid"));
    settings.wifi_password = text(preferences_.getString("wifi_password"));
    settings.server_url = text(preferences_.getString("server_url"));
    // Settings saved by an image from before MQTT mode have none: the built-in one, if any.
    if (preferences_.isKey("mqtt_url")) settings.mqtt_url = text(preferences_.getString("mqtt_url"));
    settings.api_key = text(preferences_.getString("api_key"));
    settings.sensor_uuid = text(preferences_.getString("sensor_uuid"));
    settings.building_id = preferences_.getLong64("building_id");
    settings.section_id = preferences_.getInt("section_id");
    settings.auto_update = preferences_.getBool("auto_update", true);
  }
  preferences_.end();
  return settings;
}

void Flash::save_settings(const powerbot::Settings& settings) {
  preferences_.begin("powerbot", false);
  preferences_.putBool("proven", false);  // new settings are still to deliver a heartbeat
  preferences_.putString("wifi_ssid", settings.wifi_ssid.c_str());
  preferences_.putString("wifi_password", settings.wifi_password.c_str());
  preferences_.putString("api_key", settings.api_key.c_str());
  preferences_.putString("sensor_uuid", settings.sensor_uuid.c_str());
  preferences_.putLong64("building_id", settings.building_id);
  preferences_.putInt("section_id", settings.section_id);
  preferences_.putBool("auto_update", settings.auto_update);
  preferences_.putString("mqtt_url", settings.mqtt_url.c_str());
  preferences_.putString("server_url", settings.server_url.c_str());  // last: it marks the settings whole
  preferences_.end();
}

powerbot::InstallRecord Flash::load_install() {
  preferences_.begin("powerbot", true);
  powerbot::InstallRecord record;
  record.installing = text(preferences_.getString("installing"));
  record.failed = text(preferences_.getString("failed"));
  // A version failed under an older image, which kept no reason, stays failed for good.
  record.failed_for_good = preferences_.getBool("failed_good", true);
  record.failed_attempts = preferences_.getUChar("failed_count", 0);
  preferences_.end();
  return record;
}

void Flash::save_install(const powerbot::InstallRecord& record) {
  preferences_.begin("powerbot", false);
  preferences_.putString("installing", record.installing.c_str());
  preferences_.putString("failed", record.failed.c_str());
  preferences_.putBool("failed_good", record.failed_for_good);
  preferences_.putUChar("failed_count", record.failed_attempts);
  preferences_.end();
}

uint8_t Flash::load_quick_boots() {
  preferences_.begin("powerbot", true);
  uint8_t count = preferences_.getUChar("quick_boots", 0);
  preferences_.end();
  return count;
}

void Flash::save_quick_boots(uint8_t count) {
  preferences_.begin("powerbot", false);
  preferences_.putUChar("quick_boots", count);
  preferences_.end();
}

bool Flash::settings_proven() {
  preferences_.begin("powerbot", true);
  bool proven = preferences_.getBool("proven", false);
  preferences_.end();
  return proven;
}

void Flash::set_settings_proven(bool proven) {
  preferences_.begin("powerbot", false);
  preferences_.putBool("proven", proven);
  preferences_.end();
}

uint64_t update_slot_size() {
  const esp_partition_t* slot = esp_ota_get_next_update_partition(nullptr);
  return slot != nullptr ? slot->size : 0;
}
