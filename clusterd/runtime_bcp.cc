// BCP mode in the runtime (docs/bcp.md): the shippers kept running, what
// they say fed to the tracker, and the failover gate between the fence of the
// active site and the boot of the standby's.
//
// The gate holds the standby's boot (`boot standby`, `power standby on|cycle`)
// until a promotion is journaled for it. It opens when:
//   - the replica has caught up (nothing lost), or stopped moving, or the
//     drain time passed, and then the expected loss [lo, hi] is within
//     max_loss (a planned switchover: only when lo = 0 and the hashes agree);
//   - or an operator accepts the loss (`clusterctl failover NAME --accept-loss`);
//   - or gate_timeout passed (not for a planned switchover).
// Then the standby's receiver is stopped, `promote` runs at its site, its
// `promoted …` line is journaled, and only then the held boot goes out.
#include <cstdio>

#include "base/escape.h"
#include "base/json_writer.h"
#include "clusterd/runtime.h"

namespace clusterd {

using chat::Channel;

namespace {
constexpr std::size_t kServe = 0, kReceive = 1;
constexpr std::size_t kLineMax = 4096;
const char* shipper_name(std::size_t which) { return which == kServe ? "serve" : "receive"; }
}  // namespace

void ClusterRuntime::bcp_start(chat::TimePoint now) {
  if (!options_.bcp.enabled) return;
  if (journal_.state().epoch > 0) tracker_.set_epoch(journal_.state().epoch);
  shippers_[kServe].restart_at = now;
  shippers_[kReceive].restart_at = now;
  bcp_started_ = now;
  if (options_.bcp.lease) {
    for (std::size_t i = 0; i < leases_.size(); ++i) {
      auto& l = leases_[i];
      l.watch = repl::LeaseWatch(options_.bcp.lease_term, now);
      l.next_at = now;
      // Fenced by lease before a restart, not yet taken over: still withheld.
      l.withheld = journal_.state().fenced.count(nodes_[i].name) > 0;
    }
  }
  say("bcp: shipping from " + active() + "'s site to " + standby() + "'s (epoch " +
      std::to_string(tracker_.epoch()) + (options_.bcp.observe ? ", gate observe-only)" : ")"));
}

// After a takeover or a promotion: stop both shippers, start them again in
// the current direction.
void ClusterRuntime::bcp_restart_shippers() {
  for (auto& s : shippers_) {
    if (s.child) {
      s.stopping = true;
      commands_.kill(s.child->id);
    }
    s.restart_at = now_;
  }
}

bool ClusterRuntime::bcp_hold(Channel ch, std::string_view bytes,
                              std::optional<chat::PowerOp> power) {
  if (!options_.bcp.enabled || ch != Channel::Standby) return false;
  const auto& s = journal_.state();
  if (s.promoted == standby()) return false;  // promoted for this failover: boot
  if (held_) {
    say("bcp: the boot of " + standby() + " is already held at the gate");
    return true;
  }
  HeldBoot h;
  h.ch = ch;
  h.bytes = std::string(bytes);
  h.power = power;
  h.since = now_;
  held_ = std::move(h);
  if (!fenced_at_) fenced_at_ = now_;  // resumed after a restart: stopped by now at the latest
  say("bcp: the boot of " + standby() + " waits at the failover gate");
  bcp_check_at_ = now_;
  bcp_tick();
  return true;
}

void ClusterRuntime::bcp_tick() {
  if (!options_.bcp.enabled) return;
  // Shippers that are due (again).
  for (std::size_t w = 0; w < shippers_.size(); ++w) {
    auto& s = shippers_[w];
    if (s.child || !s.restart_at || now_ < *s.restart_at) continue;
    // Not at the standby's site once the gate opened for it, or once it was
    // promoted (until the takeover turns it into the source).
    if (w == kReceive && (gate_open_ || journal_.state().promoted == standby())) continue;
    s.restart_at.reset();
    s.stopping = false;
    s.node = w == kServe ? roles_.active() : roles_.standby();
    const auto& argv =
        w == kServe ? options_.bcp.nodes[s.node].serve : options_.bcp.nodes[s.node].receive;
    if (argv.empty()) continue;
    Running r;
    r.name = std::string(shipper_name(w)) + " " + nodes_[s.node].name;
    std::string why;
    if (!launch(argv, r, why)) {
      say("bcp: " + r.name + " failed to start: " + why);
      s.restart_at = now_ + options_.bcp.restart;
      continue;
    }
    if (!s.last_exit) say("bcp: started " + r.name);
    s.child = std::move(r);
  }
  bcp_lease_tick();
  if (promoting_ && !promoting_->timed_out && now_ >= promoting_->deadline) {
    promoting_->timed_out = true;
    commands_.kill(promoting_->id);
  }
  if (now_ < bcp_check_at_) return;
  bcp_check_at_ = now_ + (held_ ? std::chrono::milliseconds(250) : std::chrono::seconds(1));
  bcp_watch_lag();
  if (!held_ || gate_open_) return;

  const auto& cfg = options_.bcp.gate;
  auto st = tracker_.status(now_, options_.wall_ns());
  auto answer = tracker_.gate(*fenced_at_, held_->since, now_, accept_loss_);
  const bool caught_up = st.have_head && st.have_replica && st.lag_records == 0 &&
                         st.head.bytes == st.replica.bytes && st.head.hash == st.replica.hash;
  // A head reported after the fence: the source is known to have written
  // nothing the replica lacks (planned switchover).
  const auto reported = tracker_.head_reported_at();
  const bool head_after_fence = reported && *reported > *fenced_at_;
  const bool moving = now_ - replica_moved_at_ < std::chrono::seconds(2);
  // The source still reports (its site is up): it ships the rest, up to drain.
  const bool source_alive = reported && now_ - *reported < std::chrono::seconds(3);
  const bool draining =
      !caught_up && (moving || source_alive) && now_ - held_->since < options_.bcp.drain;
  gate_state_ = draining ? "draining" : "deciding";
  bool go = false;
  std::string verdict;
  if (answer.gate == repl::Gate::NoReplica) {
    verdict = "no-replica";
  } else if (planned_) {
    // A planned switchover loses nothing or waits for an operator.
    const Duration patience = cfg.gate_timeout.count() ? cfg.gate_timeout : options_.bcp.drain;
    if (caught_up && head_after_fence) {
      go = true;
      answer.gate = repl::Gate::Promote;
      answer.text = "planned switchover: replica and head agree (" +
                    std::to_string(st.replica.records) + " records, hash equal): no loss";
    } else if (accept_loss_) {
      go = true;
    } else if (!draining && now_ - held_->since >= patience) {
      verdict = "planned-not-caught-up";
    }
    gate_state_ = verdict.empty() ? "waiting for equal hashes" : "hold";
  } else if (draining && !accept_loss_) {
    // The source still ships its tail: wait for it.
  } else if (answer.gate == repl::Gate::Hold) {
    verdict = "hold";
    gate_state_ = "hold";
  } else {
    go = true;
  }
  if (go && options_.bcp.observe) {
    if (!held_->logged_observe) {
      say("bcp: observe-only: the gate would promote " + standby() + " now (" +
          repl::gate_name(answer.gate) + "; " + answer.text + ")");
      alarms_.raise(chat::AlarmSeverity::Warning,
                    "failover gate (observe-only): would promote " + standby() + "'s site now; " +
                        answer.text,
                    std::string(interp_.state_name()));
      held_->logged_observe = true;
    }
    return;
  }
  if (!go) {
    if (!verdict.empty() && held_->alarmed != verdict) {
      held_->alarmed = verdict;
      std::string text =
          verdict == "no-replica"
              ? "failover held: " + answer.text + "; " + standby() + "'s site cannot be promoted"
          : verdict == "planned-not-caught-up"
              ? "planned switchover held: the replica at " + standby() + "'s site has " +
                    std::to_string(st.replica.records) + " of " + std::to_string(st.head.records) +
                    " records (head reported after the fence: " +
                    (head_after_fence ? "yes" : "no") + ") after " +
                    format_duration(cfg.gate_timeout.count() ? cfg.gate_timeout
                                                             : options_.bcp.drain) +
                    "; clusterctl failover --accept-loss to go on with that loss"
              : "failover held: " + answer.text + "; clusterctl failover --accept-loss to go on" +
                    (cfg.gate_timeout.count() ? " (or it goes on by itself after gate_timeout " +
                                                    format_duration(cfg.gate_timeout) + ")"
                                              : " (gate_timeout 0: only an operator)");
      say("bcp: " + text);
      alarms_.raise(chat::AlarmSeverity::Critical, text, std::string(interp_.state_name()));
    }
    return;
  }
  promote_answer_ = answer;
  gate_open_ = true;
  bcp_promote();
}

// While nothing is held: is the replica falling behind, or dated in the
// future (a clock or a forged point: never counted as fresh)?
void ClusterRuntime::bcp_watch_lag() {
  if (held_ || promoting_) return;
  auto st = tracker_.status(now_, options_.wall_ns());
  const std::string state(interp_.state_name());
  if (st.replica_in_future && !future_alarmed_) {
    future_alarmed_ = true;
    alarms_.raise(chat::AlarmSeverity::Critical,
                  "the replica point at " + standby() + "'s site is dated " +
                      std::to_string(static_cast<long long>(-st.replica_age_s)) +
                      " s in the future: a clock is wrong or the point is not what it says; it "
                      "is not counted as fresh",
                  state);
  } else if (!st.replica_in_future) {
    future_alarmed_ = false;
  }
  const auto limit = options_.bcp.lag_alarm;
  if (limit.count() == 0) return;
  const double limit_s = std::chrono::duration<double>(limit).count();
  const bool behind = st.have_replica
                          ? st.lag_records > 0 && st.lag_s >= limit_s
                          : st.have_head && st.head.records > 0 && now_ - bcp_started_ >= limit;
  if (behind && !lag_alarmed_) {
    lag_alarmed_ = true;
    char buf[200];
    std::snprintf(
        buf, sizeof buf,
        "replication behind: the replica at %s's site lacks %llu records (%.0f s of "
        "writes); a failover now would lose them",
        standby().c_str(),
        static_cast<unsigned long long>(st.have_replica ? st.lag_records : st.head.records),
        st.lag_s);
    say(std::string("bcp: ") + buf);
    alarms_.raise(chat::AlarmSeverity::Warning, buf, state);
  } else if (lag_alarmed_ && st.have_replica && st.lag_records == 0) {
    lag_alarmed_ = false;
    say("bcp: replication caught up again");
    alarms_.raise(chat::AlarmSeverity::Notice,
                  "replication caught up again: " + std::to_string(st.replica.records) +
                      " records at " + standby() + "'s site",
                  state);
  }
}

// The gate is open: stop the standby's receiver, then run promote there.
void ClusterRuntime::bcp_promote() {
  auto& rx = shippers_[kReceive];
  if (rx.child) {
    rx.stopping = true;
    commands_.kill(rx.child->id);
    return;  // bcp_exit() comes back here once it has ended
  }
  const std::size_t i = roles_.standby();
  const auto& argv = options_.bcp.nodes[i].promote;
  auto fail = [&](const std::string& why) {
    std::string text =
        "promotion of " + nodes_[i].name + "'s site failed: " + why + "; its boot is not sent";
    say("bcp: " + text);
    alarms_.raise(chat::AlarmSeverity::Critical, text, std::string(interp_.state_name()));
    held_.reset();
    accept_loss_ = false;
    gate_open_ = false;
    rx.restart_at = now_ + options_.bcp.restart;
  };
  if (argv.empty()) return fail("no promote command configured");
  Running r;
  r.name = "promote " + nodes_[i].name;
  r.deadline = now_ + options_.bcp.promote_timeout;
  std::string why;
  if (!launch(argv, r, why)) return fail(why);
  say("bcp: gate open (" + std::string(repl::gate_name(promote_answer_.gate)) + ": " +
      promote_answer_.text + "); promoting " + nodes_[i].name + "'s site");
  promoting_ = std::move(r);
}

bool ClusterRuntime::bcp_output(std::uint64_t id, std::string_view bytes) {
  for (auto& l : leases_) {
    if (!l.child || l.child->id != id) continue;
    l.output.append(bytes);
    if (l.output.size() > kLineMax) l.output.erase(0, l.output.size() - kLineMax);
    return true;
  }
  if (promoting_ && promoting_->id == id) {
    promoting_->output.append(bytes);
    if (promoting_->output.size() > kLineMax)
      promoting_->output.erase(0, promoting_->output.size() - kLineMax);
    return true;
  }
  for (std::size_t w = 0; w < shippers_.size(); ++w) {
    auto& s = shippers_[w];
    if (!s.child || s.child->id != id) continue;
    for (char c : bytes) {
      if (c == '\n') {
        s.last_line = s.line;
        bcp_line(w, s.line);
        s.line.clear();
      } else if (s.line.size() < kLineMax) {
        s.line += c;
      }
    }
    return true;
  }
  return false;
}

void ClusterRuntime::bcp_line(std::size_t which, std::string_view line) {
  auto& s = shippers_[which];
  auto l = repl::parse_ship_line(line);
  switch (l.kind) {
    case repl::ShipLine::Head:
      if (which == kServe) tracker_.on_head(l.point, now_);
      bcp_check_divergence();
      break;
    case repl::ShipLine::Replica: {
      if (which != kReceive) break;
      auto before = tracker_.status(now_, options_.wall_ns()).replica.bytes;
      if (tracker_.on_replica(l.point, now_) && l.point.bytes != before) replica_moved_at_ = now_;
      bcp_check_divergence();
      break;
    }
    case repl::ShipLine::Error:
      tracker_.on_error(l.text, now_);
      if (l.text != s.last_error) {
        s.last_error = l.text;
        say("bcp: " + std::string(shipper_name(which)) + " " + nodes_[s.node].name + ": " +
            escape(l.text));
      }
      break;
    case repl::ShipLine::Other:
      if (line.starts_with("branch ")) {
        // The old site's own unshipped tail, kept aside: never destroyed, but
        // those records are not in the active's log.
        std::string text = "the unshipped tail of " + nodes_[s.node].name +
                           "'s site was kept as a branch (" + escape(line.substr(7)) +
                           "): those records are not in the active's log";
        say("bcp: " + text);
        alarms_.raise(chat::AlarmSeverity::Critical, text, std::string(interp_.state_name()));
      } else if (line.starts_with("note ")) {
        say("bcp: " + std::string(shipper_name(which)) + " " + nodes_[s.node].name + ": " +
            escape(line.substr(5)));
      }
      break;
  }
}

// Head and replica at the same length with different hashes: the two sites'
// logs are not the same (a copy gone wrong, or a site written behind our
// back). A critical alarm, once until they agree again.
void ClusterRuntime::bcp_check_divergence() {
  auto st = tracker_.status(now_, options_.wall_ns());
  if (st.have_head && st.have_replica && st.head.bytes == st.replica.bytes)
    tracker_.on_source_hash(st.head.bytes, st.head.hash);
  st = tracker_.status(now_, options_.wall_ns());
  if (st.diverged && !diverged_alarmed_) {
    diverged_alarmed_ = true;
    std::string text = "the replica at " + standby() + "'s site differs from the source at " +
                       std::to_string(st.replica.bytes) +
                       " bytes (hashes differ): it is not a copy of the active's log";
    say("bcp: " + text);
    alarms_.raise(chat::AlarmSeverity::Critical, text, std::string(interp_.state_name()));
  } else if (!st.diverged) {
    diverged_alarmed_ = false;
  }
}

bool ClusterRuntime::bcp_exit(std::uint64_t id, int status) {
  for (std::size_t i = 0; i < leases_.size(); ++i) {
    if (!leases_[i].child || leases_[i].child->id != id) continue;
    bcp_lease_ended(i, status);
    return true;
  }
  if (promoting_ && promoting_->id == id) {
    const std::size_t i = roles_.standby();
    std::optional<repl::Point> promoted;
    for (std::size_t from = 0; from < promoting_->output.size();) {
      auto nl = promoting_->output.find('\n', from);
      std::string l = promoting_->output.substr(from, nl == std::string::npos ? nl : nl - from);
      if (l.starts_with("promoted ")) {
        auto p = repl::parse_ship_line("replica " + l.substr(9));
        if (p.kind == repl::ShipLine::Replica) promoted = p.point;
      } else if (l.starts_with("branch ")) {
        // Snapshot mode: the promoted site's own volume, moved aside.
        std::string text = "the unshipped tail of " + nodes_[i].name +
                           "'s site was kept as a branch (" + escape(l.substr(7)) +
                           "): those records are not in the active's log";
        say("bcp: " + text);
        alarms_.raise(chat::AlarmSeverity::Critical, text, std::string(interp_.state_name()));
      }
      if (nl == std::string::npos) break;
      from = nl + 1;
    }
    bool timed_out = promoting_->timed_out;
    std::string out = promoting_->output;
    promoting_.reset();
    if (status != 0 || !promoted) {
      std::string why = timed_out ? "killed after " + format_duration(options_.bcp.promote_timeout)
                                  : "exit " + std::to_string(status);
      if (!out.empty()) why += ": " + escape(out.substr(out.size() > 200 ? out.size() - 200 : 0));
      std::string text =
          "promotion of " + nodes_[i].name + "'s site failed (" + why + "); its boot is not sent";
      say("bcp: " + text);
      alarms_.raise(chat::AlarmSeverity::Critical, text, std::string(interp_.state_name()));
      held_.reset();
      accept_loss_ = false;
      gate_open_ = false;
      shippers_[kReceive].restart_at = now_ + options_.bcp.restart;
      return true;
    }
    const auto& loss = promote_answer_.loss;
    if (!journal(JournalKind::Promoted,
                 {{"node", nodes_[i].name},
                  {"epoch", std::to_string(promoted->epoch)},
                  {"records", std::to_string(promoted->records)},
                  {"bytes", std::to_string(promoted->bytes)},
                  {"lo", std::to_string(loss.lo)},
                  {"hi", loss.hi == UINT64_MAX ? std::string("unknown") : std::to_string(loss.hi)},
                  {"gate", repl::gate_name(promote_answer_.gate)}})) {
      held_.reset();
      gate_open_ = false;
      return true;
    }
    tracker_.set_epoch(promoted->epoch);
    std::string text = nodes_[i].name + "'s site promoted at " + std::to_string(promoted->records) +
                       " records, epoch " + std::to_string(promoted->epoch) + " (" +
                       repl::gate_name(promote_answer_.gate) + "; " + promote_answer_.text + ")";
    say("bcp: " + text);
    const bool lossy = promote_answer_.gate == repl::Gate::Accepted ||
                       promote_answer_.gate == repl::Gate::TimedOut;
    alarms_.raise(lossy ? chat::AlarmSeverity::Critical : chat::AlarmSeverity::Notice, text,
                  std::string(interp_.state_name()));
    bcp_release();
    return true;
  }
  for (std::size_t w = 0; w < shippers_.size(); ++w) {
    auto& s = shippers_[w];
    if (!s.child || s.child->id != id) continue;
    if (!s.line.empty()) bcp_line(w, s.line);
    s.line.clear();
    if (s.stopping || s.last_exit != status) {
      say("bcp: " + s.child->name + " ended (" + std::to_string(status) + ")" +
          (s.stopping ? ""
                      : "; started again every " + format_duration(options_.bcp.restart) +
                            " (said once while it ends the same way)"));
    }
    s.last_exit = s.stopping ? std::nullopt : std::optional<int>(status);
    s.child.reset();
    if (!s.stopping) s.restart_at = now_ + options_.bcp.restart;
    if (w == kReceive && gate_open_ && held_ && !promoting_) bcp_promote();
    return true;
  }
  return false;
}

// The promotion is journaled: the held boot goes out now, by the same path
// as an unheld one (its refusals apply again).
void ClusterRuntime::bcp_release() {
  if (!held_) return;
  HeldBoot h = std::move(*held_);
  held_.reset();
  accept_loss_ = false;
  gate_open_ = false;
  planned_ = false;
  if (h.power) {
    power(h.ch, *h.power);
  } else {
    boot(h.ch, h.bytes);
  }
  deliver();
}

// site_isolation = lease: renew each site's lease every lease/3 on a fixed
// schedule (one renewal per node at a time, killed after lease/3), and tell
// the script when the active's has run out twice over (lease.expired) or is
// held again (lease.held).
void ClusterRuntime::bcp_lease_tick() {
  if (!options_.bcp.lease) return;
  const Duration every = options_.bcp.lease_term / 3;
  for (std::size_t i = 0; i < leases_.size(); ++i) {
    auto& l = leases_[i];
    if (l.child && !l.child->timed_out && now_ >= l.child->deadline) {
      l.child->timed_out = true;
      commands_.kill(l.child->id);
    }
    if (l.child || l.withheld || now_ < l.next_at) continue;
    while (l.next_at <= now_) l.next_at += every;
    // The active looks lost (ping down) and its last renewal failed: stop
    // trying, so that the last moment a renewal could reach its keeper is
    // known (a failed one may have got there). Its keeper halts it T after
    // the last that did; from 2T after that it may be fenced by lease. Ping
    // back: renewals again.
    if (i == roles_.active() && active_ping_down_ && l.last == repl::RenewResult::Failed) {
      if (!l.paused) {
        l.paused = true;
        say("bcp: renewals of " + nodes_[i].name +
            "'s lease stop (ping down, the last one failed): " + "its keeper halts it " +
            format_duration(options_.bcp.lease_term) +
            " after the last renewal that got through; fenced by lease " +
            format_duration(2 * options_.bcp.lease_term) + " after the last one ended");
      }
      continue;
    }
    l.paused = false;
    if (options_.bcp.nodes[i].renew.empty()) continue;
    // It may land at the site until its deadline, never after: it is told so
    // (wall clock) and killed then; the last contact counts from there.
    std::vector<std::string> argv = options_.bcp.nodes[i].renew;
    const std::int64_t not_after_ms = (options_.wall_ns() + every.count()) / 1'000'000;
    argv.insert(argv.end(), {"--not-after", std::to_string(not_after_ms)});
    Running r;
    r.name = "renew " + nodes_[i].name;
    r.deadline = now_ + every;
    std::string why;
    l.output.clear();
    if (!launch(argv, r, why)) {
      l.watch.ended(now_, repl::RenewResult::Failed);
      if (l.last != repl::RenewResult::Failed) say("bcp: " + r.name + " failed to start: " + why);
      l.last = repl::RenewResult::Failed;
      continue;
    }
    l.watch.started(now_, now_ + every);
    l.child = std::move(r);
  }
  // lease.expired once the active's lease ran out twice over; lease.held only
  // after that, when a renewal is held again (bcp_lease_ended).
  const auto& a = leases_[roles_.active()].watch;
  if (lease_told_ || !a.expired(now_)) return;
  lease_told_ = true;
  say("bcp: the lease of " + active() +
      "'s site ran out twice over: no renewal could have reached it for " +
      format_duration(now_ - a.contact()) + "; its keeper has halted it (lease.expired)");
  pending_.push_back({{chat::EventKind::LeaseExpired, Channel::Active, 0, ""}, std::nullopt});
  deliver();
}

void ClusterRuntime::bcp_lease_ended(std::size_t i, int status) {
  auto& l = leases_[i];
  const bool timed_out = l.child->timed_out;
  const std::string name = l.child->name;
  l.child.reset();
  const auto result = timed_out ? repl::RenewResult::Failed : repl::renew_result(status);
  l.watch.ended(now_, result);
  if (result == repl::RenewResult::Ok && i == roles_.active() && lease_told_) {
    lease_told_ = false;
    say("bcp: a renewal of " + active() + "'s lease is held again (lease.held)");
    pending_.push_back({{chat::EventKind::LeaseHeld, Channel::Active, 0, ""}, std::nullopt});
  }
  std::string said = l.output;
  while (!said.empty() && (said.back() == '\n' || said.back() == '\r')) said.pop_back();
  if (auto nl = said.rfind('\n'); nl != std::string::npos) said.erase(0, nl + 1);
  if (l.last == result) return;
  const bool first = !l.last.has_value();
  l.last = result;
  const std::string state(interp_.state_name());
  const std::string what =
      (timed_out ? "killed after " + format_duration(options_.bcp.lease_term / 3)
                 : "exit " + std::to_string(status)) +
      (said.empty() ? "" : ": " + escape(said.substr(0, 200)));
  const std::string& node = nodes_[i].name;
  switch (result) {
    case repl::RenewResult::Ok:
      say("bcp: " + name + ": the lease of " + node + "'s site is held");
      if (!first)
        alarms_.raise(chat::AlarmSeverity::Notice, "lease renewals reach " + node + "'s site again",
                      state);
      break;
    case repl::RenewResult::NoKeeper: {
      std::string text = "no lease keeper runs at " + node + "'s site (" + what +
                         "): nobody would halt " + node +
                         " if its site were cut off, so it cannot be fenced by lease";
      say("bcp: " + text);
      alarms_.raise(chat::AlarmSeverity::Critical, text, state);
      break;
    }
    case repl::RenewResult::Failed: {
      std::string text =
          "lease renewals to " + node + "'s site fail (" + what + "): its keeper halts " + node +
          " " + format_duration(options_.bcp.lease_term) + " after the last one that got through";
      say("bcp: " + text);
      alarms_.raise(chat::AlarmSeverity::Warning, text, state);
      break;
    }
  }
}

std::string ClusterRuntime::lease_refusal(std::size_t i, const chat::FenceEvidence& e) const {
  if (!options_.bcp.lease) return "site_isolation is not lease ([bcp])";
  if (i != roles_.active()) return "only the active is fenced by lease";
  const auto& w = leases_[i].watch;
  if (!w.kept()) return "no renewal has reached a lease keeper at its site since clusterd started";
  if (w.running()) return "a renewal of its lease is running (it may get through)";
  if (now_ < w.expires_at())
    return "its lease has not run out twice over: " + format_duration(now_ - w.contact()) +
           " since the last renewal could reach it, not " +
           format_duration(2 * options_.bcp.lease_term);
  if (!e.ping_down) return "it answers ping";
  return "";
}

std::optional<chat::TimePoint> ClusterRuntime::bcp_deadline() const {
  if (!options_.bcp.enabled) return std::nullopt;
  std::optional<chat::TimePoint> next;
  auto consider = [&](chat::TimePoint t) {
    if (!next || t < *next) next = t;
  };
  for (const auto& s : shippers_)
    if (!s.child && s.restart_at) consider(*s.restart_at);
  if (promoting_ && !promoting_->timed_out) consider(promoting_->deadline);
  if (options_.bcp.lease) {
    for (const auto& l : leases_) {
      if (l.child && !l.child->timed_out) consider(l.child->deadline);
      if (!l.child && !l.withheld) consider(l.next_at);
    }
    const auto& a = leases_[roles_.active()].watch;
    if (!lease_told_ && a.kept() && !a.running()) consider(a.expires_at());
  }
  consider(bcp_check_at_);  // the gate while a boot is held, else the lag
  return next;
}

bool ClusterRuntime::accept_loss(chat::TimePoint now, std::string& why) {
  now_ = now;
  if (!options_.bcp.enabled) return why = "this cluster is not in BCP mode", false;
  if (!held_) return why = "no failover is held at the gate", false;
  if (!tracker_.has_replica())
    return why = "no verified replica point at " + standby() + "'s site: nothing to promote", false;
  if (options_.bcp.observe) return why = "the gate is observe-only: it never promotes", false;
  accept_loss_ = true;
  say("operator: failover --accept-loss");
  bcp_check_at_ = now_;
  bcp_tick();
  return true;
}

std::string ClusterRuntime::bcp_json(chat::TimePoint now) const {
  if (!options_.bcp.enabled) return "";
  auto st = tracker_.status(now, options_.wall_ns());
  JsonObject o;
  o.raw("replication", st.json());
  o.string("serve", shippers_[kServe].child ? "running" : "stopped");
  o.string("receive", shippers_[kReceive].child ? "running" : "stopped");
  o.string("serve_said", shippers_[kServe].last_line);
  o.string("receive_said", shippers_[kReceive].last_line);
  o.boolean("observe", options_.bcp.observe);
  if (held_) {
    auto a = tracker_.gate(fenced_at_.value_or(now), held_->since, now, accept_loss_);
    o.string("gate", promoting_ || gate_open_ ? "promoting" : gate_state_);
    o.string("gate_verdict", repl::gate_name(a.gate));
    o.string("gate_text", a.text);
    o.number("loss_lo", static_cast<std::int64_t>(a.loss.lo));
    o.number("loss_hi", a.loss.hi == UINT64_MAX ? -1 : static_cast<std::int64_t>(a.loss.hi));
  } else {
    o.string("gate", "closed");
  }
  return o.str();
}

}  // namespace clusterd
