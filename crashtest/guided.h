// Guided mode: the crash test on a real cluster. The operator makes each
// fault by hand when told ("power off the active node alpha now, then press
// Enter"); crashtest watches the running clusterd through its control socket
// and judges the step from clusterd's own timeline: the expected lines must
// appear within the step's time, the forbidden ones must not. The report is
// the pre-production sign-off sheet.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/duration.h"
#include "crashtest/evidence.h"

namespace clusterd::crashtest {

/// One line the timeline must (or must not) show after the fault. `{active}`
/// and `{standby}` in `text` stand for the roles at the start of the step.
struct Expectation {
  std::string text;  ///< a substring of a timeline line
  std::string why;   ///< for the report: what it proves
  bool forbidden = false;
};

struct GuidedStep {
  std::string id;
  std::string covers;
  std::string instruction;  ///< what the operator does; {active}/{standby}
  std::vector<Expectation> expect;
  std::string restore;                ///< how to heal afterwards (empty: nothing)
  std::vector<Expectation> restored;  ///< lines after the heal (roles after the fault)
};

/// The steps an operator can perform on a real two-node cluster.
const std::vector<GuidedStep>& guided_steps();

/// How guided mode talks to the operator and to clusterd; replaceable in tests.
struct GuidedIo {
  std::function<void(const std::string&)> say;         ///< a line to the operator
  std::function<bool()> wait_enter;                    ///< false: the operator quit (EOF, "q")
  std::function<std::string(const std::string&)> ask;  ///< a control request -> reply ("" on error)
  std::function<std::int64_t()> now_ns;                ///< UTC ns
  std::function<void(Duration)> sleep;
};

struct GuidedResult {
  GuidedStep step;
  std::string active, standby;  ///< at the start of the step
  bool passed = false;
  std::string first_broken;
  RunResult run;  ///< figures, excerpt, injections (for the report)
};

/// Runs `steps` on the cluster behind `io.ask`; each step waits at most
/// `timeout` for its expectations.
std::vector<GuidedResult> run_guided(const std::vector<GuidedStep>& steps, GuidedIo& io,
                                     Duration timeout);

/// "active     alpha  (console up, ...)" -> "alpha"; empty when absent.
std::string status_field(const std::string& status, const std::string& key);

/// The sign-off sheet (Markdown).
std::string guided_report(const std::string& cluster, const std::string& started,
                          const std::vector<GuidedResult>& results);

}  // namespace clusterd::crashtest
