// World: one cluster as `chatc verify` models it (docs/verify.md). It puts
// together, in virtual time and in one process:
//   - the chat script under test, run by the real ClusterRuntime (the
//     daemon's safety rules: the fence policy, the journal, the boot and
//     power rules), with its journal in memory;
//   - two sim::NodeModel nodes ("alpha", the first active, and "beta") on
//     one MemoryDisk: their firmware, OS, NVRAM, lease and console text are
//     nodesim's, byte for byte;
//   - the consoles between them (up or lost), the ping detector (as its
//     decision times, not its packets: below), a BMC for the power methods,
//     ssh for the planned switchover's exec;
//   - the faults of the alphabet (Fault), injected between two events.
//
// Ping is modelled by when the detector decides, not by its probes: the
// active stops answering at t, `ping.down` comes at t + detect (between
// (M-1)*I + W and M*I + W in the daemon; `--sweep detect=…`), an answer
// again gives `ping.up` one interval later. So two worlds that differ only
// in the phase of the probes are one state.
//
// Everything is deterministic: the same start and the same faults at the
// same times give the same run, which is how a counterexample is replayed.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chat/program.h"
#include "clusterd/runtime.h"
#include "sim/node_model.h"
#include "sim/shared_disk.h"

namespace clusterd::verify {

using chat::TimePoint;
using namespace std::chrono_literals;

/// The fault alphabet. Node faults name a node (0 alpha, 1 beta).
enum class FaultKind {
  Panic,      ///< the OS panics (Solaris: dump and reset; Linux: stops)
  Hang,       ///< the OS hangs: silent, no ping, BREAK still works
  Unhang,     ///< a hung node resumes where it stopped (a stale node)
  PowerOff,   ///< the node loses power
  PowerOn,    ///< power comes back: POST, then auto-boot? decides
  CablePull,  ///< its service network cable: no ping, console alive
  CablePlug,
  BreakDisable,  ///< kbd -a disable: BREAK ignored while the OS runs or hangs
  ConsoleLost,   ///< the console path drops (terminal server, ssh)
  ConsoleBack,
  OperatorTypes,  ///< someone at the console quotes a panic line (grep, less)
  SelfBoot,       ///< the standby starts to boot by itself at its prompt
  DiskOff,        ///< the shared disk loses power (global)
  DiskOn,
  MonitorIsolated,  ///< the monitor's own network fails (global)
  MonitorOk,
  Restart,  ///< clusterd killed (-9) and started again (global)
};

struct Fault {
  FaultKind kind = FaultKind::Panic;
  int node = -1;  ///< 0 or 1 for node faults; -1 for the global ones
  bool operator==(const Fault&) const = default;
};

/// "panic alpha", "cable-pull beta", "restart clusterd", ...
std::string fault_name(const Fault& f, const std::array<std::string, 2>& names);
/// Every fault of the alphabet, node faults for both nodes.
std::vector<Fault> alphabet();
/// The fault named `text` ("power-off alpha"); nullopt if none.
std::optional<Fault> parse_fault(std::string_view text, const std::array<std::string, 2>& names);

/// What is modelled and with which timings.
struct ModelSetup {
  const chat::Program* program = nullptr;  ///< must outlive the World
  chat::FencePolicy policy;                ///< [policy] unconfirmed_fence, confirm_window
  Duration exec_timeout = 5min;            ///< [timeouts] exec
  Duration power_timeout = 60s;            ///< [timeouts] power
  bool power = false;                      ///< both nodes have a power method (a BMC that works)
  sim::Platform platform = sim::Platform::Sparc;
  sim::Timings node;  ///< the nodes' own timings (nodesim's defaults)
  Duration ping_interval = 1s, ping_timeout = 1s;
  int ping_misses = 3;
  Duration detect = 0s;         ///< loss -> ping.down; 0: misses * interval + timeout
  Duration restart_delay = 5s;  ///< clusterd killed -> started again
  Duration bmc_latency = 1s;    ///< one ipmitool command
  Duration ssh_latency = 1s;    ///< ssh reaches a node and runs its command
  Duration ssh_refused = 10s;   ///< ssh to a node that does not answer gives up
  /// A crash of the active (power off, panic) with everything else healthy
  /// must end in a takeover within this.
  /// 30 minutes: longer than the stock scripts' boot_timeout (10 m) and its
  /// one retry, so a slow boot is not mistaken for no failover at all.
  Duration failover_bound = 30min;
  /// ... unless the script has sent this many boots of the standby already
  /// (the stock scripts: a boot and one retry, then an operator).
  int boot_attempts = 2;
  /// The standby may hold the shared disk without a boot sent by clusterd
  /// this long (the script has to see it and stop it).
  Duration unwatched_boot_grace = 5min;
  /// The fence rule as it was before the real-consoles issue (silence
  /// counted from the node's last byte, no CR after the BREAK needed): only
  /// to show that the verifier finds the split brain it allowed.
  bool legacy_presumption = false;
};

/// A broken invariant.
struct Violation {
  std::string kind;  ///< overlap, write-after-fence, boot-unfenced, break-healthy, no-failover,
                     ///< standby-left-booting, script-fault
  std::string text;
  Duration at{};  ///< since the world's origin (clusterd's start)
};

/// What a recorded run keeps for a counterexample.
struct Recording {
  std::array<std::vector<TranscriptRecord>, 2> consoles;  ///< by node, as the runtime saw them
  std::vector<TranscriptRecord> sh;
  std::vector<std::string> events;    ///< `STAMP EVENT [ARG]` lines, chatc replay's format
  std::vector<std::string> timeline;  ///< "+12.345s  text": runtime, faults, nodes
  std::vector<std::string> ledger;    ///< the nodes' ground truth
};

class World final {
 public:
  /// `names` are alpha and beta unless given. `rec` may be null.
  explicit World(const ModelSetup& setup, Recording* rec = nullptr);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  /// Boots the first active and brings the standby to its prompt, then
  /// starts clusterd (at origin() + the time that took).
  void start();
  TimePoint now() const { return now_; }
  TimePoint origin() const { return origin_; }
  /// When something next happens; nullopt: never.
  std::optional<TimePoint> next_event() const;
  /// Nothing is pending but the nodes' periodic disk writes: from here on
  /// the world only repeats itself (once every write has run once more).
  bool only_writes_pending() const;
  /// Runs everything due at next_event(); true when it mattered (a state,
  /// an action, a console answer, a detector's decision, a node's state or
  /// lease changed): the moments around it are where faults go.
  bool step();
  /// Moves the clock to `t` (before the next event) without running anything.
  void idle_to(TimePoint t);

