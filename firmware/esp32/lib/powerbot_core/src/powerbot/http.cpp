#include "http.h"

#include <cctype>
#include <utility>

namespace powerbot {

namespace {

constexpr size_t kMaxHead = 4096;
constexpr const char* kKeptHeaders[] = {"content-length", "transfer-encoding", "x-firmware-sha256"};

bool kept(const std::string& name) {
  for (const char* wanted : kKeptHeaders) {
    if (name == wanted) return true;
  }
  return false;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string trim(const std::string& text) {
  size_t start = text.find_first_not_of(" \t");
  if (start == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t");
  return text.substr(start, end - start + 1);
}

std::string host_header(const Url& url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  return host + ":" + std::to_string(url.port);
}

}  // namespace

bool parse_url(const std::string& text, Url& out, std::string* error) {
  return parse_url(text, {{"http://", false, 80}, {"https://", true, 443}}, false, out, error);
}

bool has_control(const std::string& text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return true;
  }
  return false;
}

bool has_space_or_control(const std::string& text) { return text.find(' ') != std::string::npos || has_control(text); }

std::string path_of(const std::string& url) {
  Url parsed;
  if (parse_url(url, parsed)) return parsed.path;
  return url.empty() || url[0] != '/' ? "/" + url : url;
}

std::string under(const Url& base, const std::string& path) {
  std::string prefix = base.path.substr(0, base.path.find('?'));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!path.empty() && path.rfind(prefix + "/", 0) == 0) return path;  // already under it
  return prefix + path;
}

std::string query_value(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string post_request(const Url& server, const std::string& path, const std::string& body) {
  return "POST " + under(server, path) + " HTTP/1.1\r\nHost: " + host_header(server) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body + "\r\n";
}

std::string get_request(const Url& server, const std::string& path, const std::string& api_key) {
  return "GET " + under(server, path) + " HTTP/1.1\r\nHost: " + host_header(server) + "\r\nX-API-Key: " + api_key +
         "\r\nConnection: close\r\n\r\n";
}

HeadResult parse_head(const std::string& received, ResponseHead& head, size_t& body_at) {
  size_t end = received.find("\r\n\r\n");
  if (end == std::string::npos) return received.size() > kMaxHead ? HeadResult::malformed : HeadResult::incomplete;
  if (end > kMaxHead) return HeadResult::malformed;
  ResponseHead parsed;
  size_t line_end = received.find("\r\n");
  parsed.status_line = received.substr(0, line_end);
  // "HTTP/1.x NNN", then the end or a space and the reason phrase: three digits, no more.
  const std::string& line = parsed.status_line;
  auto digit = [&line](size_t at) { return std::isdigit(static_cast<unsigned char>(line[at])) != 0; };
  if (line.size() < 12 || line.rfind("HTTP/1.", 0) != 0 || !digit(7) || line[8] != ' ' || !digit(9) || !digit(10) ||
      !digit(11) || (line.size() > 12 && line[12] != ' ')) {
    return HeadResult::malformed;
  }
  int status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (status < 100 || status > 599) return HeadResult::malformed;
  parsed.status = status;
  size_t at = line_end + 2;
  size_t lines = 0;
  while (at < end) {
    if (++lines > kMaxHeaderLines) return HeadResult::malformed;
    size_t next = received.find("\r\n", at);
    std::string line = received.substr(at, next - at);
    size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) return HeadResult::malformed;
    std::string name = lower(trim(line.substr(0, colon)));
    if (kept(name)) parsed.headers[name] = trim(line.substr(colon + 1));
    at = next + 2;
  }
  auto length = parsed.headers.find("content-length");
  if (length != parsed.headers.end()) {
    const std::string& digits = length->second;
    if (digits.empty() || digits.size() > 12) return HeadResult::malformed;
    for (char c : digits) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return HeadResult::malformed;
      parsed.content_length = parsed.content_length * 10 + static_cast<uint64_t>(c - '0');
    }
    parsed.has_length = true;
  }
  head = std::move(parsed);
  body_at = end + 4;
  return HeadResult::complete;
}

}  // namespace powerbot
