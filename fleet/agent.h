// The fleet agent (clusterd-fleet, docs/fleet.md): one per monitoring host.
// It holds the host's etcd lease, claims the clusters this host should watch
// and runs one clusterd for each cluster it owns.
//
//   lease      granted with TTL `ttl` (10 s), kept alive every `keepalive`
//              (2 s, each request 1 s, endpoints rotated); PREFIX/hosts/HOST
//              is on it. The host file (fleet/host_file.h) gets the new
//              deadline after each good keepalive: send time + TTL - margin.
//   ownership  PREFIX/owner/CLUSTER = HOST on the lease, created by a
//              transaction only if absent; its create revision is the
//              cluster's fencing token, given to the clusterd it starts.
//   polling    every `poll` (0.5 s) one count-only read gives the store's
//              revision; hosts, owners and moves are read again (one
//              transaction) only when it moved, or every 30 s.
//   placement  fleet/placement.h ranks the live allowed hosts (CList
//              `hosts=`); the first claims an ownerless cluster at once, the
//              i-th after i × claim_step (when the ones before it do not).
//              PREFIX/move/CLUSTER = HOST (clusterctl fleet move) goes first.
//              Nothing is claimed in a lease's first `startup_grace` (3 s):
//              hosts started together see each other before they claim.
//   handover   a cluster whose best host is another live one (a move, or a
//              host that came back) is released only while its clusterd says
//              it is idle, at most one per `handover_every`: the clusterd is
//              stopped, then the owner key deleted (compare: our token).
//   lease lost etcd says the lease is gone: every clusterd of this host is
//              stopped at once and a new lease is granted.
//   SIGTERM    clusterds stopped, the lease revoked: the clusters move now,
//              not a TTL later.
// Children get PR_SET_PDEATHSIG SIGKILL: a killed agent leaves no clusterd.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/duration.h"
#include "clist/clist.h"
#include "fleet/etcd_client.h"
#include "fleet/etcd_journal.h"
#include "fleet/host_file.h"

namespace clusterd::fleet {

struct AgentOptions {
  std::string host;                    ///< this monitoring host's name in the fleet
  std::vector<std::string> endpoints;  ///< etcd client URLs
  std::string prefix = "/clusterd/";
  std::string home;           ///< $CLUSTER_HOME (CList, run/, Logs/)
  std::string clusterd;       ///< the clusterd binary
  std::string stock_scripts;  ///< for reading cluster configs (which consoles are local)
  double weight = 1.0;
  std::int64_t ttl_s = 10;
  Duration keepalive = std::chrono::seconds(2);
  Duration request_timeout = std::chrono::seconds(1);
  Duration margin = std::chrono::seconds(4);  ///< deadline = keepalive sent + TTL - margin
  Duration poll = std::chrono::milliseconds(500);
  Duration full_read_every = std::chrono::seconds(30);  ///< hosts/owners/moves even if unchanged
  Duration claim_step = std::chrono::seconds(2);
  /// No claim in the first this long of a lease: hosts that start together
  /// see each other first and share the clusters (else the first takes all).
  Duration startup_grace = std::chrono::seconds(3);
  Duration handover_every = std::chrono::seconds(5);    ///< at most one handover per this
  Duration handover_stable = std::chrono::seconds(10);  ///< a better host live this long first
  bool rebalance = true;  ///< hand clusters back to their best host when it returns
};

class Agent {
 public:
  explicit Agent(AgentOptions o);
  ~Agent();
  /// Runs until `*stop` is set (by a signal handler); then stops every
  /// clusterd and revokes the lease. Returns the exit status.
  int run(volatile const int* stop);

  /// The host file's path: HOME/run/fleet.host.
  std::string host_file() const { return opt_.home + "/run/fleet.host"; }

 private:
  struct Child {
    pid_t pid = 0;
    std::int64_t token = 0;
    bool stopping = false;
    std::int64_t started_ns = 0;
  };
  struct ClusterSeen {
    std::int64_t ownerless_since = 0;   // mono ns; 0: has an owner
    std::int64_t other_best_since = 0;  // mono ns since another host is best; 0: we are
    std::int64_t restart_at = 0;        // after an unexpected exit
    int restarts = 0;
  };

  void log(const std::string& line) const;
  bool acquire_lease();
  void keepalive();
  void lose_lease(const std::string& why);
  void publish();
  void poll();
  bool claim(const std::string& cluster);
  void release(const std::string& cluster, std::int64_t token);
  bool start_child(const std::string& cluster, std::int64_t token);
  void stop_child(const std::string& cluster, bool kill_now);
  void reap();
  bool child_idle(const std::string& cluster) const;
  bool may_act() const;
  /// False (logged once) for a cluster whose console is a local device
  /// (serial, pty) unless its CList line names exactly one host.
  bool placement_ok(const std::string& cluster, const std::string& config_path,
                    const std::vector<std::string>& hosts);

  AgentOptions opt_;
  FleetKeys keys_;
  std::unique_ptr<EtcdClient> etcd_;
  std::int64_t lease_ = 0;
  std::int64_t granted_ttl_ = 0;
  std::int64_t deadline_ns_ = 0;
  std::int64_t next_keepalive_ns_ = 0;
  std::int64_t next_poll_ns_ = 0;
  std::int64_t last_handover_ns_ = 0;
  std::int64_t lease_since_ns_ = 0;
  bool fenced_logged_ = false;
  std::string last_error_;
  std::map<std::string, Child> children_;
  std::map<std::string, ClusterSeen> seen_;
  struct ConsoleKind {
    std::int64_t mtime_ns = -1;
    bool local = false;  // a serial or pty console: only its one host can reach it
    bool warned = false;
  };
  std::map<std::string, ConsoleKind> console_kind_;  // by cluster
  // The last full read of hosts, owners and moves; read again only when the
  // store's revision moved, or after full_read_every.
  TxnReply view_;
  std::int64_t view_revision_ = 0;
  std::int64_t view_at_ns_ = 0;
  // The CList, read again when its file changes.
  clist::CListResult clist_;
  std::int64_t clist_stamp_ = -1;
};

}  // namespace clusterd::fleet
