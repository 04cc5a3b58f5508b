// PowerBot sensor: a heartbeat every 10 s while the mains feed the board, a daily update
// check, and a rollback if a new image cannot deliver heartbeats. The logic is in the
// portable core (lib/powerbot_core, tested on the host); this file wires it to the chip.
#include <Arduino.h>
#include <esp_ota_ops.h>
#include <esp_system.h>
#include <esp_task_wdt.h>
#include <esp_timer.h>

#if __has_include("config.h")
#include "config.h"
#else
#include "config.example.h"  // no config.h: the set-up page asks for everything
#endif

#include "board_io.h"
#include "identity.h"
#include "network.h"
#include "portal.h"
#include "powerbot/backoff.h"
#include "powerbot/client.h"
#include "powerbot/heartbeat.h"
#include "powerbot/update.h"

#ifndef POWERBOT_SETUP_PIN
#define POWERBOT_SETUP_PIN (POWERBOT_WIFI ? 0 : -1)  // the DevKit's BOOT button; WT32-ETH01 uses GPIO 0 for its clock
#endif
#ifdef POWERBOT_CA_CERT
constexpr const char* kCaCertificate = POWERBOT_CA_CERT;
#else
constexpr const char* kCaCertificate = nullptr;
#endif

static_assert(sizeof(POWERBOT_SETUP_PASSWORD) == 1 ||
                  (sizeof(POWERBOT_SETUP_PASSWORD) >= 9 && sizeof(POWERBOT_SETUP_PASSWORD) <= 64),
              "POWERBOT_SETUP_PASSWORD must be empty or 8 to 63 characters (Wi-Fi refuses others)");

extern "C" const char powerbot_identity[] = "powerbot-firmware:" POWERBOT_BOARD ":" POWERBOT_FIRMWARE_VERSION;

// Arduino marks a new image valid before setup() unless this says "later": the image
// proves itself by delivering a heartbeat (RollbackGuard), or the bootloader takes the old
// one back.
extern "C" bool verifyRollbackLater() { return true; }

namespace {

constexpr uint32_t kHeartbeatIntervalMs = 10000;
constexpr uint32_t kWatchdogSec = 60;  // longer than a connect and a read timeout together
constexpr uint32_t kRollbackDeadlineMs = 30 * 60 * 1000;
constexpr uint32_t kSetupPageTimeoutMs = 10 * 60 * 1000;

powerbot::Settings settings;
Flash flash;
BoardConnection connection(kCaCertificate);
powerbot::Url server;
powerbot::InstallRecord install;
powerbot::Backoff heartbeat_backoff(kHeartbeatIntervalMs, 60000);  // a fleet back from an outage spreads out
powerbot::RollbackGuard guard(false, kRollbackDeadlineMs);
std::string reset_reason;
uint32_t next_heartbeat_ms = 0;
uint32_t next_check_ms = 0;

bool due(uint32_t now_ms, uint32_t at_ms) { return static_cast<int32_t>(now_ms - at_ms) >= 0; }

powerbot::Settings built_in_settings() {
  powerbot::Settings built_in;
  built_in.wifi_ssid = POWERBOT_WIFI_SSID;
  built_in.wifi_password = POWERBOT_WIFI_PASSWORD;
  built_in.server_url = POWERBOT_SERVER_URL;
  built_in.api_key = POWERBOT_API_KEY;
  built_in.sensor_uuid = POWERBOT_SENSOR_UUID;
  built_in.building_id = POWERBOT_BUILDING_ID;
  built_in.section_id = POWERBOT_SECTION_ID;
  built_in.auto_update = POWERBOT_AUTO_UPDATE != 0;
  if (built_in.sensor_uuid.empty()) built_in.sensor_uuid = powerbot::default_sensor_uuid(ESP.getEfuseMac());
  return built_in;
}

bool setup_button_held() {
  if (POWERBOT_SETUP_PIN < 0) return false;
  pinMode(POWERBOT_SETUP_PIN, INPUT_PULLUP);
  for (uint32_t started = millis(); millis() - started < 3000; delay(10)) {
    if (digitalRead(POWERBOT_SETUP_PIN) == LOW) return true;
  }
  return false;
}

bool running_image_pending() {
  esp_ota_img_states_t state;
  return esp_ota_get_state_partition(esp_ota_get_running_partition(), &state) == ESP_OK &&
         state == ESP_OTA_IMG_PENDING_VERIFY;
}

powerbot::Exchange send_heartbeat(powerbot::Client& client) {
  powerbot::Heartbeat heartbeat;
  heartbeat.api_key = settings.api_key;
  heartbeat.building_id = settings.building_id;
  heartbeat.section_id = settings.section_id;
  heartbeat.sensor_uuid = settings.sensor_uuid;
  heartbeat.firmware_version = kFirmwareVersion;
  heartbeat.uptime_sec = static_cast<uint32_t>(esp_timer_get_time() / 1000000);
  heartbeat.has_rssi = network::has_rssi();
  heartbeat.rssi = network::rssi();
  heartbeat.reset_reason = reset_reason;
  powerbot::Exchange exchange = client.send_heartbeat(heartbeat);
  if (!powerbot::is_success(exchange.status_line)) {
    Serial.printf("heartbeat: %s\n", exchange.reached ? exchange.status_line.c_str() : exchange.error.c_str());
  }
  return exchange;
}

// Whether the server answered the check (an answer of "nothing for you" included).
bool check_for_update(powerbot::Client& client) {
  powerbot::Offer offer;
  powerbot::Exchange exchange = client.check_for_update(settings.sensor_uuid, kBoard, kFirmwareVersion, offer);
  if (!exchange.reached || exchange.status != 200 || !exchange.error.empty()) {
    Serial.printf("update check: %s %s\n", exchange.status_line.c_str(), exchange.error.c_str());
    return false;
  }
  powerbot::DeviceState state{kFirmwareVersion, install.failed, settings.auto_update, update_slot_size()};
  powerbot::Decision decision = powerbot::decide(offer, state);
  Serial.printf("update check: %s %s\n", offer.version.c_str(), powerbot::describe(decision));
  if (decision != powerbot::Decision::install) return true;
  PartitionSink sink(flash, install, offer.version);
  std::string detail;
  powerbot::DownloadResult result = client.download(offer, sink, detail);
  Serial.printf("update: %s (%s)\n", powerbot::describe(result), detail.c_str());
  if (result == powerbot::DownloadResult::installed) ESP.restart();  // into the new image, pending
  return result != powerbot::DownloadResult::unreachable;
}

}  // namespace

