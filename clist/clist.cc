#include "clist/clist.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

#include "base/escape.h"

namespace clusterd::clist {

namespace fs = std::filesystem;

const CListEntry* CList::find(std::string_view name) const {
  for (const CListEntry& e : clusters) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name.front())) return false;
  for (char c : name) {
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

namespace {

// The words of one line up to a comment. A '#' starts a comment only at the
// start of a word, so a config path may still contain one ("a#b.toml").
std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size() || line[i] == '#') break;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string resolve(std::string_view path, const std::string& home) {
  fs::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (fs::path(home) / p).lexically_normal().string();
}

// Two names for one file (a symlink, "a/../x.toml") must still count as the
// same config: two daemons fencing the same pair of nodes is the worst case.
std::string identity(const std::string& resolved) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(resolved, ec);
  return ec ? resolved : c.string();
}

}  // namespace

CListResult parse_clist(std::string_view text, const std::string& file, const std::string& home) {
  CListResult r;
  r.clist.path = file;
  std::map<std::string, int, std::less<>> names;               // name -> line
  std::map<std::string, std::pair<std::string, int>> configs;  // identity -> first name, line
  int lineno = 0;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto fail = [&](std::string message) {
      r.diagnostics.push_back(
          {{file, lineno, 0}, Severity::Error, std::move(message), std::string(line)});
    };
    // A control byte (a NUL cuts a path short: "demo.toml\0.bak" would be
    // read as demo.toml) is never part of a name or a path.
    if (auto bad = std::find_if(line.begin(), line.end(),
                                [](char c) {
                                  return (static_cast<unsigned char>(c) < 0x20 && c != '\t') ||
                                         c == 0x7f;
                                });
        bad != line.end()) {
      r.diagnostics.push_back(
          {{file, lineno, static_cast<int>(bad - line.begin()) + 1},
           Severity::Error,
           "control byte " + escape(std::string_view(&*bad, 1)) +
               " in the line: a CList line is NAME CONFIG-PATH in printable text",
           std::string(line)});
      continue;
    }
    auto w = words(line);
    if (w.empty()) continue;
    std::string name(w[0]);
    if (!is_valid_name(name)) {
      fail("cluster name '" + name + "' is not valid: " + std::string(kNameRule));
      continue;
    }
    if (w.size() == 1) {
      fail("cluster '" + name + "' has no CONFIG-PATH (one cluster a line: NAME CONFIG-PATH)");
      continue;
    }
    std::vector<std::string> hosts;
    bool bad_hosts = false;
    if (w.size() > 2 && w[2].substr(0, 6) == "hosts=") {
      // The fleet's placement (docs/fleet.md): the monitoring hosts that may watch it.
      std::string_view list = w[2].substr(6);
      while (!list.empty()) {
        auto c = list.find(',');
        std::string h(list.substr(0, c));
        if (!is_valid_name(h)) {
          fail("cluster '" + name + "': host '" + h +
               "' in hosts= is not valid: " + std::string(kNameRule));
          bad_hosts = true;
          break;
        }
        hosts.push_back(h);
        if (c == std::string_view::npos) break;
        list.remove_prefix(c + 1);
      }
      if (!bad_hosts && hosts.empty()) {
        fail("cluster '" + name + "': hosts= names no host (hosts=mon1,mon2)");
        bad_hosts = true;
      }
    }
    if (bad_hosts) continue;
    if (w.size() > (hosts.empty() ? 2u : 3u)) {
      fail("cluster '" + name + "': unexpected '" + std::string(w[hosts.empty() ? 2 : 3]) +
           "' after " + (hosts.empty() ? "CONFIG-PATH" : "hosts=") +
           " (one cluster a line: NAME CONFIG-PATH [hosts=H1,H2]; a path has no blanks)");
      continue;
    }
    if (auto it = names.find(name); it != names.end()) {
      fail("cluster '" + name + "' is already listed at line " + std::to_string(it->second));
      continue;
    }
    names.emplace(name, lineno);
    CListEntry e{name, std::string(w[1]), resolve(w[1], home), lineno, std::move(hosts)};
    std::error_code ec;
    auto st = fs::status(e.config_path, ec);
    if (!fs::exists(st)) {
      fail("cluster '" + name + "': config " + e.config + " does not exist (looked for " +
           e.config_path + ")");
      continue;
    }
    if (!fs::is_regular_file(st)) {
      fail("cluster '" + name + "': config " + e.config + " is not a regular file (" +
           e.config_path + ")");
      continue;
    }
    auto [it, fresh] = configs.try_emplace(identity(e.config_path), name, lineno);
    if (!fresh) {
      fail("cluster '" + name + "': config " + e.config + " is already used by cluster '" +
           it->second.first + "' (line " + std::to_string(it->second.second) +
           "); each cluster needs its own file");
      continue;
    }
    r.clist.clusters.push_back(std::move(e));
  }
  return r;
}

CListResult read_clist(const std::string& home) {
  std::string path = (fs::path(home) / "CList").string();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    CListResult r;
    r.clist.path = path;
    std::error_code ec;
    r.diagnostics.push_back({{path, 0, 0},
                             Severity::Error,
                             fs::exists(path, ec)
                                 ? "cannot read the cluster list"
                                 : "no cluster list (one cluster a line: NAME CONFIG-PATH)",
                             ""});
    return r;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return parse_clist(buf.str(), path, home);
}

}  // namespace clusterd::clist
