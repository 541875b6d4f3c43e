// A clean shutdown of a running Solaris node, as `shutdown -i0 -g0 -y` or
// `init 0` does it: svc.startd stops the services (the service stops writing:
// its last write is on the shared disk), the file systems are unmounted (the
// lease released), the kernel syncs and halts, and OpenBoot prints its prompt.
// auto-boot? is not touched. A BREAK during it halts the node as in RUNNING.
// The texts and their sources: console_text.h.
#include "sim/console_text.h"
#include "sim/ledger.h"
#include "sim/node_model.h"

namespace clusterd::sim {

std::string NodeModel::shutdown(TimePoint now) {
  if (state_ != State::Running)
    return "error: shutdown needs a running OS, not " + std::string(state_name());
  if (os_ != Os::Solaris) return "error: shutdown is simulated for Solaris only";
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

}  // namespace clusterd::sim
