#include "chat/interpreter.h"

#include <cstdio>

#include "base/assert.h"

namespace clusterd::chat {

namespace {

std::string seconds_text(Duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%01llds", static_cast<long long>(ms / 1000),
                static_cast<long long>((ms % 1000) / 100));
  return buf;
}

}  // namespace

std::string FencePolicy::refusal(const FenceEvidence& e) const {
  if (!allow_presumed) return "unconfirmed_fence = wait";
  if (!e.console_up) return "console not connected";
  if (!e.ping_down) return "ping not down";
  if (!e.break_sent) return "no BREAK was sent";
  if (!e.probed) return "no CR sent after the last BREAK yet";
  if (e.answered) return "the node answered the CR sent after the BREAK: it is alive";
  if (e.since_probe < silence) {
    return "silent only " + seconds_text(e.since_probe) + " since the CR after the BREAK, not " +
           seconds_text(silence);
  }
  return {};
}

Interpreter::Interpreter(const Program& program, Actuator& actuator, InterpreterOptions options)
    : program_(program),
      act_(actuator),
      opt_(std::move(options)),
      streams_{StreamWindow(opt_.window), StreamWindow(opt_.window), StreamWindow(opt_.window)},
      names_{opt_.active_name, opt_.standby_name},
      values_(program.values) {}

void Interpreter::start(TimePoint now) {
  if (started_) return;
  started_ = true;
  started_at_ = now;
  act_.at(now);
  enter(program_.initial, now, "start", {});
}

bool Interpreter::resume(std::string_view state, bool active_fenced, TimePoint now) {
  if (started_) return false;
  for (std::size_t i = 0; i < program_.states.size(); ++i) {
    if (program_.states[i].name != state) continue;
    started_ = true;
    started_at_ = now;
    fenced_active_ = active_fenced;
    act_.at(now);
    skip_entry_ = true;
    enter(static_cast<int>(i), now, "resume", {});
    skip_entry_ = false;
    return true;
  }
  return false;
}

std::string_view Interpreter::state_name() const {
  if (current_ < 0) return {};
  return program_.states[static_cast<std::size_t>(current_)].name;
}

const Value* Interpreter::value(std::string_view name) const {
  for (std::size_t i = 0; i < program_.value_names.size(); ++i) {
    if (program_.value_names[i] == name) return &values_[i];
  }
  return nullptr;
}

void Interpreter::fingerprint(Fingerprint& f, TimePoint now, Duration window) const {
  f.add_int(current_);
  // When the state was entered matters only to its armed `after`s.
  const auto& hs = program_.states[static_cast<std::size_t>(current_ < 0 ? 0 : current_)].handlers;
  bool timed = false;
  for (std::size_t i = 0; i < hs.size() && i < armed_.size(); ++i)
    timed |= hs[i].kind == Handler::Kind::After && armed_[i];
  f.add_time(timed ? std::optional<TimePoint>(entered_at_) : std::nullopt, now);
  f.add_bool(in_incident_);
  for (bool a : armed_) f.add_bool(a);
  for (const auto& s : streams_) s.fingerprint(f);
  f.add_int(static_cast<int>(ping_));
  f.add_int(static_cast<int>(monitor_));
  for (Level l : console_) f.add_int(static_cast<int>(l));
  // When a node last spoke, and the fence probe's times, count only as far
  // as a fence's evidence can tell (FencePolicy::accepts): a silence against
  // its window, a BREAK sent or not, a byte after the CR or not. One
  // millisecond past the window is "past it" for every age.
  const auto cap = window + std::chrono::milliseconds(1);
  for (const auto& last : last_byte_) f.add_age(last, now, cap);
  for (std::size_t c = 0; c < probe_.size(); ++c) {
    const Probe& p = probe_[c];
    f.add_bool(p.break_at.has_value());
    f.add_age(p.cr_at, now, cap);
    f.add_bool(p.cr_at && last_byte_[c] && *last_byte_[c] >= *p.cr_at);
    f.add_time(p.due, now);
  }
  for (const auto& d : line_due_) f.add_time(d, now);
  for (const Value& v : values_) f.add(std::string_view(to_string(v)));
  f.add(std::string_view(reason_));
  f.add(std::string_view(trigger_));
  for (const auto& c : captures_) f.add(std::string_view(c));
  f.add_bool(fenced_active_);
  f.add_bool(skip_entry_);
  f.add_bool(fence_refused_);
  f.add_bool(stopped_);
  f.add_bool(started_);
}

