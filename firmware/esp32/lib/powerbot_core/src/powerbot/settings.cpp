#include "settings.h"

#include <map>

#include "http.h"
#include "mqtt.h"

namespace powerbot {

namespace {

constexpr int64_t kMaxBuildingId = 2147483647;  // the server's 32-bit building id
constexpr int32_t kMaxSection = 99;

// A value pasted with a stray space or line break around it (a key copied from a message).
std::string trimmed(const std::string& text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return "";
  return text.substr(start, text.find_last_not_of(" \t\r\n") - start + 1);
}

bool whole_number(const std::string& text, int64_t& out) {
  if (text.empty() || text.size() > 12) return false;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

std::map<std::string, std::string> fields(const std::string& form) {
  std::map<std::string, std::string> found;
  size_t start = 0;
  while (start <= form.size()) {
    size_t end = form.find('&', start);
    std::string pair = form.substr(start, end == std::string::npos ? std::string::npos : end - start);
    size_t equals = pair.find('=');
    if (!pair.empty()) {
      found[form_decode(pair.substr(0, equals))] = equals == std::string::npos ? "" : form_decode(pair.substr(equals + 1));
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return found;
}

// The broker URL the form gives: the page shows it without its password, which has a
// field of its own. A password given there wins; one written in the URL is kept; with
// neither, the current password stays (as written), as long as the URL still names a user.
std::string broker_url(const std::string& typed, const std::string& password, const std::string& current) {
  if (typed.empty()) return "";
  if (!password.empty()) return with_password(typed, query_value(password));
  size_t begin = 0, at_sign = 0;
  if (!written_password(typed).empty() || !find_credentials(typed, begin, at_sign)) return typed;
  return with_password(typed, written_password(current));
}

// The broker URL as the page shows it: without its password. One without "://" is refused
// by problems(), and its part up to the last "@" may still be a user and password.
std::string shown_broker_url(const std::string& url) {
  if (url.find("://") == std::string::npos && url.find('@') != std::string::npos) return url.substr(url.rfind('@') + 1);
  return with_password(url, "");
}

std::string input(const char* label, const char* name, const std::string& value, const char* type = "text",
                  const char* hint = "") {
  return std::string("<label>") + label + "<input name=\"" + name + "\" type=\"" + type + "\" value=\"" +
         html_escape(value) + "\" placeholder=\"" + hint + "\"></label>\n";
}

}  // namespace

std::vector<std::string> problems(const Settings& settings, bool wifi, bool has_ca_certificate) {
  std::vector<std::string> found;
  if (wifi && settings.wifi_ssid.empty()) found.push_back("Give the Wi-Fi network's name.");
  if (wifi && settings.wifi_ssid.size() > 32) found.push_back("A Wi-Fi network's name has at most 32 bytes.");
  if (wifi && settings.wifi_password.size() > 63) found.push_back("A Wi-Fi password has at most 63 characters.");
  Url url;
  std::string why;
  if (settings.server_url.empty()) {
    found.push_back("Give the server's URL, e.g. http://192.168.1.10:18081.");
  } else if (has_space_or_control(settings.server_url)) {
    found.push_back("The server URL cannot hold spaces or line breaks.");
  } else if (!parse_url(settings.server_url, url, &why)) {
    found.push_back("The server URL is not valid: " + why + ".");
  } else if (url.tls && !has_ca_certificate) {
    found.push_back("An https server needs its CA certificate built in (POWERBOT_CA_CERT in config.h).");
  }
  if (!settings.mqtt_url.empty()) {
    Url broker;
    if (has_space_or_control(settings.mqtt_url)) {
      found.push_back("The MQTT broker URL cannot hold spaces or line breaks.");
    } else if (!parse_broker_url(settings.mqtt_url, broker, &why)) {
      found.push_back("The MQTT broker URL is not valid: " + why + ".");  // `why` never quotes the password
    } else if (broker.tls && !has_ca_certificate) {
      found.push_back("An mqtts broker needs its CA certificate built in (POWERBOT_CA_CERT in config.h).");
    }
    if (!fits_topic(settings.sensor_uuid)) found.push_back("Over MQTT the sensor uuid cannot hold /, + or #.");
  }
  if (settings.api_key.empty()) found.push_back("Give the sensor key.");
  if (has_space_or_control(settings.api_key)) found.push_back("The sensor key cannot hold spaces or line breaks.");
  if (settings.sensor_uuid.empty() || settings.sensor_uuid.size() > 64) {
    found.push_back("The sensor uuid must be 1 to 64 characters.");
  } else if (has_control(settings.sensor_uuid)) {  // a space inside is the server's to allow, and it does
    found.push_back("The sensor uuid cannot hold control characters.");
  }
  if (settings.building_id < 1 || settings.building_id > kMaxBuildingId) {
    found.push_back("Give the building's id (a whole number from 1).");
  }
  if (settings.section_id < 0 || settings.section_id > kMaxSection) {
    found.push_back("The section is a number from 1 to 99, or empty for the building's default.");
  }
  return found;
}

void apply_form(const std::string& form, Settings& settings) {
  std::map<std::string, std::string> values = fields(form);
  auto text = [&](const char* name, std::string& into, bool keep_if_empty) {
    auto found = values.find(name);
    if (found == values.end() || (keep_if_empty && found->second.empty())) return;
    into = found->second;
  };
  text("wifi_ssid", settings.wifi_ssid, false);
  text("wifi_password", settings.wifi_password, true);
  text("server_url", settings.server_url, false);
  auto broker = values.find("mqtt_url");
  if (broker != values.end()) {
    settings.mqtt_url = broker_url(broker->second, values["mqtt_password"], settings.mqtt_url);
  }
  text("api_key", settings.api_key, true);
  text("sensor_uuid", settings.sensor_uuid, false);
  int64_t number = 0;
  auto building = values.find("building_id");
  if (building != values.end()) settings.building_id = whole_number(building->second, number) ? number : -1;
  auto section = values.find("section_id");
  if (section != values.end()) {
    settings.section_id = section->second.empty() ? 0
                          : whole_number(section->second, number) && number <= kMaxSection ? static_cast<int32_t>(number)
                                                                                            : -1;
  }
  if (values.count("server_url") != 0) settings.auto_update = values.count("auto_update") != 0;
  normalise(settings);
}

void normalise(Settings& settings) {
  // A stray line break on a key pasted from a message meant 401 for ever.
  for (std::string* value : {&settings.server_url, &settings.mqtt_url, &settings.api_key, &settings.sensor_uuid}) {
    *value = trimmed(*value);
  }
}

std::string setup_page(const Settings& settings, const std::vector<std::string>& problems, bool wifi,
                       const std::string& board, const std::string& version) {
  std::string page =
      "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
      "<title>PowerBot sensor set-up</title><style>body{font-family:sans-serif;max-width:32em;margin:1em auto}"
      "label{display:block;margin:.6em 0}input{display:block;width:100%}.problem{color:#b00}</style></head><body>\n"
      "<h1>PowerBot sensor</h1><p>" + html_escape(board) + ", firmware " + html_escape(version) + "</p>\n";
  for (const std::string& problem : problems) page += "<p class=\"problem\">" + html_escape(problem) + "</p>\n";
  page += "<form method=\"post\" action=\"/\">\n";
  if (wifi) {
    page += input("Wi-Fi network", "wifi_ssid", settings.wifi_ssid);
    page += input("Wi-Fi password (empty keeps the current one)", "wifi_password", "", "password");
  }
  page += input("Server URL", "server_url", settings.server_url, "url", "http://192.168.1.10:18081");
  page += input("Sensor key (empty keeps the current one)", "api_key", "", "password");
  page += input("MQTT broker URL (empty: heartbeats over HTTP only)", "mqtt_url", shown_broker_url(settings.mqtt_url),
                "url", "mqtt://user@192.168.1.10:1883");
  page += input("MQTT password (empty keeps the current one)", "mqtt_password", "", "password");
  page += input("Sensor uuid", "sensor_uuid", settings.sensor_uuid);
  page += input("Building id", "building_id", settings.building_id > 0 ? std::to_string(settings.building_id) : "",
                "number");
  page += input("Section (empty: the building's default)", "section_id",
                settings.section_id > 0 ? std::to_string(settings.section_id) : "", "number");
  page += std::string("<label><input name=\"auto_update\" type=\"checkbox\" style=\"display:inline;width:auto\"") +
          (settings.auto_update ? " checked" : "") + "> Install updates automatically</label>\n";
  page += "<button type=\"submit\">Save and restart</button></form></body></html>\n";
  return page;
}

namespace {

std::string mac_hex(uint64_t efuse_mac, int first, const char* digits) {
  std::string out;
  for (int i = first; i < 6; ++i) {
    unsigned byte = static_cast<unsigned>(efuse_mac >> (8 * i)) & 0xFF;
    out += digits[byte >> 4];
    out += digits[byte & 0xF];
  }
  return out;
}

}  // namespace

std::string default_sensor_uuid(uint64_t efuse_mac) { return "esp32-" + mac_hex(efuse_mac, 0, "0123456789abcdef"); }

std::string setup_network_name(uint64_t efuse_mac) { return "PowerBot-" + mac_hex(efuse_mac, 3, "0123456789ABCDEF"); }

std::string form_decode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace powerbot
