// The set-up page's form, as anyone who joins the board's set-up network may post it.
#include <cstdint>
#include <string>

#include "powerbot/settings.h"

namespace {

bool untrimmed(const std::string& value) {
  const std::string around = " \t\r\n";
  return !value.empty() && (around.find(value.front()) != std::string::npos || around.find(value.back()) != std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string form(reinterpret_cast<const char*>(data), size);
  powerbot::Settings settings;
  settings.api_key = "pbw_key";
  powerbot::apply_form(form, settings);
  if (untrimmed(settings.server_url) || untrimmed(settings.api_key) || untrimmed(settings.sensor_uuid)) __builtin_trap();
  std::vector<std::string> found = powerbot::problems(settings, true, true);
  std::string page = powerbot::setup_page(settings, found, true, "esp32-wifi", "1.2.0");
  if (page.find("<script") != std::string::npos) __builtin_trap();  // whatever was posted, it is escaped
  return 0;
}
