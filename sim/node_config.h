// The knobs of one simulated node: its names, its timings and its fault
// switches, with the defaults the CI harness uses (crash-test-plan §4.8).
// Plain data: parsing flags and config files is in config_parse.h, and
// nothing here reads a clock or a file.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/duration.h"  // Duration

namespace clusterd::sim {

using TimePoint = std::chrono::steady_clock::time_point;
using namespace std::chrono_literals;

/// How long each phase takes. Seconds in CI, minutes for a realistic demo.
struct Timings {
  Duration post = 1s;   ///< power-on / reset-all: junk, then banner, then `ok` or auto-boot
  Duration boot = 5s;   ///< T_boot: `boot` typed -> login prompt
  Duration mount = 3s;  ///< T_mount: `boot` typed -> shared disk taken (<= boot)
  Duration panic_to_reboot = 2s;    ///< panic line -> dump done -> reset (or `ok`)
  Duration shutdown = 2s;           ///< `shutdown` (init 0) -> "Program terminated" and `ok`
  Duration reply = 0s;              ///< OBP command typed -> its answer and the next prompt
  Duration write_interval = 200ms;  ///< shared-disk record period while RUNNING
  Duration chatter_interval = 0s;   ///< one syslog-like line per interval while RUNNING; 0 = off
};

/// The operating system on the shared disk: what `boot` brings up.
enum class Os { Solaris, Linux };

/// How a Linux console driver takes a BREAK (docs/nodesim.md, "Linux").
///  Sysrq:  sunhv (sun4v hypervisor console): uart_handle_break() arms the
///          magic SysRq and swallows the first BREAK; the next BREAK with no
///          character in between drops to the PROM.
///  Direct: sunsu/sunsab/sunzilog (sun4u UARTs, the V240's own): every console
///          BREAK calls sun_do_break(); the SysRq arming happens as well.
enum class LinuxBreak { Sysrq, Direct };

/// The boot from disk panics before it mounts anything.
enum class BootPanic { Off, Once, Always };

/// Fault switches that the control socket can flip at run time.
struct Knobs {
  bool break_works_when_hung = true;  ///< HUNG + BREAK -> `ok` (true) or nothing (false)
  /// RUNNING and HUNG ignore BREAK and the alternate break (Solaris
  /// KEYBOARD_ABORT=disable, `kbd -a disable`; Linux kernel.stop-a = 0).
  bool break_disabled = false;
  bool battery_dead = false;  ///< NVRAM back to defaults at every power-on
  bool alt_break = true;      ///< `\r~^B` in-band acts as BREAK (Solaris alternate break)
  /// A line BREAK is an abort for Solaris (false: KEYBOARD_ABORT=alternate,
  /// where only the alternate sequence works).
  bool hw_break = true;
  std::uint32_t flood_bps = 0;  ///< extra console output in bytes/s while RUNNING; 0 = off
  Os os = Os::Solaris;          ///< taken at the next boot
  LinuxBreak linux_break = LinuxBreak::Sysrq;
  BootPanic boot_panic = BootPanic::Off;
};

/// The hardware: a SPARC server with OpenBoot (the default), or an x86 PC
/// server whose firmware (SeaBIOS) boots GRUB and Linux straight from the
/// shared disk at every power-on, with no firmware prompt and its power in a
/// BMC's hands (docs/nodesim.md, "x86").
enum class Platform { Sparc, X86 };

/// What the console is attached to when the node has a service processor.
enum class ServiceProcessor { None, Alom, Ilom };

/// Identity and start-up of one node.
struct NodeConfig {
  std::string name = "alpha";  ///< node name in the ledger and the login prompt
  std::string model_line = "Sun Fire V240, No Keyboard";  ///< first banner line
  std::string host_id = "8329a1f0";
  std::string ether = "0:3:ba:29:a1:f0";
  bool start_powered = true;       ///< power on at start (else OFF until `power-on`)
  std::uint32_t line_bps = 11520;  ///< console line speed in bytes/s (115200 baud); caps flood
  std::uint64_t seed = 1;          ///< garbage bytes are pseudo-random from this seed
  /// An SP in front of the console: "#." at the host console reaches it.
  ServiceProcessor sp = ServiceProcessor::None;
  /// SPARC/OpenBoot or x86/SeaBIOS (x86 always runs Linux, has no SP).
  Platform platform = Platform::Sparc;
  /// A ledger record for every plain shared-disk write (`chatc verify` turns
  /// it off when it records nothing: a write after a fence is still logged).
  bool ledger_writes = true;
  Timings t;
  Knobs knobs;
};

}  // namespace clusterd::sim
