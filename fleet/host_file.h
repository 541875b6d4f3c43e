// The host file: what a fleet agent (clusterd-fleet) tells the clusterds it
// starts, rewritten (atomically: a temporary file and rename) after every
// keepalive. One `key=value` a line:
//   host=mon1  prefix=/clusterd/  endpoints=http://10.0.0.1:2379,…
//   lease=7587862072283479315  ttl=10
//   deadline_ns=…   CLOCK_BOOTTIME ns until which this host may act
// The deadline is the send time of the last keepalive etcd answered with the
// lease alive, plus the TTL, minus a margin (4 s): etcd cannot have expired
// the lease before it, whatever etcd's own clock or leader changes did (a
// new leader resets TTLs; it never shortens them). A clusterd checks it just
// before each write to a node (docs/fleet.md, "The three fences").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace clusterd::fleet {

struct HostFile {
  std::string host;
  std::string prefix = "/clusterd/";
  std::vector<std::string> endpoints;
  std::int64_t lease = 0;
  std::int64_t ttl = 0;
  std::int64_t deadline_ns = 0;  ///< 0: may not act
};

std::string format_host_file(const HostFile& h);
Result<HostFile> parse_host_file(const std::string& text, const std::string& path);
Result<HostFile> read_host_file(const std::string& path);
/// Writes `path` atomically (PATH.tmp, fsync-free rename: the file lives in /run).
Result<void> write_host_file(const std::string& path, const HostFile& h);

/// CLOCK_BOOTTIME now, in ns: the clock of deadline_ns on this host. Not
/// CLOCK_MONOTONIC, which stands still while the host is suspended: after a
/// resume its deadline would look seconds ahead of a lease long gone.
std::int64_t fence_clock_ns();

/// The owner check of a clusterd started for lease `lease`: ok while the
/// host file names that lease and its deadline is ahead of now.
Result<void> check_deadline(const std::string& path, std::int64_t lease);

}  // namespace clusterd::fleet
