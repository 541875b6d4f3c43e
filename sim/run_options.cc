#include "sim/run_options.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <initializer_list>

#include "sim/words.h"

namespace clusterd::sim {
namespace {

// Every setter and parser here returns its error as a value: a bad word in a
// config file or on the command line is the user's input, not a bug, and the
// caller has to prefix the message with the flag or file:line it came from.
using Set = Result<void>;

struct Flag {
  const char* name;
  const char* arg;  // nullptr: boolean, value optional
  const char* help;
  std::function<Set(RunOptions&, const std::string&)> set;
};

Set set_text(std::string& s, const std::string& v) {
  s = v;
  return {};
}

Set set_bool(bool& b, const std::string& v) {
  if (v == "true" || v == "on" || v == "yes" || v == "1")
    b = true;
  else if (v == "false" || v == "off" || v == "no" || v == "0")
    b = false;
  else
    return Error::invalid("expected true or false, got '" + v + "'");
  return {};
}

Set set_dur(Duration& d, const std::string& v) {
  auto r = parse_duration(v);
  if (!r) return r.error();
  d = *r;
  return {};
}

template <typename T>
Set set_num(T& n, const std::string& v, long long lo, long long hi) {
  auto x = parse_integer<long long>(v);
  if (!x || *x < lo || *x > hi)
    return Error::invalid("expected a number in " + std::to_string(lo) + ".." + std::to_string(hi) +
                          ", got '" + v + "'");
  n = static_cast<T>(*x);
  return {};
}

/// `v` must be one of `names`; sets `out` to its index.
template <typename E>
Set set_enum(E& out, const std::string& v, std::initializer_list<const char*> names) {
  int i = 0;
  std::string all;
  for (const char* n : names) {
    if (v == n) {
      out = static_cast<E>(i);
      return {};
    }
    all += (all.empty() ? "" : "|") + std::string(n);
    ++i;
  }
  return Error::invalid("expected " + all + ", got '" + v + "'");
}

const std::vector<Flag>& flags() {
  using O = RunOptions;
  static const std::vector<Flag> f = {
      {"name", "NAME", "node name: ledger, login prompt, default file names [alpha]",
       [](O& o, const std::string& v) { return set_text(o.node.name, v); }},
      {"telnet", "[HOST:]PORT", "serve the console as a telnet port (0 = any free port) [off]",
       [](O& o, const std::string& v) -> Set {
         auto c = v.rfind(':');
         if (c != std::string::npos) o.telnet_host = v.substr(0, c);
         return set_num(o.telnet_port, c == std::string::npos ? v : v.substr(c + 1), 0, 65535);
       }},
      // ser2net.yaml(5): "kickolduser: true|false sets the port so that the
      // previous user will be kicked off if a new user comes in."
      {"kick-old-user", nullptr,
       "a new telnet client first closes the others (ser2net's kickolduser); else all "
       "share the port [false]",
       [](O& o, const std::string& v) { return set_bool(o.kick_old_user, v); }},
      {"pty", "LINK", "serve the console on a pty; LINK becomes a symlink to its /dev/pts/N [off]",
       [](O& o, const std::string& v) { return set_text(o.pty_link, v); }},
      {"ctl", "PATH", "control socket [$NODESIM_DIR/NAME.ctl]",
       [](O& o, const std::string& v) { return set_text(o.ctl_path, v); }},
      {"disk", "PATH", "shared disk image, created if missing [$NODESIM_DIR/shared.img]",
       [](O& o, const std::string& v) { return set_text(o.disk_path, v); }},
      {"nvram", "PATH", "NVRAM file [$NODESIM_DIR/NAME.nvram]",
       [](O& o, const std::string& v) { return set_text(o.nvram_path, v); }},
      {"ledger", "PATH",
       "ground-truth ledger, JSON lines, appended; - = stdout [$NODESIM_DIR/NAME.ledger]",
       [](O& o, const std::string& v) { return set_text(o.ledger_path, v); }},
      {"ready-file", "PATH", "written once all ports listen: telnet=PORT pty=PATH ctl=PATH [off]",
       [](O& o, const std::string& v) { return set_text(o.ready_file, v); }},
      {"auto-boot", "BOOL", "auto-boot? for a new NVRAM file [false]",
       [](O& o, const std::string& v) { return set_bool(o.auto_boot, v); }},
      {"powered", "BOOL", "power on at start [true]",
       [](O& o, const std::string& v) { return set_bool(o.node.start_powered, v); }},
      {"t-post", "DUR", "power-on/reset to banner end [1s]",
       [](O& o, const std::string& v) { return set_dur(o.node.t.post, v); }},
      {"t-boot", "DUR", "T_boot: boot to login prompt [5s]",
       [](O& o, const std::string& v) { return set_dur(o.node.t.boot, v); }},
      {"t-mount", "DUR", "T_mount: boot to shared-disk lease, capped at T_boot [3s]",
       [](O& o, const std::string& v) { return set_dur(o.node.t.mount, v); }},
      {"t-panic", "DUR", "panic line to reset [2s]",
       [](O& o, const std::string& v) { return set_dur(o.node.t.panic_to_reboot, v); }},
      {"t-shutdown", "DUR", "shutdown (init 0) to the ok prompt [2s]",
       [](O& o, const std::string& v) { return set_dur(o.node.t.shutdown, v); }},
      {"t-reply", "DUR", "OBP command to its answer and prompt [0s]",
       [](O& o, const std::string& v) { return set_dur(o.node.t.reply, v); }},
      {"write-interval", "DUR", "shared-disk record period while RUNNING; 0s = no writes [200ms]",
       [](O& o, const std::string& v) { return set_dur(o.node.t.write_interval, v); }},
      {"chatter", "DUR", "one syslog line per DUR while RUNNING; 0s = off [0s]",
       [](O& o, const std::string& v) { return set_dur(o.node.t.chatter_interval, v); }},
      {"flood", "BPS", "load output in bytes/s while RUNNING; 0 = off [0]",
       [](O& o, const std::string& v) -> Set {
         return set_num(o.node.knobs.flood_bps, v, 0, 100000000);
       }},
      {"line-bps", "BPS", "console line speed in bytes/s, caps --flood [11520]",
       [](O& o, const std::string& v) { return set_num(o.node.line_bps, v, 1, 100000000); }},
      {"battery-dead", nullptr, "NVRAM back to defaults at every power-on [false]",
       [](O& o, const std::string& v) { return set_bool(o.node.knobs.battery_dead, v); }},
      {"break-disabled", nullptr,
       "RUNNING and HUNG ignore every abort (KEYBOARD_ABORT=disable) [false]",
       [](O& o, const std::string& v) { return set_bool(o.node.knobs.break_disabled, v); }},
      {"kbd-abort", "MODE",
       "Solaris KEYBOARD_ABORT: enable (BREAK only), alternate (\\r~^B only), disable "
       "(neither) [nodesim's both]",
       [](O& o, const std::string& v) -> Set {
         int m = 0;
         if (auto r = set_enum(m, v, {"enable", "alternate", "disable"}); !r) return r;
         o.node.knobs.break_disabled = m == 2;
         if (m == 0) o.node.knobs.alt_break = false;
         if (m == 1) o.node.knobs.hw_break = false;
         return {};
       }},
      {"platform", "HW",
       "sparc (OpenBoot, Solaris or Linux) or x86 (SeaBIOS, GRUB, Linux; no firmware prompt, "
       "no SP) [sparc]",
       [](O& o, const std::string& v) -> Set {
         return set_enum(o.node.platform, v, {"sparc", "x86"});
       }},
      {"os", "OS", "what boots from the shared disk: solaris or linux [solaris]",
       [](O& o, const std::string& v) -> Set {
         o.os_given = v == "solaris";
         return set_enum(o.node.knobs.os, v, {"solaris", "linux"});
       }},
      {"linux-break", "MODE",
       "Linux console driver: sysrq (sunhv: 2nd BREAK to ok) or direct (sunsu: every BREAK) "
       "[sysrq]",
       [](O& o, const std::string& v) -> Set {
         return set_enum(o.node.knobs.linux_break, v, {"sysrq", "direct"});
       }},
      {"boot-panic", "WHEN", "boot from disk panics before T_mount: off, once, on [off]",
       [](O& o, const std::string& v) -> Set {
         return set_enum(o.node.knobs.boot_panic, v, {"off", "once", "on"});
       }},
      {"sp", "SP",
       "service processor in front of the console (\"#.\" reaches it): none, "
       "alom, ilom [none]",
       [](O& o, const std::string& v) -> Set {
         return set_enum(o.node.sp, v, {"none", "alom", "ilom"});
       }},
      {"hang-break", "BOOL", "BREAK works on a HUNG node [true]",
       [](O& o, const std::string& v) -> Set {
         return set_bool(o.node.knobs.break_works_when_hung, v);
       }},
      {"alt-break", "BOOL", "\\r~^B in-band acts as BREAK [true]",
       [](O& o, const std::string& v) { return set_bool(o.node.knobs.alt_break, v); }},
      {"model", "TEXT", "first banner line [Sun Fire V240, No Keyboard]",
       [](O& o, const std::string& v) { return set_text(o.node.model_line, v); }},
      {"seed", "N", "seed of the garbage bytes [1]",
       [](O& o, const std::string& v) { return set_num(o.node.seed, v, 0, 1LL << 62); }},
      {"netns", "NS", "the node's network namespace (tools/testnet.sh makes it) [none]",
       [](O& o, const std::string& v) { return set_text(o.net.netns, v); }},
      {"netif", "IF", "the node's interface inside --netns [none]",
       [](O& o, const std::string& v) { return set_text(o.net.netif, v); }},
      {"service-port", "PORT", "TCP port that answers while RUNNING [off]",
       [](O& o, const std::string& v) { return set_num(o.net.service_port, v, 1, 65535); }},
      {"service-addr", "ADDR", "bind address of the service port without --netns [127.0.0.1]",
       [](O& o, const std::string& v) { return set_text(o.net.service_addr, v); }},
      {"verbose", nullptr, "log every control command and client to stderr [false]",
       [](O& o, const std::string& v) { return set_bool(o.verbose, v); }},
  };
  return f;
}

const Flag* find_flag(const std::string& name) {
  for (const auto& f : flags())
    if (name == f.name) return &f;
  return nullptr;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

Set read_config(RunOptions& o, const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error::invalid(path + ": cannot open");
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    auto eq = line.find('=');
    std::string key = trim(line.substr(0, eq));
    std::string value = eq == std::string::npos ? "true" : trim(line.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    const std::string at = path + ":" + std::to_string(n) + ": ";
    const Flag* f = find_flag(key);
    if (!f) return Error::invalid(at + "unknown key '" + key + "'");
    if (auto r = f->set(o, value); !r) return Error::invalid(at + key + ": " + r.error().message);
  }
  return {};
}

}  // namespace

std::string nodesim_dir() {
  const char* d = std::getenv("NODESIM_DIR");
  return d && *d ? d : "/tmp/nodesim";
}

Result<RunOptions> parse_run_options(const std::vector<std::string>& args) {
  RunOptions o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i] == "-v" ? std::string("--verbose") : args[i];
    if (a.rfind("--", 0) != 0) return Error::invalid("unexpected argument '" + a + "'");
    std::string name = a.substr(2), value;
    auto eq = name.find('=');
    bool has_value = eq != std::string::npos;
    if (has_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (name == "config") {
      if (!has_value) {
        if (i + 1 >= args.size()) return Error::invalid("--config needs a FILE");
        value = args[++i];
      }
      if (auto r = read_config(o, value); !r) return r.error();
      continue;
    }
    const Flag* f = find_flag(name);
    if (!f) return Error::invalid("unknown option --" + name + " (see nodesim run --help)");
    if (!has_value) {
      if (f->arg == nullptr && (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0)) {
        value = "true";
      } else {
        if (i + 1 >= args.size()) return Error::invalid("--" + name + " needs " + f->arg);
        value = args[++i];
      }
    }
    if (auto r = f->set(o, value); !r)
      return Error::invalid("--" + name + ": " + r.error().message);
  }
  std::string dir = nodesim_dir();
  if (o.ctl_path.empty()) o.ctl_path = dir + "/" + o.node.name + ".ctl";
  if (o.disk_path.empty()) o.disk_path = dir + "/shared.img";
  if (o.nvram_path.empty()) o.nvram_path = dir + "/" + o.node.name + ".nvram";
  if (o.ledger_path.empty()) o.ledger_path = dir + "/" + o.node.name + ".ledger";
  if (o.node.t.mount > o.node.t.boot) o.node.t.mount = o.node.t.boot;
  if (o.node.platform == Platform::X86) {
    if (o.node.sp != ServiceProcessor::None)
      return Error::invalid("--sp: an x86 node has no ALOM/ILOM (its BMC is tools/bmcsim.sh)");
    if (o.os_given) return Error::invalid("--os solaris: an x86 node runs Linux only");
    o.node.knobs.os = Os::Linux;
  }
  return o;
}

std::string run_options_help() {
  std::string s;
  for (const auto& f : flags()) {
    std::string head = std::string("  --") + f.name + (f.arg ? std::string(" ") + f.arg : "");
    if (head.size() < 28)
      head.resize(28, ' ');
    else
      head += "\n" + std::string(28, ' ');
    s += head + f.help + "\n";
  }
  s += "  --config FILE               read \"key = value\" lines (keys as above, no --)\n";
  return s;
}

Result<Nvram> load_nvram(const std::string& path, bool auto_boot_if_missing) {
  Nvram nv;
  std::ifstream in(path);
  if (!in) {
    nv.auto_boot = auto_boot_if_missing;
    return nv;
  }
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string k = line.substr(0, eq), v = line.substr(eq + 1);
    if (k == "auto-boot?") {
      if (v != "true" && v != "false")
        return Error::invalid(path + ": auto-boot? must be true or false");
      nv.auto_boot = v == "true";
    } else if (k == "boot-device") {
      nv.boot_device = v;
    }
  }
  return nv;
}

Result<void> save_nvram_file(const std::string& path, const Nvram& nv) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "auto-boot?=" << (nv.auto_boot ? "true" : "false") << "\n"
        << "boot-device=" << nv.boot_device << "\n";
    if (!out) return Error::io("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Error::io("cannot rename " + tmp);
  return {};
}

}  // namespace clusterd::sim
