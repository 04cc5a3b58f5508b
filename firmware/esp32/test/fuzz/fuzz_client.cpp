// The client over a connection that answers with any bytes: a heartbeat, an update check and a
// download, each to its end.
#include <algorithm>
#include <cstdint>
#include <string>

#include "powerbot/client.h"
#include "powerbot/sha256.h"
#include "stand_in_key.h"

namespace {

class Answering : public powerbot::Connection {
 public:
  explicit Answering(std::string answer) : answer_(std::move(answer)) {}
  bool open(const powerbot::Url&) override {
    at_ = 0;
    return true;
  }
  bool write(const uint8_t*, size_t) override { return true; }
  int read(uint8_t* buffer, size_t size) override {
    clock_ += 100;
    size_t n = std::min({size, static_cast<size_t>(97), answer_.size() - at_});
    std::copy(answer_.begin() + static_cast<long>(at_), answer_.begin() + static_cast<long>(at_ + n), buffer);
    at_ += n;
    return static_cast<int>(n);
  }
  void close() override {}
  uint32_t now_ms() override { return clock_; }

 private:
  std::string answer_;
  size_t at_ = 0;
  uint32_t clock_ = 0;
};

class Sink : public powerbot::ImageSink {
 public:
  bool begin(uint64_t) override { return true; }
  bool write(const uint8_t* data, size_t size) override {
    hash.update(data, size);
    return true;
  }
  bool commit() override { return committed = true; }
  void abort() override {}
  powerbot::Sha256 hash;
  bool committed = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Answering connection(std::string(reinterpret_cast<const char*>(data), size));
  powerbot::Url server;
  powerbot::parse_url("http://10.0.0.5:18081", server);
  powerbot::Client client(connection, server, "k");
  powerbot::Heartbeat heartbeat;
  heartbeat.sensor_uuid = "b1";
  client.send_heartbeat(heartbeat);
  powerbot::Offer offer;
  client.check_for_update("b1", "wt32-eth01", "1.2.0", offer);
  powerbot::Offer image;
  image.available = true;
  image.version = "1.3.0";
  image.url = "/api/v1/firmware/download/wt32-eth01/1.3.0";
  image.size = 64;
  image.sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  image.signature = StandInKey::sign("wt32-eth01", "1.3.0", image.sha256);
  Sink sink;
  std::string detail;
  powerbot::DownloadResult result = client.download(image, "wt32-eth01", StandInKey(), sink, detail);
  // Committed only when whole and as the offer says, whatever came.
  if (sink.committed && (result != powerbot::DownloadResult::installed || sink.hash.hex_digest() != image.sha256)) {
    __builtin_trap();
  }
  return 0;
}
