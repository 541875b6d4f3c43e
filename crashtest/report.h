// The crash-test report: Markdown for people (the pre-production sign-off
// sheet) and JSON for machines, from the runs of one crashtest invocation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crashtest/evidence.h"
#include "crashtest/manifest.h"

namespace clusterd::crashtest {

struct RunSettings {
  std::string started_utc;  ///< "2026-11-22T07:30:00Z"
  std::string host;
  std::uint64_t seed = 1;
  int repeat = 1;
  bool load = false;
  std::string timings = "ci";
  std::string script;  ///< the chat script under test
  std::string clusterd_version;
  bool interrupted = false;  ///< Ctrl-C: the report covers the runs that finished
  int lab_iterations = 0;    ///< crashtest --random N: N (0: not a lab)
  int lab_pool = 0;          ///< the scenarios a lab drew from
  std::string replay_extra;  ///< options a replay needs besides the run's own: " --load --timings
                             ///< realistic"
};

/// The command that runs `r` again alone: "crashtest --scenario ID --seed S
/// [--offset MS]" and the settings' replay_extra.
std::string replay_command(const RunSettings& settings, const RunResult& r);

/// `scenarios` in manifest order; `runs` every finished run of them.
std::string report_markdown(const RunSettings& settings, const std::vector<Scenario>& scenarios,
                            const std::vector<RunResult>& runs);
std::string report_json(const RunSettings& settings, const std::vector<Scenario>& scenarios,
                        const std::vector<RunResult>& runs);

/// "0.75 s" / "-" : how the report prints one figure.
std::string seconds_text(double s);

}  // namespace clusterd::crashtest
