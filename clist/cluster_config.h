// One cluster's configuration file ($CLUSTER_HOME/clusters/NAME.toml): read,
// check and resolve it into a ClusterConfig the daemon can use as it is.
// Every error is a Diagnostic at the offending key or value; all of them are
// collected, not just the first. toml++ stays inside clist/: no toml type or
// exception crosses this header. Nothing is started or connected here; the
// only file access is the config, the secrets file and the script's existence.
// The reference, with every key and default, is docs/config.md.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alarm/config.h"
#include "base/diagnostic.h"
#include "base/duration.h"
#include "base/secrets.h"
#include "tty/endpoint.h"

namespace clusterd::clist {

using namespace std::chrono_literals;

enum class Role { Active, Standby };

/// "active" or "standby".
const char* role_name(Role r);

/// One `[nodes.NAME]` table.
struct Node {
  std::string name;
  std::string console_uri;  ///< as written
  tty::Endpoint console;    ///< console_uri, parsed
  /// `address = "…"` or `addresses = […]`: the IPv4 addresses ping probes
  /// (any answering is alive); at least one.
  std::vector<std::string> addresses;
  Role role = Role::Active;  ///< the initial role
  /// Power method, each an argv run without a shell; empty: not configured.
  /// power_off needs power_status: a power fence counts only when read back.
  std::vector<std::string> power_off;
  std::vector<std::string> power_on;
  std::vector<std::string> power_status;
  /// RE2 patterns power_status's output must match to read the node off / on
  /// (defaults: what `ipmitool chassis power status` prints).
  std::string power_status_off = "Chassis Power is off";
  std::string power_status_on = "Chassis Power is on";
  /// BCP mode: the log-stream shipper at this node's site (docs/bcp.md),
  /// argv each: serve while the node is active, receive while it is the
  /// standby, promote to make its disk writable before its boot.
  std::vector<std::string> ship_serve;
  std::vector<std::string> ship_receive;
  std::vector<std::string> ship_promote;
  /// BCP site_isolation = "lease": renews the lease of this node's site's
  /// lease keeper (`clusterd-ship lease-renew`, usually over ssh).
  std::vector<std::string> ship_renew;
};

enum class PingMethod { Icmp, Tcp };

/// `[ping]`: how the nodes' liveness is probed.
struct PingConfig {
  Duration interval = 1s;
  Duration timeout = 1s;  ///< one probe's wait for its answer; default: the interval
  int misses = 3;         ///< consecutive misses that make `ping.down`
  std::string reference;  ///< IPv4, the monitor's own network; empty: no isolation check
  PingMethod method = PingMethod::Icmp;
  std::uint16_t tcp_port = 0;  ///< method Tcp: the port connected to (required then)
};

/// `unconfirmed_fence`: Takeover accepts a node silent on a live console with
/// ping down through the confirm window as powered off (and keeps a fence
/// watch on it); Wait never takes over without a confirmed fence, and alarms.
enum class UnconfirmedFence { Takeover, Wait };

/// `on_network_loss` (console alive, ping lost): Takeover fences through the
/// console (confirmed) and takes over; Alarm only alarms.
enum class OnNetworkLoss { Takeover, Alarm };

/// `[policy]`: the choices DESIGN.md §5 leaves to the operator.
struct PolicyConfig {
  UnconfirmedFence unconfirmed_fence = UnconfirmedFence::Takeover;
  OnNetworkLoss on_network_loss = OnNetworkLoss::Takeover;
  Loc on_network_loss_loc;  ///< where it was set (empty file: the default)
};

/// `[timeouts]`: limits the daemon applies around the script.
struct TimeoutsConfig {
  Duration confirm_window = 20s;  ///< silence before a presumed fence is accepted
  Duration power = 60s;           ///< one power command; killed after this, counts as failed
  Duration exec = 5min;           ///< one script `exec` command; killed after this
};

/// `[metrics]`: the optional HTTP endpoint for Prometheus (GET /metrics). Off
/// unless `listen` is given; only a loopback address is accepted, since the
/// endpoint has neither TLS nor authentication.
struct MetricsConfig {
  std::string listen;   ///< as written ("127.0.0.1:9100"); empty: no endpoint
  std::string address;  ///< its address: 127.0.0.0/8 or ::1, without brackets
  std::uint16_t port = 0;
  bool enabled() const { return !listen.empty(); }
};

/// `[bcp]`: two sites, two disks, the record log shipped between them
/// (docs/bcp.md). Absent: one shared disk, as always.
struct BcpConfig {
  bool enabled = false;
  bool observe = false;          ///< mode = "observe": the gate only says what it would do
  std::uint64_t max_loss = 50;   ///< records a failover may lose without an operator
  Duration gate_timeout = 5min;  ///< then it goes on with the stated loss; 0 = never by itself
  Duration drain = 15s;          ///< after the fence, how long a moving replica is waited for
  Duration lag_alarm = 60s;      ///< warn when the replica is this far behind; 0 = never
  /// A site the monitor cannot see at all: only alarm ("wait"), or rely on
  /// its lease keeper, which halts its node after `lease` without a renewal,
  /// and fence it by lease after twice that ("lease").
  bool site_isolation_lease = false;
  Duration lease = 30s;  ///< T: the lease keeper's term; renewed every T/3
};

/// A checked, resolved cluster config. Built only when there is no diagnostic.
struct ClusterConfig {
  std::string name;  ///< from the CList (LoadOptions::name), else the file's stem
  std::string path;  ///< the config file
  std::string home;  ///< $CLUSTER_HOME it was resolved against

  /// The chat script: an absolute path as written, else the first of
  /// $CLUSTER_HOME/scripts/SCRIPT and STOCK/SCRIPT that exists.
  std::string script;
  /// `[params]`, for the compiler's overrides (`chatc --param`): strings as
  /// written, integers in decimal, durations as their strings.
  std::map<std::string, std::string> params;
  std::map<std::string, Loc> param_locs;  ///< where each param was set, for later errors

  std::array<Node, 2> nodes;  ///< in file order
  PingConfig ping;
  alarm::AlarmConfig alarms;  ///< `[alarms]`; alarms.cluster is `name`
  PolicyConfig policy;
  TimeoutsConfig timeouts;
  MetricsConfig metrics;
  BcpConfig bcp;

  std::string secrets_path;            ///< resolved `secrets = "PATH"`; empty: none
  std::optional<SecretsFile> secrets;  ///< loaded (mode 0600 checked) when secrets_path is set

  /// The node whose initial role is active / standby.
  const Node& active() const;
  const Node& standby() const;
};

struct LoadOptions {
  std::string home;           ///< $CLUSTER_HOME: base for relative paths
  std::string stock_scripts;  ///< installed stock scripts (…/share/clusterd/scripts); empty: none
  std::string name;           ///< the cluster's name; empty: the config file's stem
};

/// A config, or why not. `config` is set exactly when `diagnostics` is empty;
/// diagnostics come sorted by position, whole-file ones first.
struct ConfigResult {
  std::optional<ClusterConfig> config;
  Diagnostics diagnostics;
  bool ok() const { return config.has_value(); }
};

/// Reads and checks the cluster file at `path` (a file that cannot be read
/// is one diagnostic without a line).
ConfigResult load_cluster_config(const std::string& path, const LoadOptions& options);

/// Checks cluster-file `text`; `path` names it in diagnostics and in the
/// result. Still touches the file system for the secrets file and the script.
ConfigResult parse_cluster_config(std::string_view text, const std::string& path,
                                  const LoadOptions& options);

}  // namespace clusterd::clist
