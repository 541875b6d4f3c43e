// NodeModel: one simulated SPARC node (OpenBoot + Solaris or Linux console,
// optionally behind an ALOM/ILOM service processor) as a pure state machine.
// It never reads a socket, a file or a clock: the caller feeds console bytes,
// BREAKs, control commands and `now`, and asks when to wake it next
// (next_deadline). Effects go out through NodeEffects: console output, ledger
// lines, the wanted state of the node's network interface, NVRAM to save. The
// shared disk is a borrowed SharedDisk (MemoryDisk in tests).
//
//          power-on / reset-all                 auto-boot? true
//   OFF ----------------------> POST ----------------------------+
//    ^  (junk bytes, NULs)       | auto-boot? false / BREAK        |
//    |                           v                                  v
//    | power-off (any state)    OK <---- boot fails ---------- BOOTING --T_mount: lease
//    |                         ^ |  ^                            |  ^ |
//    |        BREAK ("Type 'go'| |  | BREAK (lease released)     |  | | boot-panic: PANIC
//    |        to resume")      | |  +----------------------------+  | | before T_mount
//    |                         | | boot [dev]            T_boot |  |
//    |                         | +------------------------------+  |  `go` resumes
//    |                         |                                 v  |  (lease re-taken)
//    |                         +------- BREAK ---------------- RUNNING (login prompt or
//    |                                  (ignored if             |   ^   a root shell,
//    |                                   BREAK_DISABLED;  hang  |   |   writes, chatter)
//    |                                   Linux: 2nd BREAK) v    | unhang
//    |   PANIC: Solaris: panic text, dump, reset -> POST    HUNG (silent; BREAK per knob)
//    +-- Linux: panic text, then nothing (BREAK twice -> OK)
//
// RUNNING --`shutdown` (init 0)--> STOPPING: the service stops writing, the
// shared disk is unmounted (lease released), svc.startd's text, then "Program
// terminated" and OK, as after a halt (auto-boot? untouched). On x86
// (`systemctl poweroff`) STOPPING ends in OFF: systemd's and the kernel's
// power-off text, "reboot: Power down", and the node powers itself off.
//
// Who reads the console: the host (the states above) or, after "#." or
// `sp-park`, the service processor ("sc> " / "-> "); while the SP has it the
// host keeps running but none of its output and no BREAK crosses.
//
// The ledger is ground truth: every state change, lease acquire/release,
// BREAK (and how it came and what it did), typed command, shared-disk write;
// `split_brain` at an acquire while another node holds the disk, `overlap`
// (ms) at the release that ends it, `write_after_fence` for a write after
// this node's BREAK halt.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/fingerprint.h"
#include "sim/node_config.h"
#include "sim/shared_disk.h"

namespace clusterd::sim {

enum class State { Off, Post, Ok, Booting, Running, Stopping, Panic, Hung };

/// How a BREAK reached the node.
enum class BreakVia { TelnetBrk, Rfc2217, AltBreak, Control };
std::string_view to_string(BreakVia via);

/// What sits at the console while the OS runs: the getty/ttymon login prompt
/// (default), a root login shell, or bash started from it.
enum class Session { Login, Root, Bash };
std::string_view to_string(Session s);

/// NVRAM variables the simulator knows. Defaults are what a dead battery
/// brings back.
struct Nvram {
  bool auto_boot = true;
  std::string boot_device = "disk";
  bool operator==(const Nvram&) const = default;
};

/// Where the model's effects go. The runner writes them to sockets and
/// files; tests record them.
class NodeEffects {
 public:
  virtual ~NodeEffects() = default;
  virtual void console(std::string_view bytes) = 0;    ///< to every console client
  virtual void ledger(const std::string& line) = 0;    ///< one JSON line, no newline
  virtual void network(bool up) = 0;                   ///< OS interface wanted up/down
  virtual void nvram_changed(const Nvram& nvram) = 0;  ///< persist it
};

class NodeModel {
 public:
  /// `effects` and `disk` must outlive the model. `nvram` is the content of
  /// the NVRAM file at start (defaults if there was none).
  NodeModel(NodeConfig config, Nvram nvram, NodeEffects& effects, SharedDisk& disk);

