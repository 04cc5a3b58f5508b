// The client over a scripted connection: what it sends, and how it takes answers that
// arrive in pieces, stop short or lie. The real server is in firmware/tests/test_esp32_core.py.
#include <algorithm>

#include "powerbot/client.h"
#include "harness.h"
#include "powerbot/sha256.h"
#include "stand_in_key.h"

using namespace powerbot;

namespace {

class ScriptedConnection : public Connection {
 public:
  explicit ScriptedConnection(std::string answer, size_t piece = 7) : answer_(std::move(answer)), piece_(piece) {}

  bool open(const Url& server) override {
    opened_host = server.host;
    return reachable;
  }
  bool write(const uint8_t* data, size_t size) override {
    sent.append(reinterpret_cast<const char*>(data), size);
    return true;
  }
  int read(uint8_t* buffer, size_t size) override {
    clock += ms_per_read;  // each piece takes this long to come
    ++reads;
    size_t n = std::min({size, piece_, answer_.size() - at_});
    for (size_t i = 0; i < n; ++i) buffer[i] = static_cast<uint8_t>(answer_[at_ + i]);
    at_ += n;
    return static_cast<int>(n);
  }
  void close() override { ++closed; }
  uint32_t now_ms() override { return clock; }

  bool reachable = true;
  std::string opened_host, sent;
  int closed = 0;
  uint32_t clock = 4'000'000'000u;  // near millis()'s wrap: deadlines must survive it
  uint32_t ms_per_read = 0;
  int reads = 0;

 private:
  std::string answer_;
  size_t piece_;
  size_t at_ = 0;
};

class MemorySink : public ImageSink {
 public:
  bool begin(uint64_t size) override {
    expected = size;
    return true;
  }
  bool write(const uint8_t* data, size_t size) override {
    written.append(reinterpret_cast<const char*>(data), size);
    return true;
  }
  bool commit() override { return committed = true; }
  void abort() override { aborted = true; }

