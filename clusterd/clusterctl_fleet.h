// `clusterctl fleet` (clusterctl_fleet.cc).
#pragma once

#include <string>
#include <vector>

namespace clusterd {

/// Runs `clusterctl fleet ARGS`; the process's exit status.
int cmd_fleet(const std::vector<std::string>& args);

}  // namespace clusterd