  /// Powers on (config.start_powered) or stays OFF.
  void start(TimePoint now);
  /// Bytes typed at the console (telnet data, pty input, `ctl type`).
  void on_input(std::string_view bytes, TimePoint now);
  void on_break(BreakVia via, TimePoint now);
  /// One control command line ("panic", "type boot\r", …). Returns one reply
  /// line: "ok …" or "error: …". Network commands are the runner's and get
  /// "error: unknown command".
  std::string control(std::string_view line, TimePoint now);
  /// Runs every step, write and output due by `now`.
  void advance_to(TimePoint now);
  /// When advance_to() next has work; nullopt: nothing scheduled.
  std::optional<TimePoint> next_deadline() const;
  /// The same without the periodic shared-disk write: when the node next
  /// does something else (`chatc verify` ends a run where only writes are
  /// left to happen).
  std::optional<TimePoint> next_change() const;

  State state() const { return state_; }
  /// "OFF", "POST", "OK", "BOOTING", "RUNNING", "BREAK_DISABLED", "STOPPING", "PANIC",
  /// "HUNG".
  std::string_view state_name() const;
  const Nvram& nvram() const { return nvram_; }
  const NodeConfig& config() const { return cfg_; }
  Knobs& knobs() { return cfg_.knobs; }
  bool holds_lease() const { return lease_since_.has_value(); }
  /// The OS that was last booted (the knob `os` applies at the next boot).
  Os booted_os() const { return os_; }
  Session session() const { return session_; }
  /// The service processor has the console (sc> / ->), not the host.
  bool at_sp() const { return at_sp_; }
  /// Linux: a BREAK armed the magic SysRq and no character has come since.
  bool sysrq_armed() const { return sysrq_until_.has_value(); }
  bool fenced() const { return fenced_at_.has_value(); }
  std::uint64_t writes() const { return write_seq_; }
  /// "state=RUNNING auto-boot?=true boot-device=disk lease=held …" (one line).
  std::string status() const;
  /// Everything that decides what the node does next, times relative to
  /// `now`, for `chatc verify`'s state hash (node_fingerprint.cc).
  void fingerprint(Fingerprint& f, TimePoint now) const;

 private:
  enum class Action {
    None,
    PostDone,
    Mount,
    BootDone,
    BootFailed,
    BootPanic,
    PanicDone,
    Unmount,
    HaltDone,
    PowerDown,
    BiosRetry
  };
  struct Step {
    TimePoint at;
    std::string text;
    Action action = Action::None;
  };
  /// What `go` resumes after a BREAK halted the OS.
  struct Suspended {
    State state;
    std::deque<Step> steps;
    TimePoint at;
    bool had_lease;
  };

  // node_model.cc: states, timers, lease, power.
  void set_state(State to, std::string_view why, TimePoint now);
  void emit(std::string_view bytes);
  void emit_later(TimePoint at, std::string bytes);
  void log(const std::string& line);
  void schedule(TimePoint at, std::string text, Action action = Action::None);
  void run_step(const Step& step, TimePoint now);
  void power_on(TimePoint now, std::string_view why);
  void power_off(TimePoint now, std::string_view why);
  void enter_post(TimePoint now, bool after_panic, std::string_view why);
  void enter_boot(std::string_view device, TimePoint now, bool rebooting, std::string_view why);
  void enter_panic(TimePoint now, std::string_view why);
  void enter_boot_panic(TimePoint now);
  void acquire_lease(TimePoint now, std::string_view why);
  void release_lease(TimePoint now, std::string_view why);
  void write_record(TimePoint now);
  void running_output(TimePoint now);
  void garbage(std::size_t n);
  std::uint64_t next_random();
  void save_nvram(std::string_view var, std::string_view via, TimePoint now);

