// crashtest: runs the crash-test scenarios (crashtest/scenarios/MANIFEST)
// against simulated clusters and writes the evidence report, or guides an
// operator through the same faults on a real cluster (--guided). The command
// line is crashtest/options.h; the runs, the judging and the report are
// crashtest/session.h. Exit status: crashtest --help.
#include <cstdio>
#include <string>
#include <vector>

#include "crashtest/options.h"
#include "crashtest/session.h"

namespace {

int usage_error(const std::string& m) {
  std::fprintf(stderr, "crashtest: %s\n(crashtest --help for usage)\n", m.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace clusterd::crashtest;
  auto o = parse_options(std::vector<std::string>(argv + 1, argv + argc));
  if (!o.ok()) return usage_error(o.error().message);
  if (o->help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  auto status = o->guided ? run_guided_mode(*o) : run_simulated(*o);
  if (!status.ok()) return usage_error(status.error().message);
  return *status;
}
