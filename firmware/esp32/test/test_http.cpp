#include "harness.h"
#include "powerbot/http.h"

using namespace powerbot;

TEST(urls_are_split_into_scheme_host_port_and_path) {
  Url url;
  CHECK(parse_url("http://192.168.1.10:18081", url));
  CHECK(!url.tls && url.host == "192.168.1.10" && url.port == 18081 && url.path == "/");
  CHECK(parse_url("https://power.example.org/prefix?x=1", url));
  CHECK(url.tls && url.host == "power.example.org" && url.port == 443 && url.path == "/prefix?x=1");
  CHECK(parse_url("http://[::1]:8000/", url));
  CHECK(url.host == "::1" && url.port == 8000);
  CHECK(parse_url("http://host?q", url));
  CHECK_EQ(url.path, std::string("/?q"));
}

TEST(bad_urls_are_refused_saying_why) {
  Url url;
  std::string why;
  CHECK(!parse_url("ftp://host", url, &why));
  CHECK_EQ(why, std::string("the URL must start with http:// or https://"));
  CHECK(!parse_url("http://:80", url, &why));
  CHECK_EQ(why, std::string("the URL has no host"));
  CHECK(!parse_url("http://host:99999", url, &why));
  CHECK_EQ(why, std::string("the port must be at most 65535"));
  CHECK(!parse_url("http://host:", url, &why));
  CHECK(!parse_url("http://host:0", url, &why));
  CHECK(!parse_url("http://us@er:1/", url, &why));
  CHECK(!parse_url("http://[::1", url, &why));
}

TEST(the_heartbeat_request_is_the_field_firmwares_bytes) {
  Url server;
  CHECK(parse_url("http://10.0.0.5:18081", server));
  CHECK_EQ(post_request(server, "/api/v1/heartbeat", "{\"a\":1}"),
           std::string("POST /api/v1/heartbeat HTTP/1.1\r\nHost: 10.0.0.5:18081\r\nContent-Type: application/json\r\n"
                       "Content-Length: 7\r\nConnection: close\r\n\r\n{\"a\":1}\r\n"));
}

TEST(requests_go_under_the_servers_path_prefix) {
  Url server;
  CHECK(parse_url("https://example.org/powerbot/", server));
  CHECK_EQ(under(server, "/api/v1/heartbeat"), std::string("/powerbot/api/v1/heartbeat"));
  CHECK_EQ(under(server, "/powerbot/api/v1/x"), std::string("/powerbot/api/v1/x"));
  CHECK_EQ(get_request(server, "/api/v1/firmware/check?a=1", "k"),
           std::string("GET /powerbot/api/v1/firmware/check?a=1 HTTP/1.1\r\nHost: example.org:443\r\nX-API-Key: k\r\n"
                       "Connection: close\r\n\r\n"));
  CHECK_EQ(path_of("http://elsewhere:1/api/v1/firmware/download/b/1.0.0?sensor_uuid=x"),
           std::string("/api/v1/firmware/download/b/1.0.0?sensor_uuid=x"));
  CHECK_EQ(path_of("/already/a/path"), std::string("/already/a/path"));
}

TEST(query_values_are_percent_encoded) {
  CHECK_EQ(query_value("esp32 a&b=c/ü"), std::string("esp32%20a%26b%3Dc%2F%C3%BC"));
  CHECK_EQ(query_value("1.2.0-rc.1"), std::string("1.2.0-rc.1"));
}

TEST(response_heads_are_parsed_once_complete) {
  ResponseHead head;
  size_t body_at = 0;
  std::string partial = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n";
  CHECK(parse_head(partial, head, body_at) == HeadResult::incomplete);
  std::string whole = partial + "X-Firmware-SHA256:  abc \r\n\r\nhello";
  CHECK(parse_head(whole, head, body_at) == HeadResult::complete);
  CHECK_EQ(head.status, 200);
  CHECK_EQ(head.status_line, std::string("HTTP/1.1 200 OK"));
  CHECK(head.has_length && head.content_length == 5);
  CHECK_EQ(head.headers["x-firmware-sha256"], std::string("abc"));
  CHECK_EQ(whole.substr(body_at), std::string("hello"));
}

TEST(malformed_response_heads_are_refused) {
  ResponseHead head;
  size_t body_at = 0;
  CHECK(parse_head("SMTP 220 hello\r\n\r\n", head, body_at) == HeadResult::malformed);
  CHECK(parse_head("HTTP/1.1 abc\r\n\r\n", head, body_at) == HeadResult::malformed);
  CHECK(parse_head("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", head, body_at) == HeadResult::malformed);
  CHECK(parse_head("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", head, body_at) == HeadResult::malformed);
  CHECK(parse_head("HTTP/1.1 200 OK\r\n" + std::string(5000, 'a'), head, body_at) == HeadResult::malformed);
}

TEST(the_status_is_the_status_lines_code) {
  ResponseHead head;
  size_t body_at = 0;
  CHECK(parse_head("HTTP/1.1 200\r\n\r\n", head, body_at) == HeadResult::complete && head.status == 200);
  CHECK(parse_head("HTTP/1.1 502 Bad Gateway (upstream 200 )\r\n\r\n", head, body_at) == HeadResult::complete);
  CHECK_EQ(head.status, 502);
  CHECK(parse_head("HTTP/1.1 2000 odd\r\n\r\n", head, body_at) == HeadResult::malformed);
}

TEST(a_head_of_many_tiny_headers_is_refused_and_unread_headers_are_not_kept) {
  ResponseHead head;
  size_t body_at = 0;
  std::string many = "HTTP/1.1 200 OK\r\n";
  for (int n = 0; n < 676; n++) {
    many += std::string(1, static_cast<char>('a' + n / 26)) + static_cast<char>('a' + n % 26) + ":\r\n";
  }
  CHECK(parse_head(many + "\r\n", head, body_at) == HeadResult::malformed);
  std::string usual = "HTTP/1.1 200 OK\r\nServer: x\r\nDate: y\r\nContent-Length: 0\r\nX-Firmware-SHA256: abc\r\n\r\n";
  CHECK(parse_head(usual, head, body_at) == HeadResult::complete);
  CHECK_EQ(head.headers.size(), static_cast<size_t>(2));  // content-length and x-firmware-sha256 only
}
