// One run of a scenario as a child process, and the audit of what it left
// behind. The script runs under bash in its own process group, with the run's
// settings in its environment (EVIDENCE_DIR, CRASHTEST_SEED, ...); its output
// goes to EVIDENCE/output.log and, as one progress line or in full with
// --verbose, to stdout. Not the judging: read_evidence (evidence.h) does that.
//
// SIGINT and SIGTERM: catch_interrupts() makes crashtest note them instead of
// dying; a running scenario's group then gets one SIGTERM, whose traps take
// its network and processes down, and interrupted() tells the caller to stop.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "crashtest/lab.h"
#include "crashtest/manifest.h"
#include "crashtest/options.h"

namespace clusterd::crashtest {

/// Installs the SIGINT/SIGTERM handlers (once, before the first run).
void catch_interrupts();

/// Whether SIGINT or SIGTERM arrived since catch_interrupts().
bool interrupted();

struct ScriptExit {
  int status = 2;  ///< the script's exit status; 128 + N for signal N; 2 if it never started
  pid_t pgid = 0;  ///< its process group, for audit_leftovers (0: none)
};

/// Runs `s`'s script from `source`/crashtest/scenarios with the binaries of
/// `bin` and the settings of `o` and `p`, writing into `evidence` (which must
/// exist); `label` prefixes the progress line. Returns when the script exits.
ScriptExit run_script(const std::filesystem::path& source, const std::filesystem::path& bin,
                      const Scenario& s, const std::filesystem::path& evidence, const Options& o,
                      const PlannedRun& p, const std::string& label);

/// What the run of group `pgid` left behind ("processes bash[12]; test network
/// cdt-s12-a"), empty when nothing. Kills and removes what it finds, with
/// `source`/tools/testnet.sh for the networks; waits up to 3 s for the last
/// processes of the scenario's traps to exit first.
std::string audit_leftovers(pid_t pgid, const std::filesystem::path& source);

}  // namespace clusterd::crashtest
