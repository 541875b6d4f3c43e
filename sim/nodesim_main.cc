// nodesim: one simulated node console, SPARC or x86 (docs/nodesim.md).
//   nodesim run [OPTIONS]            serve a node until SIGINT/SIGTERM
//   nodesim ctl SOCKET|NODE CMD…     one control command, one reply line
//   nodesim check [--fence N=NS] [--since NS] LEDGER…   split-brain / writes-after-fence
//   nodesim disk init|show IMAGE
#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>

#include "sim/control_server.h"
#include "sim/ledger.h"
#include "sim/node_runner.h"
#include "sim/run_options.h"
#include "sim/shared_disk.h"
#include "sim/words.h"

namespace {

using namespace clusterd;
using namespace clusterd::sim;

constexpr const char* kUsage =
    "usage: nodesim COMMAND [ARGS]\n"
    "  run [OPTIONS]                    simulate one node (nodesim run --help)\n"
    "  ctl SOCKET|NODE COMMAND [ARGS]   send one control command (nodesim ctl --help)\n"
    "  check [--fence NODE=T_NS] [--since T_NS] LEDGER...  report split-brain overlap and "
    "writes-after-fence\n"
    "  disk init|show IMAGE             create or show a shared disk image\n"
    "Guide: docs/nodesim.md\n";

constexpr const char* kCtlHelp =
    "usage: nodesim ctl SOCKET|NODE COMMAND [ARGS]\n"
    "NODE means $NODESIM_DIR/NODE.ctl (NODESIM_DIR defaults to /tmp/nodesim).\n"
    "Prints the reply line; exits 0 on \"ok...\", 1 on \"error:...\", 2 if unreachable.\n"
    "Commands:\n"
    "  status                       one line: state, NVRAM, lease, disk, network\n"
    "  power-on | power-off | power-cycle\n"
    "  panic | hang | unhang\n"
    "  break [telnet-brk|rfc2217|alt-break]   a BREAK as if it came that way\n"
    "  break-disable | break-enable  RUNNING ignores BREAK (BREAK_DISABLED)\n"
    "  kbd-abort enable|disable|alternate   Solaris KEYBOARD_ABORT (kbd -a)\n"
    "  hang-break on|off            whether BREAK works on a HUNG node\n"
    "  alt-break on|off             whether \\r~^B in-band is a BREAK\n"
    "  battery-dead [on|off]        NVRAM to defaults at every power-on\n"
    "  os solaris|linux             what the next boot brings up (x86: linux only)\n"
    "  linux-break sysrq|direct     Linux: 2nd BREAK to ok (sunhv) or every BREAK (sunsu)\n"
    "  boot-panic [once|on|off]     boot from disk panics before T_mount\n"
    "  session login|root|bash      what sits at the console of a running OS\n"
    "  quote-panic                  grep an old panic at a root shell (node stays RUNNING)\n"
    "  sp-park alom|ilom|none       console to the service processor (sc> / ->)\n"
    "  sp-unpark                    the SP's own command back to the host console\n"
    "  type \"TEXT\"                  type at the console; escapes as in base/escape.h (\\r, "
    "\\x02)\n"
    "  garbage BYTES                that many random bytes on the console\n"
    "  flood BPS                    load output while RUNNING (0 = off)\n"
    "  disk-off | disk-on           shared disk unreadable (Can't open boot device)\n"
    "  disk-label-corrupt | disk-label-fix    sector 0 (Bad magic number in disk label)\n"
    "  cable-pull | cable-plug      node interface down / back\n"
    "  ip-change ADDR[/PREFIX]      new address on the node interface (needs --netns)\n"
    "  icmp-loss PCT                drop PCT% of echo requests with nft (needs --netns)\n"
    "  icmp-ignore on|off           net.ipv4.icmp_echo_ignore_all (needs --netns)\n";

constexpr const char* kCheckHelp =
    "usage: nodesim check [--fence NODE=T_NS]... [--since T_NS] [--bcp IMAGE] LEDGER...\n"
    "Merges the ledgers by time and reports every interval in which two nodes held\n"
    "the shared disk (split-brain, with its overlap in ms) and every write a node\n"
    "made after its fence (a BREAK that halted it, or T_NS given with --fence).\n"
    "--since T_NS: an overlap that began before T_NS (the monitor's start: the\n"
    "cluster was split before it ran) is reported as 'before-since', not counted.\n"
    "--bcp IMAGE: BCP mode (docs/bcp.md), each site its own disk; IMAGE is the disk\n"
    "of the site active at the end. Also reports the records written (ledger\n"
    "`write`) that IMAGE does not have (bcp-lost), the time both sites were writing\n"
    "(bcp-both-writing, spells of writes less than 1 s apart; must be 0) and each\n"
    "change of writer's gap (bcp-rto). Exit 1 also when both sites wrote.\n"
    "Exit 0 clean, 1 split-brain or writes-after-fence found, 2 unreadable input.\n";

bool wants_help(const std::vector<std::string>& a) {
  for (const auto& s : a)
    if (s == "--help" || s == "-h") return true;
  return false;
}

int cmd_run(const std::vector<std::string>& args) {
  if (wants_help(args)) {
    std::cout
        << "usage: nodesim run [--config FILE] [OPTIONS]\n"
           "Simulates one node console (SPARC, or x86 with --platform x86) until SIGINT/SIGTERM.\n"
           "Options:\n"
        << run_options_help();
    return 0;
  }
  auto opt = parse_run_options(args);
  if (!opt) {
    std::cerr << "nodesim run: " << opt.error().message << "\n";
    return 2;
  }
  auto log = spdlog::stderr_logger_st("nodesim");
  log->set_pattern("nodesim[%n] %l: %v");
  log->set_level(opt->verbose ? spdlog::level::debug : spdlog::level::warn);
  boost::asio::io_context io;
  NodeRunner runner(io, *opt, log);
  if (auto r = runner.start(); !r) {
    std::cerr << "nodesim run: " << r.error().message << "\n";
    return 1;
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](auto, int) { io.stop(); });
  io.run();
  return 0;
}

