// The console's input side of NodeModel: the "#." escape to the service
// processor, the Solaris alternate break, line editing and echo, and the
// OpenBoot words. What a running OS does with a line is in os_console.cc.
#include <vector>

#include "base/escape.h"
#include "sim/console_text.h"
#include "sim/ledger.h"
#include "sim/node_model.h"
#include "sim/words.h"

namespace clusterd::sim {

void NodeModel::on_input(std::string_view bytes, TimePoint now) {
  for (char c : bytes) feed_byte(c, now);
}

void NodeModel::feed_byte(char c, TimePoint now) {
  if (at_sp_) return sp_byte(c, now);
  if (cfg_.sp != ServiceProcessor::None) {
    // ALOM and ILOM watch the host console for "#." (their escape) whatever
    // the host is doing; a '#' alone is passed on with the byte after it.
    if (hash_pending_) {
      hash_pending_ = false;
      if (c == '.') return enter_sp(now, "#.");
      host_byte('#', now);
    } else if (c == '#') {
      hash_pending_ = true;
      return;
    }
  }
  host_byte(c, now);
}

void NodeModel::host_byte(char c, TimePoint now) {
  bool os_up = state_ == State::Running || state_ == State::Stopping || state_ == State::Booting ||
               state_ == State::Hung;
  if (os_up && os_ == Os::Solaris && cfg_.knobs.alt_break) {
    // Solaris alternate break: CR, '~', Ctrl-B. It travels as plain data, so it
    // survives ser2net and a pty, which both drop a real BREAK. Linux has no
    // such sequence.
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
  if (os_ == Os::Linux && (state_ == State::Running || state_ == State::Panic) &&
      sysrq_eats(c, now)) {
    return;
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
    if (state_ == State::Ok || session_ != Session::Login) emit("\r\n");
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
    os_line(line, now);
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
  auto w = split_words(line);
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

}  // namespace clusterd::sim
