// JsonValue: a small JSON reader for the replies of peers we talk to (etcd's
// /v3 gateway). Recursive descent, linear in the input, depth bounded (64), no
// exceptions: parse_json() gives the value or an error with the byte offset.
// Numbers are kept as their text (etcd sends int64 values as strings anyway;
// as_int() reads either form). \u escapes are decoded to UTF-8.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace clusterd {

class JsonValue {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_object() const { return type_ == Type::Object; }
  bool is_array() const { return type_ == Type::Array; }

  /// The member `key` of an object; a null value when absent or not an object.
  const JsonValue& operator[](std::string_view key) const;
  /// Array elements (empty unless an array).
  const std::vector<JsonValue>& items() const { return items_; }
  bool has(std::string_view key) const;

  /// A string's text, or a number's; "" otherwise.
  const std::string& text() const { return text_; }
  /// true only for the literal true.
  bool as_bool() const { return type_ == Type::Bool && text_ == "true"; }
  /// A number, or a string holding a decimal integer (etcd's int64); nullopt otherwise.
  std::optional<std::int64_t> as_int() const;

 private:
  friend class JsonParser;
  Type type_ = Type::Null;
  std::string text_;
  std::vector<JsonValue> items_;
  std::map<std::string, JsonValue, std::less<>> members_;
};

/// Parses one JSON text (surrounding blanks allowed, nothing after it).
Result<JsonValue> parse_json(std::string_view text);

/// RFC 4648 base64 with padding (etcd's keys and values).
std::string base64_encode(std::string_view bytes);
/// nullopt for text that is not base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace clusterd
