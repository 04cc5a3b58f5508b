// Which way a board with an MQTT broker sends its heartbeats. Over MQTT while the broker
// can be reached; after `max_failures` connects in a row have failed, over HTTP, as a board
// without a broker does, so that a broker that is down does not silence the fleet. The
// broker is then tried again every few minutes (`retry`, with jitter, so a fleet does not
// come back at once), and the heartbeats return to MQTT as soon as a connect succeeds.
#pragma once

#include <cstdint>

#include "backoff.h"

namespace powerbot {

class TransportChooser {
 public:
  TransportChooser(bool mqtt_configured, uint32_t max_failures, const Backoff& retry)
      : configured_(mqtt_configured), max_failures_(max_failures > 0 ? max_failures : 1), retry_(retry) {}

  bool mqtt_configured() const { return configured_; }

  // Whether the next heartbeat goes over MQTT (connecting first if need be); false: HTTP.
  bool over_mqtt() const { return configured_ && failures_ < max_failures_; }

  // Whether to try connecting to the broker now, when not connected: for the heartbeat
  // that is due while on MQTT; while on HTTP, once the retry time has come.
  bool connect_due(uint32_t now_ms, bool heartbeat_due) const;

  // A connect succeeded (the broker accepted it): MQTT from the next heartbeat on.
  void connected();

  // A connect failed; the one that makes `max_failures` in a row turns to HTTP.
  void connect_failed(uint32_t now_ms, uint32_t random);

  uint32_t failures() const { return failures_; }  // failed connects in a row

  // Called while the network is down and no connect can be tried: a retry that has come due
  // stays due, however long the outage (Deadline::hold).
  void hold(uint32_t now_ms) { retry_at_.hold(now_ms); }

 private:
  bool configured_;
  uint32_t max_failures_;
  Backoff retry_;
  uint32_t failures_ = 0;
  Deadline retry_at_;
};

}  // namespace powerbot