std::optional<TimePoint> Interpreter::next_probe() const {
  std::optional<TimePoint> best;
  for (const auto& p : probe_) {
    if (p.due && (!best || *p.due < *best)) best = p.due;
  }
  return best;
}

std::optional<TimePoint> Interpreter::next_line_due(Channel* ch) const {
  std::optional<TimePoint> best;
  for (std::size_t c = 0; c < line_due_.size(); ++c) {
    if (line_due_[c] && (!best || *line_due_[c] < *best)) {
      best = line_due_[c];
      if (ch) *ch = static_cast<Channel>(c);
    }
  }
  return best;
}

std::optional<TimePoint> Interpreter::next_deadline() const {
  if (!started_ || stopped_) return std::nullopt;
  std::optional<TimePoint> best = next_probe();
  if (auto l = next_line_due(nullptr); l && (!best || *l < *best)) best = l;
  const auto& hs = program_.states[static_cast<std::size_t>(current_)].handlers;
  for (std::size_t i = 0; i < hs.size(); ++i) {
    if (hs[i].kind != Handler::Kind::After || !armed_[i]) continue;
    TimePoint t = entered_at_ + hs[i].after;
    if (!best || t < *best) best = t;
  }
  return best;
}

void Interpreter::advance_to(TimePoint now) {
  if (!started_) return;
  while (!stopped_) {
    const auto& hs = program_.states[static_cast<std::size_t>(current_)].handlers;
    int pick = -1;
    TimePoint when{};
    for (std::size_t i = 0; i < hs.size(); ++i) {
      if (hs[i].kind != Handler::Kind::After || !armed_[i]) continue;
      TimePoint t = entered_at_ + hs[i].after;
      if (t <= now && (pick < 0 || t < when)) {  // strict: ties go to the first declared
        pick = static_cast<int>(i);
        when = t;
      }
    }
    // A line that did not end in time: its match fires with what came.
    Channel lch{};
    if (auto due = next_line_due(&lch); due && *due <= now && (pick < 0 || *due <= when)) {
      act_.at(*due);
      feed(lch, {}, *due, /*flush=*/true);
      line_due_[static_cast<std::size_t>(lch)].reset();
      continue;
    }
    // The runtime's own CR after a BREAK goes first at equal times: a
    // presumption at that instant then sees it.
    if (auto due = next_probe(); due && *due <= now && (pick < 0 || *due <= when)) {
      for (std::size_t c = 0; c < probe_.size(); ++c) {
        if (probe_[c].due != due) continue;
        act_.at(*due);
        act_.log("CR to " + names_[c] +
                 " after its BREAK: a presumed fence counts its silence from here");
        act_.send(static_cast<Channel>(c), "\r");
        sent(static_cast<Channel>(c), "\r", *due);
        break;
      }
      continue;
    }
    if (pick < 0) return;
    armed_[static_cast<std::size_t>(pick)] = false;
    act_.at(when);
    fire(pick, when, {});
  }
}

void Interpreter::sent(Channel ch, std::string_view bytes, TimePoint now) {
  if (ch == Channel::Sh) return;
  Probe& p = probe_[static_cast<std::size_t>(ch)];
  if (!p.break_at || bytes.find('\r') == std::string_view::npos) return;
  p.cr_at = now;
  p.due.reset();
}

