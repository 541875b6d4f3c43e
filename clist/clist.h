// $CLUSTER_HOME/CList: the clusters this monitoring host watches, one a line
// (`NAME CONFIG-PATH [hosts=H1,H2]`, `#` comments, blank lines). Reads and checks the list:
// names, duplicates, that each config file exists. It does not read the
// cluster files themselves (cluster_config.h) and starts nothing.
// The format is documented in docs/config.md, "CList".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"

namespace clusterd::clist {

/// One `NAME CONFIG-PATH` line.
struct CListEntry {
  std::string name;         ///< the cluster's name: Logs/NAME.log, run/NAME.sock, …
  std::string config;       ///< CONFIG-PATH as written
  std::string config_path;  ///< resolved: as written when absolute, else $CLUSTER_HOME/CONFIG-PATH
  int line = 0;             ///< where in the CList, for messages
  /// `hosts=mon1,mon2`: the fleet hosts that may watch the cluster
  /// (docs/fleet.md); empty: any. Ignored by a single monitoring host.
  std::vector<std::string> hosts;
};

/// The list, in file order.
struct CList {
  std::string path;  ///< the CList file read
  std::vector<CListEntry> clusters;

  /// The entry called `name`; nullptr when there is none.
  const CListEntry* find(std::string_view name) const;
};

/// A CList and what is wrong with it. Lines with an error are left out of
/// `clist`; the rest are kept, so a caller may still report or run them,
/// but a daemon should refuse to start while `diagnostics` is not empty.
struct CListResult {
  CList clist;
  Diagnostics diagnostics;
  bool ok() const { return diagnostics.empty(); }
};

/// Reads `home`/CList. Diagnostics are `PATH:LINE: error: message` (no column); a
/// CList that cannot be read is one diagnostic without a line.
CListResult read_clist(const std::string& home);

/// Parses CList `text`; `file` names it in diagnostics. Relative CONFIG-PATHs
/// are resolved against `home` and every config must exist as a regular file
/// (the only file-system access). Reports, per line: a bad name, a missing or
/// extra field, a name or a config file already listed, a missing config.
CListResult parse_clist(std::string_view text, const std::string& file, const std::string& home);

/// True when `name` may name a cluster or a node: 1-64 letters, digits,
/// '.', '_' or '-', starting with a letter or a digit. Names become parts of
/// file names (Logs/NAME.NODE.console, run/NAME.sock), hence no '/' and no
/// leading '.' or '-'.
bool is_valid_name(std::string_view name);

/// The rule of is_valid_name in words, for messages.
inline constexpr std::string_view kNameRule =
    "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit";

}  // namespace clusterd::clist
