#include "clusterd/journal.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/escape.h"
#include "base/timestamp.h"

namespace clusterd {
namespace {

struct KindName {
  JournalKind kind;
  const char* name;
};
constexpr KindName kKinds[] = {{JournalKind::Roles, "roles"},
                               {JournalKind::FenceConfirmed, "fence-confirmed"},
                               {JournalKind::BootSent, "boot-sent"},
                               {JournalKind::Takeover, "takeover"},
                               {JournalKind::Note, "note"}};

// escape() keeps blanks; a field value must not hold one (blanks separate fields).
std::string escape_value(std::string_view v) {
  std::string e = escape(v), out;
  for (char c : e) {
    if (c == ' ') {
      out += "\\x20";
    } else {
      out += c;
    }
  }
  return out;
}

std::string field(const JournalRecord& r, const char* key) {
  auto it = r.fields.find(key);
  return it == r.fields.end() ? std::string() : it->second;
}

}  // namespace

const char* journal_kind_name(JournalKind k) {
  for (const auto& kn : kKinds) {
    if (kn.kind == k) return kn.name;
  }
  return "?";
}

std::optional<JournalKind> journal_kind_from_name(std::string_view name) {
  for (const auto& kn : kKinds) {
    if (name == kn.name) return kn.kind;
  }
  return std::nullopt;
}

void apply(JournalState& s, const JournalRecord& r) {
  switch (r.kind) {
    case JournalKind::Roles:
      s.active = field(r, "active");
      s.standby = field(r, "standby");
      break;
    case JournalKind::FenceConfirmed:
      s.fenced.insert(field(r, "node"));
      break;
    case JournalKind::BootSent:
      s.boot_sent_to = field(r, "node");
      s.boot_sent_ns = r.time_ns;
      s.boot_state = field(r, "state");
      break;
    case JournalKind::Takeover:
      // The booted standby is now active; the fenced old active is the standby.
      s.active = field(r, "active");
      s.standby = field(r, "standby");
      s.fenced.clear();
      s.boot_sent_to.clear();
      s.boot_sent_ns = 0;
      s.boot_state.clear();
      ++s.takeovers;
      s.last_takeover_ns = r.time_ns;
      break;
    case JournalKind::Note:
      break;
  }
}

std::string format_journal_record(const JournalRecord& r) {
  std::string out = format_utc(r.time_ns);
  out += ' ';
  out += journal_kind_name(r.kind);
  for (const auto& [k, v] : r.fields) {
    out += ' ';
    out += k;
    out += '=';
    out += escape_value(v);
  }
  return out;
}

Result<JournalRecord> parse_journal_line(std::string_view line) {
  std::vector<std::string_view> words;
  while (!line.empty()) {
    auto sp = line.find(' ');
    auto w = line.substr(0, sp);
    if (!w.empty()) words.push_back(w);
    if (sp == std::string_view::npos) break;
    line.remove_prefix(sp + 1);
  }
  if (words.size() < 2) return Error::invalid("expected STAMP KIND [key=value...]");
  auto stamp = parse_stamp(words[0]);
  if (!stamp.ok()) return Error::invalid("bad time stamp '" + std::string(words[0]) + "'");
  JournalRecord r;
  r.time_ns = stamp->ns;
  bool known = false;
  for (const auto& kn : kKinds) {
    if (words[1] == kn.name) {
      r.kind = kn.kind;
      known = true;
    }
  }
  if (!known) return Error::invalid("unknown record kind '" + std::string(words[1]) + "'");
  for (std::size_t i = 2; i < words.size(); ++i) {
    auto eq = words[i].find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Error::invalid("field '" + std::string(words[i]) + "' is not key=value");
    }
    auto v = unescape(words[i].substr(eq + 1));
    if (!v) return Error::invalid("bad escape in field '" + std::string(words[i]) + "'");
    r.fields[std::string(words[i].substr(0, eq))] = std::move(*v);
  }
  return r;
}

Result<std::unique_ptr<Journal>> Journal::open(const std::string& path,
                                               std::vector<std::string>* warnings) {
  JournalState state;
  std::size_t complete = 0;  // bytes up to the end of the last whole record
  {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      std::string text = ss.str();
      std::size_t pos = 0;
      int lineno = 0;
      while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        ++lineno;
        if (nl == std::string::npos) {
          // Torn by a crash during write(2): the step it stood for was never taken.
          if (warnings)
            warnings->push_back(path + ":" + std::to_string(lineno) +
                                ": incomplete last record ignored");
          break;
        }
        std::string_view line(text.data() + pos, nl - pos);
        pos = nl + 1;
        complete = pos;
        if (line.empty() || line.front() == '#') continue;
        auto r = parse_journal_line(line);
        if (!r.ok()) {
          if (warnings)
            warnings->push_back(path + ":" + std::to_string(lineno) + ": " + r.error().message);
          continue;
        }
        apply(state, *r);
      }
    }
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return Error::io(path + ": " + std::strerror(errno));
  // Cut a torn last record off: completed later, it could read as a record
  // that was never written (`boot-sent node=be`).
  off_t size = ::lseek(fd, 0, SEEK_END);
  if (size > static_cast<off_t>(complete) && ::ftruncate(fd, static_cast<off_t>(complete)) != 0) {
    int err = errno;
    ::close(fd);
    return Error::io(path + ": cannot cut the torn last record: " + std::strerror(err));
  }
  return std::unique_ptr<Journal>(new Journal(path, fd, std::move(state)));
}

Journal::Journal(std::string path, int fd, JournalState state)
    : path_(std::move(path)), fd_(fd), state_(std::move(state)) {}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

Result<bool> Journal::append(const JournalRecord& r) {
  std::string line = format_journal_record(r) + "\n";
  std::size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error::io(path_ + ": " + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0) return Error::io(path_ + ": fdatasync: " + std::strerror(errno));
  if (crash_after_ == r.kind) ::kill(::getpid(), SIGKILL);
  apply(state_, r);
  return true;
}

}  // namespace clusterd