FenceEvidence Interpreter::evidence(Channel ch, TimePoint now) const {
  const auto c = static_cast<std::size_t>(ch);
  FenceEvidence ev;
  ev.console_up = console_[c] == Level::Up;
  ev.ping_down = ping_ == Level::Down;
  ev.silent_for = now - (last_byte_[c] ? *last_byte_[c] : started_at_);
  if (ch == Channel::Sh) return ev;
  const Probe& p = probe_[c];
  ev.break_sent = p.break_at.has_value();
  ev.probed = p.cr_at.has_value();
  if (p.cr_at) {
    ev.since_probe = now - *p.cr_at;
    ev.answered = last_byte_[c] && *last_byte_[c] >= *p.cr_at;
  }
  return ev;
}

void Interpreter::on_event(const Event& ev, TimePoint now) {
  if (!started_ || stopped_) return;
  advance_to(now);
  if (stopped_) return;
  act_.at(now);
  auto set_level = [&](Level& level, Level to, EventKind kind, Channel ch) {
    if (level == to) return;  // a repeated report changes nothing
    level = to;
    rearm(kind, kind, ch);
  };
  switch (ev.kind) {
    case EventKind::PingDown:
      set_level(ping_, Level::Down, ev.kind, ev.channel);
      break;
    case EventKind::PingUp:
      set_level(ping_, Level::Up, ev.kind, ev.channel);
      break;
    case EventKind::MonitorIsolated:
      set_level(monitor_, Level::Down, ev.kind, ev.channel);
      break;
    case EventKind::MonitorOk:
      set_level(monitor_, Level::Up, ev.kind, ev.channel);
      break;
    case EventKind::LeaseExpired:
      set_level(lease_, Level::Down, ev.kind, ev.channel);
      break;
    case EventKind::LeaseHeld:
      set_level(lease_, Level::Up, ev.kind, ev.channel);
      break;
    case EventKind::ConsoleLost:
    case EventKind::ConsoleUp:
      if (ev.channel == Channel::Sh) return;
      set_level(console_[static_cast<std::size_t>(ev.channel)],
                ev.kind == EventKind::ConsoleUp ? Level::Up : Level::Down, ev.kind, ev.channel);
      break;
    default:
      dispatch_edge(ev, now);
      break;
  }
  settle(now);
}

void Interpreter::rearm(EventKind a, EventKind b, Channel ch) {
  const auto& hs = program_.states[static_cast<std::size_t>(current_)].handlers;
  for (std::size_t i = 0; i < hs.size(); ++i) {
    if (hs[i].kind != Handler::Kind::Event) continue;
    auto k = hs[i].event.kind;
    if (k != a && k != b) continue;
    if ((k == EventKind::ConsoleLost || k == EventKind::ConsoleUp) && hs[i].event.channel != ch)
      continue;
    armed_[i] = true;
  }
}

bool Interpreter::level_holds(const Handler& h) const {
  switch (h.event.kind) {
    case EventKind::PingDown:
      return ping_ == Level::Down;
    case EventKind::PingUp:
      return ping_ == Level::Up;
    case EventKind::MonitorIsolated:
      return monitor_ == Level::Down;
    case EventKind::MonitorOk:
      return monitor_ == Level::Up;
    case EventKind::LeaseExpired:
      return lease_ == Level::Down;
    case EventKind::LeaseHeld:
      return lease_ == Level::Up;
    case EventKind::ConsoleLost:
      return console_[static_cast<std::size_t>(h.event.channel)] == Level::Down;
    case EventKind::ConsoleUp:
      return console_[static_cast<std::size_t>(h.event.channel)] == Level::Up;
    default:
      return false;  // edges never hold
  }
}

