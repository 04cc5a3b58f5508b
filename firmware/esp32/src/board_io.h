// The board's side of the portable core: its connections, its update partition and its
// flash storage. Everything here is a thin wrapper around Arduino-ESP32.
#pragma once

#include <Preferences.h>
#include <WiFiClient.h>
#include <WiFiClientSecure.h>

#include "powerbot/client.h"
#include "powerbot/settings.h"
#include "powerbot/update.h"

// A TCP connection, or TLS for an https server, checked against the built-in CA certificate.
class BoardConnection : public powerbot::Connection {
 public:
  explicit BoardConnection(const char* ca_certificate) : ca_certificate_(ca_certificate) {}
  bool open(const powerbot::Url& server) override;
  bool write(const uint8_t* data, size_t size) override;
  int read(uint8_t* buffer, size_t size) override;
  void close() override;
  uint32_t now_ms() override { return millis(); }
  // Called while waiting for the server's answer: in MQTT mode the broker's connection is
  // kept alive meanwhile, so a slow update check does not set off the board's last will.
  void set_idle(void (*idle)()) { idle_ = idle; }

 private:
  const char* ca_certificate_;
  void (*idle_)() = nullptr;
  WiFiClient plain_;
  WiFiClientSecure secure_;
  Client* client_ = nullptr;
};

// Settings and the update record in NVS, namespace "powerbot".
class Flash {
 public:
  bool has_settings();
  powerbot::Settings load_settings(const powerbot::Settings& defaults);
  void save_settings(const powerbot::Settings& settings);
  powerbot::InstallRecord load_install();
  // Boots that ended within seconds of starting, in a row (powerbot::SetupReopener).
  uint8_t load_quick_boots();
  void save_quick_boots(uint8_t count);
  // Whether a heartbeat was delivered with the settings saved last.
  bool settings_proven();
  void set_settings_proven(bool proven);
  void save_install(const powerbot::InstallRecord& record);

 private:
  Preferences preferences_;
};

// The other app slot, through Arduino's Update (which sets the boot partition at end()).
// The version is recorded as installing before the switch, so that if the new image
// never proves itself, even after a power cut right then, the old one knows it failed.
class PartitionSink : public powerbot::ImageSink {
 public:
  PartitionSink(Flash& flash, powerbot::InstallRecord& record, const std::string& version)
      : flash_(flash), record_(record), version_(version) {}
  bool begin(uint64_t size) override;
  bool write(const uint8_t* data, size_t size) override;
  bool commit() override;
  void abort() override;

 private:
  Flash& flash_;
  powerbot::InstallRecord& record_;
  std::string version_;
};

// Whether the running image was installed by an update and has not proved itself yet.
bool running_image_pending();

// Bytes the update partition holds (0 when the partition table has no OTA slots).
uint64_t update_slot_size();
