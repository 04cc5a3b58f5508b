// PowerBot sensor: a heartbeat every 10 s while the mains feed the board (over HTTP, or
// over MQTT when a broker is set, with HTTP as the fallback), a daily update check, and a
// rollback if a new image cannot deliver heartbeats. The logic is in the portable core
// (lib/powerbot_core, tested on the host); this file wires it to the chip.
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

// The release key's public half, made per deployment by `manage.py firmware_key public` (never committed).
#if __has_include("release_key.h")
#include "release_key.h"
#else
#error "No release key: write include/release_key.h with `manage.py firmware_key public` (firmware/README.md)"
#endif

#include "board_io.h"
#include "broker.h"
#include "identity.h"
#include "network.h"
#include "portal.h"
#include "powerbot/backoff.h"
#include "powerbot/client.h"
#include "powerbot/heartbeat.h"
#include "powerbot/mbedtls_key.h"
#include "powerbot/mqtt.h"
#include "powerbot/transport.h"
#include "powerbot/update.h"

#ifndef POWERBOT_SETUP_PIN
#define POWERBOT_SETUP_PIN (POWERBOT_WIFI ? 0 : -1)  // the DevKit's BOOT button; WT32-ETH01 uses GPIO 0 for its clock
#endif
#ifndef POWERBOT_MQTT_URL
#define POWERBOT_MQTT_URL ""  // a config.h from before MQTT mode: heartbeats over HTTP
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
constexpr uint32_t kSecondTlsHeapBytes = 50 * 1024;  // a TLS session's buffers, with room to spare
// MQTT mode: three heartbeats' connects in a row fail (about half a minute, well within the
// server's 150 s timeout), then heartbeats go over HTTP and the broker is tried again after
// 1-2 minutes, doubling up to 5-10.
constexpr uint32_t kBrokerFailuresBeforeHttp = 3;
constexpr uint32_t kBrokerRetryMs = 2 * 60 * 1000;
constexpr uint32_t kBrokerRetryCapMs = 10 * 60 * 1000;

powerbot::Settings settings;
Flash flash;
BoardConnection connection(kCaCertificate);
BoardConnection heartbeat_connection(kCaCertificate);  // heartbeats during a download, beside it
BrokerConnection broker(kCaCertificate);
powerbot::TransportChooser transport(false, kBrokerFailuresBeforeHttp,
                                     powerbot::Backoff(kBrokerRetryMs, kBrokerRetryCapMs));
powerbot::Url server;
powerbot::InstallRecord install;
powerbot::Backoff heartbeat_backoff(kHeartbeatIntervalMs, 60000);  // a fleet back from an outage spreads out
powerbot::RollbackGuard guard(false, kRollbackDeadlineMs);
std::string reset_reason;
powerbot::SetupReopener reopener;
bool settings_proven = false;
bool refused_while_pending = false;  // the server refused this unproven image: its failure is its own
bool quick_boots_cleared = false;
powerbot::Deadline next_heartbeat;  // due at once
powerbot::Deadline next_check;
// The last update this board refused since it started, and why: its heartbeats tell the server.
std::string refused_version;
std::string refused_reason;

// Parsed at first use, once the heap is up, rather than in a static constructor.
const powerbot::MbedtlsReleaseKey& release_key() {
  static const powerbot::MbedtlsReleaseKey key(POWERBOT_RELEASE_KEY);
  return key;
}


