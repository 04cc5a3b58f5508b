// URLs as the board's settings give them: the server's (http://, https://) and the MQTT
// broker's (mqtt://, mqtts://, which may carry a user and password). One parser reads both,
// so they agree on hosts, IPv6 brackets and ports, and the set-up page finds a password
// exactly where the parser does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace powerbot {

struct Url {
  bool tls = false;
  std::string host;  // a name or address; an IPv6 address without its brackets
  uint16_t port = 80;
  std::string path = "/";  // with the query, if any
  std::string user;        // a broker's only, percent-decoded; empty: none
  std::string password;    // a broker's only, percent-decoded; empty: none
};

// A scheme a URL may start with, whether it means TLS, and the port when none is given.
struct Scheme {
  const char* prefix;  // e.g. "https://"
  bool tls;
  uint16_t default_port;
};

// `text` when it starts with one of `schemes`. With `credentials`, "user[:password]@" may
// come before the host, percent-encoded, up to the URL's last "@" (a broker's URL has no
// path, so a raw "@", "/" or "?" in a password still reads). False, and the reason in
// `error`, for anything else.
bool parse_url(const std::string& text, const std::vector<Scheme>& schemes, bool credentials, Url& out,
               std::string* error);

// Where `text`'s "user[:password]" lies, as parse_url reads it with credentials: from just
// after "://" to the last "@". False when there is none.
bool find_credentials(const std::string& text, size_t& begin, size_t& at_sign);

// `text` with its password replaced by `encoded` (percent-encoded already), or without one
// when `encoded` is empty: the set-up page shows a broker's URL so, and puts the password
// back. A URL naming no user gets an empty one, which parse_url refuses, saying why.
std::string with_password(const std::string& text, const std::string& encoded);

// `text`'s password as written (still percent-encoded); empty when it has none.
std::string written_password(const std::string& text);

// The value of one hex digit, either case; -1 for any other character.
int hex_value(char c);

// %XX escapes decoded ("+" stays "+", as in a URL's user and password); false when a "%"
// is not followed by two hex digits.
bool percent_decode(const std::string& text, std::string& out);

}  // namespace powerbot
