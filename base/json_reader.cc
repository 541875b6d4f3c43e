#include "base/json_reader.h"

#include <charconv>

namespace clusterd {

namespace {
const JsonValue& null_value() {
  static const JsonValue v;
  return v;
}
constexpr int kMaxDepth = 64;
}  // namespace

const JsonValue& JsonValue::operator[](std::string_view key) const {
  auto it = members_.find(key);
  return it == members_.end() ? null_value() : it->second;
}

bool JsonValue::has(std::string_view key) const { return members_.find(key) != members_.end(); }

std::optional<std::int64_t> JsonValue::as_int() const {
  if (type_ != Type::Number && type_ != Type::String) return std::nullopt;
  std::int64_t v = 0;
  const char* b = text_.data();
  const char* e = b + text_.size();
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e || b == e) return std::nullopt;
  return v;
}

class JsonParser {
 public:
  explicit JsonParser(std::string_view s) : s_(s) {}

  Result<JsonValue> document() {
    JsonValue v;
    if (!value(v, 0)) return fail();
    blanks();
    if (pos_ != s_.size()) {
      why_ = "text after the value";
      return fail();
    }
    return v;
  }

 private:
  Error fail() const {
    return Error::invalid("JSON: " + why_ + " at byte " + std::to_string(pos_));
  }
  void blanks() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) {
      why_ = "expected " + std::string(word);
      return false;
    }
    pos_ += word.size();
    return true;
  }
  bool value(JsonValue& v, int depth) {
    if (depth > kMaxDepth) {
      why_ = "nested deeper than 64";
      return false;
    }
    blanks();
    if (pos_ >= s_.size()) {
      why_ = "unexpected end";
      return false;
    }
    char c = s_[pos_];
    if (c == '{') return object(v, depth);
    if (c == '[') return array(v, depth);
    if (c == '"') {
      v.type_ = JsonValue::Type::String;
      return string(v.text_);
    }
    if (c == 't') {
      v.type_ = JsonValue::Type::Bool;
      v.text_ = "true";
      return literal("true");
    }
    if (c == 'f') {
      v.type_ = JsonValue::Type::Bool;
      v.text_ = "false";
      return literal("false");
    }
    if (c == 'n') return literal("null");
    if (c == '-' || (c >= '0' && c <= '9')) {
      std::size_t start = pos_;
      while (pos_ < s_.size() &&
             (std::string_view("+-.eE0123456789").find(s_[pos_]) != std::string_view::npos))
        ++pos_;
      v.type_ = JsonValue::Type::Number;
      v.text_ = std::string(s_.substr(start, pos_ - start));
      return true;
    }
    why_ = "unexpected character";
    return false;
  }
  bool object(JsonValue& v, int depth) {
    v.type_ = JsonValue::Type::Object;
    ++pos_;  // {
    blanks();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      blanks();
      std::string key;
      if (pos_ >= s_.size() || s_[pos_] != '"') {
        why_ = "expected a member name";
        return false;
      }
      if (!string(key)) return false;
      blanks();
      if (pos_ >= s_.size() || s_[pos_] != ':') {
        why_ = "expected ':'";
        return false;
      }
      ++pos_;
      JsonValue member;
      if (!value(member, depth + 1)) return false;
      v.members_[key] = std::move(member);
      blanks();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      why_ = "expected ',' or '}'";
      return false;
    }
  }
  bool array(JsonValue& v, int depth) {
    v.type_ = JsonValue::Type::Array;
    ++pos_;  // [
    blanks();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      JsonValue item;
      if (!value(item, depth + 1)) return false;
      v.items_.push_back(std::move(item));
      blanks();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      why_ = "expected ',' or ']'";
      return false;
    }
  }
  static void utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  bool hex4(std::uint32_t& cp) {
    if (pos_ + 4 > s_.size()) {
      why_ = "short \\u escape";
      return false;
    }
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      char h = s_[pos_++];
      cp <<= 4;
      if (h >= '0' && h <= '9') {
        cp |= static_cast<std::uint32_t>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        cp |= static_cast<std::uint32_t>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        cp |= static_cast<std::uint32_t>(h - 'A' + 10);
      } else {
        why_ = "bad \\u escape";
        return false;
      }
    }
    return true;
  }
  bool string(std::string& out) {
    ++pos_;  // "
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) {
        why_ = "control byte in a string";
        return false;
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) break;
      char e = s_[pos_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            std::uint32_t lo = 0;
            if (!hex4(lo)) return false;
            if (lo >= 0xDC00 && lo < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          utf8(out, cp);
          break;
        }
        default:
          why_ = "bad escape";
          return false;
      }
    }
    why_ = "unterminated string";
    return false;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::string why_;
};

Result<JsonValue> parse_json(std::string_view text) { return JsonParser(text).document(); }

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
int b64_index(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    auto n = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
             (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
             static_cast<unsigned char>(bytes[i + 2]);
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += kB64[(n >> 6) & 63];
    out += kB64[n & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += rest == 2 ? kB64[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = text[i + static_cast<std::size_t>(k)];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return std::nullopt;
      v[k] = b64_index(c);
      if (v[k] < 0) return std::nullopt;
    }
    std::uint32_t n = (static_cast<std::uint32_t>(v[0]) << 18) |
                      (static_cast<std::uint32_t>(v[1]) << 12) |
                      (static_cast<std::uint32_t>(v[2]) << 6) | static_cast<std::uint32_t>(v[3]);
    out += static_cast<char>((n >> 16) & 0xFF);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(n & 0xFF);
  }
  return out;
}

}  // namespace clusterd
