#include "base/secrets.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/escape.h"

namespace clusterd {

Result<std::string> SecretMap::secret(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return Error::not_found("no secret named '" + std::string(name) + "'");
  return it->second;
}

Result<SecretsFile> SecretsFile::load(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return Error::not_found("secrets file " + path + ": " + std::strerror(errno));
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Error::invalid("secrets file " + path + " is mode " + mode +
                          "; it must be 0600 (chmod 600 " + path + ")");
  }
  if (st.st_uid != ::geteuid()) {
    return Error::invalid("secrets file " + path + " belongs to uid " + std::to_string(st.st_uid) +
                          ", not to the user clusterd runs as");
  }
  std::ifstream in(path);
  if (!in) return Error::io("secrets file " + path + ": cannot read");
  std::map<std::string, std::string, std::less<>> values;
  std::string line;
  int lineno = 0;
  auto trim = [](std::string_view s) {
    auto b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) return std::string_view{};
    auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
  };
  while (std::getline(in, line)) {
    ++lineno;
    auto t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    auto eq = t.find('=');
    std::string where = path + ":" + std::to_string(lineno);
    if (eq == std::string_view::npos) return Error::invalid(where + ": expected NAME = value");
    std::string name(trim(t.substr(0, eq)));
    auto value = trim(t.substr(eq + 1));
    if (name.empty()) return Error::invalid(where + ": empty secret name");
    std::string v(value);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      auto u = unescape(value.substr(1, value.size() - 2));
      if (!u) return Error::invalid(where + ": bad escape in the quoted value of '" + name + "'");
      v = std::move(*u);
    }
    if (!values.emplace(name, std::move(v)).second)
      return Error::invalid(where + ": '" + name + "' given twice");
  }
  SecretsFile f;
  f.path_ = path;
  f.map_ = SecretMap(std::move(values));
  return f;
}

Result<std::string> SecretsFile::secret(std::string_view name) const {
  auto r = map_.secret(name);
  if (!r.ok()) return Error::not_found("no secret named '" + std::string(name) + "' in " + path_);
  return r;
}

}  // namespace clusterd
