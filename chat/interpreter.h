// Interpreter: runs one compiled Program. Never reads a socket or a clock: the
// caller feeds bytes, events and `now`, and asks when to wake it next.
// Effects go out through an Actuator. Never throws.
//
//   bytes ──on_bytes──┐                       ┌──> Actuator (send, boot, break,
//   events ─on_event──┼──> current state ─────┤     alarm, exec, mark fenced, takeover)
//   time ──advance_to─┘    handlers fire      └──> StateChange observations
//
// Semantics (docs/chat-language.md): only bytes received after a state was
// entered can match in it; `after` deadlines count from entry; at equal
// times, handlers fire in declaration order; ping/monitor/console events are
// levels (a handler fires on entry when its condition already holds).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/fingerprint.h"
#include "chat/actuator.h"
#include "chat/clock.h"
#include "chat/matcher.h"
#include "chat/program.h"

namespace clusterd::chat {

struct InterpreterOptions {
  std::size_t window = 4096;     // bytes of one line a pattern can see, per channel
  int max_steps_per_call = 256;  // transitions in one call before the script is stopped as looping
  std::string active_name = "active";
  std::string standby_name = "standby";
  /// After a BREAK, the runtime sends the node a CR of its own this long
  /// after it unless the script sent one (any text with a CR) before: a
  /// presumed fence counts the node's silence only from such a CR.
  Duration break_probe = std::chrono::seconds(2);
  /// A pattern that takes the rest of its line (ends in `.*`) and matched up
  /// to the end of the bytes so far waits this long for the line's end, so
  /// that $0 is the whole line and not the piece one read brought.
  Duration line_wait = std::chrono::milliseconds(500);
};

class Interpreter {
 public:
  /// `program` and `actuator` must outlive the Interpreter.
  Interpreter(const Program& program, Actuator& actuator, InterpreterOptions options = {});

  /// Enters the initial state at `now`.
  void start(TimePoint now);
  /// Instead of start(): resumes a failover that a previous process began, as
  /// its journal recorded it. Enters `state` at `now` WITHOUT running the
  /// state's entry actions (they were done: the boot was sent), with the active
  /// already marked fenced when `active_fenced`. False if there is no such state.
  bool resume(std::string_view state, bool active_fenced, TimePoint now);
  /// Bytes from a channel, in arrival order; any length.
  void on_bytes(Channel ch, std::string_view bytes, TimePoint now);
  void on_event(const Event& ev, TimePoint now);
  /// Fires every `after` due by `now`, each at its own deadline.
  void advance_to(TimePoint now);
  /// When advance_to should next be called; nullopt: nothing scheduled.
  std::optional<TimePoint> next_deadline() const;

  std::string_view state_name() const;
  int state() const { return current_; }
  /// True once the script was stopped for looping; it then ignores input.
  bool stopped() const { return stopped_; }
  const std::string& active_name() const { return names_[0]; }
  const std::string& standby_name() const { return names_[1]; }
  /// The current value of a param or var, by name; nullptr if none.
  const Value* value(std::string_view name) const;
  /// Everything that decides what the interpreter does next, times relative
  /// to `now` (`chatc verify`'s state hash). Leaves out what only reaches
  /// messages: the incident's start ($elapsed) and when a node last spoke.
  /// Ages (a node's last byte, the fence probe's CR) count up to `window`
  /// (the fence policy's silence): past it, every age decides the same.
  void fingerprint(Fingerprint& f, TimePoint now, Duration window) const;

 private:
  enum class Level : std::uint8_t { Unknown, Up, Down };

  void enter(int state, TimePoint now, const std::string& trigger, std::string_view matched);
  void settle(TimePoint now);
  bool level_holds(const Handler& h) const;
  void rearm(EventKind a, EventKind b, Channel ch);
  // Runs a handler's actions then its transition; false when it was aborted.
  void fire(int handler, TimePoint now, std::string_view matched,
            const std::string* trigger = nullptr);
  bool run(const std::vector<Action>& actions, TimePoint now);
  std::string expand(const Template& t, TimePoint now) const;
  void dispatch_edge(const Event& ev, TimePoint now);
  void feed(Channel ch, std::string_view bytes, TimePoint now, bool flush = false);
  void sent(Channel ch, std::string_view bytes, TimePoint now);
  FenceEvidence evidence(Channel ch, TimePoint now) const;
  std::optional<TimePoint> next_probe() const;
  std::optional<TimePoint> next_line_due(Channel* ch) const;

  const Program& program_;
  Actuator& act_;
  InterpreterOptions opt_;
  int current_ = -1;
  TimePoint entered_at_{};
  TimePoint incident_start_{};
  bool in_incident_ = false;
  std::vector<bool> armed_;  // per handler of the current state
  std::array<StreamWindow, kChannelCount> streams_;
  std::array<std::vector<int>, kChannelCount> pattern_handler_;  // pattern index -> handler
  Level ping_ = Level::Unknown, monitor_ = Level::Unknown;       // monitor Down = isolated
  Level lease_ = Level::Unknown;  // the active's lease (BCP): Down = expired twice over
  std::array<Level, 2> console_{Level::Unknown, Level::Unknown};
  std::array<std::optional<TimePoint>, kChannelCount> last_byte_;
  // The fence probe of each console (DESIGN.md §5): the last BREAK, the CR
  // after it, and when the runtime sends that CR itself if the script has not.
  struct Probe {
    std::optional<TimePoint> break_at, cr_at, due;
  };
  std::array<Probe, 2> probe_;
  // A match that waits for its line's end (InterpreterOptions::line_wait).
  std::array<std::optional<TimePoint>, kChannelCount> line_due_;
  std::array<std::string, 2> names_;
  std::vector<Value> values_;
  std::string reason_, trigger_;
  std::array<std::string, 10> captures_;
  bool fenced_active_ = false;
  bool skip_entry_ = false;  // resume(): enter without the entry actions
  bool fence_refused_ = false;
  bool stopped_ = false;
  int steps_ = 0;        // transitions at step_time_
  int steps_total_ = 0;  // transitions since start (detects that one happened)
  TimePoint step_time_{};
  bool started_ = false;
  TimePoint started_at_{};
};

}  // namespace clusterd::chat
