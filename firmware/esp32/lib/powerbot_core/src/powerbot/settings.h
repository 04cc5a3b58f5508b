// The board's settings: from config.h at build time, or from the set-up page (captive
// portal) at first start, kept in flash. Checked here so a board never runs half set up.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace powerbot {

struct Settings {
  std::string wifi_ssid;      // Wi-Fi boards only
  std::string wifi_password;  // Wi-Fi boards only
  std::string server_url;     // e.g. http://192.168.1.10:18081 or https://power.example.org
  std::string mqtt_url;       // e.g. mqtt://user:pass@192.168.1.10:1883; empty: heartbeats over HTTP only
  std::string api_key;        // a sensor (write) key, best one scoped to this board's uuid
  std::string sensor_uuid;
  int64_t building_id = 0;
  int32_t section_id = 0;  // 0: the building's default section
  bool auto_update = true;
};

// What is wrong with `settings`, one sentence each; empty when the board can run.
// `has_ca_certificate`: an https server or an mqtts broker needs the CA certificate built
// in (config.h).
std::vector<std::string> problems(const Settings& settings, bool wifi, bool has_ca_certificate);

// Trims the server and broker URLs, the key and the uuid of spaces and line breaks around them:
// done to the form's values and to settings loaded from flash (saved by older images, which
// did not trim), before problems() judges them.
void normalise(Settings& settings);

// Applies the set-up page's form (application/x-www-form-urlencoded) to `settings`.
// An empty password or key field keeps the current value, so they are never shown; the
// broker's password has a field of its own, apart from its URL.
void apply_form(const std::string& form, Settings& settings);

// The set-up page: a form with the current settings (never a password or the key) and
// the problems that keep the board from running.
std::string setup_page(const Settings& settings, const std::vector<std::string>& problems, bool wifi,
                       const std::string& board, const std::string& version);

// When a board with no set-up button (the WT32-ETH01) opens its set-up page again by itself:
// after heartbeats have been refused for its settings for 15 minutes (400, 401, 404),
// or after several quick power cycles in a row (someone switching the board on and off on
// purpose). Settings that can never work must not leave it reporting nothing for ever.
class SetupReopener {
 public:
  static constexpr uint32_t kRefusingMs = 15 * 60'000;  // refused this long, with nothing accepted
  static constexpr uint8_t kQuickBoots = 3;            // each ended within kQuickBootMs of starting
  static constexpr uint32_t kQuickBootMs = 10'000;

  // After every answer the server gives with the board's key (a heartbeat over HTTP, an update
  // check): 400, 401 and 404 are the settings' fault (the section, the key, the building); 2xx
  // ends a refusing run; anything else (no answer, 429, 5xx) says nothing about the settings.
  void answered(int status, uint32_t now_ms) {
    if (status == 400 || status == 401 || status == 404) {
      if (!refusing_) first_refusal_ms_ = now_ms;
      refusing_ = true;
    } else if (status >= 200 && status < 300) {
      refusing_ = false;
    }
  }
  bool refused_too_long(uint32_t now_ms) const { return refusing_ && now_ms - first_refusal_ms_ >= kRefusingMs; }

  // At boot, with the quick boots counted before this one (kept in flash): whether to open the
  // page now, and the count to keep until the board has run kQuickBootMs (then 0). Only while
  // the settings have not proved themselves (no heartbeat delivered with them): on a board that
  // reports, quick power cycles are the grid flickering back, and the page would silence it.
  static bool power_cycled(uint8_t quick_boots_before, bool settings_proven, uint8_t& keep) {
    keep = settings_proven ? 0 : quick_boots_before < 255 ? quick_boots_before + 1 : 255;
    if (keep < kQuickBoots) return false;
    keep = 0;
    return true;
  }

 private:
  bool refusing_ = false;
  uint32_t first_refusal_ms_ = 0;
};

// The uuid a board uses unless told otherwise: "esp32-" and its MAC address, as printed on
// routers' lists (`efuse_mac` as the chip gives it, the first byte lowest).
std::string default_sensor_uuid(uint64_t efuse_mac);

// The set-up page's Wi-Fi network: "PowerBot-" and the MAC address's last three bytes.
std::string setup_network_name(uint64_t efuse_mac);

// Decodes one form value: `+` is a space, %XX a byte.
std::string form_decode(const std::string& text);

// `text` safe inside HTML text and attribute values.
std::string html_escape(const std::string& text);

}  // namespace powerbot
