// The crash-test scenarios as crashtest knows them: crashtest/scenarios/MANIFEST,
// one line per scenario (its header says the format). A scenario is a script
// of crashtest/scenarios/ run with some environment; the manifest adds what
// the report needs to judge it: how many failovers it means to cause, whether
// any halt is warranted, and which item of the seed list or the crash-test
// plan it covers.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace clusterd::crashtest {

struct Scenario {
  std::string id;
  std::string script;                                    ///< file name in the scenarios folder
  std::vector<std::pair<std::string, std::string>> env;  ///< VAR=VALUE after the script
  bool smoke = false;
  /// The safety set: every scenario that ends in a presumed, refused or
  /// unconfirmed fence, or judges a node that answers its console; `crashtest
  /// --safety` runs it under the stock script's own (realistic) timings.
  bool safety = false;
  /// The x86 set: scripts/x86-bmc.chat, two x86 nodes behind ipmi_sim BMCs
  /// with SOL consoles, fenced by power with read-back (`crashtest --x86`).
  bool x86 = false;
  /// The BCP set: two sites, each with its own disk, the record log shipped
  /// over a WAN (docs/bcp.md; `crashtest --bcp`).
  bool bcp = false;
  int failovers = 0;                 ///< takeovers it means to cause; more are false failovers
  std::optional<int> halts_allowed;  ///< 0: any halt by clusterd is spurious; nullopt: halts belong
  std::string covers;                ///< "seed: …" or "plan …"
  std::string what;                  ///< one line for --list and the report
  int line = 0;                      ///< in the manifest
};

/// Parses the manifest's text; `name` prefixes errors ("MANIFEST:12: …").
Result<std::vector<Scenario>> parse_manifest(const std::string& text, const std::string& name);

/// The scenarios whose ids are listed, in manifest order; an unknown id is an
/// error that lists the known ones.
Result<std::vector<Scenario>> select(const std::vector<Scenario>& all,
                                     const std::vector<std::string>& ids);

}  // namespace clusterd::crashtest
