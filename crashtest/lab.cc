#include "crashtest/lab.h"

#include <cstdio>
#include <map>
#include <random>
#include <string_view>

namespace clusterd::crashtest {
namespace {

// Too long for a lab iteration (the others take 15-40 s in ci timings); they
// run with --all and in the nightly, or in a lab that names them. Kept here,
// not in the MANIFEST, until the manifest has a field for it.
constexpr std::string_view kTooLongForTheLab[] = {
    "cascaded_power_offs",  // ten failovers in a row, ~2.5 min
};

// A uniform draw from 0..n-1. Not std::uniform_int_distribution: its
// algorithm is the library's choice, and a lab must replay the same on every
// build. Rejecting the 2^64 mod n lowest values removes the modulo bias.
std::uint64_t draw(std::mt19937_64& g, std::uint64_t n) {
  const std::uint64_t reject_below = (std::uint64_t{0} - n) % n;
  std::uint64_t x = g();
  while (x < reject_below) x = g();
  return x % n;
}

}  // namespace

bool lab_eligible(const Scenario& s) {
  for (auto id : kTooLongForTheLab) {
    if (s.id == id) return false;
  }
  return true;
}

std::vector<Scenario> lab_pool(const std::vector<Scenario>& all) {
  std::vector<Scenario> out;
  for (const auto& s : all) {
    if (lab_eligible(s)) out.push_back(s);
  }
  return out;
}

std::vector<PlannedRun> lab_plan(const std::vector<Scenario>& pool, int n, std::uint64_t seed) {
  std::vector<PlannedRun> out;
  if (pool.empty()) return out;
  std::mt19937_64 g(seed);  // the engine's output is fixed by the standard
  std::map<std::string, int> drawn;
  for (int i = 1; i <= n; ++i) {
    PlannedRun p;
    p.index = i;
    p.scenario = pool[draw(g, pool.size())].id;
    p.attempt = ++drawn[p.scenario];
    p.seed = 1 + draw(g, kLabMaxSeed);
    p.offset_ms = static_cast<int>(draw(g, kLabMaxOffsetMs + 1));
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<PlannedRun> repeat_plan(const std::vector<Scenario>& chosen, int repeat,
                                    std::uint64_t seed, int offset_ms) {
  std::vector<PlannedRun> out;
  for (int rep = 1; rep <= repeat; ++rep) {
    for (const auto& s : chosen) {
      PlannedRun p;
      p.index = static_cast<int>(out.size()) + 1;
      p.scenario = s.id;
      p.attempt = rep;
      p.seed = seed + static_cast<std::uint64_t>(rep - 1);
      p.offset_ms = offset_ms;
      out.push_back(std::move(p));
    }
  }
  return out;
}

std::string plan_line(const PlannedRun& p) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%4d  %-26s seed=%llu offset_ms=%d", p.index, p.scenario.c_str(),
                static_cast<unsigned long long>(p.seed), p.offset_ms);
  return buf;
}

}  // namespace clusterd::crashtest
