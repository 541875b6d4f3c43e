#include "chat/replay.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "base/escape.h"
#include "base/timestamp.h"

namespace clusterd::chat {

namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

std::string quoted(std::string_view bytes) { return "\"" + escape(bytes) + "\""; }

// Records what the script does, with the time of each step.
class TimelineActuator final : public Actuator {
 public:
  TimelineActuator(const Program& p, const ReplayOptions& o, TimePoint origin)
      : program_(p),
        policy_(o.policy),
        origin_(origin),
        names_{o.interpreter.active_name, o.interpreter.standby_name} {}

  std::vector<TimelineEntry> timeline;

  void add(std::string kind, std::string text) {
    timeline.push_back({now_ - origin_, std::move(kind), std::move(text)});
  }
  std::string node(Channel ch) const {
    return ch == Channel::Sh ? "sh" : names_[static_cast<std::size_t>(ch)];
  }
  std::string chan(Channel ch) const {
    return std::string(channel_name(ch)) + " (" + node(ch) + ")";
  }

  void at(TimePoint t) override { now_ = t; }
  void entered(const StateChange& c) override {
    std::string text = program_.states[static_cast<std::size_t>(c.to)].name;
    if (c.from >= 0 || c.trigger != "start") text += "  <- " + c.trigger;
    if (!c.matched.empty()) text += "  matched " + quoted(c.matched);
    now_ = c.at;
    add("state", text);
  }
  void send(Channel ch, std::string_view bytes) override {
    add("send", chan(ch) + " " + quoted(bytes));
  }
  void boot(Channel ch, std::string_view bytes) override {
    add("boot", chan(ch) + " " + quoted(bytes));
  }
  void send_secret(Channel ch, std::string_view name) override {
    add("send", chan(ch) + " <secret:" + escape(name) + ">");
  }
  void send_break(Channel ch) override { add("break", chan(ch)); }
  void alarm(AlarmSeverity s, std::string_view text) override {
    add("alarm", std::string(severity_name(s)) + " " + quoted(text));
  }
  void exec(const std::vector<std::string>& argv) override {
    std::string t;
    for (const auto& a : argv) t += (t.empty() ? "" : " ") + quoted(a);
    add("exec", t);
  }
  void log(std::string_view text) override { add("log", quoted(text)); }
  bool mark_fenced(Channel ch, FenceHow how, const FenceEvidence& e) override {
    if (how == FenceHow::Confirmed) {
      add("fenced", chan(ch) + " confirmed");
      return true;
    }
    if (how == FenceHow::Power) {
      if (read_back_off_[node_index(ch)]) {
        add("fenced", chan(ch) + " by power, read back off");
        return true;
      }
      add("refused", "power fence of " + chan(ch) + " (its power was not read back off)");
      return false;
    }
    if (how == FenceHow::Lease) {
      // The recording's word on the active's lease (lease.expired / lease.held).
      if (ch == Channel::Active && lease_expired_) {
        add("fenced", chan(ch) + " by lease, run out twice over");
        return true;
      }
      add("refused", "lease fence of " + chan(ch) + " (no lease.expired for the active)");
      return false;
    }
    if (policy_.accepts(e)) {
      char why[160];
      std::snprintf(why, sizeof why,
                    "console up, ping down, silent %.1fs since the CR after the BREAK",
                    std::chrono::duration<double>(e.since_probe).count());
      add("fenced", chan(ch) + " presumed, accepted (" + why + ")");
      return true;
    }
    add("refused", "presumed fence of " + chan(ch) + " (" + policy_.refusal(e) + ")");
    return false;
  }
  /// The recording's power results: `power.off CH` read the node back off,
  /// `power.on CH` or `power.failed CH` voids that.
  void power_result(const Event& ev) {
    if (ev.kind == EventKind::PowerOff || ev.kind == EventKind::PowerOn ||
        ev.kind == EventKind::PowerFailed)
      read_back_off_[node_index(ev.channel)] = ev.kind == EventKind::PowerOff;
    if (ev.kind == EventKind::LeaseExpired || ev.kind == EventKind::LeaseHeld)
      lease_expired_ = ev.kind == EventKind::LeaseExpired;
  }
  /// True after an odd number of takeovers: the nodes' roles are swapped.
  bool swapped() const { return swapped_; }

  void takeover() override {
    read_back_off_ = {};  // as the runtime: a read-back off counts in its own term only
    lease_expired_ = false;
    swapped_ = !swapped_;
    std::swap(names_[0], names_[1]);
    add("takeover", names_[0] + " is now active, " + names_[1] + " standby");
  }
  void power(Channel ch, PowerOp op) override { add("power", chan(ch) + " " + power_op_name(op)); }
  void fault(std::string_view what) override { add("fault", std::string(what)); }