  bool applicable(const Fault& f) const;
  void inject(const Fault& f);

  /// The whole world's state, times relative to now().
  std::uint64_t fingerprint() const;
  const std::optional<Violation>& violation() const { return violation_; }
  /// Checks the invariants that hold over time (the failover bound, the
  /// standby left booting); call after step().
  void check_time();
  /// Nothing pending that a later check could flag: no obligation open.
  bool settled() const;

  const std::array<std::string, 2>& names() const { return names_; }
  std::string_view active() const;
  std::size_t takeovers() const { return takeovers_; }

 private:
  struct NodeSide;
  class ModelConsole;
  class Commands;
  struct Alarms;
  enum class Level { Unknown, Up, Down };

  std::optional<TimePoint> next_change() const;
  void make_runtime();
  void kill_runtime();
  void flush();
  void note(const std::string& text);
  void event(const std::string& text);
  void fail(std::string kind, std::string text);
  bool reachable(std::size_t node) const;
  bool watched(std::size_t node) const;
  bool unbidden_boot(std::size_t node) const;
  void update_ping();
  void run_ping();
  bool really_fenced(std::size_t node) const;
  bool healthy_active(std::size_t node) const;
  void on_break_sent(std::size_t node);
  void observe();
  void on_ledger(std::size_t node, const std::string& line);
  void after_runtime_call();
  std::string offset(TimePoint t) const;

  ModelSetup setup_;
  Recording* rec_;
  std::array<std::string, 2> names_{"alpha", "beta"};
  TimePoint origin_{}, now_{};
  mutable sim::MemoryDisk disk_;  // health() is not const
  std::array<std::unique_ptr<NodeSide>, 2> nodes_;
  std::array<std::unique_ptr<ModelConsole>, 2> consoles_;
  std::unique_ptr<Commands> commands_;
  std::unique_ptr<Alarms> alarms_;
  std::unique_ptr<FileEnv> env_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<ClusterRuntime> runtime_;
  std::optional<TimePoint> restart_at_;
  bool significant_ = false;
  int same_time_steps_ = 0;

  // The network: cables, the monitor's own link, and the detector.
  std::array<bool, 2> cable_{true, true};
  bool isolated_ = false;
  Level ping_reported_ = Level::Unknown, isolation_reported_ = Level::Unknown;
  std::optional<std::pair<TimePoint, Level>> ping_pending_, isolation_pending_;
  std::size_t ping_target_ = 0;  // the node the detector probes (the runtime's active)

  // Invariant bookkeeping.
  std::optional<Violation> violation_;
  int boot_attempts_seen_ = 0;
  std::array<bool, 2> unbidden_{};  // booting from a power-on or self-boot fault
  std::optional<bool> fence_true_;  // the journaled fence of the active was true when made
  std::size_t takeovers_ = 0;
  std::string initial_state_;
  bool in_incident_ = false, incident_unhealthy_ = false;
  std::optional<TimePoint> obligation_;       // a takeover is owed by then
  std::optional<TimePoint> unwatched_since_;  // the standby holds the disk, no boot sent
};

}  // namespace clusterd::verify
