#include "chat/compiler.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>
#include <unordered_map>

#include <re2/re2.h>

namespace clusterd::chat {

const char* channel_name(Channel c) {
  switch (c) {
    case Channel::Active:
      return "active";
    case Channel::Standby:
      return "standby";
    case Channel::Sh:
      return "sh";
  }
  return "?";
}

const char* event_name(EventKind k) {
  switch (k) {
    case EventKind::PingDown:
      return "ping.down";
    case EventKind::PingUp:
      return "ping.up";
    case EventKind::MonitorIsolated:
      return "monitor.isolated";
    case EventKind::MonitorOk:
      return "monitor.ok";
    case EventKind::ConsoleLost:
      return "console.lost";
    case EventKind::ConsoleUp:
      return "console.up";
    case EventKind::ShExit:
      return "sh.exit";
    case EventKind::ControlSwitchover:
      return "control.switchover";
    case EventKind::ControlMaintenance:
      return "control.maintenance";
    case EventKind::FenceRefused:
      return "fence.refused";
  }
  return "?";
}

std::optional<EventKind> event_from_name(std::string_view name) {
  for (int k = 0; k <= static_cast<int>(EventKind::FenceRefused); ++k) {
    if (name == event_name(static_cast<EventKind>(k))) return static_cast<EventKind>(k);
  }
  return std::nullopt;
}

const char* severity_name(AlarmSeverity s) {
  switch (s) {
    case AlarmSeverity::Notice:
      return "notice";
    case AlarmSeverity::Warning:
      return "warning";
    case AlarmSeverity::Critical:
      return "critical";
  }
  return "?";
}

const char* power_op_name(PowerOp p) {
  switch (p) {
    case PowerOp::Off:
      return "off";
    case PowerOp::On:
      return "on";
    case PowerOp::Cycle:
      return "cycle";
  }
  return "?";
}

std::string to_string(const Value& v) {
  switch (v.kind) {
    case Value::Kind::String:
      return v.string;
    case Value::Kind::Integer:
      return std::to_string(v.integer);
    case Value::Kind::Interval:
      return format_duration(v.duration);
  }
  return {};
}

int Program::find_state(std::string_view name) const {
  for (std::size_t i = 0; i < states.size(); ++i) {
    if (states[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

namespace {

const char* value_kind_name(Value::Kind k) {
  switch (k) {
    case Value::Kind::String:
      return "a string";
    case Value::Kind::Integer:
      return "an integer";
    case Value::Kind::Interval:
      return "a duration";
  }
  return "?";
}

std::string where(const Loc& l) { return l.file + ":" + std::to_string(l.line); }

class Compiler {
 public:
  Compiler(const ast::Script& s, const std::map<std::string, std::string>& overrides)
      : script_(s), overrides_(overrides) {}

  CompileResult run() {
    prog_ = std::make_unique<Program>();
    values();
    patterns();
    states();
    unused_patterns();
    if (count(diags_, Severity::Error) == 0) return {std::move(prog_), std::move(diags_)};
    return {nullptr, std::move(diags_)};
  }

 private:
  void error(const Loc& l, std::string m) {
    diags_.push_back({l, Severity::Error, std::move(m), {}});
  }

  // --- params and vars -------------------------------------------------------
  void values() {
    std::map<std::string, Loc> seen;
    for (const auto& d : script_.values) {
      const char* what = d.is_var ? "var" : "param";
      if (is_builtin(d.name.text) >= 0) {
        error(d.name.loc,
              std::string(what) + " '" + d.name.text + "' shadows the builtin $" + d.name.text);
        continue;
      }
      auto [it, fresh] = seen.emplace(d.name.text, d.name.loc);
      if (!fresh) {
        error(d.name.loc, std::string("duplicate ") + what + " '" + d.name.text +
                              "' (first declared at " + where(it->second) + ")");
        continue;
      }
      Value v;
      switch (d.value.kind) {
        case ast::Value::Kind::String:
          v.kind = Value::Kind::String;
          for (const auto& seg : d.value.text.segments) {
            if (seg.kind != ast::Text::Segment::Kind::Literal) {
              error(seg.loc, std::string("a ") + what + "'s value cannot refer to variables");
            }
            v.string += seg.text;
          }
          break;
        case ast::Value::Kind::Integer:
          v.kind = Value::Kind::Integer;
          v.integer = d.value.integer;
          break;
        case ast::Value::Kind::Interval:
          v.kind = Value::Kind::Interval;
          v.duration = d.value.duration;
          break;
      }
      value_index_[d.name.text] = static_cast<int>(prog_->values.size());
      prog_->value_names.push_back(d.name.text);
      prog_->values.push_back(v);
      prog_->value_is_var.push_back(d.is_var);
    }
    for (const auto& [k, text] : overrides_) {
      Loc cli{"<params>", 0, 0};
      auto it = value_index_.find(k);
      if (it == value_index_.end() || prog_->value_is_var[static_cast<std::size_t>(it->second)]) {
        error(cli, "no param '" + k + "' in the script (cannot set it to '" + text + "')");
        continue;
      }
      Value& v = prog_->values[static_cast<std::size_t>(it->second)];
      switch (v.kind) {
        case Value::Kind::String:
          v.string = text;
          break;
        case Value::Kind::Integer:
          try {
            std::size_t used = 0;
            v.integer = std::stoll(text, &used);
            if (used != text.size()) throw std::invalid_argument(text);
          } catch (const std::exception&) {
            error(cli, "param '" + k + "' is an integer; '" + text + "' is not");
          }
          break;
        case Value::Kind::Interval:
          if (auto d = parse_duration(text)) {
            v.duration = *d;
          } else {
            error(cli,
                  "param '" + k + "' is a duration; '" + text + "' is not (e.g. 250ms, 20s, 10m)");
          }
          break;
      }
    }
  }

  static int is_builtin(const std::string& name) {
    static const char* const kNames[] = {"active",  "standby", "reason",
                                         "elapsed", "state",   "trigger"};
    for (int i = 0; i < 6; ++i) {
      if (name == kNames[i]) return i;
    }
    return -1;
  }

  // --- patterns --------------------------------------------------------------
  struct Compiled {
    PatternSource source;
    int groups = 0;
    std::string display;
  };

  bool atom(const ast::PatternAtom& a, std::string& regex, int& groups) {
    if (!a.regex) {
      if (a.source.empty()) {
        error(a.loc, "empty pattern: it would match anything");
        return false;
      }
      if (a.source.find('\n') != std::string::npos) {
        error(a.loc, "a pattern cannot contain a newline: matches never span lines");
        return false;
      }
      if (a.source.find('\r') != std::string::npos) {
        error(a.loc,
              "a pattern cannot contain a CR: on a console CR ends a line, and matches never span "
              "lines");
        return false;
      }
      regex = RE2::QuoteMeta(a.source);
      groups = 0;
      return true;
    }
    for (std::size_t i = 0; i + 1 < a.source.size(); ++i) {
      if (a.source[i] == '\\') {
        if (a.source[i + 1] == 'n') {
          error(a.loc, "a pattern cannot match a newline (\\n): matches never span lines");
          return false;
        }
        if (a.source[i + 1] == 'r') {
          error(a.loc,
                "a pattern cannot match a CR (\\r): on a console CR ends a line, and matches never "
                "span lines "
                "(`.*` already stops at the line's end)");
          return false;
        }
        ++i;
      }
    }
    std::string err;
    bool empty = false;
    PatternSet::check_atom(a.source, &err, &empty, &groups);
    if (!err.empty()) {
      error(a.loc, "bad regex /" + a.source + "/: " + err);
      return false;
    }
    if (empty) {
      error(a.loc, "regex /" + a.source + "/ matches the empty string, so it would match anything");
      return false;
    }
    regex = a.source;
    return true;
  }

  static std::string display_atom(const ast::PatternAtom& a) {
    if (a.regex) return "/" + a.source + "/";
    std::string out = "\"";
    for (char c : a.source) {
      if (c == '\r')
        out += "\\r";
      else if (c == '\t')
        out += "\\t";
      else if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
        out += buf;
      } else
        out += c;
    }
    return out + "\"";
  }

  std::optional<Compiled> spec(const ast::PatternSpec& s) {
    Compiled c;
    bool ok = true;
    for (std::size_t i = 0; i < s.any.size(); ++i) {
      std::string re;
      int g = 0;
      if (!atom(s.any[i], re, g)) {
        ok = false;
        continue;
      }
      if (i) {
        c.source.regex += '|';
        c.display += " | ";
      }
      c.source.regex += "(?:" + re + ")";
      // An atom that ends in an unescaped `.*` takes the rest of its line.
      if (s.any[i].regex && re.size() >= 2 && re.compare(re.size() - 2, 2, ".*") == 0 &&
          (re.size() < 3 || re[re.size() - 3] != '\\')) {
        c.source.to_line_end = true;
      }
      c.display += display_atom(s.any[i]);
      c.groups += g;
    }
    for (const auto& u : s.unless) {
      std::string re;
      int g = 0;
      if (!atom(u, re, g)) {
        ok = false;
        continue;
      }
      c.source.unless.push_back(re);
    }
    if (!s.unless.empty()) c.display += " unless …";
    if (!ok) return std::nullopt;
    return c;
  }

  void patterns() {
    std::map<std::string, Loc> seen;
    for (const auto& d : script_.patterns) {
      auto [it, fresh] = seen.emplace(d.name.text, d.name.loc);
      if (!fresh) {
        error(d.name.loc, "duplicate pattern '" + d.name.text + "' (first declared at " +
                              where(it->second) + ")");
        continue;
      }
      if (auto c = spec(d.spec))
        named_[d.name.text] = std::move(*c);
      else
        named_bad_.insert(d.name.text);
    }
  }

  // A pattern no handler names is a catalogue entry that protects nothing: a
  // panic pattern defined and never used is a panic nobody watches for.
  void unused_patterns() {
    for (const auto& d : script_.patterns) {
      if (used_.count(d.name.text) || named_bad_.count(d.name.text)) continue;
      if (!used_.insert(d.name.text).second) continue;  // a duplicate: reported already
      diags_.push_back({d.name.loc,
                        Severity::Warning,
                        "pattern '" + d.name.text + "' is defined but no handler uses it",
                        {}});
    }
  }

  // --- states ----------------------------------------------------------------
  void states() {
    std::map<std::string, Loc> seen;
    const ast::StateDecl* initial = nullptr;
    for (const auto& s : script_.states) {
      auto [it, fresh] = seen.emplace(s.name.text, s.name.loc);
      if (!fresh) {
        error(s.name.loc, "duplicate state '" + s.name.text + "' (first declared at " +
                              where(it->second) + ")");
      }
      if (s.initial) {
        if (initial) {
          error(s.name.loc, "second initial state '" + s.name.text + "' (the first is '" +
                                initial->name.text + "' at " + where(initial->name.loc) + ")");
        } else {
          initial = &s;
        }
      }
    }
    if (script_.states.empty()) {
      error({script_.sources.empty() ? "<input>" : script_.sources.front().first, 1, 1},
            "the script has no states");
      return;
    }
    if (!initial) {
      error(script_.states.front().name.loc,
            "no initial state: mark the state to start in with 'initial state'");
    }
    for (const auto& s : script_.states) {
      if (!state_index_.emplace(s.name.text, static_cast<int>(prog_->states.size())).second) {
        continue;  // duplicate, reported
      }
      State st;
      st.name = s.name.text;
      st.loc = s.name.loc;
      prog_->states.push_back(std::move(st));
    }
    if (initial) prog_->initial = find_state(initial->name.text);
    resolve_extends();
    std::size_t idx = 0;
    for (const auto& s : script_.states) {
      int si = find_state(s.name.text);
      if (si < 0 || static_cast<std::size_t>(si) != idx) continue;  // the duplicate's twin
      ++idx;
      state(s, prog_->states[static_cast<std::size_t>(si)]);
    }
  }

  void state(const ast::StateDecl& s, State& st) {
    for (const auto& a : s.entry) {
      if (auto c = action(a, -1)) st.entry.push_back(std::move(*c));
    }
    std::array<std::vector<PatternSource>, kChannelCount> sources;
    const auto handlers = handlers_with_inherited(s);
    if (handlers_ > kMaxHandlers) return;  // reported; nothing more is compiled
    handlers_ += handlers.size();
    if (handlers_ > kMaxHandlers) {
      error(s.name.loc, "state '" + s.name.text + "' takes the script past " +
                            std::to_string(kMaxHandlers) +
                            " handlers (each state counts those it inherits through 'extends')");
      return;
    }
    for (const ast::Handler* hp : handlers) {
      const ast::Handler& h = *hp;
      Handler ch;
      ch.loc = h.loc;
      int groups = -1;  // -1: not a pattern handler, any $N may refer to an earlier match
      bool ok = true;
      switch (h.kind) {
        case ast::Handler::Kind::Pattern: {
          ch.kind = Handler::Kind::Pattern;
          auto c = channel(h.channel, /*allow_sh=*/true);
          std::optional<Compiled> comp;
          if (!h.pattern_ref.text.empty()) {
            auto it = named_.find(h.pattern_ref.text);
            if (it != named_.end()) {
              used_.insert(h.pattern_ref.text);
              comp = it->second;
              comp->display = h.pattern_ref.text;
            } else if (!named_bad_.count(h.pattern_ref.text)) {
              error(h.pattern_ref.loc, "unknown pattern '" + h.pattern_ref.text + "'" +
                                           suggest(h.pattern_ref.text, named_keys()));
            }
          } else {
            comp = spec(h.pattern);
          }
          if (!c || !comp) {
            ok = false;
            break;
          }
          ch.channel = *c;
          auto& list = sources[static_cast<std::size_t>(*c)];
          ch.pattern = static_cast<int>(list.size());
          list.push_back(comp->source);
          groups = comp->groups;
          ch.trigger = std::string(channel_name(*c)) + " " + comp->display;
          break;
        }
        case ast::Handler::Kind::Event:
          ch.kind = Handler::Kind::Event;
          ok = event(h, ch);
          break;
        case ast::Handler::Kind::After:
          ch.kind = Handler::Kind::After;
          if (h.after.literal) {
            ch.after = *h.after.literal;
            ch.trigger = "after " + format_duration(ch.after);
          } else {
            auto it = value_index_.find(h.after.param.text);
            if (it == value_index_.end()) {
              error(h.after.param.loc, "unknown param '$" + h.after.param.text + "'" +
                                           suggest(h.after.param.text, value_keys()));
              ok = false;
            } else {
              const Value& v = prog_->values[static_cast<std::size_t>(it->second)];
              if (v.kind != Value::Kind::Interval) {
                error(h.after.param.loc, "'after $" + h.after.param.text + "' needs a duration; '" +
                                             h.after.param.text + "' is " +
                                             value_kind_name(v.kind));
                ok = false;
              } else {
                ch.after = v.duration;
                ch.trigger =
                    "after $" + h.after.param.text + " (" + format_duration(v.duration) + ")";
              }
            }
          }
          break;
      }
      for (const auto& a : h.actions) {
        if (auto c = action(a, groups)) ch.actions.push_back(std::move(*c));
      }
      if (h.target) {
        std::string name = h.target->text;
        if (!name.empty() && name[0] == '$') {
          // A string param naming a state: resolved here, once, so the
          // checker's proofs see the state the config chose.
          std::string param = name.substr(1);
          auto it = value_index_.find(param);
          if (it != value_index_.end() &&
              prog_->value_is_var[static_cast<std::size_t>(it->second)]) {
            error(h.target->loc,
                  "'-> $" + param + "': '" + param +
                      "' is a var, which changes at run time; a target takes a param");
            ok = false;
            name.clear();
          } else if (it == value_index_.end()) {
            error(h.target->loc, "unknown param '$" + param +
                                     "' (a '->' target names a state or a param)" +
                                     suggest(param, value_keys()));
            ok = false;
            name.clear();
          } else if (const Value& v = prog_->values[static_cast<std::size_t>(it->second)];
                     v.kind != Value::Kind::String) {
            error(h.target->loc, "'-> $" + param + "' needs a string param naming a state; '" +
                                     param + "' is " + value_kind_name(v.kind));
            ok = false;
            name.clear();
          } else {
            name = v.string;
            ch.target_param = param;
            if (find_state(name) < 0) {
              error(h.target->loc, "'-> $" + param + "': param '" + param + "' is '" + name +
                                       "', which is not a state" + suggest(name, state_names()));
              ok = false;
              name.clear();
            }
          }
        }
        if (!name.empty()) {
          ch.target = find_state(name);
          if (ch.target < 0) {
            error(h.target->loc, "unknown state '" + name + "'" + suggest(name, state_names()));
            ok = false;
          }
        }
      }
      if (ok) st.handlers.push_back(std::move(ch));
    }
    for (std::size_t c = 0; c < kChannelCount; ++c) {
      if (sources[c].empty()) continue;
      auto set = PatternSet::compile(std::move(sources[c]));
      if (!set) {
        error(st.loc, set.error().message);
        continue;
      }
      st.patterns[c] = std::move(*set);
    }
  }

  // `extends`, resolved once for every state declaration, in time linear in
  // their number: extends_[i] is the index in script_.states of the state
  // declaration i extends (-1: none, or unknown), chain_[i] the number of
  // states in its chain, itself included (a cycle counts each state once).
  // Reports unknown parents, cycles, and chains longer than kMaxExtendsChain
  // (once per chain: at the state where it gets too long).
  void resolve_extends() {
    const auto& decls = script_.states;
    const std::size_t n = decls.size();
    std::unordered_map<std::string_view, int> by_name;
    for (std::size_t i = 0; i < n; ++i)
      by_name[decls[i].name.text] = static_cast<int>(i);  // the last wins
    extends_.assign(n, -1);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& parent = decls[i].parent;
      if (parent.text.empty()) continue;
      if (auto it = by_name.find(parent.text); it != by_name.end()) {
        extends_[i] = it->second;
      } else {
        error(parent.loc, "unknown state '" + parent.text + "' to extend" +
                              suggest(parent.text, state_names()));
      }
    }
    chain_.assign(n, 0);
    std::vector<char> on_path(n, 0), in_cycle(n, 0);
    std::vector<std::size_t> path;
    for (std::size_t i = 0; i < n; ++i) {
      if (chain_[i] != 0) continue;
      // Up from i until a state already measured, the top, or a state on
      // this path (a cycle).
      path.clear();
      int at = static_cast<int>(i);
      while (at >= 0 && chain_[static_cast<std::size_t>(at)] == 0 &&
             !on_path[static_cast<std::size_t>(at)]) {
        on_path[static_cast<std::size_t>(at)] = 1;
        path.push_back(static_cast<std::size_t>(at));
        at = extends_[static_cast<std::size_t>(at)];
      }
      std::size_t above = 0;  // the chain length of `at`
      std::size_t end = path.size();
      if (at >= 0 && on_path[static_cast<std::size_t>(at)]) {
        const auto first = static_cast<std::size_t>(
            std::find(path.begin(), path.end(), static_cast<std::size_t>(at)) - path.begin());
        for (std::size_t k = first; k < end; ++k) {
          const auto& d = decls[path[k]];
          error(d.parent.loc,
                "state '" + d.name.text + "' extends itself through '" + d.parent.text + "'");
          chain_[path[k]] = end - first;
          in_cycle[path[k]] = 1;
        }
        above = end - first;
        end = first;
      } else if (at >= 0) {
        above = chain_[static_cast<std::size_t>(at)];
      }
      for (std::size_t k = end; k-- > 0;) chain_[path[k]] = ++above;
      for (auto p : path) on_path[p] = 0;
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (chain_[i] != kMaxExtendsChain + 1 || in_cycle[i]) continue;
      std::size_t top = i;
      while (extends_[top] >= 0) top = static_cast<std::size_t>(extends_[top]);
      error(decls[i].parent.loc, "state '" + decls[i].name.text + "' extends a chain deeper than " +
                                     std::to_string(kMaxExtendsChain) + " states (up to '" +
                                     decls[top].name.text + "')");
    }
  }

  // A state's own handlers, then its parent's (`extends`), and so on up. A
  // state whose chain is too long (an error) gets its own handlers only.
  std::vector<const ast::Handler*> handlers_with_inherited(const ast::StateDecl& s) {
    std::vector<const ast::Handler*> out;
    auto i = static_cast<std::size_t>(&s - script_.states.data());
    const std::size_t len = chain_[i] > kMaxExtendsChain ? 1 : chain_[i];
    for (std::size_t k = 0; k < len && i < script_.states.size(); ++k) {
      for (const auto& h : script_.states[i].handlers) out.push_back(&h);
      if (extends_[i] < 0) break;
      i = static_cast<std::size_t>(extends_[i]);
    }
    return out;
  }

  bool event(const ast::Handler& h, Handler& ch) {
    auto kind = event_from_name(h.event.text);
    if (!kind) {
      std::vector<std::string> names;
      for (int k = 0; k <= static_cast<int>(EventKind::FenceRefused); ++k) {
        names.emplace_back(event_name(static_cast<EventKind>(k)));
      }
      error(h.event.loc, "unknown event '" + h.event.text + "'" + suggest(h.event.text, names));
      return false;
    }
    ch.event.kind = *kind;
    ch.trigger = h.event.text;
    const auto& arg = h.event_arg.text;
    switch (ch.event.kind) {
      case EventKind::ConsoleLost:
      case EventKind::ConsoleUp:
        if (arg.empty()) {
          error(h.event.loc, "'" + h.event.text + "' needs a channel: active or standby");
          return false;
        }
        if (arg == "active")
          ch.event.channel = Channel::Active;
        else if (arg == "standby")
          ch.event.channel = Channel::Standby;
        else {
          error(h.event_arg.loc,
                "'" + h.event.text + "' takes a channel (active, standby), not '" + arg + "'");
          return false;
        }
        ch.trigger += " " + arg;
        return true;
      case EventKind::ShExit:
        if (!arg.empty()) {
          if (arg == "active" || arg == "standby") {
            error(h.event_arg.loc, "'sh.exit' takes an exit status, not a channel");
            return false;
          }
          ch.any_code = false;
          ch.event.code = std::stoi(arg);
          ch.trigger += " " + arg;
        }
        return true;
      default:
        if (!arg.empty()) {
          error(h.event_arg.loc, "'" + h.event.text + "' takes no argument");
          return false;
        }
        return true;
    }
  }

  std::optional<Channel> channel(const ast::Name& n, bool allow_sh) {
    if (n.text == "active") return Channel::Active;
    if (n.text == "standby") return Channel::Standby;
    if (n.text == "sh" && allow_sh) return Channel::Sh;
    error(n.loc, "unknown channel '" + n.text + "' (expected active, standby" +
                     (allow_sh ? ", sh" : "") + ")");
    return std::nullopt;
  }

  // `groups`: capture groups of the pattern whose handler runs this action
  // (-1 outside pattern handlers).
  std::optional<Template> tmpl(const ast::Text& t, int groups) {
    Template out;
    bool ok = true;
    for (const auto& s : t.segments) {
      Template::Segment seg;
      switch (s.kind) {
        case ast::Text::Segment::Kind::Literal:
          seg.kind = Template::Segment::Kind::Literal;
          seg.literal = s.text;
          break;
        case ast::Text::Segment::Kind::Capture:
          seg.kind = Template::Segment::Kind::Capture;
          seg.index = s.capture;
          if (groups >= 0 && s.capture > groups) {
            error(s.loc, "$" + std::to_string(s.capture) + " but the pattern has " +
                             (groups == 0 ? std::string("no capture groups")
                                          : std::to_string(groups) + " capture group" +
                                                (groups == 1 ? "" : "s")));
            ok = false;
          }
          break;
        case ast::Text::Segment::Kind::Variable: {
          int b = is_builtin(s.text);
          if (b >= 0) {
            seg.kind = Template::Segment::Kind::Builtin;
            seg.index = b;
          } else if (auto it = value_index_.find(s.text); it != value_index_.end()) {
            seg.kind = Template::Segment::Kind::Value;
            seg.index = it->second;
          } else {
            auto names = value_keys();
            for (const char* n : {"active", "standby", "reason", "elapsed", "state", "trigger"})
              names.emplace_back(n);
            error(s.loc, "unknown variable '$" + s.text + "'" + suggest(s.text, names));
            ok = false;
          }
          break;
        }
      }
      out.segments.push_back(std::move(seg));
    }
    if (!ok) return std::nullopt;
    return out;
  }

  std::optional<Action> action(const ast::Action& a, int groups) {
    using K = ast::Action::Kind;
    Action out;
    out.loc = a.loc;
    switch (a.kind) {
      case K::Send:
      case K::SendSecret: {
        out.kind = a.kind == K::Send ? Action::Kind::Send : Action::Kind::SendSecret;
        auto c = channel(a.channel, false);
        auto t = tmpl(a.text, groups);
        if (!c || !t) return std::nullopt;
        out.channel = *c;
        out.text = std::move(*t);
        return out;
      }
      case K::Boot: {
        // Only the standby is ever booted by a script: the active is the
        // node the failover fences, and the runtime journals a boot as the
        // standby's.
        out.kind = Action::Kind::Boot;
        if (a.channel.text != "standby") {
          error(a.channel.loc, "'boot' boots the standby only (write 'boot standby \"…\"'), not '" +
                                   a.channel.text + "'");
          return std::nullopt;
        }
        auto t = tmpl(a.text, groups);
        if (!t) return std::nullopt;
        out.channel = Channel::Standby;
        out.text = std::move(*t);
        return out;
      }
      case K::Break:
      case K::MarkFenced: {
        out.kind = a.kind == K::Break ? Action::Kind::Break : Action::Kind::MarkFenced;
        auto c = channel(a.channel, false);
        if (!c) return std::nullopt;
        out.channel = *c;
        out.presumed = a.presumed;
        return out;
      }
      case K::Alarm: {
        out.kind = Action::Kind::Alarm;
        if (a.word.text == "notice")
          out.severity = AlarmSeverity::Notice;
        else if (a.word.text == "warning")
          out.severity = AlarmSeverity::Warning;
        else if (a.word.text == "critical")
          out.severity = AlarmSeverity::Critical;
        else {
          error(a.word.loc,
                "unknown severity '" + a.word.text + "' (expected notice, warning, critical)");
          return std::nullopt;
        }
        auto t = tmpl(a.text, groups);
        if (!t) return std::nullopt;
        out.text = std::move(*t);
        return out;
      }
      case K::Exec: {
        out.kind = Action::Kind::Exec;
        for (const auto& arg : a.args) {
          auto t = tmpl(arg, groups);
          if (!t) return std::nullopt;
          out.argv.push_back(std::move(*t));
        }
        return out;
      }
      case K::Log: {
        out.kind = Action::Kind::Log;
        auto t = tmpl(a.text, groups);
        if (!t) return std::nullopt;
        out.text = std::move(*t);
        return out;
      }
      case K::Set: {
        out.kind = Action::Kind::Set;
        Value::Kind want = Value::Kind::String;
        if (a.word.text == "reason") {
          out.value_index = -1;
        } else if (auto it = value_index_.find(a.word.text); it != value_index_.end()) {
          if (!prog_->value_is_var[static_cast<std::size_t>(it->second)]) {
            error(a.word.loc,
                  "'" + a.word.text +
                      "' is a param, which 'set' cannot change (declare it with 'var')");
            return std::nullopt;
          }
          out.value_index = it->second;
          want = prog_->values[static_cast<std::size_t>(it->second)].kind;
        } else {
          error(a.word.loc, "unknown variable '" + a.word.text +
                                "' (declare it with 'var', or set 'reason')" +
                                suggest(a.word.text, value_keys()));
          return std::nullopt;
        }
        Value::Kind got = a.value.kind == ast::Value::Kind::String    ? Value::Kind::String
                          : a.value.kind == ast::Value::Kind::Integer ? Value::Kind::Integer
                                                                      : Value::Kind::Interval;
        if (got != want) {
          error(a.value.loc, "'" + a.word.text + "' holds " + value_kind_name(want) + ", not " +
                                 value_kind_name(got));
          return std::nullopt;
        }
        out.value.kind = got;
        out.value.integer = a.value.integer;
        out.value.duration = a.value.duration;
        if (got == Value::Kind::String) {
          auto t = tmpl(a.value.text, groups);
          if (!t) return std::nullopt;
          out.set_text = std::move(*t);
        }
        return out;
      }
      case K::Takeover:
        out.kind = Action::Kind::Takeover;
        return out;
      case K::Power: {
        out.kind = Action::Kind::Power;
        auto c = channel(a.channel, false);
        if (!c) return std::nullopt;
        out.channel = *c;
        if (a.word.text == "off")
          out.power = PowerOp::Off;
        else if (a.word.text == "on")
          out.power = PowerOp::On;
        else if (a.word.text == "cycle")
          out.power = PowerOp::Cycle;
        else {
          error(a.word.loc,
                "unknown power operation '" + a.word.text + "' (expected off, on, cycle)");
          return std::nullopt;
        }
        return out;
      }
    }
    return std::nullopt;
  }

  // --- "did you mean" ----------------------------------------------------------
  static std::size_t distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      cur[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
      }
      std::swap(prev, cur);
    }
    return prev[b.size()];
  }
  // A close name from `known`, as "; did you mean 'x'?", or "". Each costs a
  // pass over `known`: a script full of bad names (thousands of states, each
  // naming an unknown one) gets suggestions for its first 100 only.
  std::string suggest(const std::string& name, const std::vector<std::string>& known) {
    if (suggestions_left_ == 0) return "";
    --suggestions_left_;
    std::string best;
    std::size_t best_d = 3;  // suggest only close names
    for (const auto& k : known) {
      // The distance is at least the difference in length.
      if ((name.size() > k.size() ? name.size() - k.size() : k.size() - name.size()) >= best_d)
        continue;
      auto d = distance(name, k);
      if (d < best_d) {
        best_d = d;
        best = k;
      }
    }
    return best.empty() ? "" : "; did you mean '" + best + "'?";
  }
  int find_state(const std::string& name) const {
    auto it = state_index_.find(name);
    return it == state_index_.end() ? -1 : it->second;
  }
  // Candidates for suggest(), built once: asked for only once every state
  // and pattern is known.
  const std::vector<std::string>& state_names() {
    if (state_names_.empty()) {
      for (const auto& s : prog_->states) state_names_.push_back(s.name);
    }
    return state_names_;
  }
  const std::vector<std::string>& value_keys() const { return prog_->value_names; }
  const std::vector<std::string>& named_keys() {
    if (named_keys_.empty()) {
      for (const auto& [k, _] : named_) named_keys_.push_back(k);
    }
    return named_keys_;
  }

  const ast::Script& script_;
  const std::map<std::string, std::string>& overrides_;
  std::unique_ptr<Program> prog_;
  Diagnostics diags_;
  std::map<std::string, int> value_index_;
  std::map<std::string, Compiled> named_;
  std::set<std::string> named_bad_;
  std::set<std::string> used_;                        // patterns some handler names
  std::unordered_map<std::string, int> state_index_;  // name -> index in prog_->states
  int suggestions_left_ = 100;
  std::size_t handlers_ = 0;  // compiled so far, inherited ones included (kMaxHandlers)
  std::vector<std::string> state_names_, named_keys_;  // state_names(), named_keys()
  std::vector<int> extends_;                           // resolve_extends()
  std::vector<std::size_t> chain_;                     // resolve_extends()
};

}  // namespace

CompileResult compile(const ast::Script& script,
                      const std::map<std::string, std::string>& overrides) {
  return Compiler(script, overrides).run();
}

}  // namespace clusterd::chat