void Interpreter::dispatch_edge(const Event& ev, TimePoint now) {
  const auto& hs = program_.states[static_cast<std::size_t>(current_)].handlers;
  for (std::size_t i = 0; i < hs.size(); ++i) {
    const Handler& h = hs[i];
    if (h.kind != Handler::Kind::Event || h.event.kind != ev.kind) continue;
    if (ev.kind == EventKind::ShExit && !h.any_code && h.event.code != ev.code) continue;
    if (event_takes_channel(ev.kind) && h.event.channel != ev.channel) continue;
    if (!ev.detail.empty()) reason_ = ev.detail;
    if (ev.kind == EventKind::ShExit && h.any_code) {
      // `on sh.exit` with no status: $trigger names the one that came.
      const std::string named = h.trigger + " " + std::to_string(ev.code);
      fire(static_cast<int>(i), now, {}, &named);
      return;
    }
    fire(static_cast<int>(i), now, {});
    return;
  }
}

void Interpreter::settle(TimePoint now) {
  while (!stopped_) {
    const int state = current_;
    const auto& hs = program_.states[static_cast<std::size_t>(state)].handlers;
    int pick = -1;
    for (std::size_t i = 0; i < hs.size() && pick < 0; ++i) {
      if (hs[i].kind == Handler::Kind::Event && armed_[i] && level_holds(hs[i]))
        pick = static_cast<int>(i);
    }
    if (pick < 0) return;
    armed_[static_cast<std::size_t>(pick)] = false;
    int before = steps_total_;
    fire(pick, now, {});
    if (steps_total_ != before) return;  // a transition happened; enter() settled the new state
  }
}

void Interpreter::on_bytes(Channel ch, std::string_view bytes, TimePoint now) {
  if (!started_ || stopped_ || bytes.empty()) return;
  advance_to(now);
  if (stopped_) return;
  act_.at(now);
  last_byte_[static_cast<std::size_t>(ch)] = now;
  // Slices of at most one window keep the buffer bounded whatever a read returns.
  const std::size_t w = streams_[0].window();
  for (std::size_t off = 0; off < bytes.size() && !stopped_; off += w) {
    feed(ch, bytes.substr(off, w), now);
  }
}

void Interpreter::feed(Channel ch, std::string_view bytes, TimePoint now, bool flush) {
  const auto c = static_cast<std::size_t>(ch);
  std::string hold;  // bytes that followed a match which changed the state
  std::string_view input = bytes;
  bool pass = flush;  // a flush searches once even with no new bytes
  while (!stopped_ && (!input.empty() || pass)) {
    pass = false;
    const State& st = program_.states[static_cast<std::size_t>(current_)];
    StreamWindow& stream = streams_[c];
    if (!st.patterns[c]) {
      stream.discard(input);
      line_due_[c].reset();
      return;
    }
    stream.append(input);
    input = {};
    Match m;
    while (!stopped_ && stream.next(*st.patterns[c], m)) {
      // A match that takes the rest of its line, and the line has not ended:
      // wait for its end (or line_wait) so that $0 is the whole line. Bounded:
      // a line longer than the window fires at once.
      if (m.open && !flush && stream.text().size() < stream.window()) {
        stream.rewind(m.begin);
        if (!line_due_[c]) line_due_[c] = now + opt_.line_wait;
        return;
      }
      line_due_[c].reset();
      for (std::size_t k = 0; k < 10; ++k) captures_[k].assign(m.captures[k]);
      const int h = pattern_handler_[c][static_cast<std::size_t>(m.index)];
      std::string tail = stream.take_after(m.end);
      const int before = steps_total_;
      fire(h, now, captures_[0]);
      if (steps_total_ != before) {
        // The rest of the read came after the match: it belongs to the new state.
        hold = std::move(tail);
        input = hold;
        flush = false;
        break;
      }
      stream.append(tail);  // same state: keep searching after the match
    }
  }
}

