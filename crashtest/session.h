// One crashtest invocation after its command line: either the simulated runs
// (--list, --dry-run, or the plan run scenario by scenario, each judged and
// audited, then REPORT/report.{md,json}) or guided mode on a real cluster
// (REPORT/signoff.md). Progress goes to stdout as the runs go.
//
// Errors: a setup problem found before the first run (no manifest, an unknown
// scenario, not root, a binary missing, clusterd not answering) comes back as
// an Error for main to print as a usage error (exit 2); from the first run on,
// the value is the exit status: 0 every run passed, 1 some failed, 130
// interrupted (the report then covers the runs that finished).
#pragma once

#include "base/result.h"
#include "crashtest/options.h"

namespace clusterd::crashtest {

/// The simulated runs `o` asks for (not o.guided).
Result<int> run_simulated(const Options& o);

/// Guided mode (o.guided, o.cluster set): the operator makes the faults.
Result<int> run_guided_mode(const Options& o);

}  // namespace clusterd::crashtest
