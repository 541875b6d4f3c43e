// Metrics in the Prometheus text exposition format, version 0.0.4: a writer
// that emits each family's # HELP and # TYPE lines followed by its samples
// (label values escaped), the numbers one cluster's daemon reports, and the
// merge that `clusterctl metrics` uses to join several clusters' texts into
// one exposition. Pure text: no sockets, no clock. The daemon fills
// ClusterMetrics from its parts; metrics_server.h serves the text over HTTP.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clusterd::metrics {

enum class Type { Counter, Gauge };

/// "counter", "gauge": the word of a # TYPE line.
const char* type_name(Type t);

/// A sample's labels in the order written: {name, value}. Names are ours
/// (constants); values may be anything and are escaped.
using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

/// True for a metric name: [a-zA-Z_:][a-zA-Z0-9_:]*.
bool is_metric_name(std::string_view name);
/// True for a label name: [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__"
/// (reserved for Prometheus itself).
bool is_label_name(std::string_view name);

/// A label value as it goes between the quotes: `\` `"` and newline become
/// `\\` `\"` `\n`; every other byte passes as it is.
std::string escape_label_value(std::string_view value);
/// # HELP text: `\` and newline become `\\` and `\n` (quotes stay).
std::string escape_help(std::string_view text);
/// A sample value: integers exactly ("0", "42"), other finite numbers in
/// the shortest form that reads back to the same double, and "NaN",
/// "+Inf", "-Inf".
std::string format_value(double value);

/// Builds one exposition. Every sample goes to the family declared last, so
/// a family's samples are always one group, as the format requires.
class Writer {
 public:
  /// Starts family `name` with its # HELP and # TYPE lines. `name` must be
  /// a valid metric name (ours are constants; the tests check them).
  void family(std::string_view name, Type type, std::string_view help);
  /// One sample of the current family: `name{labels} value`.
  void sample(const Labels& labels, double value);

  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::string family_;
};

/// One node of the cluster as the metrics show it.
struct NodeMetrics {
  std::string name;
  bool active = false;      ///< current role (after failovers: the journal's)
  bool console_up = false;  ///< the console transport is connected
};

/// BCP mode (docs/bcp.md): the replication between the sites.
struct BcpMetrics {
  double lag_seconds = 0;  ///< source time of the head's newest record minus the replica's
  std::uint64_t lag_records = 0, lag_bytes = 0;
  std::optional<double> replica_age_seconds;  ///< absent until a verified point exists
  std::uint64_t epoch = 0;
  bool gate_held = false;  ///< a standby's boot waits at the failover gate
  bool replica_in_future = false;
  bool diverged = false;
};

/// What one daemon reports; filled by the daemon, rendered by render().
struct ClusterMetrics {
  std::string cluster;
  std::string state;  ///< the chat script's current state
  std::array<NodeMetrics, 2> nodes;
  bool ping_up = false;                    ///< the active node answers ping
  std::optional<double> ping_rtt_seconds;  ///< the active node's last answer; none yet: absent
  std::uint64_t ping_probes = 0;           ///< probes sent to the active node (whichever it was)
  std::uint64_t ping_lost = 0;             ///< of them, counted as missed
  std::uint64_t failovers = 0;             ///< takeovers in the journal
  std::uint64_t alarms_pending = 0;        ///< alarm notifications not yet delivered
  std::uint64_t alarms_raised = 0;         ///< alarms raised since the daemon started
  /// Leaving the initial state -> takeover, of the last failover this
  /// process saw from its start; absent when there was none.
  std::optional<double> last_takeover_duration_seconds;
  std::optional<BcpMetrics> bcp;  ///< BCP clusters only: their families appear only then
};

/// The exposition of one cluster: every family, every sample labelled
/// cluster="NAME"; a family without a value (no rtt yet) has no sample.
std::string render(const ClusterMetrics& m);

/// Joins several expositions into one: each family's # HELP and # TYPE once
/// (the first seen), then the samples of every input, grouped by family in
/// the order the families first appear. Other comment lines come first, in
/// input order. Lines are taken as they are; nothing is re-escaped.
std::string merge(const std::vector<std::string>& expositions);

}  // namespace clusterd::metrics
