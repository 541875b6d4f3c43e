#include "verify/explore.h"

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace clusterd::verify {

namespace {

using Clock = std::chrono::steady_clock;

// States explored, each with the most faults that were left to inject from
// it: reached again with no more faults left, it is pruned.
class Visited {
 public:
  /// True if `h` was explored with at least `budget` faults left; else
  /// records it.
  explicit Visited(bool merge = true) : merge_(merge) {}
  bool seen(std::uint64_t h, int budget) {
    std::lock_guard lock(mu_);
    if (!merge_) {
      map_.try_emplace(h, budget);  // counted, never pruned
      return false;
    }
    auto [it, fresh] = map_.try_emplace(h, budget);
    if (fresh) return false;
    if (it->second >= budget) return true;
    it->second = budget;
    return false;
  }
  std::uint64_t size() {
    std::lock_guard lock(mu_);
    return map_.size();
  }

 private:
  bool merge_;
  std::mutex mu_;
  std::unordered_map<std::uint64_t, int> map_;
};

struct Moment {
  Duration at;                        // since the world's origin
  std::vector<std::uint16_t> faults;  // indexes into options.faults that apply
};

struct RunOutcome {
  std::optional<Violation> violation;
  std::vector<Moment> moments;
  std::uint64_t steps = 0;
  bool pruned = false;
};

// Runs the events due up to `t` (inclusive), then moves the clock to `t`.
bool advance_to(World& w, TimePoint t, std::uint64_t& steps) {
  while (auto n = w.next_event()) {
    if (*n > t) break;
    w.step();
    ++steps;
    if (w.violation()) return false;
  }
  w.idle_to(t);
  return true;
}

RunOutcome run(const ModelSetup& setup, const std::vector<Injection>& faults, int budget,
               const ExploreOptions& o, Visited& visited, Recording* rec = nullptr) {
  RunOutcome out;
  World w(setup, rec);
  w.start();
  TimePoint last = w.origin();
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const TimePoint t = w.origin() + faults[i].at;
    if (!advance_to(w, t, out.steps)) {
      out.violation = w.violation();
      return out;
    }
    if (!w.applicable(faults[i].fault)) return out;  // cannot happen here: nothing to run
    w.inject(faults[i].fault);
    last = t;
    if (w.violation()) {
      out.violation = w.violation();
      return out;
    }
  }
  auto mark = [&]() { return !rec && visited.seen(w.fingerprint(), budget); };
  if (mark()) {
    out.pruned = true;
    return out;
  }
  auto applicable = [&]() {
    std::vector<std::uint16_t> a;
    for (std::size_t i = 0; i < o.faults.size(); ++i)
      if (w.applicable(o.faults[i])) a.push_back(static_cast<std::uint16_t>(i));
    return a;
  };
  if (budget > 0) out.moments.push_back({w.now() - w.origin(), applicable()});
  // Only the nodes' disk writes left to happen: once each has run once
  // more (a fenced node that writes, a dead disk's first error), the world
  // only repeats itself.
  std::optional<TimePoint> writes_only_since;
  while (auto next = w.next_event()) {
    if (*next - last > o.horizon) break;
    if (!w.only_writes_pending()) {
      writes_only_since.reset();
    } else if (!writes_only_since) {
      writes_only_since = w.now();
    } else if (*next > *writes_only_since + setup.node.write_interval) {
      break;
    }
    // The moment just before this event: the world as it is now, later.
    std::optional<Moment> before;
    std::uint64_t before_hash = 0;
    if (budget > 0 && *next - o.before > w.now()) {
      w.idle_to(*next - o.before);
      before = Moment{w.now() - w.origin(), applicable()};
      before_hash = w.fingerprint();
    }
    const bool significant = w.step();
    ++out.steps;
    if (w.violation()) {
      out.violation = w.violation();
      return out;
    }
    if (!significant) continue;
    if (before && !rec) {
      if (visited.seen(before_hash, budget)) {
        out.pruned = true;
        return out;
      }
      out.moments.push_back(std::move(*before));
    }
    if (mark()) {
      out.pruned = true;
      return out;
    }
    if (budget > 0) out.moments.push_back({w.now() - w.origin(), applicable()});
  }
  return out;
}

}  // namespace

std::optional<Violation> replay_schedule(const ModelSetup& setup,
                                         const std::vector<Injection>& faults, Duration horizon,
                                         Recording& rec) {
  Visited unused;
  ExploreOptions o;
  o.horizon = horizon;
  return run(setup, faults, 0, o, unused, &rec).violation;
}

ExploreResult explore(const std::function<ModelSetup()>& make_setup, const ExploreOptions& o) {
  const auto t0 = Clock::now();
  ExploreResult result;
  Visited visited(o.merge);
  std::mutex mu;
  // Breadth first: one level (number of faults) at a time.
  std::deque<std::vector<Injection>> level{{}};
  std::atomic<std::uint64_t> runs{0}, steps{0}, pruned{0};
  for (int depth = 0; depth <= o.depth && !level.empty() && !result.counterexample; ++depth) {
    const int budget = o.depth - depth;
    std::deque<std::vector<Injection>> next;
    std::optional<Counterexample> found;
    std::size_t found_index = 0;
    std::atomic<std::size_t> cursor{0};
    std::vector<std::vector<Injection>> work(level.begin(), level.end());
    level.clear();
    auto worker = [&]() {
      const ModelSetup setup = make_setup();
      while (true) {
        const std::size_t i = cursor.fetch_add(1);
        if (i >= work.size()) return;
        if (runs.load() >= o.max_runs) return;
        {
          std::lock_guard lock(mu);
          if (found && found->faults.size() <= work[i].size()) return;
        }
        RunOutcome r = run(setup, work[i], budget, o, visited);
        const std::uint64_t n = ++runs;
        steps += r.steps;
        if (r.pruned) ++pruned;
        if (o.progress && n % 2000 == 0) o.progress(n, visited.size());
        std::lock_guard lock(mu);
        if (r.violation) {
          // The first in the work list among those found: with one job,
          // the same answer every time.
          if (!found || i < found_index) {
            found = Counterexample{work[i], *r.violation};
            found_index = i;
          }
          continue;
        }
        if (budget == 0) continue;
        for (const Moment& m : r.moments) {
          for (std::uint16_t f : m.faults) {
            auto child = work[i];
            child.push_back({m.at, o.faults[f]});
            next.push_back(std::move(child));
          }
        }
      }
    };
    const int jobs = o.jobs < 1 ? 1 : o.jobs;
    if (jobs == 1) {
      worker();
    } else {
      std::vector<std::thread> threads;
      for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);
      for (auto& t : threads) t.join();
    }
    if (found) result.counterexample = std::move(found);
    if (runs.load() >= o.max_runs) {
      result.complete = false;
      break;
    }
    level = std::move(next);
  }
  result.runs = runs.load();
  result.steps = steps.load();
  result.pruned = pruned.load();
  result.states = visited.size();
  result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return result;
}

}  // namespace clusterd::verify