void setup() {
  Serial.begin(115200);
  Serial.printf("\n%s\n", powerbot_identity);
  esp_task_wdt_init(kWatchdogSec, true);  // a hang resets the board (and rolls back an unproven image)
  esp_task_wdt_add(nullptr);
  reset_reason = powerbot::reset_reason_name(static_cast<int>(esp_reset_reason()));

  install = flash.load_install();
  bool pending = running_image_pending();
  switch (powerbot::after_boot(install, kFirmwareVersion)) {
    case powerbot::AfterBoot::rolled_back:
      Serial.printf("update: %s did not start; back on %s\n", install.failed.c_str(), kFirmwareVersion);
      break;
    case powerbot::AfterBoot::new_image_running:
      if (!pending) install.installing.clear();  // a bootloader without rollback took it as it is
      break;
    default:
      break;
  }
  flash.save_install(install);

  settings = flash.load_settings(built_in_settings());
  bool wifi = POWERBOT_WIFI != 0;
  bool complete = powerbot::problems(settings, wifi, kCaCertificate != nullptr).empty();
  if (!complete && pending) {  // a new image that cannot run here gives the old one back at once
    Serial.println("update: this image lacks settings the old one had; rolling back");
    install.failed = kFirmwareVersion;
    install.installing.clear();
    flash.save_install(install);
    esp_ota_mark_app_invalid_rollback_and_reboot();
  }
  if (!complete || setup_button_held()) {
    run_setup_page(settings, flash, wifi, kCaCertificate != nullptr, POWERBOT_SETUP_PASSWORD, kSetupPageTimeoutMs);
    ESP.restart();  // the settings may have changed: start cleanly with them
  }
  // Keep built-in settings in flash, so that images built without config.h (every release
  // should be) find them.
  if (!flash.has_settings()) flash.save_settings(settings);
  powerbot::parse_url(settings.server_url, server);
  guard = powerbot::RollbackGuard(pending, kRollbackDeadlineMs);

  network::begin(settings);
  next_check_ms = millis() + powerbot::first_check_delay_ms(esp_random());
}

void loop() {
  esp_task_wdt_reset();
  uint32_t now = millis();
  network::keep_alive(now);
  powerbot::Client client(connection, server, settings.api_key);

  bool delivered = false;
  if (network::up() && due(now, next_heartbeat_ms)) {
    delivered = powerbot::is_success(send_heartbeat(client).status_line);
    if (delivered) heartbeat_backoff.reset();
    next_heartbeat_ms = now + (delivered ? kHeartbeatIntervalMs : heartbeat_backoff.next_delay_ms(esp_random()));
  }
  switch (guard.update(delivered, now)) {
    case powerbot::RollbackGuard::Verdict::mark_valid:
      esp_ota_mark_app_valid_cancel_rollback();
      install.installing.clear();
      flash.save_install(install);
      Serial.printf("update: %s proved itself\n", kFirmwareVersion);
      break;
    case powerbot::RollbackGuard::Verdict::roll_back:
      Serial.printf("update: no heartbeat delivered in %u min; rolling back\n",
                    static_cast<unsigned>(kRollbackDeadlineMs / 60000));
      install.failed = kFirmwareVersion;
      install.installing.clear();
      flash.save_install(install);
      esp_ota_mark_app_invalid_rollback_and_reboot();
      break;
    default:
      break;
  }
  if (network::up() && due(now, next_check_ms)) {
    bool answered = check_for_update(client);
    next_check_ms = millis() + (answered ? powerbot::next_check_delay_ms(esp_random())
                                         : powerbot::retry_check_delay_ms(esp_random()));
  }
  delay(50);
}
