// Actions and the templates of their text (action_compiler.h).
#include "chat/action_compiler.h"

#include "chat/value_compiler.h"

namespace clusterd::chat {

std::optional<Channel> resolve_channel(const ast::Name& n, bool allow_sh, Diagnostics& out) {
  if (n.text == "active") return Channel::Active;
  if (n.text == "standby") return Channel::Standby;
  if (n.text == "sh" && allow_sh) return Channel::Sh;
  out.push_back({n.loc,
                 Severity::Error,
                 "unknown channel '" + n.text + "' (expected active, standby" +
                     (allow_sh ? ", sh" : "") + ")",
                 {}});
  return std::nullopt;
}

std::optional<Template> ActionCompiler::tmpl(const ast::Text& t, int groups) {
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
        int b = builtin_index(s.text);
        if (b >= 0) {
          seg.kind = Template::Segment::Kind::Builtin;
          seg.index = b;
        } else if (auto it = value_index_.find(s.text); it != value_index_.end()) {
          seg.kind = Template::Segment::Kind::Value;
          seg.index = it->second;
        } else {
          auto names = value_keys();
          names.insert(names.end(), builtin_names().begin(), builtin_names().end());
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

std::optional<Action> ActionCompiler::action(const ast::Action& a, int groups) {
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
    case K::Boot:
      return boot(a, groups, out);
    case K::Break:
    case K::MarkFenced: {
      out.kind = a.kind == K::Break ? Action::Kind::Break : Action::Kind::MarkFenced;
      auto c = channel(a.channel, false);
      if (!c) return std::nullopt;
      out.channel = *c;
      out.fence = a.presumed   ? FenceHow::Presumed
                  : a.by_power ? FenceHow::Power
                  : a.by_lease ? FenceHow::Lease
                               : FenceHow::Confirmed;
      return out;
    }
    case K::Alarm:
      return alarm(a, groups, out);
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
    case K::Set:
      return set(a, groups, out);
    case K::Takeover:
      out.kind = Action::Kind::Takeover;
      return out;
    case K::Power:
      return power(a, out);
  }
  return std::nullopt;
}

// `boot standby "TEXT"`. Only the standby is ever booted by a script: the
// active is the node the failover fences, and the runtime journals a boot
// as the standby's.
std::optional<Action> ActionCompiler::boot(const ast::Action& a, int groups, Action& out) {
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

std::optional<Action> ActionCompiler::alarm(const ast::Action& a, int groups, Action& out) {
  out.kind = Action::Kind::Alarm;
  if (a.word.text == "notice") {
    out.severity = AlarmSeverity::Notice;
  } else if (a.word.text == "warning") {
    out.severity = AlarmSeverity::Warning;
  } else if (a.word.text == "critical") {
    out.severity = AlarmSeverity::Critical;
  } else {
    error(a.word.loc,
          "unknown severity '" + a.word.text + "' (expected notice, warning, critical)");
    return std::nullopt;
  }
  auto t = tmpl(a.text, groups);
  if (!t) return std::nullopt;
  out.text = std::move(*t);
  return out;
}

// `set VAR = VALUE` (or `set reason = "…"`): a var of the value's type.
std::optional<Action> ActionCompiler::set(const ast::Action& a, int groups, Action& out) {
  out.kind = Action::Kind::Set;
  Value::Kind want = Value::Kind::String;
  if (a.word.text == "reason") {
    out.value_index = -1;
  } else if (auto it = value_index_.find(a.word.text); it != value_index_.end()) {
    if (!prog_.value_is_var[static_cast<std::size_t>(it->second)]) {
      error(a.word.loc,
            "'" + a.word.text + "' is a param, which 'set' cannot change (declare it with 'var')");
      return std::nullopt;
    }
    out.value_index = it->second;
    want = prog_.values[static_cast<std::size_t>(it->second)].kind;
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
    error(a.value.loc,
          "'" + a.word.text + "' holds " + value_kind_name(want) + ", not " + value_kind_name(got));
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

std::optional<Action> ActionCompiler::power(const ast::Action& a, Action& out) {
  out.kind = Action::Kind::Power;
  auto c = channel(a.channel, false);
  if (!c) return std::nullopt;
  out.channel = *c;
  if (a.word.text == "off") {
    out.power = PowerOp::Off;
  } else if (a.word.text == "on") {
    out.power = PowerOp::On;
  } else if (a.word.text == "cycle") {
    out.power = PowerOp::Cycle;
  } else {
    error(a.word.loc, "unknown power operation '" + a.word.text + "' (expected off, on, cycle)");
    return std::nullopt;
  }
  return out;
}

}  // namespace clusterd::chat
