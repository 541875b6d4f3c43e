// crashtest's command line: the options of one invocation, the --help text,
// and every check that needs no manifest, socket or root (a value's range,
// which options mix). A bad command line comes back as an Error whose message
// main prints after "crashtest: " before exiting 2; nothing here prints or
// runs anything. --safety's default of realistic timings is applied here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/duration.h"
#include "base/result.h"

namespace clusterd::crashtest {

/// What `crashtest --help` prints.
extern const char* const kUsage;

struct Options {
  bool help = false;  ///< -h/--help: print kUsage; nothing after it was read
  std::vector<std::string> ids;
  bool list = false, smoke = false, safety = false, x86 = false, bcp = false, all = false,
       load = false, keep = false, verbose = false;
  int repeat = 1;
  bool repeat_given = false;
  int random = 0;  ///< --random N: a lab of N iterations
  bool dry_run = false;
  int offset_ms = 0;
  bool offset_given = false;
  std::uint64_t seed = 1;
  std::string timings = "ci", report = "crashtest-report";
  std::string script;  ///< --script, made absolute; checked to exist
  bool timings_given = false;
  bool guided = false;
  std::string cluster, home;
  Duration step_timeout = std::chrono::minutes(15);
};

/// Parses the arguments after the program name. The first error wins, in
/// argument order, then the checks of how options combine.
Result<Options> parse_options(const std::vector<std::string>& args);

}  // namespace clusterd::crashtest
