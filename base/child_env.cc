#include "base/child_env.h"

#include <string_view>

extern char** environ;

namespace clusterd {

std::vector<std::string> clean_child_environment() {
  static const char* const kKeep[] = {"PATH", "HOME", "USER", "LOGNAME", "LANG", "TZ"};
  std::vector<std::string> env;
  bool path = false;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto name = kv.substr(0, kv.find('='));
    bool keep = name.starts_with("LC_");
    for (const char* k : kKeep) keep = keep || name == k;
    if (!keep) continue;
    path = path || name == "PATH";
    env.emplace_back(kv);
  }
  if (!path) env.emplace_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  return env;
}

std::vector<char*> environment_pointers(std::vector<std::string>& store) {
  std::vector<char*> p;
  p.reserve(store.size() + 1);
  for (auto& s : store) p.push_back(s.data());
  p.push_back(nullptr);
  return p;
}

}  // namespace clusterd
