// Exploration: every sequence of up to `depth` faults of the alphabet, each
// injected at every moment that matters, over a World (docs/verify.md).
//
// A run starts the world, injects its faults at their times, and goes on
// until nothing is left to happen, the state repeats one already explored
// with at least as many faults left to inject (state hashing: times relative
// to now, so a state reached at another time is the same state), or
// `horizon` after its last fault. The moments of a run are just before and
// just after each event that mattered (World::step); each moment with each
// fault that applies there is a child run with one fault more. Children are
// run breadth first, so the first violation found has the fewest faults.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "verify/world.h"

namespace clusterd::verify {

/// One fault at one time (since the world's origin: clusterd's start).
struct Injection {
  Duration at{};
  Fault fault;
};

struct ExploreOptions {
  int depth = 3;
  std::vector<Fault> faults = alphabet();
  Duration horizon = std::chrono::hours(2);        ///< a run's end after its last fault, at most
  Duration before = std::chrono::milliseconds(1);  ///< "just before" an event
  std::uint64_t max_runs = 20'000'000;
  int jobs = 1;  ///< worker threads
  /// State hashing (a run stops on a state already explored). Off only to
  /// check that it loses nothing (tests/verify/verify_test.cc).
  bool merge = true;
  /// Called now and then from the workers with (runs, states) so far.
  std::function<void(std::uint64_t, std::uint64_t)> progress;
};

struct Counterexample {
  std::vector<Injection> faults;
  Violation violation;
};

struct ExploreResult {
  std::uint64_t runs = 0;    ///< fault sequences run (each one a world from its start)
  std::uint64_t states = 0;  ///< distinct states at the moments of all runs
  std::uint64_t pruned = 0;  ///< runs stopped on a state already explored
  std::uint64_t steps = 0;   ///< events simulated
  bool complete = true;      ///< false: max_runs was reached first
  std::optional<Counterexample> counterexample;  ///< the one with the fewest faults
  double seconds = 0;
};

/// `make_setup` gives each worker thread its own ModelSetup (and Program:
/// compiled patterns are not shared between threads).
ExploreResult explore(const std::function<ModelSetup()>& make_setup, const ExploreOptions& options);

/// Runs one schedule again with everything recorded (the counterexample's
/// transcripts, events and timeline); the violation it ends in, if any.
std::optional<Violation> replay_schedule(const ModelSetup& setup,
                                         const std::vector<Injection>& faults, Duration horizon,
                                         Recording& rec);

}  // namespace clusterd::verify