int cmd_ctl(const std::vector<std::string>& args) {
  if (wants_help(args) || args.size() < 2) {
    std::cout << kCtlHelp;
    return args.size() < 2 && !wants_help(args) ? 2 : 0;
  }
  std::string path = args[0];
  if (path.find('/') == std::string::npos) path = nodesim_dir() + "/" + path + ".ctl";
  std::string line;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (i > 1) line += " ";
    // Keep spaces inside one argument: `type "boot shared\r"` arrives as one arg.
    bool quote = i > 1 && args[1] == "type" && args[i].find(' ') != std::string::npos;
    line += quote ? "\"" + args[i] + "\"" : args[i];
  }
  auto r = control_request(path, line);
  if (!r) {
    std::cerr << "nodesim ctl: " << r.error().message << "\n";
    return 2;
  }
  std::cout << *r << "\n";
  return r->rfind("ok", 0) == 0 ? 0 : 1;
}

int cmd_check(const std::vector<std::string>& args) {
  if (wants_help(args) || args.empty()) {
    std::cout << kCheckHelp;
    return args.empty() ? 2 : 0;
  }
  std::map<std::string, std::int64_t> fences;
  std::int64_t since = 0;
  std::vector<std::string> lines;
  std::string bcp_image;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--bcp" && i + 1 < args.size()) {
      bcp_image = args[++i];
      continue;
    }
    if (args[i] == "--since" && i + 1 < args.size()) {
      auto ns = parse_integer<std::int64_t>(args[++i]);
      if (!ns) {
        std::cerr << "nodesim check: --since wants T_NS (ns since the epoch), got " << args[i]
                  << "\n";
        return 2;
      }
      since = *ns;
      continue;
    }
    if (args[i] == "--fence" && i + 1 < args.size()) {
      std::string f = args[++i];
      auto eq = f.find('=');
      // No '=' at all: the whole word is the node and there is no time.
      auto ns =
          eq == std::string::npos ? std::nullopt : parse_integer<std::int64_t>(f.substr(eq + 1));
      if (!ns) {
        std::cerr << "nodesim check: --fence wants NODE=T_NS, got " << f << "\n";
        return 2;
      }
      fences[f.substr(0, eq)] = *ns;
      continue;
    }
    std::ifstream in(args[i]);
    if (!in) {
      std::cerr << "nodesim check: cannot open " << args[i] << "\n";
      return 2;
    }
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  CheckReport rep = check_ledger(lines, fences, since);
  std::cout << rep.summary();
  if (!rep.errors.empty()) return 2;
  if (bcp_image.empty()) return rep.clean() ? 0 : 1;
  std::ifstream img(bcp_image, std::ios::binary);
  if (!img) {
    std::cerr << "nodesim check: cannot open " << bcp_image << "\n";
    return 2;
  }
  img.seekg(4096);  // the record log (sim/shared_disk.h)
  std::string log((std::istreambuf_iterator<char>(img)), std::istreambuf_iterator<char>());
  std::vector<std::string> image_lines;  // complete lines only: a torn last one is no record
  for (std::size_t at = 0, nl; (nl = log.find('\n', at)) != std::string::npos; at = nl + 1)
    image_lines.push_back(log.substr(at, nl - at));
  BcpReport b = check_bcp(lines, image_lines);
  std::cout << b.summary();
  if (!b.errors.empty()) return 2;
  return rep.clean() && b.clean() ? 0 : 1;
}

int cmd_disk(const std::vector<std::string>& args) {
  if (wants_help(args) || args.size() != 2) {
    std::cout << "usage: nodesim disk init|show IMAGE\n";
    return wants_help(args) ? 0 : 2;
  }
  FileDisk d(args[1]);
  if (args[0] == "init") {
    auto r = FileDisk::init(args[1]);
    if (!r) {
      std::cerr << "nodesim disk: " << r.error().message << "\n";
      return 1;
    }
    return 0;
  }
  const char* health[] = {"ok", "unreadable", "bad-label"};
  std::cout << "health: " << health[static_cast<int>(d.health())] << "\n";
  auto hs = d.holders();
  if (hs) {
    std::cout << "holders:";
    for (const auto& h : *hs) std::cout << " " << h.node << "@" << h.since_ns;
    std::cout << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "run") return cmd_run(args);
  if (cmd == "ctl") return cmd_ctl(args);
  if (cmd == "check") return cmd_check(args);
  if (cmd == "disk") return cmd_disk(args);
  std::cerr << "nodesim: unknown command '" << cmd << "'\n" << kUsage;
  return 2;
}
