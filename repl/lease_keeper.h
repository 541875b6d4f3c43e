// clusterd-ship lease-keeper and lease-renew (repl/lease_keeper.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/duration.h"

namespace clusterd::repl {

struct LeaseOptions {
  std::string file;                           ///< the lease file at the site
  Duration ttl = std::chrono::seconds(30);    ///< T: halt after this without a renewal
  Duration grace = std::chrono::seconds(30);  ///< a starting keeper's first term
  Duration poll = std::chrono::milliseconds(100);
  std::vector<std::string> halt;  ///< the command that halts the node (keeper)
  /// lease-renew: not renewed after this (wall clock, ms since the epoch):
  /// the monitor counts the renewal as ended then.
  std::optional<std::int64_t> not_after_ms;
};

/// Runs until killed; exit 2 when it cannot start (another keeper, a file).
int lease_keeper(const LeaseOptions& o);
/// Exit 0 renewed, 3 no keeper runs (nobody would halt the node; the file is
/// written all the same), 4 too late (--not-after passed), 2 a file.
int lease_renew(const LeaseOptions& o);

}  // namespace clusterd::repl
