// What a BREAK does to NodeModel, in every state and for either OS, and `go`
// back to what it halted. A halt here is the fence the monitor relies on: it
// releases the lease and marks the node fenced (writes after it are the
// ledger's write_after_fence). How a Linux driver takes a BREAK (SysRq) is in
// os_console.cc; where a BREAK comes from (telnet, RFC 2217, \r~^B, control)
// is the caller's.
#include "sim/console_text.h"
#include "sim/ledger.h"
#include "sim/node_model.h"

namespace clusterd::sim {

void NodeModel::on_break(BreakVia via, TimePoint now) {
  auto record = [&](std::string_view effect) {
    log(LedgerRecord(now, cfg_.name, "break")
            .add("via", to_string(via))
            .add("effect", effect)
            .add("in", state_name())
            .line());
  };
  // The SP owns the line: a BREAK sent to it never reaches the host.
  if (at_sp_) return record("at-sp");
  // A PC has no firmware prompt to drop to: Linux arms SysRq at most.
  if (x86()) return record(x86_break(now));
  // Solaris with KEYBOARD_ABORT=disable ignores every abort; with
  // KEYBOARD_ABORT=alternate only the alternate sequence (kbd(1)).
  auto solaris_ignores = [&] {
    return cfg_.knobs.break_disabled || (!cfg_.knobs.hw_break && via != BreakVia::AltBreak);
  };
  switch (state_) {
    case State::Off:
    case State::Ok:
      return record("ignored");
    case State::Running:
    case State::Stopping:  // a shutdown under way is still a running OS
      if (os_ == Os::Linux) break;
      if (solaris_ignores()) return record("ignored");
      break;
    case State::Hung:
      if (!cfg_.knobs.break_works_when_hung) return record("ignored");
      if (os_ == Os::Linux) break;
      if (solaris_ignores()) return record("ignored");
      break;
    case State::Post:
    case State::Booting:  // the PROM still owns the console, kbd -i has not run
      record("halted");
      return halt_to_ok(now, via);
    case State::Panic:
      if (os_ == Os::Linux) break;
      record("halted");  // BREAK during the dump: the reboot is cancelled
      return halt_to_ok(now, via);
  }
  if (os_ == Os::Linux) {
    std::string_view effect = linux_break(now);
    record(effect);
    if (effect == "halted") halt_to_ok(now, via);
    return;
  }
  record("halted");
  halt_to_ok(now, via);
}

void NodeModel::halt_to_ok(TimePoint now, BreakVia via) {
  // A spinning Linux panic is resumable too: `go` goes back into its loop.
  bool linux_panic = state_ == State::Panic && os_ == Os::Linux;
  bool os_up = state_ == State::Running || state_ == State::Stopping || state_ == State::Booting ||
               state_ == State::Hung || linux_panic;
  if (os_up) {
    suspended_ = Suspended{state_, steps_, now, holds_lease()};
  } else {
    suspended_.reset();
  }
  steps_.clear();
  release_lease(now, "break");
  fenced_at_ = to_ns(now);
  set_state(State::Ok, std::string("break (") + std::string(to_string(via)) + ")", now);
  // Solaris (running or booting) says how to get back; POST and a panic dump
  // just stop at the prompt. Linux's sun_do_break() prints a "\n" first.
  if (os_up && os_ == Os::Linux && suspended_->state != State::Booting) emit(text::kLinuxToProm);
  emit(os_up ? text::kResume : std::string_view("\r\n"));
  emit(text::kPrompt);
}

void NodeModel::resume(TimePoint now) {
  if (!suspended_) {
    reply("ERROR: go: no program to resume\r\n", now);
    return;
  }
  Suspended s = std::move(*suspended_);
  suspended_.reset();
  Duration paused = now - s.at;
  steps_.clear();
  for (auto& st : s.steps) st.at += paused;
  steps_ = std::move(s.steps);
  set_state(s.state, "go", now);
  // The resumed OS still believes it has the disk mounted: it takes it back
  // whoever holds it now, which is exactly the hazard the ledger must show.
  if (s.had_lease) acquire_lease(now, "resume");
}

}  // namespace clusterd::sim
