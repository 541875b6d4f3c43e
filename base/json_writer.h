// JsonObject: one flat JSON object built field by field, strings escaped
// (base/escape.h json_escape). For the small machine-readable replies
// (`clusterctl status --json`): no hand-concatenated quotes and commas.
// Distinct method names per type: an overloaded field("k", "text") would
// pick the bool overload for a string literal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/escape.h"

namespace clusterd {

class JsonObject {
 public:
  JsonObject& string(std::string_view key, std::string_view value) {
    return raw(key, "\"" + json_escape(value) + "\"");
  }
  JsonObject& number(std::string_view key, std::int64_t value) {
    return raw(key, std::to_string(value));
  }
  JsonObject& boolean(std::string_view key, bool value) {
    return raw(key, value ? "true" : "false");
  }
  /// `{...}` without a newline.
  std::string str() const { return "{" + body_ + "}"; }
  /// A value that is JSON already (a nested object or array).
  JsonObject& raw(std::string_view key, const std::string& value) {
    if (!body_.empty()) body_ += ',';
    body_ += "\"" + json_escape(key) + "\":" + value;
    return *this;
  }

 private:
  std::string body_;
};

}  // namespace clusterd
