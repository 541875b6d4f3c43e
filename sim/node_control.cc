// The control socket's commands on one NodeModel: power, faults, BREAK,
// typing, the disk, and the knobs that say what the node is (OS, console
// driver, keyboard-abort setting, service processor, boot panic). Network
// commands are NodeRunner's. Every command but `status` is in the ledger.
#include "base/escape.h"
#include "sim/ledger.h"
#include "sim/node_model.h"
#include "sim/words.h"

namespace clusterd::sim {

std::string NodeModel::control(std::string_view line, TimePoint now) {
  auto w = split_words(line);
  if (w.empty()) return "error: empty command";
  const std::string& cmd = w[0];
  std::string arg = w.size() > 1 ? w[1] : "";
  if (cmd != "status") {
    log(LedgerRecord(now, cfg_.name, "control").add("cmd", line).add("in", state_name()).line());
  }
  auto on_off = [&](bool& knob) -> std::string {
    if (arg.empty() || arg == "on")
      knob = true;
    else if (arg == "off")
      knob = false;
    else
      return "error: " + cmd + " takes on|off";
    return "ok";
  };
  if (cmd == "status") return "ok " + status();
  if (cmd == "power-on") {
    if (state_ != State::Off) return "error: already powered (" + std::string(state_name()) + ")";
    power_on(now, "power-on");
    return "ok";
  }
  if (cmd == "power-off") {
    power_off(now, "power-off");
    return "ok";
  }
  if (cmd == "power-cycle") {
    power_off(now, "power-cycle");
    power_on(now, "power-cycle");
    return "ok";
  }
  if (cmd == "shutdown") {
    if (!arg.empty() && arg != "hang") return "error: shutdown [hang]";
    return shutdown(now, arg == "hang");
  }
  if (cmd == "panic") {
    if (state_ != State::Running && state_ != State::Stopping && state_ != State::Booting &&
        state_ != State::Hung)
      return "error: no OS to panic in " + std::string(state_name());
    enter_panic(now, "panic");
    return "ok";
  }
  if (cmd == "hang") {
    if (state_ != State::Running && state_ != State::Booting)
      return "error: only RUNNING or BOOTING can hang, not " + std::string(state_name());
    hung_ = Suspended{state_, steps_, now, holds_lease()};
    steps_.clear();
    set_state(State::Hung, "hang", now);
    return "ok";
  }
  if (cmd == "unhang") {
    if (state_ != State::Hung || !hung_) return "error: not HUNG";
    Suspended h = std::move(*hung_);
    hung_.reset();
    for (auto& st : h.steps) st.at += now - h.at;
    steps_ = std::move(h.steps);
    set_state(h.state, "unhang", now);
    return "ok";
  }
  if (cmd == "break") {
    BreakVia via = BreakVia::Control;
    if (arg == "telnet-brk")
      via = BreakVia::TelnetBrk;
    else if (arg == "rfc2217")
      via = BreakVia::Rfc2217;
    else if (arg == "alt-break")
      via = BreakVia::AltBreak;
    on_break(via, now);
    return "ok " + std::string(state_name());
  }
  if (cmd == "break-disable") {  // = kbd-abort disable
    cfg_.knobs.break_disabled = true;
    return "ok";
  }
  if (cmd == "break-enable") {
    cfg_.knobs.break_disabled = false;
    return "ok";
  }
  if (cmd == "hang-break") return on_off(cfg_.knobs.break_works_when_hung);
  if (cmd == "alt-break") return on_off(cfg_.knobs.alt_break);
  if (cmd == "battery-dead") return on_off(cfg_.knobs.battery_dead);
  if (cmd == "garbage") {
    auto n = parse_integer<std::uint32_t>(arg);
    if (!n || *n > 1000000) return "error: garbage BYTES (0..1000000)";
    garbage(*n);
    return "ok";
  }
  if (cmd == "flood") {
    auto parsed = parse_integer<std::uint32_t>(arg);
    if (!parsed) return "error: flood BYTES_PER_SECOND (0 = off)";
    std::uint32_t n = *parsed;
    cfg_.knobs.flood_bps = n;
    if (state_ == State::Running) {
      next_flood_ = n > 0 ? std::optional<TimePoint>(now) : std::nullopt;
    }
    return n > cfg_.line_bps ? "ok capped at line speed " + std::to_string(cfg_.line_bps) : "ok";
  }
  if (cmd == "type") {
    // The rest of the line, escaped as base/escape.h writes it ("boot\r"),
    // optionally in double quotes.
    auto pos = line.find("type");
    std::string_view rest = line.substr(pos + 4);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.size() >= 2 && rest.front() == '"' && rest.back() == '"')
      rest = rest.substr(1, rest.size() - 2);
    auto bytes = unescape(rest);
    if (!bytes) return "error: bad escape in TEXT";
    input_via_ = "control";
    on_input(*bytes, now);
    input_via_ = "console";
    return "ok " + std::string(state_name());
  }
  if (cmd == "disk-off" || cmd == "disk-on") {
    auto r = disk_.set_power(cmd == "disk-on");
    return r ? "ok" : "error: " + r.error().message;
  }
  if (cmd == "disk-label-corrupt" || cmd == "disk-label-fix") {
    auto r = disk_.set_label(cmd == "disk-label-fix");
    return r ? "ok" : "error: " + r.error().message;
  }
  if (cmd == "session") {
    if (arg == "login") return set_session(Session::Login, now);
    if (arg == "root") return set_session(Session::Root, now);
    if (arg == "bash") return set_session(Session::Bash, now);
    return "error: session login|root|bash";
  }
  if (cmd == "quote-panic") return quote_panic(now);
  if (cmd == "sp-park") {
    if (x86() && (arg == "alom" || arg == "ilom"))
      return "error: an x86 node has no ALOM/ILOM (its BMC is tools/bmcsim.sh)";
    if (arg == "alom" || arg == "ilom") {
      ServiceProcessor sp = arg == "alom" ? ServiceProcessor::Alom : ServiceProcessor::Ilom;
      if (at_sp_ && cfg_.sp == sp) return "ok";
      if (at_sp_) leave_sp(now, "sp-park " + arg);
      cfg_.sp = sp;
      enter_sp(now, "sp-park");
      return "ok";
    }
    if (arg == "none") {
      if (at_sp_) leave_sp(now, "sp-park none");
      cfg_.sp = ServiceProcessor::None;
      hash_pending_ = false;
      return "ok";
    }
    return "error: sp-park alom|ilom|none";
  }
  if (cmd == "sp-unpark") {
    if (!at_sp_) return "error: the host has the console";
    // Typed, so the console shows the SP's own words for it.
    input_via_ = "control";
    on_input(cfg_.sp == ServiceProcessor::Alom ? "console\r" : "start -script /SP/console\r", now);
    input_via_ = "console";
    return "ok";
  }
  return knob_command(w, now);
}

