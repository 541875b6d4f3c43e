#include "alarm/spool.h"

#include <algorithm>
#include <map>

#include "base/escape.h"

namespace clusterd::alarm {

namespace {
constexpr std::string_view kMagic = "clusterd-alarm-spool 2";
constexpr std::string_view kMagicV1 = "clusterd-alarm-spool 1";  // no "end" line
constexpr std::string_view kEnd = "end";
constexpr std::string_view kSuffix = ".alarm";

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
  out += kEnd;
  out += '\n';
  return out;
}

Result<Envelope> decode_envelope(std::string_view text) {
  std::size_t nl = text.find('\n');
  std::string_view magic = text.substr(0, nl);
  if (magic != kMagic && magic != kMagicV1)
    return Error::invalid("not a clusterd alarm spool file");
  bool needs_end = magic == kMagic, ended = false;
  std::map<std::string, std::string, std::less<>> f;
  Envelope e;
  std::size_t pos = nl == std::string_view::npos ? text.size() : nl + 1;
  int line_no = 1;
  while (pos < text.size()) {
    ++line_no;
    if (ended) return Error::invalid("line " + std::to_string(line_no) + ": after the end line");
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos)
      return Error::invalid("line " + std::to_string(line_no) + ": truncated");
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (needs_end && line == kEnd) {
      ended = true;
      continue;
    }
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
  if (needs_end && !ended)
    return Error::invalid("truncated after line " + std::to_string(line_no) + " (no end line)");
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

Result<Spool> Spool::open(const std::string& dir, FileEnv& env) {
  if (auto s = env.make_dirs(dir, 0700); !s)
    return Error::io("cannot create spool directory: " + s.error().message);
  return Spool(dir, env);
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

Result<void> Spool::write(const Envelope& e) {
  std::string path = path_of(e.notification.message_id);
  std::string tmp = path + ".tmp";
  std::string text = encode_envelope(e);
  auto fail = [&](std::string what, const Error& err) -> Result<void> {
    (void)env_->remove(tmp);  // best effort; load() deletes a leftover anyway
    return Error::io("cannot " + what + " " + tmp + ": " + err.message);
  };
  auto f = env_->create(tmp, 0600);
  if (!f) return Error::io("cannot create " + tmp + ": " + f.error().message);
  if (auto s = (*f)->append(text); !s) return fail("write", s.error());
  if (auto s = (*f)->sync(); !s) return fail("sync", s.error());
  f.value().reset();
  if (auto s = env_->rename(tmp, path); !s) return fail("rename", s.error());
  if (auto s = env_->sync_dir(dir_); !s)
    return Error::io("cannot sync spool directory: " + s.error().message);
  return {};
}

Result<void> Spool::remove(std::string_view message_id) {
  std::string path = path_of(message_id);
  if (auto s = env_->remove(path); !s && s.error().code != Error::Code::NotFound)
    return Error::io("cannot remove " + s.error().message);
  if (auto s = env_->sync_dir(dir_); !s)
    return Error::io("cannot sync spool directory: " + s.error().message);
  return {};
}

Spool::Loaded Spool::load() {
  Loaded out;
  auto names = env_->list_dir(dir_);
  if (!names) {
    out.errors.push_back("cannot read spool directory " + names.error().message);
    return out;
  }
  std::sort(names->begin(), names->end());
  for (const std::string& name : *names) {
    std::string path = dir_ + "/" + name;
    if (name.ends_with(".tmp")) {  // a write that a crash interrupted; the old file (if any) stands
      if (auto s = env_->remove(path); !s && s.error().code != Error::Code::NotFound)
        out.errors.push_back("cannot remove a leftover " + s.error().message);
      continue;
    }
    if (!name.ends_with(kSuffix)) continue;
    auto text = env_->read_file(path);
    if (!text) {  // left in place: it may read fine next time
      out.errors.push_back("cannot read " + text.error().message);
      continue;
    }
    Result<Envelope> e = decode_envelope(*text);
    if (!e) {
      // Set aside, not deleted: an operator may still read what it says.
      auto moved = env_->rename(path, path + ".bad");
      out.errors.push_back(path + ": " + e.error().message +
                           (moved
                                ? " (renamed to .bad)"
                                : " (could not rename it to .bad: " + moved.error().message + ")"));
      continue;
    }
    out.envelopes.push_back(std::move(*e));
  }
  return out;
}

}  // namespace clusterd::alarm