void Interpreter::fire(int handler, TimePoint now, std::string_view matched,
                       const std::string* trigger) {
  // Handler and state indices come from the compiler, never from input.
  CLUSTERD_ASSERT(current_ >= 0 && static_cast<std::size_t>(current_) < program_.states.size());
  CLUSTERD_ASSERT(handler >= 0 &&
                  static_cast<std::size_t>(handler) <
                      program_.states[static_cast<std::size_t>(current_)].handlers.size());
  const Handler& h = program_.states[static_cast<std::size_t>(current_)]
                         .handlers[static_cast<std::size_t>(handler)];
  trigger_ = trigger ? *trigger : h.trigger;
  if (!run(h.actions, now)) {
    if (fence_refused_) {
      fence_refused_ = false;
      dispatch_edge(Event{EventKind::FenceRefused, Channel::Active, 0}, now);
    }
    return;
  }
  if (h.target >= 0) enter(h.target, now, trigger ? *trigger : h.trigger, matched);
}

void Interpreter::enter(int state, TimePoint now, const std::string& trigger,
                        std::string_view matched) {
  CLUSTERD_ASSERT(state >= 0 && static_cast<std::size_t>(state) < program_.states.size());
  if (stopped_) return;
  if (now != step_time_) {
    step_time_ = now;
    steps_ = 0;
  }
  if (++steps_ > opt_.max_steps_per_call) {
    stopped_ = true;
    act_.fault("script stopped: more than " + std::to_string(opt_.max_steps_per_call) +
               " transitions at one instant (a loop between '" + std::string(state_name()) +
               "' and '" + program_.states[static_cast<std::size_t>(state)].name + "')");
    return;
  }
  ++steps_total_;
  const int from = current_;
  if (state == program_.initial) {
    in_incident_ = false;
    probe_ = {};  // a BREAK of an incident that is over says nothing of the next one
  } else if (!in_incident_) {
    in_incident_ = true;
    incident_start_ = now;
  }
  current_ = state;
  entered_at_ = now;
  const State& st = program_.states[static_cast<std::size_t>(state)];
  // A level handler that stays in (or re-enters) this state waits for its level
  // to change; one that leaves fires at once if its condition already holds.
  armed_.assign(st.handlers.size(), true);
  for (std::size_t i = 0; i < st.handlers.size(); ++i) {
    const Handler& h = st.handlers[i];
    if (h.kind == Handler::Kind::Event && (h.target < 0 || h.target == state)) {
      armed_[i] = !level_holds(h);  // edges never hold, so they stay armed
    }
  }
  for (auto& p : pattern_handler_) p.clear();
  for (std::size_t i = 0; i < st.handlers.size(); ++i) {
    const Handler& h = st.handlers[i];
    if (h.kind != Handler::Kind::Pattern) continue;
    auto& v = pattern_handler_[static_cast<std::size_t>(h.channel)];
    if (v.size() <= static_cast<std::size_t>(h.pattern))
      v.resize(static_cast<std::size_t>(h.pattern) + 1, -1);
    v[static_cast<std::size_t>(h.pattern)] = static_cast<int>(i);
  }
  for (auto& s : streams_) s.reset();
  line_due_ = {};
  act_.entered(StateChange{now, from, state, trigger, std::string(matched)});
  const int entered_step = steps_total_;
  if (!skip_entry_ && !run(st.entry, now)) {
    if (fence_refused_) {
      fence_refused_ = false;
      dispatch_edge(Event{EventKind::FenceRefused, Channel::Active, 0}, now);
    }
  }
  if (steps_total_ == entered_step) settle(now);
}

