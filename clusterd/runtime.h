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
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/fingerprint.h"
#include "base/secrets.h"
#include "chat/actuator.h"
#include "chat/interpreter.h"
#include "clusterd/journal.h"
#include "clusterd/roles.h"
#include "repl/lease.h"
#include "repl/tracker.h"
#include "tty/console.h"
#include "tty/transcript_writer.h"

namespace clusterd {

/// Where the script's `alarm` goes (the alarm subsystem in the daemon).
class AlarmSink {
 public:
  virtual ~AlarmSink() = default;
  virtual void raise(chat::AlarmSeverity severity, const std::string& text,
                     const std::string& state) = 0;
};

/// Runs commands (`exec`, power methods) without a shell, each in its own
/// process group, in a clean environment, stdin /dev/null, stdout and stderr
/// into one pipe. Never blocks: the daemon reports each command's output and
/// its end to the runtime by id (on_command_output, on_command_exit).
class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  /// Starts argv as command `id`; false (and `why`) when it could not start.
  virtual bool start(std::uint64_t id, const std::vector<std::string>& argv, std::string& why) = 0;
  /// Kills command `id`'s whole process group (SIGKILL); its end is still
  /// reported.
  virtual void kill(std::uint64_t id) = 0;
};

/// `sh.exit` statuses beyond a program's own 0–255 (128+S: killed by signal S).
inline constexpr int kExecNotStarted = 127;  ///< as sh says of a command it cannot run
inline constexpr int kExecTimedOut = 256;    ///< `[timeouts] exec` expired: process group killed

/// One node as the runtime sees it. `console` must outlive the runtime.
struct NodeSetup {
  std::string name;
  tty::Console* console = nullptr;
  std::vector<std::string> power_off, power_on, power_status;  ///< argv; empty: none
  /// RE2 patterns matched against power_status's output.
  std::string power_status_off = "Chassis Power is off";
  std::string power_status_on = "Chassis Power is on";
};

/// BCP mode (docs/bcp.md): each site has its own disk and the active site's
/// record log is shipped to the other by two long-running commands the
/// runtime keeps running, `serve` at the active's site and `receive` at the
/// standby's, whose `head …` / `replica …` lines feed a repl::Tracker. The
/// standby's boot (`boot standby`, `power standby on|cycle`) is held until
/// the failover gate opens and `promote` has made the standby's disk
/// writable; the promotion is journaled before the boot.
struct BcpNodeSetup {
  std::vector<std::string> serve, receive, promote;  ///< argv each
  std::vector<std::string> renew;  ///< site_isolation = lease: renews its site's lease
};
struct BcpOptions {
  bool enabled = false;
  bool observe = false;               ///< log what the gate would do; never promote
  std::array<BcpNodeSetup, 2> nodes;  ///< by node index
  repl::GateConfig gate;
  Duration restart = std::chrono::seconds(5);  ///< a shipper that ended is started again after this
  /// After the fence, while the replica still moves toward the head, the
  /// gate waits for it up to this long before it decides (a live source
  /// ships its tail: nothing lost).
  Duration drain = std::chrono::seconds(15);
  Duration promote_timeout = std::chrono::seconds(60);
  /// A warning when the replica is this far behind the head (0: never); a
  /// notice when it has caught up again.
  Duration lag_alarm = std::chrono::seconds(60);
  /// site_isolation = lease (repl/lease.h): each node's site lease renewed
  /// every lease/3; a node whose renewals have not got through for 2 × lease
  /// may be fenced `by lease` (its keeper halted it).
  bool lease = false;
  Duration lease_term = std::chrono::seconds(30);
};

