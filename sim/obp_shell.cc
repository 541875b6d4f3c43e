// The console's input side of NodeModel: line editing and echo, the OpenBoot
// words, the Solaris login prompt, and the control-socket commands.
#include <charconv>
#include <sstream>
#include <vector>

#include "base/escape.h"
#include "sim/console_text.h"
#include "sim/ledger.h"
#include "sim/node_model.h"

namespace clusterd::sim {
namespace {

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

bool parse_u32(std::string_view s, std::uint32_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

void NodeModel::on_input(std::string_view bytes, TimePoint now) {
  for (char c : bytes) feed_byte(c, now);
}

void NodeModel::feed_byte(char c, TimePoint now) {
  bool os_up = state_ == State::Running || state_ == State::Booting || state_ == State::Hung;
  if (os_up && cfg_.knobs.alt_break) {
    // Solaris alternate break: CR, '~', Ctrl-B. It travels as plain data, so it
    // survives ser2net and a pty, which both drop a real BREAK.
    if (alt_ == 1 && c == '~') {
      alt_ = 2;
    } else if (alt_ == 2 && c == '\x02') {
      alt_ = 0;
      on_break(BreakVia::AltBreak, now);
      return;
    } else {
      alt_ = c == '\r' ? 1 : 0;
    }
  } else {
    alt_ = c == '\r' ? 1 : 0;
  }
  if (state_ != State::Ok && state_ != State::Running) return;  // nobody reads the line
  if (last_cr_ && (c == '\n' || c == '\0')) {                   // CR LF and CR NUL are one line end
    last_cr_ = false;
    return;
  }
  last_cr_ = c == '\r';
  if (c == '\r' || c == '\n') {
    std::string line = std::move(line_);
    line_.clear();
    if (state_ == State::Ok) emit("\r\n");
    on_line(line, now);
    return;
  }
  if (c == '\b' || c == '\x7f') {
    if (!line_.empty()) {
      line_.pop_back();
      if (!want_password_) emit("\b \b");
    }
    return;
  }
  auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u > 0x7e) return;  // other control bytes and 8-bit noise: dropped
  if (line_.size() >= 256) return;
  line_ += c;
  if (!want_password_) emit(std::string_view(&c, 1));
}

void NodeModel::on_line(const std::string& line, TimePoint now) {
  log(LedgerRecord(now, cfg_.name, "command")
          .add("line", want_password_ ? std::string("<password>") : line)
          .add("in", state_name())
          .add("via", input_via_)
          .line());
  if (state_ == State::Ok) {
    obp_command(line, now);
  } else {
    login_line(line, now);
  }
}

void NodeModel::reply(std::string out, TimePoint now) {
  out += text::kPrompt;
  if (cfg_.t.reply > Duration::zero()) {
    emit_later(now + cfg_.t.reply, std::move(out));
  } else {
    emit(out);
  }
}

void NodeModel::obp_command(const std::string& line, TimePoint now) {
  auto w = words(line);
  if (w.empty()) return reply("", now);
  const std::string& cmd = w[0];
  if (cmd == "printenv") {
    if (w.size() == 1) {
      std::string t = "Variable Name           Value                          Default Value\r\n";
      auto row = [](std::string n, std::string v, std::string d) {
        n.resize(24, ' ');
        v.resize(31, ' ');
        return n + v + d + "\r\n";
      };
      t += row("auto-boot?", nvram_.auto_boot ? "true" : "false", "true");
      t += row("boot-device", nvram_.boot_device, Nvram{}.boot_device);
      return reply(t, now);
    }
    if (w[1] == "auto-boot?")
      return reply(text::var_readback(w[1], nvram_.auto_boot ? "true" : "false"), now);
    if (w[1] == "boot-device") return reply(text::var_readback(w[1], nvram_.boot_device), now);
    return reply("Unknown option: " + w[1] + "\r\n", now);
  }
  if (cmd == "setenv") {
    if (w.size() < 3) return reply("Usage: setenv <option> <value>\r\n", now);
    std::string value = w[2];
    for (std::size_t i = 3; i < w.size(); ++i) value += " " + w[i];
    if (w[1] == "auto-boot?") {
      if (value != "true" && value != "false")
        return reply("Invalid value: " + value + "\r\n", now);
      nvram_.auto_boot = value == "true";
    } else if (w[1] == "boot-device") {
      nvram_.boot_device = value;
    } else {
      return reply("Unknown option: " + w[1] + "\r\n", now);
    }
    save_nvram(w[1], "setenv", now);
    return reply(text::var_readback(w[1], value), now);
  }
  if (cmd == "set-defaults") {
    nvram_ = Nvram{};
    save_nvram("all", "set-defaults", now);
    return reply("Setting NVRAM parameters to default values.\r\n", now);
  }
  if (cmd == "boot") {
    std::string dev =
        w.size() > 1 ? w[1] : nvram_.boot_device.substr(0, nvram_.boot_device.find(' '));
    return enter_boot(dev, now, false, "boot " + dev);
  }
  if (cmd == "go") return resume(now);
  if (cmd == "reset-all") {
    suspended_.reset();
    emit(text::kResetting);
    return enter_post(now, false, "reset-all");
  }
  if (cmd == "banner") return reply(text::banner(cfg_.model_line, cfg_.ether, cfg_.host_id), now);
  if (cmd == "power-off") return power_off(now, "power-off typed");
  reply("Unknown command: " + cmd + "\r\n", now);
}

void NodeModel::login_line(const std::string& line, TimePoint) {
  if (want_password_) {
    want_password_ = false;
    emit("\r\nLogin incorrect\r\n");
    emit(text::login(cfg_.name));
  } else if (line.empty()) {
    emit(text::login(cfg_.name));
  } else {
    emit("\r\nPassword: ");
    want_password_ = true;
  }
}

// --- the control socket -------------------------------------------------------------

std::string NodeModel::control(std::string_view line, TimePoint now) {
  auto w = words(line);
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
  if (cmd == "panic") {
    if (state_ != State::Running && state_ != State::Booting && state_ != State::Hung)
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
  if (cmd == "break-disable") {
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
    std::uint32_t n = 0;
    if (!parse_u32(arg, n) || n > 1000000) return "error: garbage BYTES (0..1000000)";
    garbage(n);
    return "ok";
  }
  if (cmd == "flood") {
    std::uint32_t n = 0;
    if (!parse_u32(arg, n)) return "error: flood BYTES_PER_SECOND (0 = off)";
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
  return "error: unknown command '" + cmd + "' (try help)";
}

}  // namespace clusterd::sim
