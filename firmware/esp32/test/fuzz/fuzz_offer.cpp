// The update check's answer, and the decision taken on it.
#include <cstdint>
#include <string>

#include "powerbot/http.h"
#include "powerbot/update.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  powerbot::Offer offer;
  std::string error;
  if (!powerbot::parse_offer(body, offer, error)) return 0;
  if (powerbot::has_space_or_control(offer.url)) __builtin_trap();  // it goes into a request line
  powerbot::DeviceState state;
  state.running_version = "1.2.0";
  state.slot_size = 1966080;
  powerbot::Decision decision = powerbot::decide(offer, state);
  if (decision == powerbot::Decision::install && (offer.size == 0 || offer.size > state.slot_size)) __builtin_trap();
  return 0;
}
