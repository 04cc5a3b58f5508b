#include "portal.h"

#include <DNSServer.h>
#include <WebServer.h>
#include <WiFi.h>
#include <esp_task_wdt.h>

#include "identity.h"
#include "powerbot/http.h"

void run_setup_page(powerbot::Settings settings, Flash& flash, bool wifi, bool has_ca_certificate,
                    const char* password, uint32_t timeout_ms) {
  std::string name = powerbot::setup_network_name(ESP.getEfuseMac());
  WiFi.mode(WIFI_AP);
  if (!WiFi.softAP(name.c_str(), password[0] != '\0' ? password : nullptr)) {
    Serial.println("setup: cannot open the set-up network");
    return;
  }
  DNSServer dns;
  dns.start(53, "*", WiFi.softAPIP());
  WebServer server(80);
  Serial.printf("setup: join Wi-Fi %s and open http://%s/\n", name.c_str(), WiFi.softAPIP().toString().c_str());

  std::vector<std::string> problems = powerbot::problems(settings, wifi, has_ca_certificate);
  bool usable = problems.empty();
  server.on("/", HTTP_GET, [&]() {
    server.send(200, "text/html; charset=utf-8",
                powerbot::setup_page(settings, problems, wifi, kBoard, kFirmwareVersion).c_str());
  });
  server.on("/", HTTP_POST, [&]() {
    std::string form;
    for (int i = 0; i < server.args(); ++i) {
      if (!form.empty()) form += '&';
      form += powerbot::query_value(server.argName(i).c_str()) + "=" + powerbot::query_value(server.arg(i).c_str());
    }
    powerbot::Settings edited = settings;
    powerbot::apply_form(form, edited);
    problems = powerbot::problems(edited, wifi, has_ca_certificate);
    if (!problems.empty()) {
      settings = edited;
      server.send(400, "text/html; charset=utf-8",
                  powerbot::setup_page(settings, problems, wifi, kBoard, kFirmwareVersion).c_str());
      return;
    }
    flash.save_settings(edited);
    server.send(200, "text/html; charset=utf-8", "<!doctype html><p>Saved. The sensor restarts now.</p>");
    delay(1000);
    ESP.restart();
  });
  server.onNotFound([&]() {  // phones probe for a captive portal at addresses of their own
    server.sendHeader("Location", String("http://") + WiFi.softAPIP().toString() + "/", true);
    server.send(302, "text/plain", "");
  });
  server.begin();

  uint32_t opened = millis();
  while (!usable || millis() - opened < timeout_ms) {
    esp_task_wdt_reset();
    dns.processNextRequest();
    server.handleClient();
    delay(2);
  }
  server.stop();
  dns.stop();
  WiFi.softAPdisconnect(true);
}
