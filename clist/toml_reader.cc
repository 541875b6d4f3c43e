#include "clist/toml_reader.h"

#include <arpa/inet.h>

#include <algorithm>

namespace clusterd::clist {

TomlReader::TomlReader(std::string file, std::string_view text) : file_(std::move(file)) {
  while (true) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines_.emplace_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

Loc TomlReader::loc(const toml::source_region& at) const {
  return {file_, static_cast<int>(at.begin.line), static_cast<int>(at.begin.column)};
}

void TomlReader::error(const toml::source_region& at, std::string message) {
  Loc l = loc(at);
  std::string line;
  if (l.line > 0 && static_cast<std::size_t>(l.line) <= lines_.size()) {
    line = lines_[static_cast<std::size_t>(l.line - 1)];
  }
  diagnostics_.push_back({std::move(l), Severity::Error, std::move(message), std::move(line)});
}

void TomlReader::error(std::string message) {
  // A missing key has no place of its own: line 1 column 1, so that every
  // message has the file:line:col form editors and scripts read.
  diagnostics_.push_back({{file_, 1, 1}, Severity::Error, std::move(message), ""});
}

void TomlReader::redact(std::string_view raw, std::string_view shown) {
  if (raw.empty()) return;
  auto scrub = [&](std::string& s) {
    for (auto at = s.find(raw); at != std::string::npos; at = s.find(raw, at + shown.size()))
      s.replace(at, raw.size(), shown);
  };
  for (auto& l : lines_) scrub(l);
  for (auto& d : diagnostics_) scrub(d.source_line);
}

Diagnostics TomlReader::take() {
  // Tables iterate in key order, not file order: sort so that the messages
  // read top to bottom like the file.
  std::stable_sort(
      diagnostics_.begin(), diagnostics_.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return a.loc.line != b.loc.line ? a.loc.line < b.loc.line : a.loc.col < b.loc.col;
      });
  return std::move(diagnostics_);
}

std::string TomlReader::join(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

const char* TomlReader::type_phrase(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "a list";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

void TomlReader::known_keys(const toml::table& t, std::string_view path,
                            std::initializer_list<std::string_view> known) {
  std::string list;
  for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
  for (auto&& [k, v] : t) {
    if (std::find(known.begin(), known.end(), k.str()) != known.end()) continue;
    error(k.source(), join(path, k.str()) + ": unknown key (known: " + list + ")");
  }
}

const toml::table* TomlReader::table(const toml::table& t, std::string_view key,
                                     std::string_view path) {
  const toml::node* n = t.get(key);
  if (!n) return nullptr;
  if (const toml::table* tt = n->as_table()) return tt;
  std::string kp = join(path, key);
  error(n->source(), kp + ": expected a table ([" + kp + "]), got " + type_phrase(*n));
  return nullptr;
}

std::optional<std::string> TomlReader::string(const toml::table& t, std::string_view key,
                                              std::string_view path) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  if (const auto* s = n->as_string()) return s->get();
  error(n->source(), join(path, key) + ": expected a string, got " + type_phrase(*n));
  return std::nullopt;
}

std::optional<std::int64_t> TomlReader::integer(const toml::table& t, std::string_view key,
                                                std::string_view path, std::int64_t min,
                                                std::int64_t max) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  std::string range = std::to_string(min) + "-" + std::to_string(max);
  const auto* i = n->as_integer();
  if (!i) {
    error(n->source(),
          join(path, key) + ": expected an integer " + range + ", got " + type_phrase(*n));
    return std::nullopt;
  }
  if (i->get() < min || i->get() > max) {
    error(n->source(), join(path, key) + ": " + std::to_string(i->get()) + " is not " + range);
    return std::nullopt;
  }
  return i->get();
}

std::optional<Duration> TomlReader::duration(const toml::table& t, std::string_view key,
                                             std::string_view path, bool zero_ok) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  const auto* s = n->as_string();
  if (!s) {
    error(n->source(), join(path, key) +
                           ": expected a duration string such as \"1s\" or \"250ms\", got " +
                           type_phrase(*n));
    return std::nullopt;
  }
  auto d = parse_duration(s->get());
  if (!d) {
    error(n->source(), join(path, key) + ": '" + s->get() +
                           "' is not a duration (e.g. \"250ms\", \"20s\", \"10m\", \"1h30m\")");
    return std::nullopt;
  }
  if (!zero_ok && d->count() == 0) {
    error(n->source(), join(path, key) + ": must be longer than 0s");
    return std::nullopt;
  }
  return *d;
}

namespace {
std::string either(std::initializer_list<std::string_view> choices) {
  std::string out;
  std::size_t i = 0;
  for (std::string_view c : choices) {
    if (i > 0) out += i + 1 == choices.size() ? " or " : ", ";
    out += c;
    ++i;
  }
  return out;
}
}  // namespace

std::optional<std::string> TomlReader::choice(const toml::table& t, std::string_view key,
                                              std::string_view path,
                                              std::initializer_list<std::string_view> choices) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  const auto* s = n->as_string();
  if (!s) {
    error(n->source(), join(path, key) + ": expected " + either(choices) + " (a string), got " +
                           type_phrase(*n));
    return std::nullopt;
  }
  if (std::find(choices.begin(), choices.end(), s->get()) == choices.end()) {
    error(n->source(), join(path, key) + ": '" + s->get() + "' is not " + either(choices));
    return std::nullopt;
  }
  return s->get();
}

std::optional<std::vector<std::string>> TomlReader::strings(const toml::table& t,
                                                            std::string_view key,
                                                            std::string_view path) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  const toml::array* a = n->as_array();
  if (!a) {
    error(n->source(), join(path, key) + ": expected a list of strings, got " + type_phrase(*n));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const toml::node& e = (*a)[i];
    if (const auto* s = e.as_string()) {
      out.push_back(s->get());
    } else {
      error(e.source(), join(path, key) + "[" + std::to_string(i) + "]: expected a string, got " +
                            type_phrase(e));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<std::string>> TomlReader::argv(const toml::table& t, std::string_view key,
                                                         std::string_view path) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  std::string kp = join(path, key);
  if (!n->is_array()) {
    error(n->source(), kp +
                           ": expected a command as a list of words such as [\"prog\", \"arg\"] "
                           "(no shell is used), got " +
                           type_phrase(*n));
    return std::nullopt;
  }
  auto words = strings(t, key, path);
  if (!words) return std::nullopt;
  if (words->empty() || words->front().empty()) {
    error(n->source(), kp + ": empty command; the first word is the program to run");
    return std::nullopt;
  }
  return words;
}

bool is_ipv4(std::string_view s) {
  // inet_pton(AF_INET) takes exactly the dotted quad ("192.0.2.1"), none of
  // inet_aton's shorthands ("10.1", "0x7f.1").
  std::string z(s);
  unsigned char buf[4];
  return ::inet_pton(AF_INET, z.c_str(), buf) == 1;
}

}  // namespace clusterd::clist
