// The board's client logic on the host, over POSIX sockets, for the tests that run it
// against a real PowerBot server (firmware/tests/test_esp32_core.py):
//
//   host_client heartbeat URL KEY BUILDING SECTION UUID VERSION [--release-key-id ID] [--refused VERSION REASON]
//   host_client request URL KEY BUILDING SECTION UUID VERSION   (prints the heartbeat's bytes)
//   host_client mqtt BROKER_URL KEY BUILDING SECTION UUID VERSION   (prints the broker as read, and
//                                                                    what MQTT mode would publish)
//   host_client update URL KEY UUID BOARD RUNNING OUTFILE --release-key PEM [--failed VERSION] [--manual]
//                      [--slot BYTES]
//
// It prints `key: value` lines. An installed image is written to OUTFILE only once its
// signature (by the release key in the PEM file, checked by the board's own mbedTLS code),
// size and SHA-256 are verified, as the board switches partitions only then.
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "powerbot/client.h"
#include "powerbot/mbedtls_key.h"
#include "powerbot/mqtt.h"
#include "powerbot/update.h"

using namespace powerbot;

namespace {

class SocketConnection : public Connection {
 public:
  ~SocketConnection() override { close(); }

  bool open(const Url& server) override {
    close();
    if (server.tls) return false;  // the host tests speak plain HTTP, as most boards do
    addrinfo hints{}, *found = nullptr;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(server.host.c_str(), std::to_string(server.port).c_str(), &hints, &found) != 0) return false;
    for (addrinfo* candidate = found; candidate != nullptr && fd_ < 0; candidate = candidate->ai_next) {
      int fd = socket(candidate->ai_family, candidate->ai_socktype, candidate->ai_protocol);
      if (fd < 0) continue;
      timeval timeout{10, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
      if (connect(fd, candidate->ai_addr, candidate->ai_addrlen) == 0) {
        fd_ = fd;
      } else {
        ::close(fd);
      }
    }
    freeaddrinfo(found);
    return fd_ >= 0;
  }

  bool write(const uint8_t* data, size_t size) override {
    while (size > 0) {
      ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
      if (n <= 0) return false;
      data += n;
      size -= static_cast<size_t>(n);
    }
    return true;
  }

  int read(uint8_t* buffer, size_t size) override {
    ssize_t n = ::recv(fd_, buffer, size, 0);
    return n < 0 ? -1 : static_cast<int>(n);
  }

  void close() override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  uint32_t now_ms() override {
    auto since = std::chrono::steady_clock::now().time_since_epoch();
    return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(since).count());
  }

 private:
  int fd_ = -1;
};

class FileSink : public ImageSink {
 public:
  explicit FileSink(std::string path) : path_(std::move(path)), partial_(path_ + ".partial") {}

  bool begin(uint64_t) override {
    file_ = std::fopen(partial_.c_str(), "wb");
    return file_ != nullptr;
  }
  bool write(const uint8_t* data, size_t size) override { return std::fwrite(data, 1, size, file_) == size; }
  bool commit() override {
    bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    return closed && std::rename(partial_.c_str(), path_.c_str()) == 0;
  }
  void abort() override {
    if (file_ != nullptr) std::fclose(file_);
    file_ = nullptr;
    std::remove(partial_.c_str());
  }

 private:
  std::string path_, partial_;
  std::FILE* file_ = nullptr;
};

int usage() {
  std::fprintf(stderr, "usage: host_client heartbeat|request URL KEY BUILDING SECTION UUID VERSION "
                       "[--release-key-id ID] [--refused VERSION REASON]\n"
                       "       host_client mqtt BROKER_URL KEY BUILDING SECTION UUID VERSION\n"
                       "       host_client update URL KEY UUID BOARD RUNNING OUTFILE --release-key PEM [--failed V] "
                       "[--manual] [--slot BYTES]\n");
  return 2;
}