struct RuntimeOptions {
  /// The index in `nodes` of the initial active node, used only when the
  /// journal records no roles yet.
  std::size_t initial_active = 0;
  chat::FencePolicy fence;
  chat::InterpreterOptions interpreter;               ///< names are set from the roles
  std::function<std::int64_t()> wall_ns;              ///< journal stamps; default the system clock
  Duration exec_timeout = std::chrono::minutes(5);    ///< `[timeouts] exec`
  Duration power_timeout = std::chrono::seconds(60);  ///< `[timeouts] power`
  Duration power_poll = std::chrono::seconds(1);      ///< between power_status runs
  std::size_t exec_queue = 8;                         ///< execs waiting behind the running one
  tty::TranscriptSink* sh_transcript = nullptr;       ///< Logs/NAME.sh; may be null
  /// Fleet mode (docs/fleet.md): may this process still act for the cluster?
  /// (its host's lease deadline, read just before each write). Null: always.
  /// While it fails, nothing is written to a console and no power or exec
  /// command runs; the node's output is still read and the script still
  /// runs (the cluster stays watched), and one critical alarm says so.
  std::function<Result<void>()> owner_check;
  /// Fleet mode: a BREAK and a power action are journaled (`note intent=…`)
  /// before they are taken, so a stale owner's is refused by the journal.
  bool journal_intents = false;
  BcpOptions bcp;
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
  /// Output of command `id` (an exec's goes to the script as channel sh).
  void on_command_output(std::uint64_t id, std::string_view bytes, chat::TimePoint now);
  /// Command `id` ended: `status` 0–255, or 128+S when killed by signal S.
  void on_command_exit(std::uint64_t id, int status, chat::TimePoint now);
  void advance_to(chat::TimePoint now);
  std::optional<chat::TimePoint> next_deadline() const;
  /// True while an exec runs or waits, or a power action runs: a restart
  /// would kill it half way.
  bool commands_running() const {
    return exec_ || !exec_queue_.empty() || power_[0] || power_[1] || promoting_;
  }
  /// Fleet mode: runs the owner check now; on its first failure the timeline
  /// and one critical alarm say this monitor is watching only. True: may act.
  bool owner_ok(chat::TimePoint now);
  /// BCP: `clusterctl failover NAME --accept-loss` — a held failover goes on
  /// with the loss the alarm stated. False (and `why`) when nothing is held.
  bool accept_loss(chat::TimePoint now, std::string& why);
  /// BCP: the replication status and the gate as JSON ("" when not BCP).
  std::string bcp_json(chat::TimePoint now) const;
  const repl::Tracker* bcp_tracker() const { return options_.bcp.enabled ? &tracker_ : nullptr; }
  /// BCP: a standby's boot waits at the failover gate.
  bool bcp_held() const { return held_.has_value(); }
  /// A power action (command or read-back) on node `i` is under way.
  bool power_busy(std::size_t i) const { return power_[i].has_value(); }

  const std::string& active() const { return roles_.active_name(); }
  const std::string& standby() const { return roles_.standby_name(); }
  /// Who is active; takeover() swaps it and the binding announces the change.
  RoleBinding& roles() { return roles_; }
  const RoleBinding& roles() const { return roles_; }
  std::string_view state() const { return interp_.state_name(); }
  /// Everything that decides what the runtime does next (the interpreter,
  /// the journal's state, commands and power jobs), times relative to `now`:
  /// `chatc verify`'s state hash.
  void fingerprint(Fingerprint& f, chat::TimePoint now) const;
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
  /// A fence `by power` passes only when this runtime's latest power action
  /// on the node read it back off.
  bool mark_fenced(chat::Channel ch, chat::FenceHow how,
                   const chat::FenceEvidence& evidence) override;
  void takeover() override;
  /// off: power_off, then power_status until it reads off; on: power_on, then
  /// until it reads on; cycle: both. Each command is killed after
  /// `[timeouts] power`; each read-back gives up after it. Ends in the event
  /// power.off / power.on / power.failed CH. `power standby on|cycle` is the
  /// standby's boot: refused unless the journal records the active fenced,
  /// journaled (`boot-sent`) before power_on runs.
  void power(chat::Channel ch, chat::PowerOp op) override;
  void at(chat::TimePoint now) override { now_ = now; }
  void entered(const chat::StateChange& change) override;
  void fault(std::string_view what) override;

 private:
  const NodeSetup* node(std::string_view name) const;
  const NodeSetup* node_of(chat::Channel ch) const;
  std::optional<chat::Channel> channel_of(std::string_view name) const;
  bool journal(JournalKind kind, std::map<std::string, std::string> fields);
  /// Fleet mode: true when this process may take `what` now (owner_check);
  /// with `intent`, also journals `note intent=… node=…` first and checks
  /// again after it. False: nothing may be done, the timeline and an alarm
  /// say why.
  bool owner_may(const std::string& what, const std::string& node, const char* intent);
  bool check_owner(const std::string& what);
  void say(const std::string& text) { timeline_(now_, text); }
  static chat::InterpreterOptions named(chat::InterpreterOptions o, const RoleBinding& roles);

