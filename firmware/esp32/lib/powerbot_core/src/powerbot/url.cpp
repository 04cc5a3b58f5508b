#include "url.h"

#include <cctype>

namespace powerbot {

namespace {

bool fail(std::string* error, const std::string& reason) {
  if (error != nullptr) *error = reason;
  return false;
}

bool has_control(const std::string& text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

// "user[:password]" into `url` (decoded), checked so the broker is never sent half of it.
bool parse_credentials(const std::string& written, Url& url, std::string* error) {
  if (written.find(' ') != std::string::npos) return fail(error, "write a space in the user or password as %20");
  size_t colon = written.find(':');
  if (!percent_decode(written.substr(0, colon), url.user) ||
      (colon != std::string::npos && !percent_decode(written.substr(colon + 1), url.password))) {
    return fail(error, "a % in the user or password must be followed by two hex digits (%25 for a % itself)");
  }
  if (has_control(url.user) || has_control(url.password)) {
    return fail(error, "the user and password cannot hold control characters");
  }
  if (url.user.empty()) {
    return fail(error, url.password.empty() ? "the URL has an @ but no user" : "a password needs a user");
  }
  return true;
}

}  // namespace

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_url(const std::string& text, const std::vector<Scheme>& schemes, bool credentials, Url& out,
               std::string* error) {
  const Scheme* scheme = nullptr;
  for (const Scheme& candidate : schemes) {
    if (text.rfind(candidate.prefix, 0) == 0) {
      scheme = &candidate;
      break;
    }
  }
  if (scheme == nullptr) {
    std::string expected;
    for (const Scheme& candidate : schemes) {
      expected += (expected.empty() ? "" : " or ") + std::string(candidate.prefix);
    }
    return fail(error, "the URL must start with " + expected);
  }
  Url url;
  url.tls = scheme->tls;
  url.port = scheme->default_port;
  std::string rest = text.substr(std::string(scheme->prefix).size());
  size_t begin = 0, at_sign = 0;
  if (credentials && find_credentials(text, begin, at_sign)) {
    if (!parse_credentials(text.substr(begin, at_sign - begin), url, error)) return false;
    rest = text.substr(at_sign + 1);
  }
  size_t slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) url.path = rest[slash] == '/' ? rest.substr(slash) : "/" + rest.substr(slash);
  std::string port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return fail(error, "an IPv6 address must end with ]");
    url.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return fail(error, "unexpected characters after the IPv6 address");
      port = authority.substr(close + 2);
    }
  } else {
    size_t colon = authority.find(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (url.host.empty()) return fail(error, "the URL has no host");
  for (char c : url.host) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '@') return fail(error, "the host is not valid");
  }
  if (!port.empty() || authority.find(':') != std::string::npos) {
    unsigned long value = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return fail(error, "the port must be a number");
      value = value * 10 + static_cast<unsigned long>(c - '0');
      if (value > 65535) return fail(error, "the port must be at most 65535");
    }
    if (port.empty() || value == 0) return fail(error, "the port must be between 1 and 65535");
    url.port = static_cast<uint16_t>(value);
  }
  out = url;
  return true;
}

bool find_credentials(const std::string& text, size_t& begin, size_t& at_sign) {
  size_t scheme_end = text.find("://");
  if (scheme_end == std::string::npos) return false;
  size_t at = text.rfind('@');
  if (at == std::string::npos || at < scheme_end + 3) return false;
  begin = scheme_end + 3;
  at_sign = at;
  return true;
}

std::string with_password(const std::string& text, const std::string& encoded) {
  size_t begin = 0, at_sign = 0;
  if (!find_credentials(text, begin, at_sign)) {
    size_t scheme_end = text.find("://");
    if (encoded.empty() || scheme_end == std::string::npos) return text;
    return text.substr(0, scheme_end + 3) + ":" + encoded + "@" + text.substr(scheme_end + 3);
  }
  size_t user_end = text.find(':', begin);
  if (user_end == std::string::npos || user_end > at_sign) user_end = at_sign;
  return text.substr(0, user_end) + (encoded.empty() ? "" : ":" + encoded) + text.substr(at_sign);
}

std::string written_password(const std::string& text) {
  size_t begin = 0, at_sign = 0;
  if (!find_credentials(text, begin, at_sign)) return "";
  size_t colon = text.find(':', begin);
  if (colon == std::string::npos || colon > at_sign) return "";
  return text.substr(colon + 1, at_sign - colon - 1);
}

bool percent_decode(const std::string& text, std::string& out) {
  std::string decoded;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      decoded += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return false;
    int high = hex_value(text[i + 1]), low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) return false;
    decoded += static_cast<char>(high * 16 + low);
    i += 2;
  }
  out = decoded;
  return true;
}

}  // namespace powerbot
