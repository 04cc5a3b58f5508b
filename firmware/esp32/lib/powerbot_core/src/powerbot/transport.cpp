#include "transport.h"

namespace powerbot {

bool TransportChooser::connect_due(uint32_t now_ms, bool heartbeat_due) const {
  if (!configured_) return false;
  if (over_mqtt()) return heartbeat_due;
  return retry_at_.due(now_ms);
}

void TransportChooser::connected() {
  failures_ = 0;
  retry_.reset();
}

void TransportChooser::connect_failed(uint32_t now_ms, uint32_t random) {
  if (failures_ < UINT32_MAX) ++failures_;
  if (!over_mqtt()) retry_at_.in(now_ms, retry_.next_delay_ms(random));
}

}  // namespace powerbot
