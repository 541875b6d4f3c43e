// Words and numbers out of a typed line, a control command, an option or a
// ledger field, shared by the OBP, SP and control-socket parsers of NodeModel,
// the option parser and the ledger reader. No quoting rules; nothing throws.
#pragma once

#include <charconv>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace clusterd::sim {

/// "setenv  auto-boot? false" -> {"setenv", "auto-boot?", "false"}.
inline std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

/// The whole of `text` as an integer in `base`: "42" -> 42. nullopt for "",
/// " 42", "+42", "42%", "-1" into an unsigned T, or a value T cannot hold.
/// Whole, because a word that only starts with a number ("30x") is a typo
/// the caller should report, not a number.
template <typename T>
std::optional<T> parse_integer(std::string_view text, int base = 10) {
  T value{};
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, value, base);
  if (ec != std::errc() || p != end) return std::nullopt;
  return value;
}

}  // namespace clusterd::sim
