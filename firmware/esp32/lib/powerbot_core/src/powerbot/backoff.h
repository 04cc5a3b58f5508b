// How long to wait before trying again: doubling from `base` up to `cap`, with jitter so
// that a fleet cut off together does not come back in one burst.
#pragma once

#include <cstdint>

namespace powerbot {

class Backoff {
 public:
  Backoff(uint32_t base_ms, uint32_t cap_ms) : base_ms_(base_ms), cap_ms_(cap_ms) {}

  // The wait after one more failure: between half and all of min(cap, base * 2^failures),
  // where `random` (any 32-bit value) picks the point.
  uint32_t next_delay_ms(uint32_t random);
  void reset() { failures_ = 0; }
  uint32_t failures() const { return failures_; }

 private:
  uint32_t base_ms_, cap_ms_;
  uint32_t failures_ = 0;
};

// A moment on millis()'s clock, which wraps every 49.7 days. "Due" is judged by the signed
// difference, which is right only within 24.8 days of the moment: a deadline nobody could act
// on for longer (the network down for a month) would look 24.8 days ahead again, and keep
// heartbeats silent that long after the network is back. hold() keeps one that has passed due.
class Deadline {
 public:
  void in(uint32_t now_ms, uint32_t delay_ms) { at_ms_ = now_ms + delay_ms; }
  bool due(uint32_t now_ms) const { return static_cast<int32_t>(now_ms - at_ms_) >= 0; }
  // Called while the deadline cannot be acted on: once passed, it stays at now.
  void hold(uint32_t now_ms) {
    if (due(now_ms)) at_ms_ = now_ms;
  }

 private:
  uint32_t at_ms_ = 0;
};

}  // namespace powerbot
