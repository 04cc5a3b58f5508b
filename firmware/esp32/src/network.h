// The board's link to the server: Wi-Fi (network_wifi.cpp) or Ethernet (network_eth.cpp);
// platformio.ini builds one of them per board.
#pragma once

#include <cstdint>

#include "powerbot/settings.h"

namespace network {

void begin(const powerbot::Settings& settings);
bool up();  // linked, with an IP address
// Call often: brings a lost link back, waiting longer after each failed attempt.
void keep_alive(uint32_t now_ms);
bool has_rssi();
int32_t rssi();

}  // namespace network