powerbot::Settings built_in_settings() {
  powerbot::Settings built_in;
  built_in.wifi_ssid = POWERBOT_WIFI_SSID;
  built_in.wifi_password = POWERBOT_WIFI_PASSWORD;
  built_in.server_url = POWERBOT_SERVER_URL;
  built_in.mqtt_url = POWERBOT_MQTT_URL;
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

powerbot::Heartbeat current_heartbeat() {
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
  heartbeat.release_key = POWERBOT_RELEASE_KEY_ID;
  heartbeat.refused_version = refused_version;
  heartbeat.refused_reason = refused_reason;
  return heartbeat;
}

// What the server said to the board's key over HTTP (a heartbeat, an update check): whether the
// settings work. An MQTT publish proves the broker's credentials only, never the key.
void server_answered(const powerbot::Exchange& exchange) {
  reopener.answered(exchange.reached ? exchange.status : 0, millis());
  // A refusal that is the image's doing (its heartbeats malformed), not the server's trouble.
  bool refused = exchange.reached && exchange.status >= 400 && exchange.status < 500 && exchange.status != 408 &&
                 exchange.status != 429;
  refused_while_pending = refused_while_pending || (refused && guard.pending());
  if (!exchange.ok() || settings_proven) return;
  settings_proven = true;  // quick power cycles are the grid's from now on
  flash.set_settings_proven(true);
}

// Over HTTP a heartbeat is delivered when the server answers 200.
bool post_heartbeat(powerbot::Client& client, const powerbot::Heartbeat& heartbeat) {
  powerbot::Exchange exchange = client.send_heartbeat(heartbeat);
  bool delivered = exchange.ok();
  server_answered(exchange);
  if (!delivered) {
    Serial.printf("heartbeat: %s\n", exchange.reached ? exchange.status_line.c_str() : exchange.error.c_str());
  }
  return delivered;
}

// Over MQTT (QoS 0, nothing comes back) it is delivered once written on a connection the
// broker accepted, with the board's credentials; that also proves a new image.
bool publish_heartbeat(const powerbot::Heartbeat& heartbeat) {
  if (!broker.connected()) return false;  // keep_broker's connect just before failed, and said why
  if (broker.publish(powerbot::heartbeat_message(heartbeat))) return true;
  Serial.println("heartbeat: the MQTT publish failed");
  return false;
}

// The broker's connection: kept alive while it is up, and (re)connected when the chooser
// says so, before the heartbeat that needs it or, while on HTTP, every few minutes.
void keep_broker(uint32_t now, bool heartbeat_due) {
  if (!transport.mqtt_configured()) return;
  if (broker.connected()) broker.loop();  // which may find the connection lost
  if (broker.connected() || !transport.connect_due(now, heartbeat_due)) return;
  bool was_on_mqtt = transport.over_mqtt();
  std::string why;
  if (broker.connect(why)) {
    Serial.println(was_on_mqtt ? "mqtt: connected" : "mqtt: connected; heartbeats over MQTT again");
    transport.connected();
    return;
  }
  transport.connect_failed(millis(), esp_random());
  Serial.printf("mqtt: %s\n", why.c_str());
  if (was_on_mqtt && !transport.over_mqtt()) {
    Serial.printf("mqtt: %u connects failed; heartbeats over HTTP until the broker is back\n",
                  static_cast<unsigned>(transport.failures()));
  }
}

// Heartbeats go on while an image downloads (up to 90 s on weak Wi-Fi, and the server counts
// a section off after 150 s of silence), on a connection of their own.
void heartbeat_during_download() {
  uint32_t now = millis();
  if (!next_heartbeat.due(now)) return;
  // A second TLS session beside the download's and the update buffer: only with room for it.
  if (server.tls && ESP.getMaxAllocHeap() < kSecondTlsHeapBytes) return;
  powerbot::Client side(heartbeat_connection, server, settings.api_key);
  bool delivered = post_heartbeat(side, current_heartbeat());
  if (delivered) heartbeat_backoff.reset();
  next_heartbeat.in(now, delivered ? kHeartbeatIntervalMs : heartbeat_backoff.next_delay_ms(esp_random()));
}

// Whether the server answered the check (an answer of "nothing for you" included).
bool check_for_update(powerbot::Client& client) {
  powerbot::Offer offer;
  powerbot::Exchange exchange = client.check_for_update(settings.sensor_uuid, kBoard, kFirmwareVersion, offer);
  server_answered(exchange);  // the same key: in MQTT mode the only word on it the board gets
  if (!exchange.ok()) {
    Serial.printf("update check: %s %s\n", exchange.status_line.c_str(), exchange.error.c_str());
    return false;
  }
  powerbot::DeviceState state;
  state.running_version = kFirmwareVersion;
  state.failed_version = install.failed;
  state.failed_for_good = install.failed_for_good;
  state.auto_update = settings.auto_update;
  state.slot_size = update_slot_size();
  state.running_pending = guard.pending();
  powerbot::Decision decision = powerbot::decide(offer, state);
  Serial.printf("update check: %s %s\n", offer.version.c_str(), powerbot::describe(decision));
  if (decision != powerbot::Decision::install) {
    refused_version.clear();  // nothing is offered that it refuses
    refused_reason.clear();
    return true;
  }
  // The download holds the loop longer than the broker's keep-alive, and a good one ends in
  // a reboot: leave now with DISCONNECT, so the broker discards the will instead of saying
  // "offline". Should the download fail, the next heartbeat connects again.
  broker.disconnect();
  PartitionSink sink(flash, install, offer.version);
  std::string detail;
  powerbot::DownloadResult result =
      client.download(offer, kBoard, release_key(), sink, detail, heartbeat_during_download);
  Serial.printf("update: %s (%s)\n", powerbot::describe(result), detail.c_str());
  if (result == powerbot::DownloadResult::installed) ESP.restart();  // into the new image, pending
  const char* refused = powerbot::refusal_code(result);
  refused_version = refused != nullptr ? offer.version : "";
  refused_reason = refused != nullptr ? refused : "";
  // A download too slow or cut short is tried again soon (30-90 min), as an unreachable server.
  return result != powerbot::DownloadResult::unreachable && result != powerbot::DownloadResult::too_slow &&
         result != powerbot::DownloadResult::cut_short;
}

}  // namespace

