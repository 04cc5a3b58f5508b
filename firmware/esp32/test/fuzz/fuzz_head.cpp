// The response-head parser, on any bytes a server (or whoever stands in its place) sends.
#include <cstdint>
#include <string>

#include "powerbot/http.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string received(reinterpret_cast<const char*>(data), size);
  powerbot::ResponseHead head;
  size_t body_at = 0;
  if (powerbot::parse_head(received, head, body_at) == powerbot::HeadResult::complete) {
    // A complete head: its body starts inside what came, its code is a status, and it keeps
    // no more than the headers the firmware reads.
    if (body_at > received.size() || head.status < 100 || head.status > 599 || head.headers.size() > 3) {
      __builtin_trap();
    }
  }
  return 0;
}