 private:
  const Program& program_;
  FencePolicy policy_;
  TimePoint origin_;
  TimePoint now_{};
  std::array<std::string, 2> names_;
  bool swapped_ = false;
  std::array<bool, 2> read_back_off_{};  // by node (0: the initial active)
  bool lease_expired_ = false;           // the active's, as the recording last said
  std::size_t node_index(Channel ch) const { return (ch == Channel::Standby) != swapped_ ? 1 : 0; }
};

struct Input {
  std::int64_t ns;  // since origin
  int source;       // 0 events, 1 active, 2 standby, 3 sh
  std::size_t seq;
  const TranscriptRecord* record = nullptr;
  const TimedEvent* event = nullptr;
};

}  // namespace

Result<std::vector<TranscriptRecord>> read_transcript(std::string_view text,
                                                      const std::string& name) {
  std::vector<TranscriptRecord> out;
  int n = 0;
  for (auto line : split_lines(text)) {
    ++n;
    bool skip = false;
    auto r = parse_transcript_line(line, &skip);
    if (!r) return Error::invalid(name + ":" + std::to_string(n) + ": " + r.error().message);
    if (!skip) out.push_back(std::move(*r));
  }
  return out;
}

Result<std::vector<TimedEvent>> read_events(std::string_view text, const std::string& name) {
  std::vector<TimedEvent> out;
  int n = 0;
  for (auto line : split_lines(text)) {
    ++n;
    auto fail = [&](const std::string& m) {
      return Error::invalid(name + ":" + std::to_string(n) + ": " + m);
    };
    std::vector<std::string> words;
    std::string w;
    for (char c : line) {
      if (c == '#') break;
      if (c == ' ' || c == '\t' || c == '\r') {
        if (!w.empty()) words.push_back(std::move(w)), w.clear();
      } else {
        w += c;
      }
    }
    if (!w.empty()) words.push_back(std::move(w));
    if (words.empty()) continue;
    if (words.size() < 2) return fail("expected 'TIME EVENT [ARG]'");
    auto stamp = parse_stamp(words[0]);
    if (!stamp) return fail(stamp.error().message);
    TimedEvent te;
    te.stamp = *stamp;
    te.line = n;
    if (words[1] == "end") {
      out.push_back(te);
      continue;
    }
    Event ev;
    auto kind = event_from_name(words[1]);
    // fence.refused comes from the runtime, never from outside.
    if (!kind || *kind == EventKind::FenceRefused) return fail("unknown event '" + words[1] + "'");
    ev.kind = *kind;
    if (event_takes_channel(ev.kind)) {
      if (words.size() < 3 || (words[2] != "active" && words[2] != "standby")) {
        return fail(words[1] + " needs a channel: active or standby");
      }
      ev.channel = words[2] == "active" ? Channel::Active : Channel::Standby;
      // power.failed CH WHY…: the rest of the line is the failure's $reason.
      for (std::size_t k = 3; ev.kind == EventKind::PowerFailed && k < words.size(); ++k)
        ev.detail += (ev.detail.empty() ? "" : " ") + words[k];
    } else if (ev.kind == EventKind::ShExit) {
      if (words.size() < 3) return fail("sh.exit needs an exit status");
      try {
        ev.code = std::stoi(words[2]);
      } catch (const std::exception&) {
        return fail("bad exit status '" + words[2] + "'");
      }
    }
    te.event = ev;
    out.push_back(te);
  }
  return out;
}

