#include "json.h"

#include <cstdio>

namespace powerbot::json {

std::string quote(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

bool Value::as_uint(uint64_t& out) const {
  if (type != Type::number || text.empty() || text[0] == '-') return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;  // a fraction or an exponent
    unsigned digit = static_cast<unsigned>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return false;
    value = value * 10 + digit;
  }
  out = value;
  return true;
}

namespace {

constexpr int kMaxDepth = 16;

class Reader {
 public:
  explicit Reader(const std::string& text) : text_(text) {}

  bool object(std::map<std::string, Value>& members) {
    space();
    if (!take('{')) return false;
    space();
    if (take('}')) return end();
    for (;;) {
      std::string name;
      space();
      if (!string(name)) return false;
      space();
      if (!take(':')) return false;
      Value value;
      if (!this->value(value, 1)) return false;
      members[name] = value;
      space();
      if (take('}')) return end();
      if (!take(',')) return false;
    }
  }

 private:
  bool end() {
    space();
    return at_ == text_.size();
  }

  bool value(Value& out, int depth) {
    space();
    if (at_ >= text_.size()) return false;
    char c = text_[at_];
    if (c == '"') {
      out.type = Value::Type::string;
      return string(out.text);
    }
    if (c == '{' || c == '[') {
      out.type = Value::Type::nested;
      return nested(depth + 1);
    }
    if (word("true")) {
      out.type = Value::Type::boolean;
      out.boolean = true;
      return true;
    }
    if (word("false")) {
      out.type = Value::Type::boolean;
      return true;
    }
    if (word("null")) {
      out.type = Value::Type::null;
      return true;
    }
    out.type = Value::Type::number;
    return number(out.text);
  }

  bool nested(int depth) {
    if (depth > kMaxDepth) return false;
    char close = text_[at_] == '{' ? '}' : ']';
    bool is_object = close == '}';
    ++at_;
    space();
    if (take(close)) return true;
    for (;;) {
      if (is_object) {
        std::string ignored;
        space();
        if (!string(ignored)) return false;
        space();
        if (!take(':')) return false;
      }
      Value ignored;
      if (!value(ignored, depth)) return false;
      space();
      if (take(close)) return true;
      if (!take(',')) return false;
    }
  }

  bool number(std::string& out) {
    size_t start = at_;
    take('-');
    if (take('0')) {
    } else if (!digits()) {
      return false;
    }
    if (take('.') && !digits()) return false;
    if (take('e') || take('E')) {
      if (!take('+')) take('-');
      if (!digits()) return false;
    }
    out = text_.substr(start, at_ - start);
    return true;
  }

  bool digits() {
    size_t start = at_;
    while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
    return at_ > start;
  }

  bool string(std::string& out) {
    if (!take('"')) return false;
    out.clear();
    while (at_ < text_.size()) {
      unsigned char c = static_cast<unsigned char>(text_[at_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      if (at_ >= text_.size()) return false;
      char escape = text_[at_++];
      switch (escape) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t code;
          if (!hex4(code)) return false;
          if (code >= 0xD800 && code <= 0xDBFF) {  // a surrogate pair makes one character
            uint32_t low;
            if (!take('\\') || !take('u') || !hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          } else if (code >= 0xDC00 && code <= 0xDFFF) {
            return false;
          }
          utf8(code, out);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  bool hex4(uint32_t& out) {
    if (at_ + 4 > text_.size()) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[at_++];
      out <<= 4;
      if (c >= '0' && c <= '9') out |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') out |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') out |= static_cast<uint32_t>(c - 'A' + 10);
      else return false;
    }
    return true;
  }

  static void utf8(uint32_t code, std::string& out) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  bool word(const char* expected) {
    size_t n = 0;
    while (expected[n] != '\0') ++n;
    if (text_.compare(at_, n, expected) != 0) return false;
    at_ += n;
    return true;
  }

  bool take(char c) {
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }

  void space() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) {
      ++at_;
    }
  }

  const std::string& text_;
  size_t at_ = 0;
};

}  // namespace

bool parse_object(const std::string& text, std::map<std::string, Value>& members) {
  members.clear();
  Reader reader(text);
  if (reader.object(members)) return true;
  members.clear();
  return false;
}

}  // namespace powerbot::json
