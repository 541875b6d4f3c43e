// A clean shutdown of a running Solaris node, as `shutdown -i0 -g0 -y` or
// `init 0` does it: svc.startd stops the services (the service stops writing:
// its last write is on the shared disk), the file systems are unmounted (the
// lease released), the kernel syncs and halts, and OpenBoot prints its prompt.
// auto-boot? is not touched. A BREAK during it halts the node as in RUNNING.
// The texts and their sources: console_text.h.
//
// On an x86 node (`--platform x86`) it is `systemctl poweroff` on Debian 12:
// the service is stopped first (its last write on the disk), systemd reaches
// poweroff.target, systemd-shutdown syncs and unmounts (the lease released),
// the kernel prints "reboot: Power down" and the node powers itself off: OFF,
// as its BMC then reads it. `shutdown hang` is a shutdown that starts and
// never ends (a stop job that waits forever): the service has stopped, the
// disk stays mounted and the power on, until someone powers the node off.
// The texts and their sources: x86_text.h.
#include "sim/console_text.h"
#include "sim/ledger.h"
#include "sim/node_model.h"
#include "sim/x86_text.h"

namespace clusterd::sim {

std::string NodeModel::shutdown(TimePoint now, bool hang) {
  if (state_ != State::Running)
    return "error: shutdown needs a running OS, not " + std::string(state_name());
  if (x86()) return x86_shutdown(now, hang);
  if (hang) return "error: shutdown hang is simulated for x86 only";
  if (os_ != Os::Solaris) return "error: shutdown is simulated for Solaris and x86 only";
  // The service is told to stop first: no write after this one.
  log(LedgerRecord(now, cfg_.name, "service_stop")
          .add("why", "shutdown")
          .add("last_seq", static_cast<std::int64_t>(write_seq_))
          .line());
  steps_.clear();
  set_state(State::Stopping, "shutdown", now);
  emit(text::kShutdownStart);
  Duration t = cfg_.t.shutdown;
  schedule(now + t * 10 / 100, std::string(text::kShutdownServices));
  schedule(now + t * 40 / 100, text::shutdown_syslogd(cfg_.name));
  // svc:/system/filesystem/* stop: the shared disk is unmounted.
  schedule(now + t * 70 / 100, "", Action::Unmount);
  schedule(now + t * 90 / 100, std::string(text::kShutdownDown));
  schedule(now + t, std::string(text::kSyncing) + std::string(text::kProgramTerminated),
           Action::HaltDone);
  return "ok";
}

std::string NodeModel::x86_shutdown(TimePoint now, bool hang) {
  log(LedgerRecord(now, cfg_.name, "service_stop")
          .add("why", "shutdown")
          .add("last_seq", static_cast<std::int64_t>(write_seq_))
          .line());
  steps_.clear();
  sysrq_until_.reset();
  set_state(State::Stopping, hang ? "shutdown (hangs)" : "shutdown", now);
  emit(text::x86::kPoweroffStart);
  if (hang) return "ok";
  Duration t = cfg_.t.shutdown;
  schedule(now + t * 40 / 100, std::string(text::x86::kPoweroffTargets));
  schedule(now + t * 60 / 100, std::string(text::x86::kPoweroffSync));
  // systemd-shutdown's unmount loop: the shared disk is let go.
  schedule(now + t * 70 / 100, std::string(text::x86::kPoweroffUnmount), Action::Unmount);
  schedule(now + t * 90 / 100, std::string(text::x86::kPoweroffPoweringOff));
  schedule(now + t, std::string(text::x86::kPowerDown), Action::PowerDown);
  return "ok";
}

}  // namespace clusterd::sim