  // node_shutdown.cc: `shutdown -i0 -g0 -y` / `init 0`, a clean halt to `ok`;
  // on x86 `systemctl poweroff`, a clean power-off (`hang`: it never ends).
  std::string shutdown(TimePoint now, bool hang);      // control reply
  std::string x86_shutdown(TimePoint now, bool hang);  // control reply

  // node_break.cc: a BREAK in every state, and `go`.
  void halt_to_ok(TimePoint now, BreakVia via);
  void resume(TimePoint now);

  // obp_shell.cc: the "#." escape, line editing, OBP words.
  void feed_byte(char c, TimePoint now);
  void host_byte(char c, TimePoint now);
  void on_line(const std::string& line, TimePoint now);
  void obp_command(const std::string& line, TimePoint now);
  void reply(std::string text, TimePoint now);  // text + prompt, after t.reply

  // os_console.cc: the login prompt, root shells, the Linux BREAK path.
  void os_line(const std::string& line, TimePoint now);
  void login_line(const std::string& line, TimePoint now);
  void shell_line(const std::string& line, TimePoint now);
  std::string login_prompt() const;  // "\r\nalpha console login: " / "\r\nalpha login: "
  std::string shell_prompt() const;  // "# ", "bash-3.2# ", "root@alpha:~# "
  std::string set_session(Session to, TimePoint now);  // control reply
  std::string quote_panic(TimePoint now);              // control reply
  std::string_view linux_break(TimePoint now);         // "halted", "sysrq-armed", "ignored"
  bool sysrq_eats(char c, TimePoint now);              // the char after a BREAK

  // x86_pc.cc: the x86 personality (SeaBIOS, GRUB, Linux; BREAK only arms SysRq).
  bool x86() const { return cfg_.platform == Platform::X86; }
  void x86_boot(TimePoint now, std::string_view why);
  std::string_view x86_break(TimePoint now);  // "sysrq-armed" or "ignored"

  // sp_shell.cc: the ALOM/ILOM command line.
  void emit_sp(std::string_view bytes);
  void enter_sp(TimePoint now, std::string_view why);
  void leave_sp(TimePoint now, std::string_view why);
  void sp_byte(char c, TimePoint now);
  void sp_line(const std::string& line, TimePoint now);
  std::string sp_prompt() const;

  // node_control.cc: the control socket's commands.
  std::string knob_command(const std::vector<std::string>& w, TimePoint now);
  std::string knob_status() const;  // "os=… session=… console=… …" for status()

  NodeConfig cfg_;
  Nvram nvram_;
  NodeEffects& fx_;
  SharedDisk& disk_;

  State state_ = State::Off;
  std::deque<Step> steps_;  // scripted output and actions of this phase
  std::deque<std::pair<TimePoint, std::string>> later_;  // delayed replies
  std::optional<Suspended> suspended_;
  std::optional<Suspended> hung_;            // what `unhang` restores
  std::optional<std::int64_t> lease_since_;  // ns
  std::optional<std::int64_t> fenced_at_;    // ns of the BREAK that halted the OS
  std::uint64_t write_seq_ = 0;
  std::optional<TimePoint> next_write_, next_chatter_, next_flood_;
  std::uint64_t chatter_seq_ = 0;
  std::uint64_t rng_;
  bool disk_error_shown_ = false;
  bool post_reboot_ = false;  // this POST follows a panic: "Rebooting with command: boot"
  Os os_ = Os::Solaris;       // the OS the last boot brought up
  Session session_ = Session::Login;
  std::optional<TimePoint> sysrq_until_;  // Linux: SysRq armed (until a char or 2nd BREAK)

  // Service processor.
  bool at_sp_ = false;
  bool hash_pending_ = false;  // a '#' typed at the host console, maybe "#."
  std::string sp_line_;
  bool sp_last_cr_ = false;
  std::string sp_confirm_;  // ILOM: the target of a pending "(y/n)? "

  // Console line state.
  std::string line_;
  bool last_cr_ = false;
  int alt_ = 0;  // progress through "\r~^B"
  bool want_password_ = false;
  std::string_view input_via_ = "console";
};

}  // namespace clusterd::sim