std::vector<TimelineEntry> replay(const Program& program, const ReplayInput& input,
                                  const ReplayOptions& options) {
  // The origin is the earliest absolute stamp; relative stamps count from it.
  std::optional<std::int64_t> origin;
  auto consider = [&](const Stamp& s) {
    if (!s.relative && (!origin || s.ns < *origin)) origin = s.ns;
  };
  for (const auto* list : {&input.active, &input.standby, &input.sh}) {
    if (*list)
      for (const auto& r : **list) consider(r.stamp);
  }
  for (const auto& e : input.events) consider(e.stamp);
  auto offset = [&](const Stamp& s) { return s.relative ? s.ns : s.ns - origin.value_or(0); };

  std::vector<Input> inputs;
  std::size_t seq = 0;
  std::optional<std::int64_t> end;
  for (const auto& e : input.events) {
    if (!e.event) {
      end = offset(e.stamp);
      continue;
    }
    inputs.push_back({offset(e.stamp), 0, seq++, nullptr, &e});
  }
  for (int src = 1; src <= 3; ++src) {
    const auto& list = src == 1 ? input.active : src == 2 ? input.standby : input.sh;
    if (!list) continue;
    for (const auto& r : *list) {
      if (r.dir == Direction::In || r.dir == Direction::Note)
        inputs.push_back({offset(r.stamp), src, seq++, &r, nullptr});
    }
  }
  std::stable_sort(inputs.begin(), inputs.end(), [](const Input& a, const Input& b) {
    if (a.ns != b.ns) return a.ns < b.ns;
    if (a.source != b.source) return a.source < b.source;
    return a.seq < b.seq;
  });

  const TimePoint t0{};
  TimelineActuator act(program, options, t0);
  Interpreter in(program, act, options.interpreter);
  in.start(t0);
  for (int src = 1; src <= 2; ++src) {
    const auto& list = src == 1 ? input.active : input.standby;
    if (!list) continue;
    bool starts_lost = !list->empty() && list->front().dir == Direction::Note &&
                       list->front().data.rfind("lost", 0) == 0 && offset(list->front().stamp) == 0;
    if (!starts_lost) {
      in.on_event(Event{EventKind::ConsoleUp, src == 1 ? Channel::Active : Channel::Standby, 0},
                  t0);
    }
  }
  for (const auto& i : inputs) {
    if (end && i.ns > *end) break;
    TimePoint t = t0 + std::chrono::nanoseconds(i.ns);
    // A transcript belongs to a node; the node's channel follows its role.
    Channel ch = i.source == 3                      ? Channel::Sh
                 : (i.source == 2) != act.swapped() ? Channel::Standby
                                                    : Channel::Active;
    if (i.event) {
      const Event& ev = *i.event->event;
      act.at(t);
      std::string text = event_name(ev.kind);
      if (event_takes_channel(ev.kind)) text += std::string(" ") + channel_name(ev.channel);
      if (ev.kind == EventKind::ShExit) text += " " + std::to_string(ev.code);
      in.advance_to(t);
      act.at(t);
      act.add("event", text);
      act.power_result(ev);
      in.on_event(ev, t);
    } else if (i.record->dir == Direction::Note && ch == Channel::Sh) {
      // The sh transcript's notes: "start ARGV…" (nothing to replay) and
      // "exit N" (the exec ended: sh.exit N).
      const std::string& note = i.record->data;
      if (note.rfind("exit ", 0) != 0) continue;
      int code = 0;
      auto [stop, ec] = std::from_chars(note.data() + 5, note.data() + note.size(), code);
      if (ec != std::errc() || stop != note.data() + note.size()) continue;
      in.advance_to(t);
      act.at(t);
      act.add("event", "sh.exit " + std::to_string(code));
      in.on_event(Event{EventKind::ShExit, Channel::Sh, code}, t);
    } else if (i.record->dir == Direction::Note) {
      const std::string& note = i.record->data;
      bool up = note.rfind("up", 0) == 0, lost = note.rfind("lost", 0) == 0;
      if (!up && !lost) continue;
      in.advance_to(t);
      act.at(t);
      act.add("event", std::string(up ? "console.up " : "console.lost ") + channel_name(ch) +
                           (lost && note.size() > 5 ? " (" + escape(note.substr(5)) + ")" : ""));
      in.on_event(Event{up ? EventKind::ConsoleUp : EventKind::ConsoleLost, ch, 0}, t);
    } else {
      in.on_bytes(ch, i.record->data, t);
    }
  }
  if (end) in.advance_to(t0 + std::chrono::nanoseconds(*end));
  return std::move(act.timeline);
}

std::string format_timeline(const std::vector<TimelineEntry>& timeline, bool json) {
  std::string out;
  if (json) {
    out = "[";
    for (std::size_t i = 0; i < timeline.size(); ++i) {
      const auto& e = timeline[i];
      char t[32];
      std::snprintf(t, sizeof t, "%.3f", std::chrono::duration<double>(e.at).count());
      out += (i ? ",\n  " : "\n  ");
      out += "{\"t\": " + std::string(t) + ", \"kind\": \"" + json_escape(e.kind) +
             "\", \"text\": \"" + json_escape(e.text) + "\"}";
    }
    out += timeline.empty() ? "]\n" : "\n]\n";
    return out;
  }
  for (const auto& e : timeline) {
    std::string t = format_offset(e.at.count());
    t.resize(std::max<std::size_t>(t.size(), 10), ' ');
    std::string k = e.kind;
    k.resize(std::max<std::size_t>(k.size(), 9), ' ');
    out += t + " " + k + e.text + "\n";
  }
  return out;
}

}  // namespace clusterd::chat
