#include "harness.h"
#include "powerbot/http.h"
#include "powerbot/mqtt.h"
#include "powerbot/settings.h"

using namespace powerbot;

namespace {

Settings complete() {
  Settings settings;
  settings.wifi_ssid = "Home";
  settings.wifi_password = "secret";
  settings.server_url = "http://192.168.1.10:18081";
  settings.api_key = "pbw_key";
  settings.sensor_uuid = "esp32-a1b2c3";
  settings.building_id = 10;
  return settings;
}

}  // namespace

TEST(complete_settings_have_no_problems) {
  CHECK(problems(complete(), true, false).empty());
  Settings ethernet = complete();
  ethernet.wifi_ssid.clear();
  CHECK(problems(ethernet, false, false).empty());
}

TEST(each_missing_or_bad_setting_is_named) {
  Settings settings;
  settings.section_id = 120;
  std::vector<std::string> found = problems(settings, true, false);
  CHECK_EQ(found.size(), 6u);
  CHECK_EQ(found[0], std::string("Give the Wi-Fi network's name."));
  CHECK_EQ(found[1], std::string("Give the server's URL, e.g. http://192.168.1.10:18081."));
  CHECK_EQ(found[5], std::string("The section is a number from 1 to 99, or empty for the building's default."));
  Settings secure = complete();
  secure.server_url = "https://power.example.org";
  CHECK_EQ(problems(secure, true, false).at(0),
           std::string("An https server needs its CA certificate built in (POWERBOT_CA_CERT in config.h)."));
  CHECK(problems(secure, true, true).empty());
  secure.server_url = "power.example.org";
  CHECK_EQ(problems(secure, true, true).at(0),
           std::string("The server URL is not valid: the URL must start with http:// or https://."));
}

TEST(the_setup_form_updates_settings_and_keeps_secrets_left_empty) {
  Settings settings = complete();
  apply_form("wifi_ssid=Caf%C3%A9+2&wifi_password=&server_url=http%3A%2F%2F10.0.0.5%3A18081&api_key="
             "&sensor_uuid=esp32-x&building_id=42&section_id=", settings);
  CHECK_EQ(settings.wifi_ssid, std::string("Café 2"));
  CHECK_EQ(settings.wifi_password, std::string("secret"));
  CHECK_EQ(settings.api_key, std::string("pbw_key"));
  CHECK_EQ(settings.server_url, std::string("http://10.0.0.5:18081"));
  CHECK_EQ(settings.building_id, 42);
  CHECK_EQ(settings.section_id, 0);
  CHECK(!settings.auto_update);  // the box was not ticked
  apply_form("server_url=http%3A%2F%2Fs&building_id=ten&section_id=3&auto_update=on&api_key=new", settings);
  CHECK_EQ(settings.building_id, -1);
  CHECK_EQ(settings.section_id, 3);
  CHECK(settings.auto_update);
  CHECK_EQ(settings.api_key, std::string("new"));
  CHECK_EQ(problems(settings, true, false).at(0), std::string("Give the building's id (a whole number from 1)."));
}

TEST(a_stray_space_or_line_break_is_trimmed_and_one_inside_is_refused) {
  Settings settings = complete();
  apply_form("server_url=+http%3A%2F%2F10.0.0.5%3A18081%0D%0A&api_key=pbw_new%0D%0A&sensor_uuid=%09esp32-x+", settings);
  CHECK_EQ(settings.server_url, std::string("http://10.0.0.5:18081"));
  CHECK_EQ(settings.api_key, std::string("pbw_new"));
  CHECK_EQ(settings.sensor_uuid, std::string("esp32-x"));
  CHECK(problems(settings, true, false).empty());
  settings.api_key = "pbw_a\r\nX-Injected: 1";
  settings.server_url = "http://10.0.0.5/a b";
  settings.sensor_uuid = "esp32\x01x";
  std::vector<std::string> found = problems(settings, true, false);
  CHECK_EQ(found.size(), 3u);
  CHECK_EQ(found[0], std::string("The server URL cannot hold spaces or line breaks."));
  CHECK_EQ(found[1], std::string("The sensor key cannot hold spaces or line breaks."));
  CHECK_EQ(found[2], std::string("The sensor uuid cannot hold control characters."));
}