void setup() {
  Serial.begin(115200);
  Serial.printf("\n%s\n", powerbot_identity);
  esp_task_wdt_init(kWatchdogSec, true);  // a hang resets the board (and rolls back an unproven image)
  esp_task_wdt_add(nullptr);
  reset_reason = powerbot::reset_reason_name(static_cast<int>(esp_reset_reason()));

  if (!release_key().loaded()) Serial.println("update: the built-in release key is no P-256 key; nothing will install");
  install = flash.load_install();
  bool pending = running_image_pending();
  switch (powerbot::after_boot(install, kFirmwareVersion, reset_reason)) {
    case powerbot::AfterBoot::rolled_back:
      Serial.printf("update: %s did not start (%s); back on %s%s\n", install.failed.c_str(), reset_reason.c_str(),
                    kFirmwareVersion, install.failed_for_good ? "" : "; it will be tried again");
      break;
    case powerbot::AfterBoot::new_image_running:
      if (!pending) install.installing.clear();  // a bootloader without rollback took it as it is
      break;
    default:
      break;
  }
  flash.save_install(install);

  settings = flash.load_settings(built_in_settings());
  powerbot::normalise(settings);  // an older image kept what its form gave, untrimmed
  bool wifi = POWERBOT_WIFI != 0;
  bool complete = powerbot::problems(settings, wifi, kCaCertificate != nullptr).empty();
  if (!complete && pending) {  // a new image that cannot run here gives the old one back at once
    Serial.println("update: this image lacks settings the old one had; rolling back");
    powerbot::record_failure(install, kFirmwareVersion, true);
    flash.save_install(install);
    esp_ota_mark_app_invalid_rollback_and_reboot();
  }
  settings_proven = flash.settings_proven();
  uint8_t quick_boots = 0;
  bool cycled = powerbot::SetupReopener::power_cycled(flash.load_quick_boots(), settings_proven, quick_boots);
  flash.save_quick_boots(quick_boots);
  if (cycled) Serial.println("setup: several quick power cycles with unproven settings; opening the set-up page");
  if (!complete || cycled || setup_button_held()) {
    flash.save_quick_boots(0);  // a start that opened the page is no quick one
    run_setup_page(settings, flash, wifi, kCaCertificate != nullptr, POWERBOT_SETUP_PASSWORD, kSetupPageTimeoutMs);
    ESP.restart();  // the settings may have changed: start cleanly with them
  }
  // Keep built-in settings in flash, so that images built without config.h (every release
  // should be) find them.
  if (!flash.has_settings()) flash.save_settings(settings);
  powerbot::parse_url(settings.server_url, server);
  guard = powerbot::RollbackGuard(pending, kRollbackDeadlineMs);

  network::begin(settings);
  powerbot::Url broker_url;  // the settings were checked: an MQTT URL set is a valid one
  bool mqtt = !settings.mqtt_url.empty() && powerbot::parse_broker_url(settings.mqtt_url, broker_url);
  if (mqtt) {
    broker.begin(broker_url, current_heartbeat());
    connection.set_idle([]() { broker.loop(); });
    Serial.printf("mqtt: heartbeats to %s:%u\n", broker_url.host.c_str(), static_cast<unsigned>(broker_url.port));
  }
  transport = powerbot::TransportChooser(mqtt, kBrokerFailuresBeforeHttp,
                                         powerbot::Backoff(kBrokerRetryMs, kBrokerRetryCapMs));
  next_check.in(millis(), powerbot::first_check_delay_ms(esp_random()));
}

