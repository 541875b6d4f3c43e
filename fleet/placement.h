// Placement: which live monitoring host should watch a cluster. Weighted
// rendezvous hashing (highest random weight): each (cluster, host) pair gets
// a score from a hash both sides compute alike, scaled by the host's weight;
// the highest score wins. A host that leaves moves only its own clusters, a
// host that joins takes only those it now scores highest on, and every host
// computes the same order from the same live list with no coordination.
#pragma once

#include <string>
#include <vector>

namespace clusterd::fleet {

struct LiveHost {
  std::string name;
  double weight = 1.0;  ///< > 0; a host of weight 2 gets about twice the clusters
};

/// The live hosts allowed to watch `cluster` (`allowed` empty: all), best
/// first. Ties (equal scores) are broken by name, so the order is total.
std::vector<std::string> rank_hosts(const std::string& cluster, const std::vector<LiveHost>& live,
                                    const std::vector<std::string>& allowed);

/// The score itself (for tests): -weight / ln(u), u in (0,1) from the hash.
double rendezvous_score(const std::string& cluster, const std::string& host, double weight);

}  // namespace clusterd::fleet