  uint64_t expected = 0;
  std::string written;
  bool committed = false, aborted = false;
};

Url server() {
  Url url;
  parse_url("http://10.0.0.5:18081", url);
  return url;
}

std::string sha_of(const std::string& data) {
  Sha256 hash;
  hash.update(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  return hash.hex_digest();
}

const char* const kBoard = "wt32-eth01";
const StandInKey kKey;

// An offer of `image`, signed for this board unless told otherwise.
Offer offer_for(const std::string& image) {
  Offer offer;
  offer.available = true;
  offer.version = "1.3.0";
  offer.url = "http://public.example.org/api/v1/firmware/download/wt32-eth01/1.3.0?sensor_uuid=b1";
  offer.size = image.size();
  offer.sha256 = sha_of(image);
  offer.signature = StandInKey::sign(kBoard, offer.version, offer.sha256);
  return offer;
}

std::string image_answer(const std::string& image, const std::string& extra = "") {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(image.size()) + "\r\n" + extra + "\r\n" + image;
}

}  // namespace

TEST(a_heartbeat_is_posted_and_its_answer_read_in_pieces) {
  ScriptedConnection connection("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n"
                                "{\"status\":\"ok\"}");
  Client client(connection, server(), "k");
  Heartbeat heartbeat;
  heartbeat.api_key = "k";
  heartbeat.building_id = 10;
  heartbeat.sensor_uuid = "b1";
  Exchange exchange = client.send_heartbeat(heartbeat);
  CHECK(exchange.ok() && exchange.status == 200);
  CHECK_EQ(exchange.body, std::string("{\"status\":\"ok\"}"));
  CHECK(connection.sent.rfind("POST /api/v1/heartbeat HTTP/1.1\r\nHost: 10.0.0.5:18081\r\n", 0) == 0);
  CHECK_EQ(connection.closed, 1);
}

TEST(delivered_is_the_parsed_status_200_whatever_the_reason_phrase_says) {
  Heartbeat heartbeat;
  heartbeat.sensor_uuid = "b1";
  ScriptedConnection proxy_error("HTTP/1.1 502 Bad Gateway (upstream 200 )\r\nContent-Length: 0\r\n\r\n");
  Client through_proxy(proxy_error, server(), "k");
  CHECK(!through_proxy.send_heartbeat(heartbeat).ok());  // would validate an unproven image
  ScriptedConnection bare("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n");
  Client plain(bare, server(), "k");
  CHECK(plain.send_heartbeat(heartbeat).ok());  // legal without a reason phrase: no rollback of a good image
}

TEST(an_unreachable_server_is_reported_not_hung_on) {
  ScriptedConnection connection("");
  connection.reachable = false;
  Client client(connection, server(), "k");
  Exchange exchange = client.send_heartbeat(Heartbeat{});
  CHECK(!exchange.reached);
  CHECK_EQ(exchange.error, std::string("cannot connect"));
  ScriptedConnection silent("");
  Exchange closed = Client(silent, server(), "k").send_heartbeat(Heartbeat{});
  CHECK(!closed.reached);
  CHECK_EQ(closed.error, std::string("connection closed before the response"));
}

TEST(a_chunked_answer_is_refused_saying_why) {
  ScriptedConnection connection("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\n{\"update_available\":false}\r\n0\r\n\r\n");
  Offer offer;
  Exchange exchange = Client(connection, server(), "k").check_for_update("b1", "wt32-eth01", "1.2.0", offer);
  CHECK(exchange.reached && exchange.status == 200);
  CHECK_EQ(exchange.error, std::string("chunked answers are not supported (is a proxy re-encoding them?)"));
  ScriptedConnection download("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  MemorySink sink;
  std::string detail;
  Offer image = offer_for("data");
  CHECK(Client(download, server(), "k").download(image, kBoard, kKey, sink, detail) == DownloadResult::refused);
  CHECK(sink.written.empty() && !sink.committed);
}

TEST(a_check_sends_the_key_and_reads_the_offer) {
  std::string body = "{\"update_available\":false}";
  ScriptedConnection connection("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  Offer offer;
  offer.available = true;
  Exchange exchange = Client(connection, server(), "pbw_k").check_for_update("b 1", "wt32-eth01", "1.2.0", offer);
  CHECK(exchange.error.empty() && !offer.available);
  CHECK(connection.sent.rfind("GET /api/v1/firmware/check?sensor_uuid=b%201&current_version=1.2.0&board=wt32-eth01 "
                              "HTTP/1.1\r\n", 0) == 0);
  CHECK(connection.sent.find("\r\nX-API-Key: pbw_k\r\n") != std::string::npos);
}

TEST(a_downloaded_image_is_committed_only_when_size_and_sha256_match) {
  std::string image(5000, '\xE9');
  ScriptedConnection connection(image_answer(image), 333);
  MemorySink sink;
  std::string detail;
  DownloadResult result = Client(connection, server(), "k").download(offer_for(image), kBoard, kKey, sink, detail);
  CHECK(result == DownloadResult::installed);
  CHECK(sink.committed && !sink.aborted && sink.written == image && sink.expected == image.size());
  // From the configured server, whatever host the offer named.
  CHECK_EQ(connection.opened_host, std::string("10.0.0.5"));
  CHECK(connection.sent.rfind("GET /api/v1/firmware/download/wt32-eth01/1.3.0?sensor_uuid=b1 HTTP/1.1\r\n", 0) == 0);
}

TEST(an_unsigned_or_wrongly_signed_release_is_refused_before_anything_is_fetched) {
  std::string image(5000, '\xE9');
  struct Case {
    std::string signature;
    DownloadResult result;
  };
  Offer offer = offer_for(image);
  const Case cases[] = {
      {"", DownloadResult::unsigned_release},
      {StandInKey::sign("esp32-wifi", offer.version, offer.sha256), DownloadResult::bad_signature},
      {StandInKey::sign(kBoard, "1.2.0", offer.sha256), DownloadResult::bad_signature},
      {StandInKey::sign(kBoard, offer.version, sha_of("another image")), DownloadResult::bad_signature},
      {"not hex at all", DownloadResult::bad_signature},
  };
  for (const Case& one : cases) {
    ScriptedConnection connection(image_answer(image));
    MemorySink sink;
    std::string detail;
    offer.signature = one.signature;
    CHECK(Client(connection, server(), "k").download(offer, kBoard, kKey, sink, detail) == one.result);
    CHECK(connection.sent.empty() && sink.written.empty() && !sink.committed && sink.expected == 0);
    CHECK(!detail.empty());
    CHECK(refusal_code(one.result) != nullptr);
  }
  CHECK_EQ(std::string(refusal_code(DownloadResult::unsigned_release)), std::string("unsigned"));
  CHECK_EQ(std::string(refusal_code(DownloadResult::bad_signature)), std::string("bad_signature"));
  CHECK(refusal_code(DownloadResult::installed) == nullptr && refusal_code(DownloadResult::too_slow) == nullptr);
}

TEST(a_damaged_or_short_image_is_never_committed) {
  std::string image(5000, 'x');
  Offer offer = offer_for(image);
  std::string damaged = image;
  damaged[4000] = 'y';
  std::string detail;

  ScriptedConnection wrong_bytes(image_answer(damaged));
  MemorySink first;
  CHECK(Client(wrong_bytes, server(), "k").download(offer, kBoard, kKey, first, detail) == DownloadResult::wrong_checksum);
  CHECK(first.aborted && !first.committed);

  ScriptedConnection cut(image_answer(image).substr(0, 3000));
  MemorySink second;
  CHECK(Client(cut, server(), "k").download(offer, kBoard, kKey, second, detail) == DownloadResult::cut_short);
  CHECK(second.aborted && !second.committed);

  ScriptedConnection other_size("HTTP/1.1 200 OK\r\nContent-Length: 4999\r\n\r\n" + image.substr(1));
  MemorySink third;
  CHECK(Client(other_size, server(), "k").download(offer, kBoard, kKey, third, detail) == DownloadResult::wrong_size);
  CHECK(third.written.empty() && !third.committed);

  ScriptedConnection announced(image_answer(image, "X-Firmware-SHA256: " + std::string(64, '0') + "\r\n"));
  MemorySink fourth;
  CHECK(Client(announced, server(), "k").download(offer, kBoard, kKey, fourth, detail) == DownloadResult::wrong_checksum);
  CHECK(fourth.written.empty());

  ScriptedConnection missing("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}");
  MemorySink fifth;
  CHECK(Client(missing, server(), "k").download(offer, kBoard, kKey, fifth, detail) == DownloadResult::refused);
  CHECK_EQ(detail, std::string("HTTP/1.1 404 Not Found"));
}

TEST(a_peer_dripping_bytes_is_cut_off_at_the_download_deadline) {
  std::string image(100'000, 'x');
  ScriptedConnection drip(image_answer(image), 1);  // a byte a read...
  drip.ms_per_read = 14'000;                         // ...every 14 s: just inside the read timeout
  Client client(drip, server(), "k");
  MemorySink sink;
  std::string detail;
  CHECK(client.download(offer_for(image), kBoard, kKey, sink, detail) == DownloadResult::too_slow);
  CHECK(drip.reads < 10);  // was 100,043 reads, for days
  CHECK(!sink.committed && sink.written.empty());
  CHECK_EQ(detail, std::string("no whole response within 90 s"));  // even its head came too slowly
  ScriptedConnection slow_body(image_answer(image), 1000);
  slow_body.ms_per_read = 5'000;  // the head at once, then a kilobyte every 5 s: 500 s in all
  Client patient(slow_body, server(), "k");
  MemorySink partial;
  CHECK(patient.download(offer_for(image), kBoard, kKey, partial, detail) == DownloadResult::too_slow);
  CHECK(partial.aborted && !partial.committed);
  CHECK(detail.find(" of 100000 bytes in 90 s; tried again later") != std::string::npos);
}

TEST(heartbeats_go_on_between_the_pieces_of_a_download) {
  std::string image(20'000, 'y');
  ScriptedConnection slow(image_answer(image), 1024);
  slow.ms_per_read = 3'000;  // about a minute for the whole image, as on weak Wi-Fi
  Client client(slow, server(), "k");
  MemorySink sink;
  std::string detail;
  int calls = 0;
  CHECK(client.download(offer_for(image), kBoard, kKey, sink, detail, [&calls] { ++calls; }) == DownloadResult::installed);
  CHECK(calls >= 19);  // after every piece: the board posts a heartbeat whenever one is due
}

TEST(a_heartbeat_answer_that_never_completes_is_given_up_at_its_deadline) {
  // The head at once, then a body that trickles in, 64 bytes every 5 s, towards its 1,000.
  ScriptedConnection stalling("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, ' '), 64);
  stalling.ms_per_read = 5'000;
  Client client(stalling, server(), "k");
  Heartbeat heartbeat;
  heartbeat.sensor_uuid = "b1";
  Exchange exchange = client.send_heartbeat(heartbeat);
  CHECK(exchange.reached && !exchange.ok());
  CHECK_EQ(exchange.error, std::string("no whole response within 30 s"));
  CHECK(stalling.reads <= 8);
}
