#include "alarm/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "base/escape.h"

namespace clusterd::alarm {

namespace {
constexpr std::string_view kMagic = "clusterd-alarm-spool 1";
constexpr std::string_view kSuffix = ".alarm";

std::string errno_text() { return std::strerror(errno); }

void field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  escape_to(out, value);
  out += '\n';
}

// A value inside a "channel:" line must not contain blanks (fields are blank
// separated), so blanks become "\x20" on top of escape().
std::string escape_word(std::string_view s) {
  std::string e = escape(s), out;
  for (char c : e) out += c == ' ' ? std::string("\\x20") : std::string(1, c);
  return out;
}

Status fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error::io("cannot open spool directory " + dir + ": " + errno_text());
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Error::io("cannot fsync spool directory " + dir + ": " + std::strerror(err));
  return ok_status();
}

Status mkdirs(const std::string& dir) {
  for (std::size_t i = 1; i <= dir.size(); ++i) {
    if (i != dir.size() && dir[i] != '/') continue;
    std::string part = dir.substr(0, i);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST)
      return Error::io("cannot create spool directory " + part + ": " + errno_text());
  }
  return ok_status();
}

std::optional<std::int64_t> to_int(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::int64_t v = 0;
  bool neg = s[0] == '-';
  for (char c : s.substr(neg ? 1 : 0)) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return neg ? -v : v;
}
}  // namespace

std::string encode_envelope(const Envelope& e) {
  const Notification& n = e.notification;
  const Alarm& a = n.alarm;
  std::string out(kMagic);
  out += '\n';
  field(out, "message_id", n.message_id);
  field(out, "kind", kind_name(n.kind));
  field(out, "notice_time_ns", std::to_string(n.time_ns));
  field(out, "note", n.note);
  field(out, "id", a.id);
  field(out, "key", a.key);
  field(out, "cluster", a.cluster);
  field(out, "node", a.node);
  field(out, "severity", severity_name(a.severity));
  field(out, "time_ns", std::to_string(a.time_ns));
  field(out, "state", a.state);
  field(out, "trigger", a.trigger);
  field(out, "text", a.text);
  field(out, "timeline", a.timeline);
  for (const ChannelRecord& c : e.channels) {
    out += "channel: " + escape_word(c.channel) + " " + std::string(channel_status_name(c.status)) +
           " " + std::to_string(c.attempts) + " " + escape_word(c.last_error) + "\n";
  }
  return out;
}

