// What `chatc verify` prints and writes: the summary (text or JSON) and a
// counterexample as a `chatc replay` case (docs/verify.md, "Counterexamples").
#pragma once

#include <string>

#include "base/result.h"
#include "verify/explore.h"
#include "verify/setup.h"

namespace clusterd::verify {

/// Writes the counterexample's replay case into `dir` (created): the
/// consoles as the runtime saw them (active.console = the first active,
/// standby.console), sh.log, events, timeline.txt (runtime, faults, nodes),
/// ledger.jsonl (the nodes' ground truth) and replay.sh with the command
/// that replays it. Returns that command.
Result<std::string> write_counterexample(const std::string& dir, const Model& model,
                                         const Counterexample& c, Duration horizon,
                                         std::string& timeline_tail);

/// "+12.345s panic alpha, +40.001s cable-pull beta".
std::string describe_faults(const std::vector<Injection>& faults,
                            const std::array<std::string, 2>& names);

}  // namespace clusterd::verify
