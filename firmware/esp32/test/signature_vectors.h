// A release key's public half and its signature of one offer, made once with the server's own
// signing (firmware/signing.py, `cryptography`): the board's mbedTLS check must accept exactly
// what the server signs. The private halves were thrown away.
#pragma once

namespace vectors {

constexpr const char* kBoard = "wt32-eth01";
constexpr const char* kVersion = "1.3.0";
constexpr const char* kSha256 = "6105d6cc76af400325e94d588ce511be5bfdbb73b437dc51eca43917d7a43e3d";  // of the five bytes "image"
constexpr const char* kSignature = "3046022100f2062d9865da44e77ffe47db5421fa891de33364e945edaa15af4e9b5b6b2583022100ba30431abfc429386de82877f75977988aa0d339f4818e95f5247280c8eb0501";

constexpr const char* kReleaseKey =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEvsYrxNfJ6/i53Co+CWXbGR9wqVIF\n"
    "/MUP/C3yyGTbS1lFQQ4fFrE20jg/5bYuPe6bqKWiC0BW28ugqzczwVqODw==\n"
    "-----END PUBLIC KEY-----\n";

// Another P-256 key, which signed nothing here.
constexpr const char* kOtherKey =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEaxMe6uM6JqmrP904jsts+7A2Aqc\n"
    "Hfz1PFydBh6ZGtP3krpO0/O/HrUIlYu7SM7xtR1xh/hGwuZsrQAaytir2A==\n"
    "-----END PUBLIC KEY-----\n";

// A P-384 key: a curve the boards do not take.
constexpr const char* kP384Key =
    "-----BEGIN PUBLIC KEY-----\n"
    "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEnDMezEZQ695Z66SdQRjDRHDi5lvAOrjV\n"
    "wZSg3IkdjjbOIE1XSf3BZA6Bbsk5rGbTRVC6PFQDmt2qE3oFmev7UOCXWZ1n1vJk\n"
    "LQQMMJY2sitRNAjHlzZsA8HivORZAHRT\n"
    "-----END PUBLIC KEY-----\n";

}  // namespace vectors
