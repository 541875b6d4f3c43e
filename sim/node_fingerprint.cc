// NodeModel::fingerprint: the node's state for `chatc verify`'s state hash
// (docs/verify.md). Times are relative to `now`. Left out: the write
// counter, the write and chatter timers' phase and the garbage generator,
// which change at every step and decide nothing a failover depends on; and
// how long a hung or halted OS has been stopped (it resumes where it was).
#include "sim/node_model.h"

namespace clusterd::sim {

namespace {
void add_steps(Fingerprint& f, const auto& steps, TimePoint now) {
  f.add(steps.size());
  for (const auto& s : steps) {
    f.add_time(s.at, now);
    f.add(std::string_view(s.text));
    f.add_int(static_cast<int>(s.action));
  }
}
}  // namespace

void NodeModel::fingerprint(Fingerprint& f, TimePoint now) const {
  f.add_int(static_cast<int>(state_));
  add_steps(f, steps_, now);
  f.add(later_.size());
  for (const auto& [at, text] : later_) {
    f.add_time(at, now);
    f.add(std::string_view(text));
  }
  for (const auto* s : {&suspended_, &hung_}) {
    f.add_bool(s->has_value());
    if (!*s) continue;
    f.add_int(static_cast<int>((*s)->state));
    // Suspended steps resume shifted by the pause: what counts is where they
    // stood against the moment of the stop, not how long ago that was.
    add_steps(f, (*s)->steps, (*s)->at);
    f.add_bool((*s)->had_lease);
  }
  f.add_bool(lease_since_.has_value());
  f.add_bool(fenced_at_.has_value());
  f.add_bool(next_write_.has_value());
  f.add_bool(next_chatter_.has_value());
  f.add_bool(next_flood_.has_value());
  f.add_bool(disk_error_shown_);
  f.add_bool(post_reboot_);
  f.add_int(static_cast<int>(os_));
  f.add_int(static_cast<int>(session_));
  f.add_time(sysrq_until_, now);
  f.add_bool(nvram_.auto_boot);
  f.add(std::string_view(nvram_.boot_device));
  const Knobs& k = cfg_.knobs;
  for (bool b :
       {k.break_works_when_hung, k.break_disabled, k.battery_dead, k.alt_break, k.hw_break})
    f.add_bool(b);
  f.add(k.flood_bps);
  f.add_int(static_cast<int>(k.os));
  f.add_int(static_cast<int>(k.linux_break));
  f.add_int(static_cast<int>(k.boot_panic));
  f.add_bool(at_sp_);
  f.add_bool(hash_pending_);
  f.add(std::string_view(sp_line_));
  f.add_bool(sp_last_cr_);
  f.add(std::string_view(sp_confirm_));
  f.add(std::string_view(line_));
  f.add_bool(last_cr_);
  f.add_int(alt_);
  f.add_bool(want_password_);
}

}  // namespace clusterd::sim
