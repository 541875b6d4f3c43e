// What `clusterctl status` shows, gathered once by the daemon, and its two
// renderings: the table people read and the JSON programs read (one object,
// one line; its field names are part of the interface: docs/operator-manual.md).
#pragma once

#include <string>

namespace clusterd {

struct StatusView {
  std::string cluster, state;
  std::string active, standby;                  ///< node names
  std::string console_active, console_standby;  ///< "up", "down", "?"
  std::string ping = "-", rtt = "-";            ///< the active node's ping level, last RTT
  bool isolated = false;                        ///< the reference address is unreachable
  int failovers = 0;                            ///< takeovers the journal records
  std::string last_alarm;                       ///< "" before the first
  /// BCP mode (docs/bcp.md): one line for people, one object for programs;
  /// both empty when the cluster has one shared disk.
  std::string bcp_text, bcp_json;
};

std::string render_status_text(const StatusView& s);
/// One line, ending in "\n".
std::string render_status_json(const StatusView& s);

}  // namespace clusterd
