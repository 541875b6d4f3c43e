// `nodesim run` options: command-line flags and the same keys in a config
// file ("key = value", # comments), parsed into one RunOptions. Also the
// NVRAM file format ("auto-boot?=false" lines). No sockets are opened here.
#pragma once

#include <string>
#include <vector>

#include "base/duration.h"
#include "base/result.h"
#include "sim/net_hooks.h"
#include "sim/node_config.h"
#include "sim/node_model.h"

namespace clusterd::sim {

struct RunOptions {
  NodeConfig node;
  std::string telnet_host = "127.0.0.1";
  int telnet_port = -1;     ///< -1: no telnet port; 0: any free port
  std::string pty_link;     ///< empty: no pty
  std::string ctl_path;     ///< default: $NODESIM_DIR/NAME.ctl
  std::string disk_path;    ///< default: $NODESIM_DIR/shared.img
  std::string nvram_path;   ///< default: $NODESIM_DIR/NAME.nvram
  std::string ledger_path;  ///< default: $NODESIM_DIR/NAME.ledger; "-" = stdout
  std::string ready_file;   ///< written once listening: "telnet=PORT pty=PATH ctl=PATH"
  bool auto_boot = false;   ///< NVRAM auto-boot? when there is no NVRAM file yet
  bool verbose = false;
  bool os_given = false;  ///< --os solaris was given (refused with --platform x86)
  /// A new telnet client closes the port's other clients (ser2net kickolduser).
  bool kick_old_user = false;
  NetOptions net;
};

/// "$NODESIM_DIR" or /tmp/nodesim.
std::string nodesim_dir();

/// Parses `nodesim run` arguments (after "run"). --config FILE is read where
/// it appears, so later flags override it. Errors name the flag or file:line.
Result<RunOptions> parse_run_options(const std::vector<std::string>& args);

/// The flags, one per line with defaults, for `nodesim run --help`.
std::string run_options_help();

/// NVRAM file: missing -> nullopt-like default with `auto_boot` given.
Result<Nvram> load_nvram(const std::string& path, bool auto_boot_if_missing);
Result<void> save_nvram_file(const std::string& path, const Nvram& nv);

}  // namespace clusterd::sim