void loop() {
  esp_task_wdt_reset();
  uint32_t now = millis();
  if (!quick_boots_cleared && now >= powerbot::SetupReopener::kQuickBootMs) {
    flash.save_quick_boots(0);  // this start was not a quick one
    quick_boots_cleared = true;
  }
  if (reopener.refused_too_long(now)) {  // settings that can never work: let someone fix them
    Serial.println("setup: the server has refused the key, building or section for 15 minutes; opening the set-up page");
    run_setup_page(settings, flash, POWERBOT_WIFI != 0, kCaCertificate != nullptr, POWERBOT_SETUP_PASSWORD,
                   kSetupPageTimeoutMs);
    ESP.restart();
  }
  network::keep_alive(now);
  powerbot::Client client(connection, server, settings.api_key);

  if (!network::up()) {  // nothing can be sent: what has passed stays due, however long this lasts
    next_heartbeat.hold(now);
    next_check.hold(now);
    transport.hold(now);
  }
  bool heartbeat_due = network::up() && next_heartbeat.due(now);
  if (network::up()) keep_broker(now, heartbeat_due);
  bool delivered = false;
  if (heartbeat_due) {
    powerbot::Heartbeat heartbeat = current_heartbeat();
    delivered = transport.over_mqtt() ? publish_heartbeat(heartbeat) : post_heartbeat(client, heartbeat);
    if (delivered) heartbeat_backoff.reset();
    next_heartbeat.in(now, delivered ? kHeartbeatIntervalMs : heartbeat_backoff.next_delay_ms(esp_random()));
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
      // Nothing got through: the network or the server may have been down, and it is tried again.
      // Refused by the server (400, 401, 404...): the image's own heartbeats are wrong, for good.
      powerbot::record_failure(install, kFirmwareVersion, refused_while_pending);
      flash.save_install(install);
      broker.disconnect();  // a reboot on purpose: no "offline"
      esp_ota_mark_app_invalid_rollback_and_reboot();
      break;
    default:
      break;
  }
  // No update while this image is unproven: the other slot holds the last good one.
  if (!guard.pending() && network::up() && next_check.due(now)) {
    bool answered = check_for_update(client);
    next_check.in(millis(), answered ? powerbot::next_check_delay_ms(esp_random())
                                     : powerbot::retry_check_delay_ms(esp_random()));
  }
  delay(50);
}