bool Interpreter::run(const std::vector<Action>& actions, TimePoint now) {
  for (const Action& a : actions) {
    if (stopped_) return false;
    switch (a.kind) {
      case Action::Kind::Send: {
        std::string text = expand(a.text, now);
        act_.send(a.channel, text);
        sent(a.channel, text, now);
        break;
      }
      case Action::Kind::Boot: {
        // As for takeover: the checker proves a fence comes first; this
        // catches a program that did not pass it.
        if (!fenced_active_) {
          act_.fault("boot of the standby '" + names_[1] + "' refused: the active node '" +
                     names_[0] + "' is not marked fenced");
          return false;
        }
        std::string text = expand(a.text, now);
        act_.boot(a.channel, text);
        sent(a.channel, text, now);
        break;
      }
      case Action::Kind::SendSecret:
        act_.send_secret(a.channel, expand(a.text, now));
        break;
      case Action::Kind::Break:
        act_.send_break(a.channel);
        if (a.channel != Channel::Sh) {
          Probe& p = probe_[static_cast<std::size_t>(a.channel)];
          p.break_at = now;
          p.cr_at.reset();
          p.due = now + opt_.break_probe;
        }
        break;
      case Action::Kind::Alarm:
        act_.alarm(a.severity, expand(a.text, now));
        break;
      case Action::Kind::Log:
        act_.log(expand(a.text, now));
        break;
      case Action::Kind::Exec: {
        std::vector<std::string> argv;
        argv.reserve(a.argv.size());
        for (const auto& t : a.argv) argv.push_back(expand(t, now));
        act_.exec(argv);
        break;
      }
      case Action::Kind::Set:
        if (a.value_index < 0) {
          reason_ = expand(a.set_text, now);
        } else {
          Value& v = values_[static_cast<std::size_t>(a.value_index)];
          v = a.value;
          if (v.kind == Value::Kind::String) v.string = expand(a.set_text, now);
        }
        break;
      case Action::Kind::MarkFenced: {
        const FenceEvidence ev = evidence(a.channel, now);
        if (!act_.mark_fenced(a.channel, a.fence, ev)) {
          fence_refused_ = true;
          return false;
        }
        if (a.channel == Channel::Active) fenced_active_ = true;
        break;
      }
      case Action::Kind::Takeover:
        if (!fenced_active_) {
          act_.fault("takeover refused: the active node '" + names_[0] + "' is not marked fenced");
          return false;
        }
        act_.takeover();
        fenced_active_ = false;
        // Roles swap: what was said of the standby is now said of the active.
        std::swap(names_[0], names_[1]);
        std::swap(console_[0], console_[1]);
        std::swap(last_byte_[0], last_byte_[1]);
        std::swap(probe_[0], probe_[1]);
        std::swap(streams_[0], streams_[1]);
        ping_ = Level::Unknown;   // the new active has not been pinged yet
        lease_ = Level::Unknown;  // nor its lease renewed by this incident
        break;
      case Action::Kind::Power:
        if (boots_standby(a) && !fenced_active_) {
          act_.fault("power " + std::string(power_op_name(a.power)) + " of the standby '" +
                     names_[1] + "' refused: the active node '" + names_[0] +
                     "' is not marked fenced");
          return false;
        }
        act_.power(a.channel, a.power);
        break;
    }
  }
  return true;
}

std::string Interpreter::expand(const Template& t, TimePoint now) const {
  std::string out;
  for (const auto& s : t.segments) {
    switch (s.kind) {
      case Template::Segment::Kind::Literal:
        out += s.literal;
        break;
      case Template::Segment::Kind::Capture:
        out += captures_[static_cast<std::size_t>(s.index)];
        break;
      case Template::Segment::Kind::Value:
        out += to_string(values_[static_cast<std::size_t>(s.index)]);
        break;
      case Template::Segment::Kind::Builtin:
        switch (static_cast<Builtin>(s.index)) {
          case Builtin::Active:
            out += names_[0];
            break;
          case Builtin::Standby:
            out += names_[1];
            break;
          case Builtin::Reason:
            out += reason_.empty() ? trigger_ : reason_;
            break;
          case Builtin::Elapsed:
            out += seconds_text(in_incident_ ? now - incident_start_ : Duration{});
            break;
          case Builtin::State:
            out += state_name();
            break;
          case Builtin::Trigger:
            out += trigger_;
            break;
        }
        break;
    }
  }
  return out;
}

}  // namespace clusterd::chat
