#include "fleet/placement.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace clusterd::fleet {

namespace {
// FNV-1a then a splitmix64 finaliser: stable across hosts and builds (not std::hash).
std::uint64_t hash_pair(const std::string& a, const std::string& b) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&](const std::string& s) {
    for (char ch : s) {
      auto c = static_cast<unsigned char>(ch);
      h ^= c;
      h *= 0x100000001b3ull;
    }
    h ^= 0xff;  // a separator no name holds
    h *= 0x100000001b3ull;
  };
  mix(a);
  mix(b);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}
}  // namespace

double rendezvous_score(const std::string& cluster, const std::string& host, double weight) {
  // u in (0,1): the top 53 bits, offset by half a step so it is never 0 or 1.
  double u = (static_cast<double>(hash_pair(cluster, host) >> 11) + 0.5) / 9007199254740992.0;
  return -weight / std::log(u);
}

std::vector<std::string> rank_hosts(const std::string& cluster, const std::vector<LiveHost>& live,
                                    const std::vector<std::string>& allowed) {
  std::vector<std::pair<double, std::string>> scored;
  for (const auto& h : live) {
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), h.name) == allowed.end())
      continue;
    if (h.weight <= 0) continue;
    scored.emplace_back(rendezvous_score(cluster, h.name, h.weight), h.name);
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> out;
  for (auto& s : scored) out.push_back(std::move(s.second));
  return out;
}

}  // namespace clusterd::fleet
