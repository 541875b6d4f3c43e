// The compiler (compiler.h): resolves the states of a parsed script and their
// handlers (pattern, event and `after` triggers, `->` targets), and builds
// one PatternSet per state and channel. The steps with a life of their own
// are beside it: value_compiler (params, vars, overrides), pattern_compiler
// (one pattern), action_compiler (actions and their text), extends
// (`extends` chains), suggest ("did you mean"). Every error is a Diagnostic
// in the result; nothing throws.
#include "chat/compiler.h"

#include <array>
#include <charconv>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "chat/action_compiler.h"
#include "chat/extends.h"
#include "chat/pattern_compiler.h"
#include "chat/suggest.h"
#include "chat/value_compiler.h"

namespace clusterd::chat {

namespace {

std::string where(const Loc& l) { return l.file + ":" + std::to_string(l.line); }

// The pattern sources of one state, by channel: compiled into its PatternSets
// once every handler is known.
using ChannelSources = std::array<std::vector<PatternSource>, kChannelCount>;

class Compiler {
 public:
  Compiler(const ast::Script& s, const std::map<std::string, std::string>& overrides,
           const std::map<std::string, Loc>& where)
      : script_(s), overrides_(overrides), where_(where) {}

  CompileResult run() {
    prog_ = std::make_unique<Program>();
    compile_values(script_.values, overrides_, where_, *prog_, value_index_, diags_);
    actions_.emplace(*prog_, value_index_, suggester_, diags_);
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

  // --- patterns --------------------------------------------------------------
  void patterns() {
    std::map<std::string, Loc> seen;
    for (const auto& d : script_.patterns) {
      auto [it, fresh] = seen.emplace(d.name.text, d.name.loc);
      if (!fresh) {
        error(d.name.loc, "duplicate pattern '" + d.name.text + "' (first declared at " +
                              where(it->second) + ")");
        continue;
      }
      if (auto c = compile_pattern(d.spec, diags_)) {
        named_[d.name.text] = std::move(*c);
      } else {
        named_bad_.insert(d.name.text);
      }
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
    extends_ = resolve_extends(script_.states, diags_, [this](const std::string& name) {
      return suggest(name, state_names());
    });
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
      if (auto c = actions_->action(a, -1)) st.entry.push_back(std::move(*c));
    }
    ChannelSources sources;
    const auto decl = static_cast<std::size_t>(&s - script_.states.data());
    const auto handlers = handlers_with_inherited(script_.states, extends_, decl);
    if (handlers_ > kMaxHandlers) return;  // reported; nothing more is compiled
    handlers_ += handlers.size();
    if (handlers_ > kMaxHandlers) {
      error(s.name.loc, "state '" + s.name.text + "' takes the script past " +
                            std::to_string(kMaxHandlers) +
                            " handlers (each state counts those it inherits through 'extends')");
      return;
    }
    for (const ast::Handler* h : handlers) {
      if (auto c = handler(*h, sources)) st.handlers.push_back(std::move(*c));
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

  // One handler: its trigger, its actions and its target. Errors in each part
  // are all reported; nullopt when there was one.
  std::optional<Handler> handler(const ast::Handler& h, ChannelSources& sources) {
    Handler ch;
    ch.loc = h.loc;
    int groups = -1;  // -1: not a pattern handler, any $N may refer to an earlier match
    bool ok = true;
    switch (h.kind) {
      case ast::Handler::Kind::Pattern:
        ch.kind = Handler::Kind::Pattern;
        ok = pattern_trigger(h, ch, sources, groups);
        break;
      case ast::Handler::Kind::Event:
        ch.kind = Handler::Kind::Event;
        ok = event(h, ch);
        break;
      case ast::Handler::Kind::After:
        ch.kind = Handler::Kind::After;
        ok = after(h, ch);
        break;
    }
    for (const auto& a : h.actions) {
      if (auto c = actions_->action(a, groups)) ch.actions.push_back(std::move(*c));
    }
    if (h.target && !target(*h.target, ch)) ok = false;
    if (!ok) return std::nullopt;
    return ch;
  }

  // `on CH PATTERN`: adds the pattern to the state's sources for CH; `groups`
  // gets its capture groups, for the `$N` of the handler's actions.
  bool pattern_trigger(const ast::Handler& h, Handler& ch, ChannelSources& sources, int& groups) {
    auto c = resolve_channel(h.channel, /*allow_sh=*/true, diags_);
    std::optional<CompiledPattern> comp;
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
      comp = compile_pattern(h.pattern, diags_);
    }
    if (!c || !comp) return false;
    ch.channel = *c;
    auto& list = sources[static_cast<std::size_t>(*c)];
    ch.pattern = static_cast<int>(list.size());
    list.push_back(comp->source);
    groups = comp->groups;
    ch.trigger = std::string(channel_name(*c)) + " " + comp->display;
    return true;
  }

  // `after DURATION` or `after $param` (a duration param).
  bool after(const ast::Handler& h, Handler& ch) {
    if (h.after.literal) {
      ch.after = *h.after.literal;
      ch.trigger = "after " + format_duration(ch.after);
      return true;
    }
    const ast::Name& p = h.after.param;
    auto it = value_index_.find(p.text);
    if (it == value_index_.end()) {
      error(p.loc, "unknown param '$" + p.text + "'" + suggest(p.text, value_keys()));
      return false;
    }
    const Value& v = prog_->values[static_cast<std::size_t>(it->second)];
    if (v.kind != Value::Kind::Interval) {
      error(p.loc, "'after $" + p.text + "' needs a duration; '" + p.text + "' is " +
                       value_kind_name(v.kind));
      return false;
    }
    ch.after = v.duration;
    ch.trigger = "after $" + p.text + " (" + format_duration(v.duration) + ")";
    return true;
  }

  // `-> STATE`, or `-> $param` naming one. A param is resolved here, once,
  // so the checker's proofs see the state the config chose.
  bool target(const ast::Name& t, Handler& ch) {
    std::string name = t.text;
    if (!name.empty() && name[0] == '$') {
      auto chosen = param_target(t, name.substr(1));
      if (!chosen) return false;
      ch.target_param = name.substr(1);
      name = *chosen;
    }
    if (name.empty()) return true;
    ch.target = find_state(name);
    if (ch.target < 0) {
      error(t.loc, "unknown state '" + name + "'" + suggest(name, state_names()));
      return false;
    }
    return true;
  }

  // The state a `-> $param` target names, which must be a state; nullopt
  // (reported) when it is not.
  std::optional<std::string> param_target(const ast::Name& t, const std::string& param) {
    auto it = value_index_.find(param);
    if (it != value_index_.end() && prog_->value_is_var[static_cast<std::size_t>(it->second)]) {
      error(t.loc, "'-> $" + param + "': '" + param +
                       "' is a var, which changes at run time; a target takes a param");
      return std::nullopt;
    }
    if (it == value_index_.end()) {
      error(t.loc, "unknown param '$" + param + "' (a '->' target names a state or a param)" +
                       suggest(param, value_keys()));
      return std::nullopt;
    }
    const Value& v = prog_->values[static_cast<std::size_t>(it->second)];
    if (v.kind != Value::Kind::String) {
      error(t.loc, "'-> $" + param + "' needs a string param naming a state; '" + param + "' is " +
                       value_kind_name(v.kind));
      return std::nullopt;
    }
    if (find_state(v.string) < 0) {
      error(t.loc, "'-> $" + param + "': param '" + param + "' is '" + v.string +
                       "', which is not a state" + suggest(v.string, state_names()));
      return std::nullopt;
    }
    return v.string;
  }

  bool event(const ast::Handler& h, Handler& ch) {
    auto kind = event_from_name(h.event.text);
    if (!kind) {
      std::vector<std::string> names;
      for (int k = 0; k <= static_cast<int>(kLastEvent); ++k) {
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
      case EventKind::PowerOff:
      case EventKind::PowerOn:
      case EventKind::PowerFailed:
        if (arg.empty()) {
          error(h.event.loc, "'" + h.event.text + "' needs a channel: active or standby");
          return false;
        }
        if (arg == "active") {
          ch.event.channel = Channel::Active;
        } else if (arg == "standby") {
          ch.event.channel = Channel::Standby;
        } else {
          error(h.event_arg.loc,
                "'" + h.event.text + "' takes a channel (active, standby), not '" + arg + "'");
          return false;
        }
        ch.trigger += " " + arg;
        return true;
      case EventKind::ShExit:
        return exit_status(h, ch);
      default:
        if (!arg.empty()) {
          error(h.event_arg.loc, "'" + h.event.text + "' takes no argument");
          return false;
        }
        return true;
    }
  }

  // `on sh.exit [N]`: the grammar lets any integer through, however long.
  bool exit_status(const ast::Handler& h, Handler& ch) {
    const auto& arg = h.event_arg.text;
    if (arg.empty()) return true;
    if (arg == "active" || arg == "standby") {
      error(h.event_arg.loc, "'sh.exit' takes an exit status, not a channel");
      return false;
    }
    int code = 0;
    auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), code);
    if (ec != std::errc() || end != arg.data() + arg.size()) {
      error(h.event_arg.loc, "exit status out of range: " + arg);
      return false;
    }
    ch.any_code = false;
    ch.event.code = code;
    ch.trigger += " " + arg;
    return true;
  }

  // --- names ---------------------------------------------------------------------
  std::string suggest(const std::string& name, const std::vector<std::string>& known) {
    return suggester_.suggest(name, known);
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
  const std::map<std::string, Loc>& where_;
  std::unique_ptr<Program> prog_;
  Diagnostics diags_;
  std::map<std::string, int> value_index_;
  std::map<std::string, CompiledPattern> named_;
  std::set<std::string> named_bad_;
  std::set<std::string> used_;                        // patterns some handler names
  std::unordered_map<std::string, int> state_index_;  // name -> index in prog_->states
  Suggester suggester_;
  std::optional<ActionCompiler> actions_;  // once the values are known
  std::size_t handlers_ = 0;  // compiled so far, inherited ones included (kMaxHandlers)
  std::vector<std::string> state_names_, named_keys_;  // state_names(), named_keys()
  ExtendsChains extends_;
};

}  // namespace

CompileResult compile(const ast::Script& script,
                      const std::map<std::string, std::string>& overrides,
                      const std::map<std::string, Loc>& where) {
  return Compiler(script, overrides, where).run();
}

}  // namespace clusterd::chat
