// What one run of a scenario left behind (crashtest/scenarios/lib.sh writes it
// into the run's evidence folder) and what crashtest reads out of it: the
// scenario's own verdict, the ground-truth invariants from the nodesim
// ledgers, the failovers from clusterd's journal, and the figures, each
// measured from an injection (`inject` in a scenario) to the first timeline
// line that shows the step.
//
// Evidence folder:
//   verdict        "pass TEXT" or "fail TEXT (SCRIPT:LINE)"
//   injections     "EPOCH.NANOSECONDS TEXT" per injected fault
//   logs/demo.log  clusterd's timeline ("2026-11-22T01:02:03.456789Z text")
//   logs/demo.NODE.console   the console transcripts
//   journal        clusterd's journal; NODE.ledger the nodesim ledgers
//   nodesim-check  `nodesim check` output ("overlap: X ms in N interval(s)",
//                  "writes-after-fence: N")
//   bcp            BCP scenarios (docs/bcp.md): "mode=M lost=N lo=L hi=H
//                  both_ms=X rto_ms=Y" (L, H, Y "-" when absent), from
//                  `nodesim check --bcp` and the journal's promotions
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "crashtest/manifest.h"

namespace clusterd::crashtest {

/// The figures of the crash-test plan, in report order.
enum class Figure { Detect, Fence, Takeover, Alarm, HaltRogue };
constexpr Figure kFigures[] = {Figure::Detect, Figure::Fence, Figure::Takeover, Figure::Alarm,
                               Figure::HaltRogue};
const char* figure_name(Figure f);  ///< "T_detect", ...

struct TimelineLine {
  std::int64_t ns = 0;  ///< UTC ns since the epoch
  std::string text;
};

struct Injection {
  std::int64_t ns = 0;
  std::string text;
};

/// A BCP run's ground truth: records lost against the gates' stated range,
/// and the time both sites were writing (zero tolerance).
struct BcpFigures {
  std::string mode;
  std::int64_t lost = 0;
  std::optional<std::int64_t> lo, hi;  ///< summed over the run's promotions
  double both_ms = 0;
  std::optional<double> rto_ms;
  bool in_range() const { return !lo || !hi || (lost >= *lo && lost <= *hi); }
};

struct RunResult {
  std::string scenario;
  int attempt = 1;
  int index = 0;  ///< in the plan (crashtest/lab.h), 1-based; the lab's iteration
  std::uint64_t seed = 0;
  int offset_ms = 0;         ///< CRASHTEST_OFFSET_MS: delay before the first fault
  bool passed = false;       ///< the scenario's verdict AND every zero-tolerance invariant
  std::string verdict;       ///< the scenario's own words
  std::string first_broken;  ///< empty when passed: the first broken invariant and where
  double seconds = 0;        ///< wall time of the run
  std::vector<Injection> injections;
  // Zero-tolerance invariants (nullopt: no evidence for it).
  std::optional<double> overlap_ms;
  std::optional<int> writes_after_fence;
  int takeovers = 0;
  int false_failovers = 0;
  int halts = 0;  ///< nodes halted by a BREAK from clusterd (ledgers)
  int spurious_halts = 0;
  int critical_alarms = 0;
  std::string leftovers;          ///< the audit after the run: what it left behind (empty: nothing)
  std::optional<BcpFigures> bcp;  ///< BCP scenarios only
  std::map<Figure, std::vector<double>>
      figures;                       ///< seconds, one sample per injection that reached it
  std::vector<std::string> excerpt;  ///< timeline around the decisions
  std::map<std::string, std::vector<std::string>>
      consoles;  ///< node -> transcript lines around the first injection
};

/// Reads the evidence folder of one run of `s` and judges it.
RunResult read_evidence(const std::string& dir, const Scenario& s);

/// Parses clusterd's timeline text (lines that do not start with a stamp are skipped).
std::vector<TimelineLine> parse_timeline(const std::string& text);

/// Figures from a timeline and the injections: for each injection, the first
/// matching line before the next injection.
std::map<Figure, std::vector<double>> measure(const std::vector<TimelineLine>& timeline,
                                              const std::vector<Injection>& injections,
                                              const Scenario& s);

/// n, p50, p95, max of samples (nearest-rank percentiles).
struct Summary {
  std::size_t n = 0;
  double p50 = 0, p95 = 0, max = 0;
};
Summary summarize(std::vector<double> samples);

}  // namespace clusterd::crashtest
