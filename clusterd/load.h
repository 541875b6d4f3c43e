// Loading one cluster the way clusterd runs it: CList, the cluster's config,
// its secrets and its chat script (with the config's [params] and policies),
// every problem reported as file:line:col. Used at start, by --check, and by
// a reload, which must refuse exactly what a start would refuse.
#pragma once

#include <ostream>
#include <string>

#include "chat/script.h"
#include "clist/clist.h"
#include "clist/cluster_config.h"

namespace clusterd {

struct LoadedCluster {
  clist::CListEntry entry;
  clist::ConfigResult cfg;
  chat::LoadedScript script;
};

/// Loads cluster `name` under `home` (stock scripts from `stock_scripts`).
/// True when everything is good; otherwise every problem went to `err`.
bool load_cluster(const std::string& name, const std::string& home,
                  const std::string& stock_scripts, std::ostream& err, LoadedCluster& out);

}  // namespace clusterd