  // Commands: the exec queue (one at a time, like one local shell) and one
  // power action per node.
  struct Running {
    std::uint64_t id = 0;
    std::string name;  // for the timeline: the program, or "power_off alpha"
    chat::TimePoint deadline{};
    bool timed_out = false;
    std::string line;    // exec: the partial line, for the timeline
    std::string output;  // power: the last 4 KiB, for the read-back
  };
  enum class PowerStep { Off, ReadOff, On, ReadOn };
  struct PowerJob {
    chat::PowerOp op = chat::PowerOp::Off;
    PowerStep step = PowerStep::Off;
    chat::TimePoint give_up{};               // the current read-back's bound
    std::optional<chat::TimePoint> poll_at;  // the next power_status
    std::optional<Running> child;
    std::string last;           // what power_status said last, for the failure's reason
    bool resume_check = false;  // a resumed boot by power: off means power_on was never run
  };
  std::optional<std::uint64_t> launch(const std::vector<std::string>& argv, Running& r,
                                      std::string& why);
  void start_exec();
  void exec_output(std::string_view bytes, bool flush);
  void power_step(std::size_t node);
  void power_command_ended(std::size_t node, int status);
  void power_done(std::size_t node, chat::EventKind result, std::string why);
  void check_commands(chat::TimePoint now);
  /// Events the actuator raises while the interpreter runs (a power result
  /// that comes at once): handed over when it has returned.
  void deliver();
  // BCP (runtime_bcp.cc).
  void bcp_start(chat::TimePoint now);
  void bcp_restart_shippers();
  bool bcp_hold(chat::Channel ch, std::string_view bytes, std::optional<chat::PowerOp> power);
  void bcp_tick();
  void bcp_watch_lag();
  void bcp_check_divergence();
  void bcp_promote();
  void bcp_release();
  bool bcp_output(std::uint64_t id, std::string_view bytes);
  bool bcp_exit(std::uint64_t id, int status);
  void bcp_line(std::size_t which, std::string_view line);
  void bcp_lease_tick();
  void bcp_lease_ended(std::size_t i, int status);
  std::string lease_refusal(std::size_t i, const chat::FenceEvidence& e) const;
  std::optional<chat::TimePoint> bcp_deadline() const;
  std::size_t index_of_channel(chat::Channel ch) const {
    return ch == chat::Channel::Standby ? roles_.standby() : roles_.active();
  }

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
  std::uint64_t next_id_ = 1;
  std::optional<Running> exec_;
  std::deque<std::vector<std::string>> exec_queue_;
  std::array<std::optional<PowerJob>, 2> power_;  // by node index
  std::array<bool, 2> read_back_off_{};           // by node index: the last power action read off,
                                                  // since the last takeover
  // Events raised while the interpreter runs, handed over when it returns. A
  // power result names its node: its channel is the node's role then (a
  // takeover may come between).
  struct Pending {
    chat::Event event;
    std::optional<std::size_t> node;
  };
  std::deque<Pending> pending_;
  // BCP: shippers_[0] serves at the active's site, [1] receives at the standby's.
  struct Shipper {
    std::optional<Running> child;
    std::optional<chat::TimePoint> restart_at;
    std::size_t node = 0;
    std::string line;              // the partial output line
    std::string last_error;        // said once until it changes
    std::string last_line;         // the newest complete line (status JSON)
    std::optional<int> last_exit;  // said once while it keeps ending the same way
    bool stopping = false;         // killed on purpose: no restart
  };
  std::array<Shipper, 2> shippers_;
  repl::Tracker tracker_;
  // BCP site_isolation = lease, by node index.
  struct LeaseState {
    repl::LeaseWatch watch;
    std::optional<Running> child;           // a renewal running
    chat::TimePoint next_at{};              // fixed schedule: every lease/3
    std::optional<repl::RenewResult> last;  // said once while it stays the same
    bool withheld = false;                  // fenced by lease: not renewed until the takeover
    bool paused = false;  // the active lost (ping down, last renewal failed): said once
    std::string output;   // the running renewal's output (its last line is said)
  };
  std::array<LeaseState, 2> leases_;
  bool active_ping_down_ = false;  // the active's ping level (lease renewals stop on it)
  bool lease_told_ = false;        // the active's lease level the script was last told
  struct HeldBoot {
    chat::Channel ch = chat::Channel::Standby;
    std::string bytes;
    std::optional<chat::PowerOp> power;  // a `power standby on|cycle`, else `boot standby`
    chat::TimePoint since{};
    std::string alarmed;  // the gate verdict last alarmed, once each
    bool logged_observe = false;
  };
  std::optional<HeldBoot> held_;
  std::optional<Running> promoting_;
  repl::GateAnswer promote_answer_;
  bool accept_loss_ = false;
  bool gate_open_ = false;  // decided: the receiver is being stopped, or promote runs
  bool planned_ = false;    // a switchover was asked: only zero loss opens the gate
  std::optional<chat::TimePoint>
      fenced_at_;  // the active marked fenced (the source stopped by then)
  std::array<std::optional<chat::TimePoint>, 2>
      last_sign_of_life_;  // by node index: a console byte, or a ping level change
  chat::TimePoint replica_moved_at_{};
  chat::TimePoint bcp_started_{};
  chat::TimePoint bcp_check_at_{};  // the next gate / lag check: fixed, so output cannot push it
  bool lag_alarmed_ = false;        // the "replication behind" warning is out
  bool diverged_alarmed_ = false;   // the "replica differs" alarm is out
  std::string gate_state_ = "deciding";  // status: draining, hold, waiting for equal hashes
  bool future_alarmed_ = false;          // the "replica dated in the future" alarm is out
  bool not_owner_alarmed_ = false;       // fleet: the alarm for a failed owner_check is out
  std::array<bool, 2> break_unsent_{};   // by node index: the script's last BREAK was refused
                                         // (not the owner): no presumed fence on its silence
  std::array<bool, 2>
      refused_alarmed_{};  // by node index: identity alarm raised, console not up since
};

}  // namespace clusterd
