// ClusterRuntime: one cluster's decisions bound to its world. It runs the
// chat script's Interpreter and implements its Actuator over the two nodes'
// consoles, the alarm sink, a command runner and the journal, and enforces
// what DESIGN.md §5 says whatever the script does:
//   - a fence is journaled (fsync'd) before the script may act on it, and a
//     presumed fence only passes the FencePolicy (console up but silent, ping
//     down, unconfirmed_fence = takeover);
//   - the boot of the standby (the script's `boot standby`, never a guess)
//     is journaled before its bytes go out, each attempt; a restarted runtime
//     resumes in the state that sent the latest one and never sends it
//     again; takeover is journaled and swaps the roles;
//   - BREAK goes out only when the script's fence step says so: never on
//     start, connect, reconnect or resume.
// Sans-I/O like the interpreter: the daemon feeds console bytes, link and
// probe events and `now`, and re-arms one timer to next_deadline().
//
//   consoles ──bytes/up/lost──┐                      ┌──> consoles (send, BREAK)
//   probes ───ping/isolated───┼──> ClusterRuntime ───┼──> AlarmSink, CommandRunner
//   timer ────advance_to──────┘     (Interpreter)    └──> Journal (fsync), timeline
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/secrets.h"
#include "chat/actuator.h"
#include "chat/interpreter.h"
#include "clusterd/journal.h"
#include "clusterd/roles.h"
#include "tty/console.h"

namespace clusterd {

/// Where the script's `alarm` goes (the alarm subsystem in the daemon).
class AlarmSink {
 public:
  virtual ~AlarmSink() = default;
  virtual void raise(chat::AlarmSeverity severity, const std::string& text,
                     const std::string& state) = 0;
};

/// Runs a command without a shell (`exec`, power methods). Must not block:
/// the daemon hands it to a child process and reports the exit later.
class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  virtual void run(const std::vector<std::string>& argv) = 0;
};

/// One node as the runtime sees it. `console` must outlive the runtime.
struct NodeSetup {
  std::string name;
  tty::Console* console = nullptr;
  std::vector<std::string> power_off, power_on;  ///< argv; empty: no power method
};

struct RuntimeOptions {
  /// The index in `nodes` of the initial active node, used only when the
  /// journal records no roles yet.
  std::size_t initial_active = 0;
  chat::FencePolicy fence;
  chat::InterpreterOptions interpreter;   ///< names are set from the roles
  std::function<std::int64_t()> wall_ns;  ///< journal stamps; default the system clock
};

class ClusterRuntime : public chat::Actuator {
 public:
  using Timeline = std::function<void(chat::TimePoint, std::string_view)>;

  /// `nodes` in config order; the initial active is
  /// `options.initial_active` unless the journal already records roles.
  /// Everything passed by reference must outlive the runtime; `secrets` may
  /// be null.
  ClusterRuntime(const chat::Program& program, Journal& journal, std::array<NodeSetup, 2> nodes,
                 AlarmSink& alarms, CommandRunner& commands, const SecretSource* secrets,
                 RuntimeOptions options, Timeline timeline);

  /// Starts the script, or resumes the failover the journal says is under way.
  void start(chat::TimePoint now);

  void on_console_bytes(std::string_view node, std::string_view bytes, chat::TimePoint now);
  void on_console_up(std::string_view node, chat::TimePoint now);
  /// `needs_operator`: the link was refused for its identity (an ssh host key
  /// unknown or changed, a login refused): retrying cannot help, so the
  /// runtime raises its own critical alarm, once until the console is up again.
  void on_console_lost(std::string_view node, std::string_view why, chat::TimePoint now,
                       bool needs_operator = false);
  /// The active node's ping level (the daemon re-targets the probe at takeover).
  void on_ping(bool up, chat::TimePoint now);
  /// The reference address: true = the monitor itself is cut off.
  void on_isolation(bool isolated, chat::TimePoint now);
  /// An operator's request (`clusterctl switchover | maintenance`):
  /// ControlSwitchover or ControlMaintenance.
  void on_control(chat::EventKind kind, chat::TimePoint now);
  void advance_to(chat::TimePoint now) { interp_.advance_to(now); }
  std::optional<chat::TimePoint> next_deadline() const { return interp_.next_deadline(); }

  const std::string& active() const { return roles_.active_name(); }
  const std::string& standby() const { return roles_.standby_name(); }
  /// Who is active; takeover() swaps it and the binding announces the change.
  RoleBinding& roles() { return roles_; }
  const RoleBinding& roles() const { return roles_; }
  std::string_view state() const { return interp_.state_name(); }
  /// True from a BREAK the script sent until it is back in its initial state:
  /// a fence is in progress (a reload must wait).
  bool fencing() const { return fencing_; }

  // --- chat::Actuator ---------------------------------------------------------
  void send(chat::Channel ch, std::string_view bytes) override;
  /// The script's `boot standby`: refused (nothing sent, a FAULT line and a
  /// critical alarm) unless the journal records the active fenced; else
  /// journals `boot-sent` {node, state, attempt} and only then writes the
  /// bytes. A failed journal write sends nothing.
  void boot(chat::Channel ch, std::string_view bytes) override;
  void send_secret(chat::Channel ch, std::string_view name) override;
  void send_break(chat::Channel ch) override;
  void alarm(chat::AlarmSeverity severity, std::string_view text) override;
  void exec(const std::vector<std::string>& argv) override;
  void log(std::string_view text) override;
  bool mark_fenced(chat::Channel ch, bool presumed, const chat::FenceEvidence& evidence) override;
  void takeover() override;
  void power(chat::Channel ch, chat::PowerOp op) override;
  void at(chat::TimePoint now) override { now_ = now; }
  void entered(const chat::StateChange& change) override;
  void fault(std::string_view what) override;

 private:
  const NodeSetup* node(std::string_view name) const;
  const NodeSetup* node_of(chat::Channel ch) const;
  std::optional<chat::Channel> channel_of(std::string_view name) const;
  bool journal(JournalKind kind, std::map<std::string, std::string> fields);
  void say(const std::string& text) { timeline_(now_, text); }
  static chat::InterpreterOptions named(chat::InterpreterOptions o, const RoleBinding& roles);

  Journal& journal_;
  std::array<NodeSetup, 2> nodes_;
  RoleBinding roles_;
  AlarmSink& alarms_;
  CommandRunner& commands_;
  const SecretSource* secrets_;
  RuntimeOptions options_;
  Timeline timeline_;
  chat::Interpreter interp_;
  chat::TimePoint now_{};
  int initial_ = 0;
  bool fencing_ = false;
  bool ask_standby_ = false;  // resumed a boot: ask for the prompt once its console is up
  std::array<bool, 2>
      refused_alarmed_{};  // by node index: identity alarm raised, console not up since
};

}  // namespace clusterd
