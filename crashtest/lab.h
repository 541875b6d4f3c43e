// What crashtest runs, in order: the plan. Chosen scenarios repeated
// (--scenario/--smoke/--all with --repeat), or the randomized lab of the
// crash-test plan's anchor A17 (CTS RandomTests; crashtest --random N): N
// iterations, each a scenario drawn from the lab's pool with its own seed and
// timing offset, all from one seed, so that a lab is replayed exactly from
// (N, seed) and any iteration alone from (scenario, seed, offset).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crashtest/manifest.h"

namespace clusterd::crashtest {

/// One run of the plan.
struct PlannedRun {
  int index = 1;         ///< 1-based, in run order
  std::string scenario;  ///< manifest id
  int attempt = 1;  ///< the how-many-th run of this scenario in the plan (evidence runs/ID.ATTEMPT)
  std::uint64_t seed = 1;  ///< CRASHTEST_SEED of the run
  int offset_ms = 0;       ///< CRASHTEST_OFFSET_MS: delay before the run's first fault
};

/// The lab's timing offsets are drawn from 0..kLabMaxOffsetMs.
constexpr int kLabMaxOffsetMs = 2000;
/// A lab iteration's seed is drawn from 1..kLabMaxSeed (short enough to type).
constexpr std::uint64_t kLabMaxSeed = 999999;

/// Whether a scenario may be drawn by a lab that names no scenarios: not the
/// ones too long for an iteration (cascaded_power_offs: ten failovers, ~2.5 min).
bool lab_eligible(const Scenario& s);

/// The eligible scenarios of `all`, in manifest order.
std::vector<Scenario> lab_pool(const std::vector<Scenario>& all);

/// N iterations drawn from `pool` (not empty) with `seed`. Per iteration, in
/// this order: the scenario (uniform over the pool), its seed, its offset.
/// The same pool, N and seed give the same plan on every platform; the plan
/// of N iterations is the first N of any longer one.
std::vector<PlannedRun> lab_plan(const std::vector<Scenario>& pool, int n, std::uint64_t seed);

/// Each of `chosen` `repeat` times (round r: every scenario once, seed + r - 1),
/// every run with the same offset (crashtest --offset, 0 when not given).
std::vector<PlannedRun> repeat_plan(const std::vector<Scenario>& chosen, int repeat,
                                    std::uint64_t seed, int offset_ms);

/// One line of crashtest --dry-run: "   7  primary_panic   seed=123  offset_ms=850".
std::string plan_line(const PlannedRun& p);

}  // namespace clusterd::crashtest
