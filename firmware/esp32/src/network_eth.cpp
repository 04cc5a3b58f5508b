// WT32-ETH01: LAN8720 PHY at address 1, power on GPIO 16, MDC 23, MDIO 18, clock in on
// GPIO 0, as the board's variant (board = wt32-eth01) sets ETH.begin()'s defaults.
#include <ETH.h>
#include <WiFi.h>

#include "network.h"

namespace network {

namespace {

volatile bool linked = false;

void on_event(WiFiEvent_t event) {
  switch (event) {
    case ARDUINO_EVENT_ETH_GOT_IP:
      linked = true;
      Serial.printf("eth: %s\n", ETH.localIP().toString().c_str());
      break;
    case ARDUINO_EVENT_ETH_DISCONNECTED:
    case ARDUINO_EVENT_ETH_STOP:
      linked = false;
      Serial.println("eth: link down");
      break;
    default:
      break;
  }
}

}  // namespace

void begin(const powerbot::Settings&) {
  WiFi.onEvent(on_event);
  ETH.begin();
}

// The PHY and DHCP bring the link back by themselves once the cable or switch is back.
bool up() { return linked; }

void keep_alive(uint32_t) {}

bool has_rssi() { return false; }

int32_t rssi() { return 0; }

}  // namespace network