TEST(settings_an_older_image_saved_untrimmed_are_trimmed_when_loaded) {
  Settings saved = complete();
  saved.api_key = "pbw_key\r\n";  // what an older image kept from its form
  saved.server_url = " http://192.168.1.10:18081";
  saved.sensor_uuid = "kitchen 1";  // a space inside: the server takes it, so a new image must too
  normalise(saved);
  CHECK_EQ(saved.api_key, std::string("pbw_key"));
  CHECK_EQ(saved.server_url, std::string("http://192.168.1.10:18081"));
  CHECK(problems(saved, true, false).empty());  // not "this image lacks settings": no rollback
}

TEST(the_setup_page_shows_settings_escaped_and_never_the_secrets) {
  Settings settings = complete();
  settings.sensor_uuid = "<script>\"x\"";
  std::string page = setup_page(settings, {"Give the sensor key."}, true, "esp32-wifi", "1.2.0");
  CHECK(page.find("value=\"&lt;script&gt;&quot;x&quot;\"") != std::string::npos);
  CHECK(page.find("secret") == std::string::npos);
  CHECK(page.find("pbw_key") == std::string::npos);
  CHECK(page.find("<p class=\"problem\">Give the sensor key.</p>") != std::string::npos);
  CHECK(page.find("name=\"wifi_ssid\"") != std::string::npos);
  CHECK(setup_page(settings, {}, false, "wt32-eth01", "1.2.0").find("wifi_ssid") == std::string::npos);
}

TEST(a_broker_url_is_checked_when_one_is_given) {
  Settings settings = complete();
  settings.mqtt_url = "mqtt://powerbot:secret@192.168.1.10:1883";
  CHECK(problems(settings, true, false).empty());
  settings.mqtt_url = "mqtts://powerbot:secret@broker.example.org";
  CHECK_EQ(problems(settings, true, false).at(0),
           std::string("An mqtts broker needs its CA certificate built in (POWERBOT_CA_CERT in config.h)."));
  CHECK(problems(settings, true, true).empty());
  settings.mqtt_url = "mqtt://powerbot:secret@";
  std::vector<std::string> found = problems(settings, true, true);
  CHECK_EQ(found.size(), 1u);
  CHECK_EQ(found[0], std::string("The MQTT broker URL is not valid: the URL has no host."));
  settings.mqtt_url = "tcp://192.168.1.10:1883";
  CHECK_EQ(problems(settings, true, true).at(0),
           std::string("The MQTT broker URL is not valid: the URL must start with mqtt:// or mqtts://."));
  settings.mqtt_url = "mqtt://:secret@192.168.1.10";
  CHECK_EQ(problems(settings, true, true).at(0), std::string("The MQTT broker URL is not valid: a password needs a user."));
  // A uuid that is one topic level only matters over MQTT.
  settings.sensor_uuid = "lobby/1";
  settings.mqtt_url = "mqtt://192.168.1.10";
  CHECK_EQ(problems(settings, true, true).at(0), std::string("Over MQTT the sensor uuid cannot hold /, + or #."));
  settings.mqtt_url.clear();
  CHECK(problems(settings, true, true).empty());
}

