#include "clusterd/journal.h"

#include <cstdlib>

#include "base/escape.h"
#include "base/timestamp.h"

namespace clusterd {
namespace {

struct KindName {
  JournalKind kind;
  const char* name;
};
constexpr KindName kKinds[] = {
    {JournalKind::Roles, "roles"},        {JournalKind::FenceConfirmed, "fence-confirmed"},
    {JournalKind::BootSent, "boot-sent"}, {JournalKind::Takeover, "takeover"},
    {JournalKind::Note, "note"},          {JournalKind::Promoted, "promoted"}};

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

std::string dir_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
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
      s.boot_by_power = field(r, "how") == "power";
      ++s.boot_attempts;
      break;
    case JournalKind::Takeover:
      // The booted standby is now active; the fenced old active is the standby.
      s.active = field(r, "active");
      s.standby = field(r, "standby");
      s.fenced.clear();
      s.boot_sent_to.clear();
      s.boot_sent_ns = 0;
      s.boot_state.clear();
      s.boot_by_power = false;
      s.boot_attempts = 0;
      s.promoted.clear();
      ++s.takeovers;
      s.last_takeover_ns = r.time_ns;
      break;
    case JournalKind::Note:
      break;
    case JournalKind::Promoted:
      s.promoted = field(r, "node");
      s.epoch = std::strtoull(field(r, "epoch").c_str(), nullptr, 10);
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
                                               std::vector<std::string>* warnings, FileEnv& env) {
  JournalState state;
  std::size_t complete = 0;  // bytes up to the end of the last whole record
  auto text = env.read_file(path);
  bool created = !text.ok() && text.error().code == Error::Code::NotFound;
  if (!text.ok() && !created) return text.error();
  if (text.ok()) {
    std::size_t pos = 0;
    int lineno = 0;
    while (pos < text->size()) {
      auto nl = text->find('\n', pos);
      ++lineno;
      if (nl == std::string::npos) {
        // Torn by a crash during write(2): the step it stood for was never taken.
        if (warnings)
          warnings->push_back(path + ":" + std::to_string(lineno) +
                              ": incomplete last record ignored");
        break;
      }
      std::string_view line(text->data() + pos, nl - pos);
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
  auto file = env.open_append(path, 0640);
  if (!file.ok()) return file.error();
  // A new journal's name must be on disk before its first record counts as
  // synced: without the directory's fsync, a crash right after a synced
  // `boot-sent` could leave no journal at all, and the restart would boot again.
  if (created) {
    if (auto s = env.sync_dir(dir_of(path)); !s) return s.error();
  }
  // Cut a torn last record off: completed later, it could read as a record
  // that was never written (`boot-sent node=be`).
  auto size = (*file)->size();
  if (!size.ok()) return size.error();
  if (*size > complete) {
    if (auto s = (*file)->truncate(complete); !s)
      return Error::io("cannot cut the torn last record: " + s.error().message);
  }
  return std::unique_ptr<Journal>(
      new Journal(path, std::move(file.value()), complete, std::move(state)));
}

Journal::Journal(std::string path, std::unique_ptr<WritableFile> file, std::uint64_t size,
                 JournalState state)
    : path_(std::move(path)), file_(std::move(file)), size_(size), state_(std::move(state)) {}

Result<std::unique_ptr<Journal>> Journal::open_store(std::unique_ptr<JournalStore> store,
                                                     std::vector<std::string>* warnings) {
  auto lines = store->load();
  if (!lines) return lines.error();
  JournalState state;
  int n = 0;
  for (const auto& line : *lines) {
    ++n;
    auto r = parse_journal_line(line);
    if (!r.ok()) {
      if (warnings)
        warnings->push_back(store->where() + " record " + std::to_string(n) + ": " +
                            r.error().message);
      continue;
    }
    apply(state, *r);
  }
  std::string where = store->where();
  auto j = std::unique_ptr<Journal>(new Journal(where, nullptr, 0, std::move(state)));
  j->store_ = std::move(store);
  return j;
}

Result<void> Journal::append(const JournalRecord& r) {
  if (!broken_.empty()) return Error::io(broken_);
  if (store_) {
    // One record, one store append: stored whole or refused (not the owner).
    if (auto st = store_->append(format_journal_record(r)); !st) return st.error();
    apply(state_, r);
    return {};
  }
  std::string line = format_journal_record(r) + "\n";
  Result<void> st = file_->append(line);
  if (st) st = file_->sync_data();
  if (!st) {
    // A full disk can take half the line before ENOSPC. Left there, the next
    // record would be glued to it and could replay as a record never written
    // (`boot-sent node=be` + the next line's stamp). After a failed fdatasync
    // the line's fate on disk is unknown; cut it too, so the file says what
    // the state says.
    if (auto cut = file_->truncate(size_); !cut)
      broken_ = path_ + ": a failed record could not be cut off (" + cut.error().message +
                "): no more records until clusterd is restarted";
    return st.error();
  }
  size_ += line.size();
  apply(state_, r);
  return {};
}

}  // namespace clusterd
