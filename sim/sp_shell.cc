// The service processor in front of the console: ALOM ("sc> ", as on a Sun
// Fire V240) or ILOM ("-> "). Only what a monitor meets there is modelled:
// the prompt, the escape "#." that brought the operator here, the command
// that goes back to the host console, and an error for everything else (a
// typed `boot` or `setenv` is an SP error, never an OBP word). While the SP
// has the console the host runs on unseen (NodeModel::emit drops its bytes).
#include "sim/console_text.h"
#include "sim/ledger.h"
#include "sim/node_model.h"
#include "sim/words.h"

namespace clusterd::sim {
namespace {

std::string_view sp_name(ServiceProcessor sp) {
  switch (sp) {
    case ServiceProcessor::None:
      return "none";
    case ServiceProcessor::Alom:
      return "alom";
    case ServiceProcessor::Ilom:
      return "ilom";
  }
  return "?";
}

}  // namespace

void NodeModel::emit_sp(std::string_view bytes) {
  if (!bytes.empty()) fx_.console(bytes);
}

std::string NodeModel::sp_prompt() const {
  return std::string(cfg_.sp == ServiceProcessor::Ilom ? text::kIlomPrompt : text::kAlomPrompt);
}

void NodeModel::enter_sp(TimePoint now, std::string_view why) {
  at_sp_ = true;
  hash_pending_ = false;
  sp_line_.clear();
  sp_last_cr_ = false;
  sp_confirm_.clear();
  log(LedgerRecord(now, cfg_.name, "console")
          .add("to", sp_name(cfg_.sp))
          .add("why", why)
          .add("in", state_name())
          .line());
  emit_sp("\r\n");
  emit_sp(sp_prompt());
}

void NodeModel::leave_sp(TimePoint now, std::string_view why) {
  at_sp_ = false;
  sp_confirm_.clear();
  log(LedgerRecord(now, cfg_.name, "console")
          .add("to", "host")
          .add("why", why)
          .add("in", state_name())
          .line());
}

void NodeModel::sp_byte(char c, TimePoint now) {
  if (sp_last_cr_ && (c == '\n' || c == '\0')) {  // CR LF, CR NUL: one line end
    sp_last_cr_ = false;
    return;
  }
  sp_last_cr_ = c == '\r';
  if (c == '\r' || c == '\n') {
    std::string line = std::move(sp_line_);
    sp_line_.clear();
    emit_sp("\r\n");
    sp_line(line, now);
    return;
  }
  if (c == '\b' || c == '\x7f') {
    if (!sp_line_.empty()) {
      sp_line_.pop_back();
      emit_sp("\b \b");
    }
    return;
  }
  auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u > 0x7e || sp_line_.size() >= 256) return;
  sp_line_ += c;
  emit_sp(std::string_view(&c, 1));
}

void NodeModel::sp_line(const std::string& line, TimePoint now) {
  log(LedgerRecord(now, cfg_.name, "sp_command")
          .add("line", line)
          .add("sp", sp_name(cfg_.sp))
          .add("host", state_name())
          .add("via", input_via_)
          .line());
  auto w = split_words(line);
  if (!sp_confirm_.empty()) {  // ILOM's "(y/n)? "
    std::string target = std::move(sp_confirm_);
    sp_confirm_.clear();
    if (!w.empty() && (w[0] == "y" || w[0] == "Y" || w[0] == "yes")) {
      emit_sp(text::kIlomStarted);
      return leave_sp(now, "start " + target);
    }
    return emit_sp(sp_prompt());
  }
  if (w.empty()) return emit_sp(sp_prompt());
  if (cfg_.sp == ServiceProcessor::Alom) {
    if (w[0] == "console") {  // `console [-f]`
      emit_sp(text::kAlomConsole);
      return leave_sp(now, "console");
    }
    emit_sp(text::alom_unknown(w[0]));
    return emit_sp(sp_prompt());
  }
  if (w[0] == "start") {
    bool script = false;
    std::string target;
    for (std::size_t i = 1; i < w.size(); ++i) {
      if (w[i] == "-script" || w[i] == "-force" || w[i] == "-f")
        script = script || w[i] == "-script";
      else
        target = w[i];
    }
    if (target == "/SP/console" || target == "/HOST/console") {
      if (script) {
        emit_sp(text::kIlomStarted);
        return leave_sp(now, "start " + target);
      }
      sp_confirm_ = target;
      return emit_sp(text::ilom_confirm(target));
    }
  }
  emit_sp(text::ilom_unknown(w[0]));
  emit_sp(sp_prompt());
}

}  // namespace clusterd::sim
