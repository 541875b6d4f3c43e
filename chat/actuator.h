// Actuator: how a running chat script acts on the world. The interpreter calls
// it; clusterd implements it over consoles, the shell and alarms; tests and
// `chatc replay` implement it by recording. Also the fence policy the runtime
// applies to `mark fenced … presumed` (DESIGN.md §5).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "chat/clock.h"
#include "chat/program.h"

namespace clusterd::chat {

/// What the interpreter knows when a script presumes a fence. Silence counts
/// only after the runtime's own probe: a CR sent to the node after its last
/// BREAK (the script's, or the runtime's own, InterpreterOptions::break_probe
/// after the BREAK). Silence before that proves nothing: a node that answered
/// a CR and then ignored the BREAK (BREAK disabled, a Linux that wants two, a
/// console parked at a service processor) is alive.
struct FenceEvidence {
  bool console_up = false;  // the node's console transport is connected
  bool ping_down = false;   // the active node does not answer ping
  bool break_sent = false;  // a BREAK went to the node in this incident
  bool probed = false;      // a CR went to it after its last BREAK
  bool answered = false;    // it sent a byte after that CR
  Duration since_probe{};   // time since that CR
  Duration silent_for{};    // time since the node last sent a byte (for messages)
};

/// The runtime's rule for `mark fenced CH presumed`: accept only when the
/// console is up, ping is down, and the node has sent nothing at all since a
/// CR that followed its last BREAK, for at least `silence`; never when the
/// operator chose `unconfirmed_fence = wait`.
struct FencePolicy {
  bool allow_presumed = true;  // unconfirmed_fence = takeover (default) | wait
  Duration silence = std::chrono::seconds(20);
  /// The rule as it was before the probe CR (silence counted from the node's
  /// last byte, whatever came before the BREAK). Unsafe: only `chatc verify
  /// --mutate old-presumption` sets it, to show the split brain it allowed.
  bool legacy_silence = false;
  bool accepts(const FenceEvidence& e) const {
    if (legacy_silence)
      return allow_presumed && e.console_up && e.ping_down && e.break_sent &&
             e.silent_for >= silence;
    return allow_presumed && e.console_up && e.ping_down && e.break_sent && e.probed &&
           !e.answered && e.since_probe >= silence;
  }
  /// Why accepts() said no, for the refusal's log line ("" when it accepts).
  std::string refusal(const FenceEvidence& e) const;
};

/// A state change, for timelines.
struct StateChange {
  TimePoint at;
  int from = -1;  // -1 at start
  int to = 0;
  std::string trigger;  // what fired: `ping.down`, `active "ok "`, `after 20s`
  std::string matched;  // the console text that matched (pattern triggers)
};

class Actuator {
 public:
  virtual ~Actuator() = default;
  virtual void send(Channel ch, std::string_view bytes) = 0;
  /// Sends the secret called `name` (the runtime looks it up; it never
  /// appears in the script, the timeline or a log).
  virtual void send_secret(Channel ch, std::string_view name) = 0;
  /// The boot of the standby (`boot standby "TEXT"`): `bytes` go to its
  /// console as with send(), and this is the act the runtime journals
  /// (`boot-sent`) before they go out, refusing it unless the active is
  /// recorded fenced. `ch` is always Channel::Standby (the compiler allows no
  /// other); the interpreter calls it only with the active marked fenced.
  virtual void boot(Channel ch, std::string_view bytes) = 0;
  virtual void send_break(Channel ch) = 0;
  virtual void alarm(AlarmSeverity severity, std::string_view text) = 0;
  /// Runs argv without a shell; each element is one argument whatever it holds.
  virtual void exec(const std::vector<std::string>& argv) = 0;
  virtual void log(std::string_view text) = 0;
  /// Records `ch` as fenced. Returns false to refuse (a presumed fence the
  /// runtime's evidence does not support, a fence by power the runtime did
  /// not read back off); the script then gets fence.refused.
  virtual bool mark_fenced(Channel ch, FenceHow how, const FenceEvidence& evidence) = 0;
  /// The standby becomes the active: the runtime swaps the roles' bindings.
  virtual void takeover() = 0;
  /// Runs the node's power method and reads it back; the result comes back
  /// later as an event: power.off CH, power.on CH or power.failed CH.
  virtual void power(Channel ch, PowerOp op) = 0;

  // Observations, for timelines. Default: ignored.
  /// The time of the step the next calls belong to.
  virtual void at(TimePoint) {}
  virtual void entered(const StateChange&) {}
  /// Something the interpreter refused or stopped on (a takeover without a
  /// fence, a transition loop). The runtime should alarm.
  virtual void fault(std::string_view) {}
};

}  // namespace clusterd::chat
