// Splitting a typed or control line into blank-separated words, shared by the
// OBP, SP and control-socket parsers of NodeModel. No quoting rules.
#pragma once

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

}  // namespace clusterd::sim