Result<Envelope> decode_envelope(std::string_view text) {
  std::size_t nl = text.find('\n');
  if (text.substr(0, nl) != kMagic) return Error::invalid("not a clusterd alarm spool file");
  std::map<std::string, std::string, std::less<>> f;
  Envelope e;
  std::size_t pos = nl == std::string_view::npos ? text.size() : nl + 1;
  int line_no = 1;
  while (pos < text.size()) {
    ++line_no;
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos)
      return Error::invalid("line " + std::to_string(line_no) + ": truncated");
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    std::size_t colon = line.find(": ");
    if (colon == std::string_view::npos)
      return Error::invalid("line " + std::to_string(line_no) + ": no ': '");
    std::string_view name = line.substr(0, colon), raw = line.substr(colon + 2);
    if (name == "channel") {
      std::vector<std::string_view> w;
      std::size_t s = 0;
      while (s <= raw.size()) {
        std::size_t b = raw.find(' ', s);
        w.push_back(raw.substr(s, b == std::string_view::npos ? std::string_view::npos : b - s));
        if (b == std::string_view::npos) break;
        s = b + 1;
      }
      auto ch = w.size() == 4 ? unescape(w[0]) : std::nullopt;
      auto err = w.size() == 4 ? unescape(w[3]) : std::nullopt;
      auto attempts = w.size() == 4 ? to_int(w[2]) : std::nullopt;
      ChannelRecord c;
      if (!ch || !err || !attempts)
        return Error::invalid("line " + std::to_string(line_no) + ": bad channel");
      c.channel = *ch;
      c.last_error = *err;
      c.attempts = static_cast<int>(*attempts);
      if (w[1] == "pending")
        c.status = ChannelStatus::Pending;
      else if (w[1] == "accepted")
        c.status = ChannelStatus::Accepted;
      else if (w[1] == "failed")
        c.status = ChannelStatus::Failed;
      else
        return Error::invalid("line " + std::to_string(line_no) + ": bad channel status");
      e.channels.push_back(std::move(c));
      continue;
    }
    auto value = unescape(raw);
    if (!value) return Error::invalid("line " + std::to_string(line_no) + ": bad escape");
    f[std::string(name)] = std::move(*value);
  }
  auto get = [&](std::string_view k) -> std::string {
    auto it = f.find(k);
    return it == f.end() ? std::string() : it->second;
  };
  Notification& n = e.notification;
  n.message_id = get("message_id");
  auto kind = parse_kind(get("kind"));
  auto sev = parse_severity(get("severity"));
  auto t = to_int(get("time_ns"));
  auto nt = to_int(get("notice_time_ns"));
  if (n.message_id.empty() || !kind || !sev || !t || !nt)
    return Error::invalid("missing or bad message_id, kind, severity or time");
  n.kind = *kind;
  n.time_ns = *nt;
  n.note = get("note");
  Alarm& a = n.alarm;
  a.id = get("id");
  a.key = get("key");
  a.cluster = get("cluster");
  a.node = get("node");
  a.severity = *sev;
  a.time_ns = *t;
  a.state = get("state");
  a.trigger = get("trigger");
  a.text = get("text");
  a.timeline = get("timeline");
  return e;
}

Result<Spool> Spool::open(const std::string& dir) {
  if (Status s = mkdirs(dir); !s) return s.error();
  return Spool(dir);
}

std::string Spool::path_of(std::string_view message_id) const {
  std::string name;
  for (char c : message_id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '@';
    name += ok ? c : '_';
  }
  if (name.empty() || name[0] == '.') name.insert(0, "_");
  return dir_ + "/" + name + std::string(kSuffix);
}

Status Spool::write(const Envelope& e) {
  std::string path = path_of(e.notification.message_id);
  std::string tmp = path + ".tmp";
  std::string text = encode_envelope(e);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error::io("cannot create " + tmp + ": " + errno_text());
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string err = errno_text();
      ::close(fd);
      ::unlink(tmp.c_str());
      return Error::io("cannot write " + tmp + ": " + err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    std::string err = errno_text();
    ::close(fd);
    ::unlink(tmp.c_str());
    return Error::io("cannot fsync " + tmp + ": " + err);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = errno_text();
    ::unlink(tmp.c_str());
    return Error::io("cannot rename " + tmp + ": " + err);
  }
  return fsync_dir(dir_);
}

Status Spool::remove(std::string_view message_id) {
  std::string path = path_of(message_id);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Error::io("cannot remove " + path + ": " + errno_text());
  return fsync_dir(dir_);
}

Spool::Loaded Spool::load() {
  Loaded out;
  DIR* d = ::opendir(dir_.c_str());
  if (!d) {
    out.errors.push_back("cannot read spool directory " + dir_ + ": " + errno_text());
    return out;
  }
  std::vector<std::string> names;
  while (dirent* ent = ::readdir(d)) names.emplace_back(ent->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    std::string path = dir_ + "/" + name;
    if (name.ends_with(".tmp")) {  // a write that a crash interrupted; the old file (if any) stands
      ::unlink(path.c_str());
      continue;
    }
    if (!name.ends_with(kSuffix)) continue;
    std::string text;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      char buf[4096];
      ssize_t n;
      while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
      ::close(fd);
    }
    Result<Envelope> e = decode_envelope(text);
    if (!e) {
      out.errors.push_back(path + ": " + e.error().message + " (renamed to .bad)");
      ::rename(path.c_str(), (path + ".bad").c_str());
      continue;
    }
    out.envelopes.push_back(std::move(*e));
  }
  return out;
}

}  // namespace clusterd::alarm
