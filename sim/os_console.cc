// What a running OS does with the console: the login prompt (ttymon on
// Solaris, agetty on Linux), a root shell parked there by `session`, the
// quoted panic of `quote-panic`, and how a Linux console driver takes a BREAK.
// Commands typed at a shell are not run: a line gets the prompt back.
#include "base/escape.h"
#include "sim/console_text.h"
#include "sim/ledger.h"
#include "sim/node_model.h"

namespace clusterd::sim {

std::string NodeModel::login_prompt() const {
  return os_ == Os::Linux ? text::linux_login(cfg_.name) : text::login(cfg_.name);
}

std::string NodeModel::shell_prompt() const {
  if (os_ == Os::Linux) return text::linux_root_prompt(cfg_.name);  // root's shell is bash
  return std::string(session_ == Session::Bash ? text::kBashPrompt : text::kRootPrompt);
}

void NodeModel::os_line(const std::string& line, TimePoint now) {
  if (session_ == Session::Login) return login_line(line, now);
  shell_line(line, now);
}

void NodeModel::login_line(const std::string& line, TimePoint) {
  if (want_password_) {
    want_password_ = false;
    emit("\r\nLogin incorrect\r\n");
    emit(login_prompt());
  } else if (line.empty()) {
    emit(login_prompt());
  } else {
    emit("\r\nPassword: ");
    want_password_ = true;
  }
}

void NodeModel::shell_line(const std::string& line, TimePoint now) {
  // The CR was echoed as "\r\n" by the caller, as a tty in cooked mode does.
  if (line == "exit" || line == "logout") {
    Session to = session_ == Session::Bash && os_ == Os::Solaris ? Session::Root : Session::Login;
    log(LedgerRecord(now, cfg_.name, "session")
            .add("from", to_string(session_))
            .add("to", to_string(to))
            .add("via", input_via_)
            .line());
    session_ = to;
    emit(to == Session::Login ? login_prompt() : shell_prompt());
    return;
  }
  emit(shell_prompt());
}

// The control `session`: types what an operator would, so the console shows
// the login (or the exit) as it happens on a real one.
std::string NodeModel::set_session(Session to, TimePoint now) {
  if (state_ != State::Running)
    return "error: no OS at the console in " + std::string(state_name());
  if (at_sp_) return "error: the service processor has the console (sp-unpark first)";
  if (to == session_) return "ok";
  Session from = session_;
  std::string out;
  auto exit_to = [&](Session s) {
    session_ = s;
    out += "exit\r\n";
    out += s == Session::Login ? login_prompt() : shell_prompt();
  };
  if (from == Session::Bash && os_ == Os::Solaris) exit_to(Session::Root);
  if (to == Session::Login) {
    if (session_ != Session::Login) exit_to(Session::Login);
  } else {
    if (session_ == Session::Login) {
      want_password_ = false;
      session_ = Session::Root;
      out += os_ == Os::Linux ? std::string(text::kLinuxRootLogin)
                              : std::string(text::kSolarisRootLogin);
      out += shell_prompt();
    }
    if (to == Session::Bash && os_ == Os::Solaris) {
      session_ = Session::Bash;
      out += "bash\r\n" + shell_prompt();
    }
    session_ = to;
  }
  line_.clear();
  emit(out);
  log(LedgerRecord(now, cfg_.name, "session")
          .add("from", to_string(from))
          .add("to", to_string(to))
          .add("via", "control")
          .line());
  return "ok";
}

// An old panic quoted on a healthy node: the node stays RUNNING, keeps the
// disk and writes on; only the console shows panic words, one of them after
// a CR exactly where a real panic line starts.
std::string NodeModel::quote_panic(TimePoint now) {
  if (state_ != State::Running)
    return "error: quote-panic needs a running OS, not " + std::string(state_name());
  if (at_sp_) return "error: the service processor has the console (sp-unpark first)";
  if (session_ == Session::Login) set_session(Session::Root, now);
  emit(os_ == Os::Linux ? text::linux_quoted_panic(cfg_.name)
                        : text::solaris_quoted_panic(cfg_.name));
  emit(shell_prompt());
  return "ok";
}

// uart_handle_break() in include/linux/serial_core.h (CONFIG_MAGIC_SYSRQ_SERIAL):
//   if (!port->sysrq) { port->sysrq = jiffies + SYSRQ_TIMEOUT; return 1; }
//   port->sysrq = 0;
// A return of 1 swallows the BREAK. sunhv calls it before it notes the BREAK,
// so the first one only arms SysRq and the next one (no character between)
// reaches sun_do_break() -> prom_cmdline(). sunsu notes the BREAK first, so
// every BREAK reaches the PROM. sun_do_break() does nothing while
// kernel.stop-a is 0; panic() sets it back to 1 (kernel/panic.c).
std::string_view NodeModel::linux_break(TimePoint now) {
  bool stop_a = state_ == State::Panic || !cfg_.knobs.break_disabled;
  bool was_armed = sysrq_until_.has_value();
  if (was_armed)
    sysrq_until_.reset();
  else
    sysrq_until_ = now + std::chrono::seconds(5);  // SYSRQ_TIMEOUT = HZ * 5
  if (cfg_.knobs.linux_break == LinuxBreak::Sysrq && !was_armed) return "sysrq-armed";
  return stop_a ? "halted" : "ignored";
}

// uart_handle_sysrq_char(): any character disarms; one within SYSRQ_TIMEOUT
// (not NUL) is taken as the SysRq command key and never reaches the tty.
// nodesim records the key but does not run the SysRq action.
bool NodeModel::sysrq_eats(char c, TimePoint now) {
  if (!sysrq_until_) return false;
  bool in_time = now < *sysrq_until_;
  sysrq_until_.reset();
  if (!in_time || c == '\0') return false;
  log(LedgerRecord(now, cfg_.name, "sysrq")
          .add("key", escape(std::string_view(&c, 1)))
          .add("in", state_name())
          .line());
  return true;
}

}  // namespace clusterd::sim
