#include "backoff.h"

namespace powerbot {

uint32_t Backoff::next_delay_ms(uint32_t random) {
  uint64_t ceiling = base_ms_;
  for (uint32_t i = 0; i < failures_ && ceiling < cap_ms_; ++i) ceiling *= 2;
  if (ceiling > cap_ms_) ceiling = cap_ms_;
  if (failures_ < UINT32_MAX) ++failures_;
  uint64_t half = ceiling / 2;
  return static_cast<uint32_t>(half + (ceiling - half) * random / UINT32_MAX);
}

}  // namespace powerbot
