#include "crashtest/manifest.h"

#include <charconv>
#include <set>
#include <sstream>

namespace clusterd::crashtest {
namespace {

std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (;;) {
    auto at = line.find(" | ", from);
    out.push_back(trim(line.substr(from, at == std::string::npos ? std::string::npos : at - from)));
    if (at == std::string::npos) break;
    from = at + 3;
  }
  return out;
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

}  // namespace

Result<std::vector<Scenario>> parse_manifest(const std::string& text, const std::string& name) {
  std::vector<Scenario> out;
  std::set<std::string> ids;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    auto where = name + ":" + std::to_string(n) + ": ";
    auto f = split_fields(t);
    if (f.size() != 7) {
      return Error::invalid(
          where +
          "expected 7 fields separated by ' | ' (ID | SCRIPT | SETS | FAILOVERS | HALTS | "
          "COVERS | WHAT), found " +
          std::to_string(f.size()));
    }
    Scenario s;
    s.line = n;
    s.id = f[0];
    if (!valid_id(s.id))
      return Error::invalid(where + "scenario id '" + s.id +
                            "' is not letters, digits, '_' and '-'");
    if (!ids.insert(s.id).second)
      return Error::invalid(where + "duplicate scenario id '" + s.id + "'");
    std::istringstream words(f[1]);
    words >> s.script;
    if (s.script.empty() || s.script.find('/') != std::string::npos || s.script.size() < 4 ||
        s.script.substr(s.script.size() - 3) != ".sh") {
      return Error::invalid(
          where + "SCRIPT must be a file name ending in .sh in the scenarios folder, not '" +
          s.script + "'");
    }
    for (std::string kv; words >> kv;) {
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0)
        return Error::invalid(where + "'" + kv + "' is not VAR=VALUE");
      s.env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    if (f[2] != "-") {
      std::istringstream sets(f[2]);
      for (std::string set; std::getline(sets, set, ',');) {
        if (set == "smoke")
          s.smoke = true;
        else if (set == "safety")
          s.safety = true;
        else if (set == "x86")
          s.x86 = true;
        else if (set == "bcp")
          s.bcp = true;
        else
          return Error::invalid(
              where + "SETS is '-' or a comma list of 'smoke', 'safety', 'x86' and 'bcp', not '" +
              f[2] + "'");
      }
    }
    const char* end = f[3].data() + f[3].size();
    auto [used, ec] = std::from_chars(f[3].data(), end, s.failovers);
    if (ec != std::errc() || used != end || s.failovers < 0)
      return Error::invalid(where + "FAILOVERS must be a number >= 0, not '" + f[3] + "'");
    if (f[4] == "0") {
      s.halts_allowed = 0;
    } else if (f[4] != "-") {
      return Error::invalid(where + "HALTS is '0' or '-', not '" + f[4] + "'");
    }
    s.covers = f[5];
    s.what = f[6];
    if (s.covers.empty() || s.what.empty())
      return Error::invalid(where + "COVERS and WHAT must not be empty");
    out.push_back(std::move(s));
  }
  if (out.empty()) return Error::invalid(name + ": no scenarios");
  return out;
}

Result<std::vector<Scenario>> select(const std::vector<Scenario>& all,
                                     const std::vector<std::string>& ids) {
  std::set<std::string> want(ids.begin(), ids.end());
  for (const auto& id : want) {
    bool known = false;
    for (const auto& s : all) known |= s.id == id;
    if (!known) {
      std::string list;
      for (const auto& s : all) list += (list.empty() ? "" : ", ") + s.id;
      return Error::invalid("unknown scenario '" + id + "' (known: " + list + ")");
    }
  }
  std::vector<Scenario> out;
  for (const auto& s : all) {
    if (want.count(s.id)) out.push_back(s);
  }
  return out;
}

}  // namespace clusterd::crashtest
