// HTTP/1.1 as the field firmware speaks it: one request per connection, `Connection: close`.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "url.h"

namespace powerbot {

// http:// or https:// URLs only, without a user or password; false (and a reason in
// `error`) for anything else.
bool parse_url(const std::string& text, Url& out, std::string* error = nullptr);

// The path (and query) of `url`, which may be absolute or a path already.
std::string path_of(const std::string& url);

// `base`'s path as a prefix of `path` ("/api/..."), so a server behind a path prefix works.
std::string under(const Url& base, const std::string& path);

// Whether `text` holds a control character (a line break, a tab, DEL): never right in a key, a
// URL or a uuid, where it would inject a header.
bool has_control(const std::string& text);

// ...or a space, which would break the request line (a key, a URL).
bool has_space_or_control(const std::string& text);

// Percent-encoding of a query value.
std::string query_value(const std::string& text);

// The heartbeat POST, byte for byte as the field firmware sends it (a CRLF after the body).
std::string post_request(const Url& server, const std::string& path, const std::string& body);

// A GET with the sensor key in `X-API-Key`.
std::string get_request(const Url& server, const std::string& path, const std::string& api_key);

struct ResponseHead {
  int status = 0;
  std::string status_line;
  // Only the headers the firmware reads (kKeptHeaders), names lower-cased: a hostile head of
  // many tiny headers must not fill the heap beside TLS.
  std::map<std::string, std::string> headers;
  bool has_length = false;
  uint64_t content_length = 0;
};

enum class HeadResult { incomplete, complete, malformed };

// More header lines than this make a head malformed (a real server sends about ten).
constexpr size_t kMaxHeaderLines = 64;

// Parses the status line and headers at the start of `received`; on `complete`,
// `body_at` is where the body begins. The status is the status line's code: whatever
// its reason phrase says ("502 Bad Gateway (upstream 200 )"), and with none ("200").
HeadResult parse_head(const std::string& received, ResponseHead& head, size_t& body_at);

}  // namespace powerbot