std::string read_file(const char* path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

Heartbeat heartbeat_from(char** argv) {
  Heartbeat heartbeat;
  heartbeat.api_key = argv[3];
  heartbeat.building_id = std::atoll(argv[4]);
  heartbeat.section_id = std::atoi(argv[5]);
  heartbeat.sensor_uuid = argv[6];
  heartbeat.firmware_version = argv[7];
  heartbeat.uptime_sec = 42;
  heartbeat.has_rssi = true;
  heartbeat.rssi = -61;
  heartbeat.reset_reason = reset_reason_name(1);
  return heartbeat;
}

void print_message(const char* name, const MqttMessage& message) {
  std::printf("%s topic: %s\n%s payload: %s\n%s qos: %u\n%s retained: %s\n", name, message.topic.c_str(), name,
              message.payload.c_str(), name, static_cast<unsigned>(message.qos), name, message.retained ? "yes" : "no");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  std::string command = argv[1];
  std::string why;
  if (command == "mqtt" && argc == 8) {
    Url broker;
    if (!parse_broker_url(argv[2], broker, &why)) {
      std::fprintf(stderr, "bad broker URL: %s\n", why.c_str());
      return 2;
    }
    std::printf("broker host: %s\nbroker port: %u\nbroker tls: %s\nbroker user: %s\nbroker password: %s\n",
                broker.host.c_str(), static_cast<unsigned>(broker.port), broker.tls ? "yes" : "no", broker.user.c_str(),
                broker.password.c_str());
    Heartbeat heartbeat = heartbeat_from(argv);
    print_message("will", last_will(heartbeat.sensor_uuid));
    print_message("online", online_message(heartbeat.sensor_uuid));
    print_message("heartbeat", heartbeat_message(heartbeat));
    return 0;
  }
  Url server;
  if (!parse_url(argv[2], server, &why)) {
    std::fprintf(stderr, "bad server URL: %s\n", why.c_str());
    return 2;
  }
  SocketConnection connection;
  Client client(connection, server, argc > 3 ? argv[3] : "");

  if ((command == "heartbeat" || command == "request") && argc >= 8) {
    Heartbeat heartbeat = heartbeat_from(argv);
    for (int i = 8; i < argc; ++i) {
      std::string option = argv[i];
      if (option == "--release-key-id" && i + 1 < argc) {
        heartbeat.release_key = argv[++i];
      } else if (option == "--refused" && i + 2 < argc) {
        heartbeat.refused_version = argv[++i];
        heartbeat.refused_reason = argv[++i];
      } else {
        return usage();
      }
    }
    if (command == "request") {
      std::string bytes = post_request(server, "/api/v1/heartbeat", heartbeat_body(heartbeat));
      std::fwrite(bytes.data(), 1, bytes.size(), stdout);
      return 0;
    }
    Exchange exchange = client.send_heartbeat(heartbeat);
    std::printf("status: %s\ndelivered: %s\nerror: %s\n", exchange.status_line.c_str(),
                exchange.ok() ? "yes" : "no", exchange.error.c_str());
    return 0;
  }

  if (command == "update" && argc >= 8) {
    DeviceState state;
    state.running_version = argv[6];
    state.slot_size = 1966080;
    std::string release_key;
    for (int i = 8; i < argc; ++i) {
      std::string option = argv[i];
      if (option == "--manual") state.auto_update = false;
      else if (option == "--release-key" && i + 1 < argc) release_key = read_file(argv[++i]);
      else if (option == "--failed" && i + 1 < argc) state.failed_version = argv[++i];
      else if (option == "--slot" && i + 1 < argc) state.slot_size = std::strtoull(argv[++i], nullptr, 10);
      else return usage();
    }
    if (release_key.empty()) return usage();
    MbedtlsReleaseKey key(release_key.c_str());
    if (!key.loaded()) {
      std::fprintf(stderr, "the release key is not an ECDSA P-256 public key in PEM\n");
      return 2;
    }
    Offer offer;
    Exchange exchange = client.check_for_update(argv[4], argv[5], state.running_version, offer);
    std::printf("check: %s\n", exchange.reached ? exchange.status_line.c_str() : exchange.error.c_str());
    if (!exchange.reached || exchange.status != 200 || !exchange.error.empty()) {
      std::printf("error: %s\n", exchange.error.empty() ? exchange.body.c_str() : exchange.error.c_str());
      return 0;
    }
    std::printf("offer: %s\n", offer.available ? offer.version.c_str() : "none");
    Decision decision = decide(offer, state);
    std::printf("decision: %s\n", describe(decision));
    if (decision == Decision::install) {
      FileSink sink(argv[7]);
      std::string detail;
      DownloadResult result = client.download(offer, argv[5], key, sink, detail);
      std::printf("download: %s (%s)\n", describe(result), detail.c_str());
      if (const char* refused = refusal_code(result)) std::printf("refused: %s\n", refused);
    }
    return 0;
  }
  return usage();
}
