#include "fleet/host_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace clusterd::fleet {

namespace {
// The whole of `v` as a decimal integer; throws like std::stoll otherwise.
std::int64_t whole_number(const std::string& v) {
  std::int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty())
    throw std::invalid_argument("not a number");
  return out;
}
}  // namespace

std::string format_host_file(const HostFile& h) {
  std::string eps;
  for (const auto& e : h.endpoints) eps += (eps.empty() ? "" : ",") + e;
  return "host=" + h.host + "\nprefix=" + h.prefix + "\nendpoints=" + eps +
         "\nlease=" + std::to_string(h.lease) + "\nttl=" + std::to_string(h.ttl) +
         "\ndeadline_ns=" + std::to_string(h.deadline_ns) + "\n";
}

Result<HostFile> parse_host_file(const std::string& text, const std::string& path) {
  HostFile h;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  bool ended = !text.empty() && text.back() == '\n';
  if (!ended) return Error::invalid(path + ": incomplete (no final newline)");
  while (std::getline(in, line)) {
    ++n;
    auto eq = line.find('=');
    if (eq == std::string::npos)
      return Error::invalid(path + ":" + std::to_string(n) + ": not key=value");
    std::string k = line.substr(0, eq), v = line.substr(eq + 1);
    try {
      if (k == "host") {
        h.host = v;
      } else if (k == "prefix") {
        h.prefix = v;
      } else if (k == "endpoints") {
        h.endpoints.clear();
        std::size_t pos = 0;
        while (pos <= v.size() && !v.empty()) {
          auto c = v.find(',', pos);
          h.endpoints.push_back(v.substr(pos, c == std::string::npos ? c : c - pos));
          if (c == std::string::npos) break;
          pos = c + 1;
        }
      } else if (k == "lease") {
        h.lease = whole_number(v);
      } else if (k == "ttl") {
        h.ttl = whole_number(v);
      } else if (k == "deadline_ns") {
        h.deadline_ns = whole_number(v);
      }  // unknown keys: a newer agent's; ignored
    } catch (const std::exception&) {
      return Error::invalid(path + ":" + std::to_string(n) + ": bad number in '" + k + "'");
    }
  }
  return h;
}

Result<HostFile> read_host_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) return Error::not_found(path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_host_file(ss.str(), path);
}

Result<void> write_host_file(const std::string& path, const HostFile& h) {
  std::string tmp = path + ".tmp", text = format_host_file(h);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error::io(tmp + ": " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
    return Error::io(path + ": " + std::strerror(errno));
  return {};
}

std::int64_t fence_clock_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

Result<void> check_deadline(const std::string& path, std::int64_t lease) {
  auto h = read_host_file(path);
  if (!h) return Error::io("host file unreadable: " + h.error().message);
  if (h->lease != lease)
    return Error::io("this host's lease is now " + std::to_string(h->lease) + ", not ours (" +
                     std::to_string(lease) + ")");
  std::int64_t now = fence_clock_ns();
  if (now >= h->deadline_ns)
    return Error::io("lease deadline passed " + std::to_string((now - h->deadline_ns) / 1000000) +
                     " ms ago: no keepalive answered by etcd in time");
  return {};
}

}  // namespace clusterd::fleet
