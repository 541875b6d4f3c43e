// Daemon: one cluster's process, its parts wired together. The main
// (clusterd_main.cc) loads the config and the script (clusterd/load.h) and
// runs this until SIGTERM. The parts, each in its own file:
//   runtime.h          the chat script and DESIGN.md §5's safety rules
//   roles.h            which node is active (the one binding; announces takeovers)
//   journal.h          the failover's steps on disk (fsync'd)
//   timeline.h         the activity log and its memory
//   alarm_bridge.h     alarms out to the alarm service, delivery results back
//   child_runner.h     `exec` and power methods as children
//   control_protocol.h what clusterctl's requests mean (control.h: the socket)
//   status.h, metrics.h  `clusterctl status` and the Prometheus text
//   failover_clock.h   how long the last failover took
//   instance_files.h   the lock and the pid file
//   ports.h            consoles, ping, the timer, the clocks: real or fake
//
//   console alpha ─┐                 ┌─> console alpha/beta (send, BREAK)
//   console beta  ─┼─> ClusterRuntime┼─> AlarmBridge ─> AlarmService (spool, channels)
//   PingSource    ─┤   (Interpreter) ├─> Journal (fsync)
//   Waker         ─┘                 └─> Timeline: Logs/NAME.log + memory
//   control socket <─ clusterctl status | timeline | switchover | maintenance | metrics
//   [metrics] listen <─ GET /metrics (Prometheus; off unless configured)
#pragma once

#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "chat/script.h"
#include "clist/cluster_config.h"
#include "clusterd/ports.h"

namespace clusterd {

/// Where a cluster's files live (DESIGN.md §2).
struct DaemonPaths {
  std::string home;  ///< $CLUSTER_HOME
  std::string log_dir() const { return home + "/Logs"; }
  std::string run_dir() const { return home + "/run"; }
  std::string state_dir() const { return home + "/state"; }
  std::string spool_dir() const { return home + "/spool"; }
};

class JournalStore;

/// Fleet mode (docs/fleet.md): the journal in etcd and the owner check.
/// Empty: the single-host default (state/NAME.journal, always the owner).
struct DaemonFleet {
  std::unique_ptr<JournalStore> journal;
  std::function<Result<void>()> owner_check;
};

class Daemon {
 public:
  /// Opens every file and socket, creates the consoles and probes (not yet
  /// started). Errors are one line for the operator. `config` and `script`
  /// are kept by reference and must outlive the daemon. `ports` with no
  /// clock means the real world on `io` (real_ports).
  static Result<std::unique_ptr<Daemon>> create(boost::asio::io_context& io,
                                                const clist::ClusterConfig& config,
                                                const chat::LoadedScript& script, DaemonPaths paths,
                                                DaemonPorts ports = {}, DaemonFleet fleet = {});
  ~Daemon();

  /// Starts consoles, probes and the script (or resumes a journaled failover).
  void start();
  /// Stops everything without sending anything to a node (no BREAK, ever).
  void stop();

  /// `clusterctl status` text (or JSON) and the recent timeline.
  std::string status(bool json) const;
  std::string timeline(std::size_t last) const;
  /// The cluster's metrics in the Prometheus text format (clusterd/metrics.h):
  /// what `clusterctl metrics` and GET /metrics return.
  std::string metrics() const;
  /// One control request line, answered (what the control socket does).
  std::string control(std::string_view request);

  /// Fleet mode, once a second: the owner check. While it fails, a console
  /// that is lost is not reconnected (a new owner took it over: reconnecting
  /// would cut the new owner off); when it passes again they are reopened.
  void fleet_tick();

  /// A line in the timeline and the activity log.
  void note(const std::string& text);
  /// Closes and opens again the activity log and the console transcripts
  /// (SIGUSR1, after logrotate moved them): nothing is lost, the next line
  /// goes to the new file.
  void reopen_logs();
  /// True when no fence is in progress and no failover step is journaled
  /// as under way: the moment a reload may restart the process.
  bool idle() const;
  /// Called for `clusterctl reload` (and by the main for SIGHUP); returns the
  /// reply line ("ok ..." or "error: ...").
  void set_reload(std::function<std::string()> reload);

  struct Impl;

 private:
  explicit Daemon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clusterd
