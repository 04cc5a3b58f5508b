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

}  // namespace powerbot
