// A compiled chat script: states with resolved targets, typed values, and one
// PatternSet per state and channel. Built by compile() (compiler.h) from a
// clean ast::Script; run by Interpreter. Immutable once built, so one Program
// can serve several interpreters.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/diagnostic.h"
#include "chat/clock.h"
#include "chat/matcher.h"

namespace clusterd::chat {

/// A console or the local shell. `active` and `standby` are bound to nodes by
/// role; `sh` is the output of `exec`.
enum class Channel : std::uint8_t { Active = 0, Standby = 1, Sh = 2 };
inline constexpr std::size_t kChannelCount = 3;
const char* channel_name(Channel c);

/// What the interpreter is told about the world besides console bytes.
/// Ping, monitor, console and lease events are levels: a handler for `ping.down`
/// fires on entering a state while ping is down, or when it goes down. The
/// rest are one-shot edges, lost if the current state does not handle them.
enum class EventKind : std::uint8_t {
  PingDown,
  PingUp,
  MonitorIsolated,
  MonitorOk,
  ConsoleLost,
  ConsoleUp,
  ShExit,
  ControlSwitchover,
  ControlMaintenance,
  FenceRefused,
  PowerOff,      // power CH off/cycle read back off
  PowerOn,       // power CH on/cycle read back on
  PowerFailed,   // a power action failed ($reason says why)
  LeaseExpired,  // BCP site_isolation = lease: the active's lease ran out twice over
  LeaseHeld,     // … renewed again (level pair of LeaseExpired)
};
inline constexpr EventKind kLastEvent = EventKind::LeaseHeld;
/// Events that name a channel (`console.lost active`, `power.off standby`).
inline bool event_takes_channel(EventKind k) {
  return k == EventKind::ConsoleLost || k == EventKind::ConsoleUp || k == EventKind::PowerOff ||
         k == EventKind::PowerOn || k == EventKind::PowerFailed;
}
const char* event_name(EventKind k);
/// The event called `name` ("ping.down", …); nullopt when there is none.
std::optional<EventKind> event_from_name(std::string_view name);

struct Event {
  EventKind kind = EventKind::PingDown;
  Channel channel = Channel::Active;  // ConsoleLost, ConsoleUp, Power*
  int code = 0;                       // ShExit: the exit status
  std::string detail;                 // PowerFailed: why; the handler's $reason
};

enum class AlarmSeverity : std::uint8_t { Notice, Warning, Critical };
const char* severity_name(AlarmSeverity s);
enum class PowerOp : std::uint8_t { Off, On, Cycle };
/// How `mark fenced` says the node was fenced: seen at its firmware prompt
/// (the script saw the read-back), presumed off (the runtime's evidence
/// rule), powered off and read back by the runtime (`by power`), or halted by
/// its site's lease keeper, whose lease ran out twice over (`by lease`).
enum class FenceHow : std::uint8_t { Confirmed, Presumed, Power, Lease };
const char* power_op_name(PowerOp p);

/// A value of a param or var.
struct Value {
  enum class Kind : std::uint8_t { String, Integer, Interval } kind = Kind::String;
  std::string string;
  std::int64_t integer = 0;
  Duration duration{};
};
std::string to_string(const Value& v);

/// Builtin variables every script can read.
enum class Builtin : std::uint8_t { Active, Standby, Reason, Elapsed, State, Trigger };

/// A string with its `$…` references resolved.
struct Template {
  struct Segment {
    enum class Kind : std::uint8_t { Literal, Builtin, Value, Capture } kind = Kind::Literal;
    std::string literal;
    int index = 0;  // Builtin enumerator, value index, or capture number
  };
  std::vector<Segment> segments;
};

struct Action {
  enum class Kind : std::uint8_t {
    Send,
    SendSecret,
    Boot,  // the boot of the standby: sent like Send, journaled by the runtime first
    Break,
    Alarm,
    Exec,
    Log,
    Set,
    MarkFenced,
    Takeover,
    Power
  };
  Kind kind = Kind::Log;
  Loc loc;
  Channel channel = Channel::Active;
  AlarmSeverity severity = AlarmSeverity::Notice;
  PowerOp power = PowerOp::Off;
  Template text;
  std::vector<Template> argv;
  int value_index = -1;  // Set: which var (or -1 for the builtin $reason)
  Value value;           // Set: the new value (String uses `set_text`)
  Template set_text;
  FenceHow fence = FenceHow::Confirmed;  // MarkFenced
};

/// `boot standby "…"`, and `power standby on|cycle`: on a node with a
/// power method (an x86 server behind a BMC) powering the standby on is its
/// boot. Both need `mark fenced active` first; the runtime journals both.
inline bool boots_standby(const Action& a) {
  return a.kind == Action::Kind::Boot || (a.kind == Action::Kind::Power &&
                                          a.channel == Channel::Standby && a.power != PowerOp::Off);
}

struct Handler {
  enum class Kind : std::uint8_t { Pattern, Event, After };
  Kind kind = Kind::Pattern;
  Loc loc;
  Channel channel = Channel::Active;  // Pattern
  int pattern = -1;                   // Pattern: index in the state's set for `channel`
  Event event;                        // Event
  bool any_code = true;               // Event ShExit: no code given
  Duration after{};                   // After
  std::vector<Action> actions;
  int target = -1;           // -1: stay in the state
  std::string target_param;  // `-> $p`: the param that named the target
  std::string trigger;       // how the timeline names it: `active "ok "`, `after 20s`
};

struct State {
  std::string name;
  Loc loc;
  std::vector<Action> entry;
  std::vector<Handler> handlers;
  std::array<std::unique_ptr<PatternSet>, kChannelCount> patterns;  // null: none on that channel
};

struct Program {
  std::vector<State> states;
  int initial = 0;
  std::vector<std::string> value_names;
  std::vector<Value> values;  // initial values of params and vars
  std::vector<bool> value_is_var;
  int find_state(std::string_view name) const;
};

}  // namespace clusterd::chat
