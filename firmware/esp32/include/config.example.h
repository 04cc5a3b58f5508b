// Build-time settings. Copy this file to config.h (which git never commits) and fill it
// in, or leave it as it is and set the board up on its set-up page at first start.
// Settings saved on the set-up page win over these.
#pragma once

#define POWERBOT_WIFI_SSID ""      // Wi-Fi boards only
#define POWERBOT_WIFI_PASSWORD ""  // Wi-Fi boards only
#define POWERBOT_SERVER_URL ""     // e.g. "http://192.168.1.10:18081" or "https://power.example.org"
#define POWERBOT_MQTT_URL ""       // empty: heartbeats over HTTP only; or the broker, see below
#define POWERBOT_API_KEY ""        // a sensor key from the admin, best scoped to this board's uuid
#define POWERBOT_SENSOR_UUID ""    // empty: "esp32-" and the chip's MAC address
#define POWERBOT_BUILDING_ID 0     // the building's id in PowerBot
#define POWERBOT_SECTION_ID 0      // 0: the building's default section
#define POWERBOT_AUTO_UPDATE 1     // 0: install only mandatory updates

// The set-up page's Wi-Fi network ("PowerBot-XXXXXX"): its password, 8 to 63 characters,
// or empty for an open network.
#define POWERBOT_SETUP_PASSWORD ""

// Hold this pin low during the first 3 seconds after power-on to open the set-up page
// (the DevKit's BOOT button is GPIO 0: press it just after power-on, not during).
// -1: no button; the page opens only while the settings are incomplete.
// #define POWERBOT_SETUP_PIN 0

// MQTT mode: the heartbeat goes through the server's MQTT broker (what its MQTT_URL names),
// e.g. "mqtt://powerbot:pass@192.168.1.10:1883", or "mqtts://..." with POWERBOT_CA_CERT
// below. Percent-encode a user's or password's special characters ("p@ss" is "p%40ss").
// While the broker cannot be reached the board falls back to HTTP, so POWERBOT_SERVER_URL
// is still needed, as it is for updates.

// For an https server or an mqtts broker: the PEM certificate of the CA that signed the
// server's certificate (or both CAs' certificates, one after the other, when the broker's
// CA is another).
// #define POWERBOT_CA_CERT "-----BEGIN CERTIFICATE-----\n" ... "-----END CERTIFICATE-----\n"
