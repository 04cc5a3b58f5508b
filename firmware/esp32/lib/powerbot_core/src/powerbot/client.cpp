#include "client.h"

#include "sha256.h"

namespace powerbot {

namespace {

constexpr size_t kMaxAnswer = 4096;  // heartbeat and check answers are a few hundred bytes
constexpr size_t kChunk = 1024;

}  // namespace

const char* describe(DownloadResult result) {
  switch (result) {
    case DownloadResult::installed: return "installed";
    case DownloadResult::unreachable: return "server unreachable";
    case DownloadResult::refused: return "server refused the download";
    case DownloadResult::wrong_size: return "image size differs from the offer";
    case DownloadResult::wrong_checksum: return "image SHA-256 differs from the offer";
    case DownloadResult::sink_failed: return "could not write the update partition";
    case DownloadResult::cut_short: return "download cut short";
    case DownloadResult::too_slow: return "download slower than its deadline";
    case DownloadResult::unsigned_release: return "the release is not signed";
    case DownloadResult::bad_signature: return "the release's signature does not verify with this board's key";
  }
  return "?";
}

const char* refusal_code(DownloadResult result) {
  switch (result) {
    case DownloadResult::unsigned_release: return "unsigned";
    case DownloadResult::bad_signature: return "bad_signature";
    case DownloadResult::wrong_size: return "wrong_size";
    case DownloadResult::wrong_checksum: return "wrong_checksum";
    default: return nullptr;
  }
}

bool Client::open_and_send(const std::string& bytes, Exchange& exchange) {
  if (!connection_.open(server_)) {
    exchange.error = "cannot connect";
    return false;
  }
  if (!connection_.write(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())) {
    exchange.error = "cannot send";
    connection_.close();
    return false;
  }
  return true;
}

bool Client::read_head(Exchange& exchange, ResponseHead& head, std::string& rest, uint32_t started,
                       uint32_t deadline) {
  std::string received;
  uint8_t buffer[512];
  for (;;) {
    size_t body_at = 0;
    HeadResult parsed = parse_head(received, head, body_at);
    if (parsed == HeadResult::complete) {
      exchange.reached = true;
      exchange.status = head.status;
      exchange.status_line = head.status_line;
      rest = received.substr(body_at);
      auto encoding = head.headers.find("transfer-encoding");
      if (encoding != head.headers.end() && encoding->second != "identity") {
        // PowerBot sends Content-Length; a proxy that re-chunks the answer is set up wrongly.
        exchange.error = "chunked answers are not supported (is a proxy re-encoding them?)";
        return false;
      }
      return true;
    }
    if (parsed == HeadResult::malformed) {
      exchange.error = "malformed response";
      return false;
    }
    if (late(started, deadline)) {
      exchange.error = "no whole response within " + std::to_string(deadline / 1000) + " s";
      return false;
    }
    int n = connection_.read(buffer, sizeof buffer);
    if (n <= 0) {
      exchange.error = n == 0 ? "connection closed before the response" : "no response";
      return false;
    }
    received.append(reinterpret_cast<const char*>(buffer), static_cast<size_t>(n));
  }
}

Exchange Client::request(const std::string& bytes, size_t max_body) {
  Exchange exchange;
  uint32_t started = connection_.now_ms();
  if (!open_and_send(bytes, exchange)) return exchange;
  ResponseHead head;
  std::string body;
  if (read_head(exchange, head, body, started, kExchangeDeadlineMs)) {
    uint8_t buffer[512];
    while ((!head.has_length || body.size() < head.content_length) && body.size() <= max_body) {
      if (late(started, kExchangeDeadlineMs)) {
        exchange.error = "no whole response within " + std::to_string(kExchangeDeadlineMs / 1000) + " s";
        break;
      }
      int n = connection_.read(buffer, sizeof buffer);
      if (n <= 0) break;  // Connection: close ends the body
      body.append(reinterpret_cast<const char*>(buffer), static_cast<size_t>(n));
    }
    if (head.has_length && body.size() > head.content_length) body.resize(head.content_length);
    if (body.size() > max_body) {
      exchange.error = "response too large";
      body.clear();
    }
    exchange.body = body;
  }
  connection_.close();
  return exchange;
}

Exchange Client::send_heartbeat(const Heartbeat& heartbeat) {
  return request(post_request(server_, "/api/v1/heartbeat", heartbeat_body(heartbeat)), kMaxAnswer);
}

Exchange Client::check_for_update(const std::string& sensor_uuid, const std::string& board,
                                  const std::string& running_version, Offer& offer) {
  std::string path = "/api/v1/firmware/check?sensor_uuid=" + query_value(sensor_uuid) +
                     "&current_version=" + query_value(running_version) + "&board=" + query_value(board);
  Exchange exchange = request(get_request(server_, path, api_key_), kMaxAnswer);
  if (exchange.ok()) {
    std::string why;
    if (!parse_offer(exchange.body, offer, why)) exchange.error = why;
  }
  return exchange;
}

DownloadResult Client::download(const Offer& offer, const std::string& board, const ReleaseKey& key,
                                ImageSink& sink, std::string& detail, const std::function<void()>& between) {
  switch (check_signature(offer, board, key)) {
    case SignatureCheck::missing:
      detail = offer.version + " carries no signature";
      return DownloadResult::unsigned_release;
    case SignatureCheck::invalid:
      detail = offer.version + " is not signed by this board's release key for " + board;
      return DownloadResult::bad_signature;
    case SignatureCheck::valid:
      break;
  }
  Exchange exchange;
  uint32_t started = connection_.now_ms();
  if (!open_and_send(get_request(server_, path_of(offer.url), api_key_), exchange)) {
    detail = exchange.error;
    return DownloadResult::unreachable;
  }
  ResponseHead head;
  std::string first;
  if (!read_head(exchange, head, first, started, kDownloadDeadlineMs)) {
    connection_.close();
    detail = exchange.error;
    if (late(started, kDownloadDeadlineMs)) return DownloadResult::too_slow;
    return exchange.reached ? DownloadResult::refused : DownloadResult::unreachable;
  }
  auto close_with = [&](DownloadResult result, const std::string& why) {
    connection_.close();
    detail = why;
    return result;
  };
  if (head.status != 200) return close_with(DownloadResult::refused, head.status_line);
  if (!head.has_length || head.content_length != offer.size) {
    return close_with(DownloadResult::wrong_size, "Content-Length " + std::to_string(head.content_length) +
                                                      ", offered " + std::to_string(offer.size));
  }
  auto announced = head.headers.find("x-firmware-sha256");
  if (announced != head.headers.end() && announced->second != offer.sha256) {
    return close_with(DownloadResult::wrong_checksum, "the server announces another SHA-256");
  }
  if (!sink.begin(offer.size)) return close_with(DownloadResult::sink_failed, "the update partition refused the size");

  Sha256 hash;
  uint64_t received = 0;
  auto take = [&](const uint8_t* data, size_t size) {
    if (received + size > offer.size) size = static_cast<size_t>(offer.size - received);
    hash.update(data, size);
    received += size;
    return sink.write(data, size);
  };
  if (!first.empty() && !take(reinterpret_cast<const uint8_t*>(first.data()), first.size())) {
    sink.abort();
    return close_with(DownloadResult::sink_failed, "writing the update partition failed");
  }
  uint8_t buffer[kChunk];
  while (received < offer.size) {
    if (between) between();
    if (late(started, kDownloadDeadlineMs)) {
      sink.abort();
      return close_with(DownloadResult::too_slow, std::to_string(received) + " of " + std::to_string(offer.size) +
                                                      " bytes in " + std::to_string(kDownloadDeadlineMs / 1000) +
                                                      " s; tried again later");
    }
    int n = connection_.read(buffer, sizeof buffer);
    if (n <= 0) break;
    if (!take(buffer, static_cast<size_t>(n))) {
      sink.abort();
      return close_with(DownloadResult::sink_failed, "writing the update partition failed");
    }
  }
  connection_.close();
  if (received != offer.size) {
    sink.abort();
    detail = "received " + std::to_string(received) + " of " + std::to_string(offer.size) + " bytes";
    return DownloadResult::cut_short;
  }
  std::string digest = hash.hex_digest();
  if (digest != offer.sha256) {
    sink.abort();
    detail = "SHA-256 " + digest;
    return DownloadResult::wrong_checksum;
  }
  if (!sink.commit()) {
    detail = "the new image was refused at the end";
    return DownloadResult::sink_failed;
  }
  detail = "signature and SHA-256 verified";
  return DownloadResult::installed;
}

}  // namespace powerbot