// Knobs that say what the node is (OS, console driver, abort setting) and the
// boot panic: one place for their names, shared with status().
std::string NodeModel::knob_command(const std::vector<std::string>& w, TimePoint) {
  const std::string& cmd = w[0];
  std::string arg = w.size() > 1 ? w[1] : "";
  bool os_up = state_ == State::Running || state_ == State::Stopping || state_ == State::Booting ||
               state_ == State::Hung || state_ == State::Panic;
  if (cmd == "os") {
    if (x86()) return arg == "linux" ? "ok" : "error: an x86 node runs Linux only";
    if (arg == "solaris")
      cfg_.knobs.os = Os::Solaris;
    else if (arg == "linux")
      cfg_.knobs.os = Os::Linux;
    else
      return "error: os solaris|linux";
    return os_up && cfg_.knobs.os != os_ ? "ok (at the next boot)" : "ok";
  }
  if (cmd == "linux-break") {
    if (arg == "sysrq")
      cfg_.knobs.linux_break = LinuxBreak::Sysrq;
    else if (arg == "direct")
      cfg_.knobs.linux_break = LinuxBreak::Direct;
    else
      return "error: linux-break sysrq|direct";
    return "ok";
  }
  if (cmd == "kbd-abort") {
    // kbd(1) -a: enable = BREAK only, alternate = the alternate sequence
    // only, disable = neither.
    if (arg == "enable") {
      cfg_.knobs.break_disabled = false;
      cfg_.knobs.hw_break = true;
      cfg_.knobs.alt_break = false;
    } else if (arg == "alternate") {
      cfg_.knobs.break_disabled = false;
      cfg_.knobs.hw_break = false;
      cfg_.knobs.alt_break = true;
    } else if (arg == "disable") {
      cfg_.knobs.break_disabled = true;
    } else {
      return "error: kbd-abort enable|disable|alternate";
    }
    return "ok";
  }
  if (cmd == "boot-panic") {
    if (arg.empty() || arg == "once")
      cfg_.knobs.boot_panic = BootPanic::Once;
    else if (arg == "on")
      cfg_.knobs.boot_panic = BootPanic::Always;
    else if (arg == "off")
      cfg_.knobs.boot_panic = BootPanic::Off;
    else
      return "error: boot-panic [once|on|off]";
    return "ok";
  }
  return "error: unknown command '" + cmd + "' (try help)";
}

std::string NodeModel::knob_status() const {
  const Knobs& k = cfg_.knobs;
  std::string kbd = k.break_disabled            ? "disable"
                    : k.hw_break && k.alt_break ? "both"
                    : k.hw_break                ? "enable"
                    : k.alt_break               ? "alternate"
                                                : "none";
  const char* sp = cfg_.sp == ServiceProcessor::Alom   ? "alom"
                   : cfg_.sp == ServiceProcessor::Ilom ? "ilom"
                                                       : "none";
  const char* bp = k.boot_panic == BootPanic::Once     ? "once"
                   : k.boot_panic == BootPanic::Always ? "on"
                                                       : "off";
  return std::string("os=") + (k.os == Os::Linux ? "linux" : "solaris") +
         " booted-os=" + (os_ == Os::Linux ? "linux" : "solaris") +
         " session=" + std::string(to_string(session_)) + " console=" + (at_sp_ ? "sp" : "host") +
         " sp=" + sp + " kbd-abort=" + kbd +
         " linux-break=" + (k.linux_break == LinuxBreak::Sysrq ? "sysrq" : "direct") +
         " sysrq=" + (sysrq_until_ ? "armed" : "idle") + " boot-panic=" + bp +
         " platform=" + (x86() ? "x86" : "sparc");
}

}  // namespace clusterd::sim
