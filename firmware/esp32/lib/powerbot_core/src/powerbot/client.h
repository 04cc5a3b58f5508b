// Talking to the PowerBot server over any byte pipe: the board's WiFiClient (or
// WiFiClientSecure), or the host tests' sockets. Everything but the pipe is here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "heartbeat.h"
#include "http.h"
#include "signature.h"
#include "update.h"

namespace powerbot {

// One TCP (or TLS) connection at a time.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual bool open(const Url& server) = 0;
  virtual bool write(const uint8_t* data, size_t size) = 0;  // all of it, or false
  // Up to `size` bytes; 0 once the server has closed, <0 on an error or a timeout.
  virtual int read(uint8_t* buffer, size_t size) = 0;
  virtual void close() = 0;
  // Milliseconds on the connection's clock (the board's millis()): every exchange has a deadline
  // as a whole, beside the connection's own timeout for each read.
  virtual uint32_t now_ms() = 0;
};

// A heartbeat or update check must be over within this; a download within the longer one, so
// a slow or dripping peer is cut off and tried again later (the board retries in 30-90 min).
constexpr uint32_t kExchangeDeadlineMs = 30'000;
constexpr uint32_t kDownloadDeadlineMs = 90'000;

// Where a downloaded image goes: the board's other app slot, or a file on the host.
class ImageSink {
 public:
  virtual ~ImageSink() = default;
  virtual bool begin(uint64_t size) = 0;
  virtual bool write(const uint8_t* data, size_t size) = 0;
  // Make the image the one to boot: called only once its size and SHA-256 are verified.
  virtual bool commit() = 0;
  virtual void abort() = 0;
};

struct Exchange {
  bool reached = false;  // a whole response head came back
  int status = 0;
  std::string status_line;
  std::string body;  // for small answers only
  std::string error;

  // The server answered 200, by the parsed status code: what counts as a delivered heartbeat,
  // which also proves a new image (a reason phrase holding " 200 " proves nothing).
  bool ok() const { return reached && status == 200 && error.empty(); }
};

enum class DownloadResult {
  installed,
  unreachable,
  refused,
  wrong_size,
  wrong_checksum,
  sink_failed,
  cut_short,
  too_slow,
  unsigned_release,
  bad_signature,
};
const char* describe(DownloadResult result);

// The reason a board reports for refusing what it was offered (its heartbeats' update_refused;
// the server's firmware.services.REFUSALS), or nullptr when the result is no refusal of the image.
const char* refusal_code(DownloadResult result);

class Client {
 public:
  Client(Connection& connection, const Url& server, const std::string& api_key)
      : connection_(connection), server_(server), api_key_(api_key) {}

  // Posts one heartbeat; it was delivered when the answer is ok().
  Exchange send_heartbeat(const Heartbeat& heartbeat);

  // Asks whether a newer release is meant for this board; `offer` is filled on a 200.
  Exchange check_for_update(const std::string& sensor_uuid, const std::string& board,
                            const std::string& running_version, Offer& offer);

  // Streams the offered image into `sink`, checking its size and SHA-256 before commit().
  // Nothing is fetched unless `key` signed the offer for `board` (the board this firmware is
  // for), so only an image the key vouches for is ever written. The image comes from this
  // client's server, whatever host the offer's URL names. `between` runs after every piece
  // read: the board keeps its heartbeats going with it.
  DownloadResult download(const Offer& offer, const std::string& board, const ReleaseKey& key, ImageSink& sink,
                          std::string& detail, const std::function<void()>& between = nullptr);

 private:
  Exchange request(const std::string& bytes, size_t max_body);
  bool open_and_send(const std::string& bytes, Exchange& exchange);
  bool read_head(Exchange& exchange, ResponseHead& head, std::string& rest, uint32_t started, uint32_t deadline);
  bool late(uint32_t started, uint32_t deadline) { return connection_.now_ms() - started >= deadline; }

  Connection& connection_;
  Url server_;
  std::string api_key_;
};

}  // namespace powerbot