TEST(the_setup_page_round_trip_keeps_the_broker_password_unseen) {
  Settings settings = complete();
  settings.mqtt_url = "mqtt://powerbot:s%40cret@10.0.0.5:1883";
  std::string page = setup_page(settings, {}, true, "esp32-wifi", "1.2.0");
  CHECK(page.find("name=\"mqtt_url\" type=\"url\" value=\"mqtt://powerbot@10.0.0.5:1883\"") != std::string::npos);
  CHECK(page.find("name=\"mqtt_password\" type=\"password\" value=\"\"") != std::string::npos);
  CHECK(page.find("cret") == std::string::npos);
  Settings schemeless = settings;  // refused, and still not shown
  schemeless.mqtt_url = "powerbot:s3cret@10.0.0.5:1883";
  CHECK(setup_page(schemeless, {}, true, "esp32-wifi", "1.2.0").find("s3cret") == std::string::npos);
  // Saved back as shown, with the password left empty: the URL as it was, byte for byte.
  std::string shown = "mqtt_url=" + query_value("mqtt://powerbot@10.0.0.5:1883") + "&mqtt_password=";
  apply_form(shown, settings);
  CHECK_EQ(settings.mqtt_url, std::string("mqtt://powerbot:s%40cret@10.0.0.5:1883"));
  // A new password is percent-encoded into the URL and reads back as typed.
  apply_form(shown + query_value("n3w p@ss/+%"), settings);
  CHECK_EQ(settings.mqtt_url, std::string("mqtt://powerbot:n3w%20p%40ss%2F%2B%25@10.0.0.5:1883"));
  Url broker;
  CHECK(parse_broker_url(settings.mqtt_url, broker));
  CHECK(broker.user == "powerbot" && broker.password == "n3w p@ss/+%");
  // The host changed, the password kept; a password written in the URL itself is taken.
  apply_form("mqtt_url=" + query_value("mqtts://powerbot@broker.example.org") + "&mqtt_password=", settings);
  CHECK_EQ(settings.mqtt_url, std::string("mqtts://powerbot:n3w%20p%40ss%2F%2B%25@broker.example.org"));
  apply_form("mqtt_url=" + query_value("mqtt://other:typed@h") + "&mqtt_password=", settings);
  CHECK_EQ(settings.mqtt_url, std::string("mqtt://other:typed@h"));
  // No user: no password; a password without a user is refused, saying so.
  apply_form("mqtt_url=" + query_value("mqtt://h") + "&mqtt_password=", settings);
  CHECK_EQ(settings.mqtt_url, std::string("mqtt://h"));
  apply_form("mqtt_url=" + query_value("mqtt://h") + "&mqtt_password=x", settings);
  CHECK_EQ(problems(settings, true, false).at(0), std::string("The MQTT broker URL is not valid: a password needs a user."));
  // A form without the broker's fields leaves it; an empty URL turns MQTT off, password and all.
  apply_form("server_url=http%3A%2F%2F10.0.0.5%3A18081", settings);
  CHECK_EQ(settings.mqtt_url, std::string("mqtt://:x@h"));
  apply_form("mqtt_url=&mqtt_password=kept%3F", settings);
  CHECK_EQ(settings.mqtt_url, std::string(""));
  CHECK(setup_page(settings, {}, false, "wt32-eth01", "1.2.0").find("name=\"mqtt_url\" type=\"url\" value=\"\"") !=
        std::string::npos);
}

TEST(form_values_are_decoded) {
  CHECK_EQ(form_decode("a+b%20c%2"), std::string("a b c%2"));
  CHECK_EQ(form_decode("%zz"), std::string("%zz"));
}

TEST(names_come_from_the_mac_address_in_its_printed_order) {
  uint64_t efuse_mac = 0x00F6E5D4C3B2A1ull;  // the chip gives the first byte lowest: a1:b2:c3:d4:e5:f6
  CHECK_EQ(default_sensor_uuid(efuse_mac), std::string("esp32-a1b2c3d4e5f6"));
  CHECK_EQ(setup_network_name(efuse_mac), std::string("PowerBot-D4E5F6"));
}

TEST(the_setup_page_reopens_after_a_long_run_of_refusals_or_quick_power_cycles) {
  constexpr uint32_t kMinute = 60'000;
  SetupReopener reopener;
  uint32_t now = 4'294'000'000u;  // near millis()'s wrap
  reopener.answered(401, now);
  reopener.answered(0, now + 5 * kMinute);    // no answer: says nothing about the settings
  reopener.answered(429, now + 6 * kMinute);  // the server limiting wrong keys: nor does this
  reopener.answered(400, now + 7 * kMinute);  // a section the building does not have
  CHECK(!reopener.refused_too_long(now + 14 * kMinute));
  CHECK(reopener.refused_too_long(now + 15 * kMinute));
  reopener.answered(200, now + 16 * kMinute);
  CHECK(!reopener.refused_too_long(now + 40 * kMinute));
  reopener.answered(404, now + 41 * kMinute);  // a new run starts its own 15 minutes
  CHECK(!reopener.refused_too_long(now + 55 * kMinute));
  CHECK(reopener.refused_too_long(now + 56 * kMinute));

  uint8_t keep = 0;
  CHECK(!SetupReopener::power_cycled(0, false, keep) && keep == 1);
  CHECK(!SetupReopener::power_cycled(1, false, keep) && keep == 2);
  CHECK(SetupReopener::power_cycled(2, false, keep) && keep == 0);  // the third quick start opens the page
  CHECK(SetupReopener::power_cycled(255, false, keep) && keep == 0);
  CHECK(!SetupReopener::power_cycled(2, true, keep) && keep == 0);  // a reporting board: the grid flickering
}
