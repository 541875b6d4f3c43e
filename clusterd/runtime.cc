#include "clusterd/runtime.h"

#include <chrono>

#include <re2/re2.h>

#include "base/duration.h"
#include "base/escape.h"

namespace clusterd {

using chat::Channel;

namespace {
// The journal's roles win over the config's: a takeover outlives restarts.
RoleBinding initial_roles(const Journal& j, const std::array<NodeSetup, 2>& nodes,
                          std::size_t initial_active) {
  RoleBinding b({nodes[0].name, nodes[1].name}, initial_active);
  const auto& s = j.state();
  if (!s.active.empty()) {
    if (auto i = b.index_of(s.active)) return RoleBinding({nodes[0].name, nodes[1].name}, *i);
  }
  return b;
}
}  // namespace

chat::InterpreterOptions ClusterRuntime::named(chat::InterpreterOptions o,
                                               const RoleBinding& roles) {
  o.active_name = roles.active_name();
  o.standby_name = roles.standby_name();
  return o;
}

ClusterRuntime::ClusterRuntime(const chat::Program& program, Journal& journal,
                               std::array<NodeSetup, 2> nodes, AlarmSink& alarms,
                               CommandRunner& commands, const SecretSource* secrets,
                               RuntimeOptions options, Timeline timeline)
    : journal_(journal),
      nodes_(std::move(nodes)),
      roles_(initial_roles(journal, nodes_, options.initial_active)),
      alarms_(alarms),
      commands_(commands),
      secrets_(secrets),
      options_(std::move(options)),
      timeline_(std::move(timeline)),
      interp_(program, *this, named(options_.interpreter, roles_)),
      initial_(program.initial) {
  if (!options_.wall_ns) {
    options_.wall_ns = [] {
      return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
    };
  }
  tracker_ = repl::Tracker(options_.bcp.gate);
}

void ClusterRuntime::start(chat::TimePoint now) {
  now_ = now;
  const auto& s = journal_.state();
  if (s.active.empty()) journal(JournalKind::Roles, {{"active", active()}, {"standby", standby()}});
  say("roles: " + active() + " active, " + standby() + " standby");
  bcp_start(now);  // the shippers start at the first advance_to
  if (s.boot_in_flight() && !s.boot_state.empty()) {
    // A previous clusterd sent the boot and died before the takeover: wait
    // for that boot where it was sent, never send another.
    bool fenced = s.fenced.count(active()) > 0;
    say("resuming the failover: the boot was already sent to " + s.boot_sent_to + " in state " +
        s.boot_state + "; waiting for it, not sending it again");
    if (interp_.resume(s.boot_state, fenced, now)) {
      if (s.boot_by_power) {
        // The boot was a power-on: a standby still off never got it (clusterd
        // died between the record and power_on), one that is on is booting.
        // Read it back; power it on only if it reads off: that is the same
        // boot, not a second one.
        if (auto i = roles_.index_of(s.boot_sent_to); i && !nodes_[*i].power_status.empty()) {
          say("resuming a boot by power: reading " + s.boot_sent_to +
              "'s power; powered on only if it reads off");
          PowerJob job;
          job.op = chat::PowerOp::On;
          job.step = PowerStep::ReadOn;
          job.resume_check = true;
          job.give_up = now + options_.power_timeout;
          power_[*i] = std::move(job);
          power_step(*i);
        }
        deliver();
        return;
      }
      // The standby may have finished booting while no clusterd watched, its
      // login prompt printed to nobody: ask for it again (a CR changes nothing
      // on a node at `ok`, booting or at login) once its console is up.
      ask_standby_ = true;
      if (const NodeSetup* n = &nodes_[roles_.standby()]; n && n->console && n->console->is_up()) {
        ask_standby_ = false;
        n->console->write("\r");
        say("asked " + n->name + " for its prompt (CR)");
      }
      return;
    }
    alarms_.raise(chat::AlarmSeverity::Critical,
                  "journal says a boot was sent to " + s.boot_sent_to + " in state '" +
                      s.boot_state + "', which the script no longer has: check the cluster by hand",
                  "");
  }
  interp_.start(now);
  deliver();
}

const NodeSetup* ClusterRuntime::node(std::string_view name) const {
  auto i = roles_.index_of(name);
  return i ? &nodes_[*i] : nullptr;
}

const NodeSetup* ClusterRuntime::node_of(Channel ch) const {
  auto i = roles_.node_of(ch);
  return i ? &nodes_[*i] : nullptr;
}

std::optional<Channel> ClusterRuntime::channel_of(std::string_view name) const {
  auto i = roles_.index_of(name);
  if (!i) return std::nullopt;
  return roles_.channel_of(*i);
}

bool ClusterRuntime::journal(JournalKind kind, std::map<std::string, std::string> fields) {
  // Fleet mode: a monitor that may not act records nothing either (the
  // etcd journal would refuse it too; this also keeps its own view honest).
  if (options_.owner_check && !check_owner(std::string("journal ") + journal_kind_name(kind)))
    return false;
  auto r = journal_.append({options_.wall_ns(), kind, std::move(fields)});
  if (r.ok()) return true;
  say("JOURNAL WRITE FAILED: " + r.error().message);
  alarms_.raise(chat::AlarmSeverity::Critical,
                "journal write failed (" + r.error().message + "): failover step not taken",
                std::string(interp_.state_name()));
  return false;
}

bool ClusterRuntime::owner_ok(chat::TimePoint now) {
  now_ = now;
  return check_owner("");
}

bool ClusterRuntime::check_owner(const std::string& what) {
  if (!options_.owner_check) return true;
  auto r = options_.owner_check();
  if (r.ok()) {
    if (not_owner_alarmed_) say("this monitor may act for the cluster again");
    not_owner_alarmed_ = false;
    return true;
  }
  if (!what.empty()) say("NOT DONE, not the owner: " + what + " (" + r.error().message + ")");
  if (!not_owner_alarmed_) {
    not_owner_alarmed_ = true;
    say("this monitor may no longer act for the cluster: " + r.error().message);
    alarms_.raise(chat::AlarmSeverity::Critical,
                  "this monitor may no longer act for the cluster (" + r.error().message +
                      "): watching only, no failover step taken",
                  std::string(interp_.state_name()));
  }
  return false;
}

bool ClusterRuntime::owner_may(const std::string& what, const std::string& node,
                               const char* intent) {
  if (!options_.owner_check) return true;
  if (!check_owner(what)) return false;
  if (!intent) return true;
  if (!journal(JournalKind::Note, {{"intent", intent}, {"node", node}})) return false;
  // The record took a round trip to etcd: the deadline again, just before the write.
  return check_owner(what);
}

// --- inputs ------------------------------------------------------------------

void ClusterRuntime::on_console_bytes(std::string_view name, std::string_view bytes,
                                      chat::TimePoint now) {
  if (auto i = roles_.index_of(name)) last_sign_of_life_[*i] = now;  // BCP: a presumed fence
  if (auto c = channel_of(name)) interp_.on_bytes(*c, bytes, now);
  deliver();
}

void ClusterRuntime::on_console_up(std::string_view name, chat::TimePoint now) {
  auto i = roles_.index_of(name);
  if (!i) return;
  Channel c = roles_.channel_of(*i);
  now_ = now;
  say("console " + std::string(name) + " up");
  refused_alarmed_[*i] = false;
  interp_.on_event({chat::EventKind::ConsoleUp, c, 0}, now);
  deliver();
  if (c == Channel::Standby && ask_standby_) {
    ask_standby_ = false;
    if (const NodeSetup* n = node(name); n && n->console &&
                                         owner_may("send to " + n->name, n->name, nullptr) &&
                                         n->console->write("\r")) {
      say("asked " + n->name +
          " for its prompt (CR): a resumed boot may have ended while clusterd was down");
    }
  }
}

void ClusterRuntime::on_console_lost(std::string_view name, std::string_view why,
                                     chat::TimePoint now, bool needs_operator) {
  auto node = roles_.index_of(name);
  if (!node) return;
  std::size_t i = *node;
  Channel c = roles_.channel_of(i);
  now_ = now;
  say("console " + std::string(name) + " lost: " + std::string(why));
  if (needs_operator && !refused_alarmed_[i]) {
    // Whatever the script does with console.lost: an unauthenticated
    // console is never used, so this node can be neither watched nor fenced
    // through it until someone fixes known_hosts or the credentials.
    refused_alarmed_[i] = true;
    alarm(chat::AlarmSeverity::Critical,
          "console of " + std::string(name) + " (" + std::string(chat::channel_name(c)) +
              ") refused: " + std::string(why) +
              "; not used until an operator fixes it: no watch, no fence through this console");
  }
  interp_.on_event({chat::EventKind::ConsoleLost, c, 0}, now);
  deliver();
}

void ClusterRuntime::on_ping(bool up, chat::TimePoint now) {
  now_ = now;
  // The ping level is the active's: its loss bounds when it was last alive.
  last_sign_of_life_[roles_.active()] = now;
  active_ping_down_ = !up;
  say(std::string("ping ") + active() + (up ? " up" : " down"));
  interp_.on_event({up ? chat::EventKind::PingUp : chat::EventKind::PingDown, Channel::Active, 0},
                   now);
  deliver();
}

void ClusterRuntime::on_isolation(bool isolated, chat::TimePoint now) {
  now_ = now;
  say(isolated ? "monitor isolated: reference address unreachable" : "monitor network ok");
  interp_.on_event({isolated ? chat::EventKind::MonitorIsolated : chat::EventKind::MonitorOk,
                    Channel::Active, 0},
                   now);
  deliver();
}

void ClusterRuntime::on_control(chat::EventKind kind, chat::TimePoint now) {
  now_ = now;
  say(std::string("operator: ") + chat::event_name(kind));
  if (kind == chat::EventKind::ControlSwitchover && options_.bcp.enabled) planned_ = true;
  interp_.on_event({kind, Channel::Active, 0}, now);
  deliver();
}

// --- the actuator ----------------------------------------------------------------

void ClusterRuntime::send(Channel ch, std::string_view bytes) {
  const NodeSetup* n = node_of(ch);
  if (!n || !n->console) {
    say("send to " + std::string(chat::channel_name(ch)) + " ignored: no console (" +
        escape(bytes) + ")");
    return;
  }
  if (!owner_may("send to " + n->name, n->name, nullptr)) return;
  bool ok = n->console->write(bytes);
  say("send " + n->name + " \"" + escape(bytes) + "\"" + (ok ? "" : " NOT SENT: console down"));
}

void ClusterRuntime::boot(Channel ch, std::string_view bytes) {
  // The script names its boot (`boot standby`): on disk before it is on the
  // wire, each attempt, so that a restarted clusterd resumes in the state
  // of the latest one and never sends a boot it does not know about.
  const NodeSetup* n = node_of(ch);
  const auto& s = journal_.state();
  std::string refused;
  if (ch != Channel::Standby || !n) {
    refused = "only the standby is booted";
  } else if (!s.fenced.count(active())) {
    refused = "the journal does not record the active " + active() + " fenced";
  } else if (!n->console) {
    refused = "no console";
  }
  if (!refused.empty()) {
    fault("boot of " + (n ? n->name : std::string(chat::channel_name(ch))) +
          " refused, nothing sent: " + refused);
    return;
  }
  if (bcp_hold(ch, bytes, std::nullopt)) return;  // BCP: the failover gate first
  const int attempt = s.boot_attempts + 1;
  if (!journal(JournalKind::BootSent, {{"node", n->name},
                                       {"state", std::string(interp_.state_name())},
                                       {"attempt", std::to_string(attempt)}})) {
    return;
  }
  // The boot-sent record went through the journal (refused to a stale owner
  // in a fleet); the lease deadline once more, just before the bytes.
  if (!owner_may("boot " + n->name, n->name, nullptr)) return;
  bool ok = n->console->write(bytes);
  say("send " + n->name + " \"" + escape(bytes) + "\" (boot, attempt " + std::to_string(attempt) +
      ")" + (ok ? "" : " NOT SENT: console down"));
}

void ClusterRuntime::send_secret(Channel ch, std::string_view name) {
  const NodeSetup* n = node_of(ch);
  if (!n || !n->console) return;
  if (!owner_may("send to " + n->name, n->name, nullptr)) return;
  if (!secrets_) {
    say("secret " + std::string(name) + " not sent: no secrets file");
    return;
  }
  auto value = secrets_->secret(name);
  if (!value.ok()) {
    say("secret not sent: " + value.error().message);
    return;
  }
  bool ok = n->console->write_secret(*value, name);
  say("send " + n->name + " <secret " + std::string(name) + ">" +
      (ok ? "" : " NOT SENT: console down"));
}

void ClusterRuntime::send_break(Channel ch) {
  const NodeSetup* n = node_of(ch);
  if (!n || !n->console) return;
  const std::size_t i = index_of_channel(ch);
  if (!owner_may("BREAK " + n->name, n->name, options_.journal_intents ? "break" : nullptr)) {
    // The script counts it as sent: silence after it proves nothing.
    break_unsent_[i] = true;
    return;
  }
  break_unsent_[i] = false;
  fencing_ = true;
  bool ok = n->console->send_break();
  say("BREAK " + n->name + " (" + n->console->break_method() + ")" + (ok ? "" : " NOT SENT"));
}

void ClusterRuntime::alarm(chat::AlarmSeverity severity, std::string_view text) {
  // The text may carry console bytes ($0): escaped, so the log and
  // `clusterctl timeline` never pass a control sequence to a terminal.
  say(std::string("alarm ") + chat::severity_name(severity) + " \"" + escape(text) + "\"");
  alarms_.raise(severity, std::string(text), std::string(interp_.state_name()));
}

namespace {
std::string shown_argv(const std::vector<std::string>& argv) {
  std::string shown;
  for (const auto& a : argv) shown += (shown.empty() ? "[" : " [") + escape(a) + "]";
  return shown;
}
constexpr std::size_t kPowerOutputKept = 4096;
constexpr std::size_t kTimelineLine = 512;  // an exec's line in the timeline, at most
}  // namespace

void ClusterRuntime::exec(const std::vector<std::string>& argv) {
  if (argv.empty()) return;
  if (!exec_) {
    exec_queue_.push_back(argv);
    start_exec();
    return;
  }
  if (exec_queue_.size() >= options_.exec_queue) {
    fault("exec " + shown_argv(argv) + " refused: " + std::to_string(exec_queue_.size()) +
          " execs already wait behind " + exec_->name);
    return;
  }
  say("exec " + shown_argv(argv) + " queued behind " + exec_->name);
  exec_queue_.push_back(argv);
}

std::optional<std::uint64_t> ClusterRuntime::launch(const std::vector<std::string>& argv,
                                                    Running& r, std::string& why) {
  // Fleet mode: every command (exec, each power step and read-back) is a
  // write to the world; checked when it starts, not only when it was asked for.
  if (options_.owner_check && !check_owner("run " + shown_argv(argv))) {
    why = "this monitor may no longer act for the cluster";
    return std::nullopt;
  }
  const std::uint64_t id = next_id_++;
  if (!commands_.start(id, argv, why)) return std::nullopt;
  r.id = id;
  return id;
}

void ClusterRuntime::start_exec() {
  while (!exec_ && !exec_queue_.empty()) {
    std::vector<std::string> argv = std::move(exec_queue_.front());
    exec_queue_.pop_front();
    Running r;
    r.name = escape(argv[0]);
    r.deadline = now_ + options_.exec_timeout;
    std::string why;
    const std::string shown = shown_argv(argv);
    if (options_.sh_transcript) options_.sh_transcript->record(Direction::Note, "start " + shown);
    if (!launch(argv, r, why)) {
      say("exec " + shown + " failed to start: " + why + "; sh.exit " +
          std::to_string(kExecNotStarted));
      if (options_.sh_transcript) {
        options_.sh_transcript->record(Direction::Note, "exit " + std::to_string(kExecNotStarted));
      }
      pending_.push_back({{chat::EventKind::ShExit, Channel::Sh, kExecNotStarted, ""}, {}});
      continue;
    }
    say("exec " + shown);
    exec_ = std::move(r);
  }
}

// The timeline gets an exec's output a line at a time, escaped, each line
// cut at kTimelineLine bytes.
void ClusterRuntime::exec_output(std::string_view bytes, bool flush) {
  std::string& line = exec_->line;
  for (char c : bytes) {
    if (c == '\n' || c == '\r') {
      if (!line.empty()) say("sh | " + escape(line));
      line.clear();
    } else if (line.size() < kTimelineLine) {
      line += c;
    }
  }
  if (flush && !line.empty()) {
    say("sh | " + escape(line));
    line.clear();
  }
}

void ClusterRuntime::on_command_output(std::uint64_t id, std::string_view bytes,
                                       chat::TimePoint now) {
  now_ = now;
  if (bcp_output(id, bytes)) return;
  if (exec_ && exec_->id == id) {
    if (options_.sh_transcript) options_.sh_transcript->record(Direction::In, bytes);
    exec_output(bytes, false);
    interp_.on_bytes(Channel::Sh, bytes, now);
    deliver();
    return;
  }
  for (auto& job : power_) {
    if (!job || !job->child || job->child->id != id) continue;
    std::string& out = job->child->output;
    out.append(bytes);
    if (out.size() > kPowerOutputKept) out.erase(0, out.size() - kPowerOutputKept);
    return;
  }
}

void ClusterRuntime::on_command_exit(std::uint64_t id, int status, chat::TimePoint now) {
  now_ = now;
  interp_.advance_to(now);
  if (bcp_exit(id, status)) {
    deliver();
    return;
  }
  if (exec_ && exec_->id == id) {
    exec_output("", true);
    const int code = exec_->timed_out ? kExecTimedOut : status;
    say("exec " + exec_->name + " ended: sh.exit " + std::to_string(code) +
        (exec_->timed_out
             ? " (killed: [timeouts] exec " + format_duration(options_.exec_timeout) + " passed)"
             : ""));
    if (options_.sh_transcript) {
      options_.sh_transcript->record(Direction::Note, "exit " + std::to_string(code));
    }
    exec_.reset();
    interp_.on_event({chat::EventKind::ShExit, Channel::Sh, code, ""}, now);
    start_exec();
    deliver();
    return;
  }
  for (std::size_t i = 0; i < power_.size(); ++i) {
    auto& job = power_[i];
    if (!job || !job->child || job->child->id != id) continue;
    power_command_ended(i, status);
    deliver();
    return;
  }
}

void ClusterRuntime::advance_to(chat::TimePoint now) {
  now_ = now;
  check_commands(now);
  interp_.advance_to(now);
  deliver();
  bcp_tick();
}

std::optional<chat::TimePoint> ClusterRuntime::next_deadline() const {
  std::optional<chat::TimePoint> next = interp_.next_deadline();
  auto consider = [&](chat::TimePoint t) {
    if (!next || t < *next) next = t;
  };
  if (exec_ && !exec_->timed_out) consider(exec_->deadline);
  for (const auto& job : power_) {
    if (!job) continue;
    if (job->child && !job->child->timed_out) consider(job->child->deadline);
    if (job->poll_at) consider(*job->poll_at);
    if (!job->child && (job->step == PowerStep::ReadOff || job->step == PowerStep::ReadOn)) {
      consider(job->give_up);
    }
  }
  if (!pending_.empty()) consider(now_);
  if (auto b = bcp_deadline()) consider(*b);
  return next;
}

// Kills what ran past its timeout (its end is still reported, with the
// timeout as its status), and runs the power read-backs that are due.
void ClusterRuntime::check_commands(chat::TimePoint now) {
  if (exec_ && !exec_->timed_out && now >= exec_->deadline) {
    exec_->timed_out = true;
    say("exec " + exec_->name + " still running after [timeouts] exec " +
        format_duration(options_.exec_timeout) + ": killing its process group");
    commands_.kill(exec_->id);
  }
  for (std::size_t i = 0; i < power_.size(); ++i) {
    auto& job = power_[i];
    if (!job) continue;
    if (job->child && !job->child->timed_out && now >= job->child->deadline) {
      job->child->timed_out = true;
      say(job->child->name + " still running after [timeouts] power " +
          format_duration(options_.power_timeout) + ": killing its process group");
      commands_.kill(job->child->id);
      continue;
    }
    if (job->child) continue;
    if (job->poll_at && now >= *job->poll_at) {
      job->poll_at.reset();
      power_step(i);
    }
  }
}

void ClusterRuntime::deliver() {
  while (!pending_.empty()) {
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    chat::Event ev = std::move(p.event);
    if (p.node) ev.channel = roles_.channel_of(*p.node);
    interp_.on_event(ev, now_);
  }
}

void ClusterRuntime::log(std::string_view text) { say("log " + escape(text)); }

bool ClusterRuntime::mark_fenced(Channel ch, chat::FenceHow how, const chat::FenceEvidence& e) {
  const NodeSetup* n = node_of(ch);
  if (!n) return false;
  const bool presumed = how == chat::FenceHow::Presumed;
  if (presumed && !options_.fence.accepts(e)) {
    say("presumed fence of " + n->name + " refused: " + options_.fence.refusal(e));
    return false;
  }
  const std::size_t i = index_of_channel(ch);
  if (presumed && break_unsent_[i]) {
    say("presumed fence of " + n->name +
        " refused: its last BREAK was not sent (this monitor could not act then)");
    return false;
  }
  if (how == chat::FenceHow::Power && (!read_back_off_[i] || power_[i])) {
    say("power fence of " + n->name + " refused: " +
        (power_[i] ? "a power action on it is still running"
                   : "its power was not read back off (power_status) since the last power "
                     "action"));
    return false;
  }
  if (how == chat::FenceHow::Lease) {
    if (auto why = lease_refusal(i, e); !why.empty()) {
      say("lease fence of " + n->name + " refused: " + why);
      return false;
    }
  }
  const char* how_name = presumed                       ? "presumed"
                         : how == chat::FenceHow::Power ? "power"
                         : how == chat::FenceHow::Lease ? "lease"
                                                        : "confirmed";
  if (!journal(JournalKind::FenceConfirmed, {{"node", n->name}, {"how", how_name}})) return false;
  // BCP: when the source stopped writing, for the gate. Confirmed: by now
  // (it answered at its firmware prompt). Presumed off: at its last sign of
  // life (a console byte, or the ping going down), which is the
  // presumption's own premise (unconfirmed_fence = wait makes none).
  if (ch == Channel::Active) {
    fenced_at_ = now_;
    if (presumed && last_sign_of_life_[i]) fenced_at_ = std::min(now_, *last_sign_of_life_[i]);
    // By lease: halted by its keeper, at the latest T (+1 s) after the last
    // renewal that could have reached it; unseen, it may have written until then.
    if (how == chat::FenceHow::Lease) fenced_at_ = std::min(now_, leases_[i].watch.halted_by());
  }
  if (how == chat::FenceHow::Lease) leases_[i].withheld = true;  // until the takeover
  say("fenced " + n->name +
      (presumed ? " (presumed: silent to the CR after its BREAK, console up, ping down)"
       : how == chat::FenceHow::Power ? " (by power: power_status read it back off)"
       : how == chat::FenceHow::Lease
           ? " (by lease: no renewal reached its site's keeper for twice the lease)"
           : " (confirmed)"));
  return true;
}

void ClusterRuntime::takeover() {
  // The interpreter only calls this with the active fenced. The roles swap
  // even if the journal write fails: the node did boot; the alarm says so.
  journal(JournalKind::Takeover, {{"active", standby()}, {"standby", active()}});
  say("takeover: " + standby() + " is active, " + active() + " standby");
  // The fences start again with the new roles (the journal's too): a node
  // read back off before is not fenced by power on that in a later term.
  read_back_off_ = {};
  fenced_at_.reset();
  planned_ = false;
  for (auto& l : leases_) l.withheld = false;
  lease_told_ = false;  // the script forgot the lease level with the roles
  active_ping_down_ = false;
  // Last: the binding's listeners (the daemon's ping, its failover clock)
  // see the new roles with the takeover already journaled.
  roles_.swap();
  // BCP: the new active's site is the source now, the old one receives.
  if (options_.bcp.enabled) bcp_restart_shippers();
}

void ClusterRuntime::power(Channel ch, chat::PowerOp op) {
  const NodeSetup* n = node_of(ch);
  if (!n) return;
  const std::size_t i = index_of_channel(ch);
  const std::string what = std::string("power ") + chat::power_op_name(op) + " " + n->name;
  auto fail_now = [&](const std::string& why) {
    say(what + " failed: " + why);
    pending_.push_back({{chat::EventKind::PowerFailed, ch, 0, what + " failed: " + why}, i});
  };
  if (power_[i]) return fail_now("a power action on it is still running");
  const bool needs_off = op != chat::PowerOp::On, needs_on = op != chat::PowerOp::Off;
  if ((needs_off && n->power_off.empty()) || (needs_on && n->power_on.empty()) ||
      n->power_status.empty()) {
    return fail_now(std::string("no power method configured (") +
                    (needs_off && n->power_off.empty() ? "power_off"
                     : needs_on && n->power_on.empty() ? "power_on"
                                                       : "power_status") +
                    ")");
  }
  if (ch == Channel::Active && needs_on && journal_.state().fenced.count(active())) {
    // The fence holds until the takeover: the standby may be booting from
    // the shared disk, and a server that boots on power-on would join it.
    const std::string why = "refused, nothing run: the journal records the active " + active() +
                            " fenced (until the takeover)";
    fault(what + " " + why);
    return fail_now(why);
  }
  const bool boots = ch == Channel::Standby && needs_on;  // journaled as boot-sent below
  if (!owner_may(what, n->name,
                 options_.journal_intents && !boots ? chat::power_op_name(op) : nullptr)) {
    return fail_now("not run: this monitor may no longer act for the cluster");
  }
  if (boots) {
    // Powering the standby on boots it from the shared disk: the same rule
    // and the same journal record as `boot standby`.
    const auto& s = journal_.state();
    if (!s.fenced.count(active())) {
      const std::string why =
          "refused, nothing run: the journal does not record the active " + active() + " fenced";
      fault(what + " " + why);
      return fail_now(why);
    }
    if (bcp_hold(ch, "", op)) return;  // BCP: the failover gate first
    const int attempt = s.boot_attempts + 1;
    if (!journal(JournalKind::BootSent, {{"node", n->name},
                                         {"state", std::string(interp_.state_name())},
                                         {"attempt", std::to_string(attempt)},
                                         {"how", "power"}})) {
      return fail_now("not run: the journal cannot be written");
    }
    if (!owner_may(what, n->name, nullptr))
      return fail_now("not run: this monitor may no longer act for the cluster");
  }
  say(what);
  if (ch == Channel::Active && needs_off) fencing_ = true;  // a reload waits for it
  read_back_off_[i] = false;
  PowerJob job;
  job.op = op;
  job.step = needs_off ? PowerStep::Off : PowerStep::On;
  power_[i] = std::move(job);
  power_step(i);
}

// Runs the job's current step: a power command, or one power_status.
void ClusterRuntime::power_step(std::size_t i) {
  PowerJob& job = *power_[i];
  const NodeSetup& n = nodes_[i];
  const bool reading = job.step == PowerStep::ReadOff || job.step == PowerStep::ReadOn;
  const auto& argv = job.step == PowerStep::Off  ? n.power_off
                     : job.step == PowerStep::On ? n.power_on
                                                 : n.power_status;
  const char* cmd = job.step == PowerStep::Off  ? "power_off"
                    : job.step == PowerStep::On ? "power_on"
                                                : "power_status";
  Running r;
  r.name = std::string(cmd) + " " + n.name;
  r.deadline = now_ + options_.power_timeout;
  // A power_status ends with its read-back: that one gives up [timeouts]
  // power after the power command ended, whatever is still running then.
  if (reading && job.give_up < r.deadline) r.deadline = job.give_up;
  std::string why;
  if (!launch(argv, r, why)) {
    if (reading && now_ < job.give_up) {
      job.last = cmd + std::string(" could not start: ") + why;
      job.poll_at = now_ + options_.power_poll;
      return;
    }
    return power_done(i, chat::EventKind::PowerFailed,
                      std::string(cmd) + " could not start: " + why);
  }
  job.child = std::move(r);
}

void ClusterRuntime::power_command_ended(std::size_t i, int status) {
  PowerJob& job = *power_[i];
  Running r = std::move(*job.child);
  job.child.reset();
  // The last line of the command's output, for the timeline and reasons.
  std::string out = r.output;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  std::string last =
      out.substr(out.find_last_of("\r\n") == std::string::npos ? 0 : out.find_last_of("\r\n") + 1);
  if (last.size() > kTimelineLine) last.resize(kTimelineLine);
  const std::string said = last.empty() ? "" : ": \"" + escape(last) + "\"";
  if (r.timed_out) {
    say(r.name + " killed after [timeouts] power" + said);
  } else {
    say(r.name + " exited " + std::to_string(status) + said);
  }
  const NodeSetup& n = nodes_[i];
  switch (job.step) {
    case PowerStep::Off:
    case PowerStep::On: {
      if (r.timed_out || status != 0) {
        return power_done(i, chat::EventKind::PowerFailed,
                          r.name +
                              (r.timed_out ? " did not end within [timeouts] power"
                                           : " exited " + std::to_string(status)) +
                              said);
      }
      job.step = job.step == PowerStep::Off ? PowerStep::ReadOff : PowerStep::ReadOn;
      job.give_up = now_ + options_.power_timeout;
      return power_step(i);
    }
    case PowerStep::ReadOff:
    case PowerStep::ReadOn: {
      const bool want_off = job.step == PowerStep::ReadOff;
      const RE2 off(n.power_status_off), on(n.power_status_on);
      const bool reads_off = status == 0 && !r.timed_out && RE2::PartialMatch(r.output, off);
      const bool reads_on = status == 0 && !r.timed_out && RE2::PartialMatch(r.output, on);
      if (job.resume_check && reads_off && !reads_on) {
        job.resume_check = false;
        say("power_status " + n.name + " reads off: the journaled boot never ran; powering it on");
        job.step = PowerStep::On;
        return power_step(i);
      }
      if (want_off ? (reads_off && !reads_on) : (reads_on && !reads_off)) {
        if (want_off) {
          read_back_off_[i] = true;
          if (job.op == chat::PowerOp::Cycle) {
            say("power_status " + n.name + " reads off; powering it on (cycle)");
            job.step = PowerStep::On;
            return power_step(i);
          }
          return power_done(i, chat::EventKind::PowerOff, "");
        }
        read_back_off_[i] = false;
        return power_done(i, chat::EventKind::PowerOn, "");
      }
      job.last = r.timed_out ? "power_status did not end"
                 : status != 0
                     ? "power_status exited " + std::to_string(status) + said
                     : "power_status said" + (said.empty() ? std::string(" nothing") : said);
      if (now_ + options_.power_poll >= job.give_up) {
        return power_done(i, chat::EventKind::PowerFailed,
                          "power of " + n.name + " not read back " + (want_off ? "off" : "on") +
                              " within [timeouts] power " +
                              format_duration(options_.power_timeout) + " (" + job.last + ")");
      }
      job.poll_at = now_ + options_.power_poll;
      return;
    }
  }
}

void ClusterRuntime::power_done(std::size_t i, chat::EventKind result, std::string why) {
  const chat::PowerOp op = power_[i]->op;
  power_[i].reset();
  const NodeSetup& n = nodes_[i];
  if (result == chat::EventKind::PowerOff) say("power " + n.name + " read back off");
  if (result == chat::EventKind::PowerOn) say("power " + n.name + " read back on");
  if (result == chat::EventKind::PowerFailed) {
    read_back_off_[i] = false;
    why = std::string("power ") + chat::power_op_name(op) + " " + n.name + " failed: " + why;
    say(why);
  }
  pending_.push_back({{result, roles_.channel_of(i), 0, std::move(why)}, i});
}

void ClusterRuntime::fingerprint(Fingerprint& f, chat::TimePoint now) const {
  interp_.fingerprint(f, now, options_.fence.silence);
  f.add(roles_.active());
  const JournalState& j = journal_.state();
  f.add(std::string_view(j.active));
  f.add(j.fenced.size());
  for (const auto& n : j.fenced) f.add(std::string_view(n));
  f.add(std::string_view(j.boot_sent_to));
  f.add(std::string_view(j.boot_state));
  f.add_int(j.boot_attempts);
  f.add_bool(j.boot_by_power);
  f.add_bool(fencing_);
  f.add_bool(ask_standby_);
  auto running = [&](const std::optional<Running>& r) {
    f.add_bool(r.has_value());
    if (!r) return;
    f.add(std::string_view(r->name));
    f.add_time(r->deadline, now);
    f.add_bool(r->timed_out);
    f.add(std::string_view(r->line));
    f.add(std::string_view(r->output));
  };
  running(exec_);
  f.add(exec_queue_.size());
  for (const auto& argv : exec_queue_)
    for (const auto& a : argv) f.add(std::string_view(a));
  for (const auto& job : power_) {
    f.add_bool(job.has_value());
    if (!job) continue;
    f.add_int(static_cast<int>(job->op));
    f.add_int(static_cast<int>(job->step));
    f.add_time(job->give_up, now);
    f.add_time(job->poll_at, now);
    running(job->child);
    f.add(std::string_view(job->last));
    f.add_bool(job->resume_check);
  }
  for (bool b : read_back_off_) f.add_bool(b);
  for (bool b : refused_alarmed_) f.add_bool(b);
  f.add(pending_.size());
}

void ClusterRuntime::entered(const chat::StateChange& c) {
  if (c.to == initial_) {
    fencing_ = false;
    planned_ = false;  // a switchover the script did not carry out is forgotten
  }
  std::string text = "state " + std::string(interp_.state_name());
  if (!c.trigger.empty()) text += " <- " + c.trigger;
  if (!c.matched.empty()) text += " matched \"" + escape(c.matched) + "\"";
  timeline_(c.at, text);
}

void ClusterRuntime::fault(std::string_view what) {
  say("FAULT " + std::string(what));
  alarms_.raise(chat::AlarmSeverity::Critical, "script fault: " + std::string(what),
                std::string(interp_.state_name()));
}

}  // namespace clusterd
