#include "clusterd/runtime.h"

#include <chrono>

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
}

void ClusterRuntime::start(chat::TimePoint now) {
  now_ = now;
  const auto& s = journal_.state();
  if (s.active.empty()) journal(JournalKind::Roles, {{"active", active()}, {"standby", standby()}});
  say("roles: " + active() + " active, " + standby() + " standby");
  if (s.boot_in_flight() && !s.boot_state.empty()) {
    // A previous clusterd sent the boot and died before the takeover: wait
    // for that boot where it was sent, never send another.
    bool fenced = s.fenced.count(active()) > 0;
    say("resuming the failover: the boot was already sent to " + s.boot_sent_to + " in state " +
        s.boot_state + "; waiting for it, not sending it again");
    if (interp_.resume(s.boot_state, fenced, now)) {
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
  auto r = journal_.append({options_.wall_ns(), kind, std::move(fields)});
  if (r.ok()) return true;
  say("JOURNAL WRITE FAILED: " + r.error().message);
  alarms_.raise(chat::AlarmSeverity::Critical,
                "journal write failed (" + r.error().message + "): failover step not taken",
                std::string(interp_.state_name()));
  return false;
}

// --- inputs ------------------------------------------------------------------

void ClusterRuntime::on_console_bytes(std::string_view name, std::string_view bytes,
                                      chat::TimePoint now) {
  if (auto c = channel_of(name)) interp_.on_bytes(*c, bytes, now);
}

void ClusterRuntime::on_console_up(std::string_view name, chat::TimePoint now) {
  auto i = roles_.index_of(name);
  if (!i) return;
  Channel c = roles_.channel_of(*i);
  now_ = now;
  say("console " + std::string(name) + " up");
  refused_alarmed_[*i] = false;
  interp_.on_event({chat::EventKind::ConsoleUp, c, 0}, now);
  if (c == Channel::Standby && ask_standby_) {
    ask_standby_ = false;
    if (const NodeSetup* n = node(name); n && n->console && n->console->write("\r")) {
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
}

void ClusterRuntime::on_ping(bool up, chat::TimePoint now) {
  now_ = now;
  say(std::string("ping ") + active() + (up ? " up" : " down"));
  interp_.on_event({up ? chat::EventKind::PingUp : chat::EventKind::PingDown, Channel::Active, 0},
                   now);
}

void ClusterRuntime::on_isolation(bool isolated, chat::TimePoint now) {
  now_ = now;
  say(isolated ? "monitor isolated: reference address unreachable" : "monitor network ok");
  interp_.on_event({isolated ? chat::EventKind::MonitorIsolated : chat::EventKind::MonitorOk,
                    Channel::Active, 0},
                   now);
}

void ClusterRuntime::on_control(chat::EventKind kind, chat::TimePoint now) {
  now_ = now;
  say(std::string("operator: ") + chat::event_name(kind));
  interp_.on_event({kind, Channel::Active, 0}, now);
}

// --- the actuator ----------------------------------------------------------------

void ClusterRuntime::send(Channel ch, std::string_view bytes) {
  const NodeSetup* n = node_of(ch);
  if (!n || !n->console) {
    say("send to " + std::string(chat::channel_name(ch)) + " ignored: no console (" +
        escape(bytes) + ")");
    return;
  }
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
  const int attempt = s.boot_attempts + 1;
  if (!journal(JournalKind::BootSent, {{"node", n->name},
                                       {"state", std::string(interp_.state_name())},
                                       {"attempt", std::to_string(attempt)}})) {
    return;
  }
  bool ok = n->console->write(bytes);
  say("send " + n->name + " \"" + escape(bytes) + "\" (boot, attempt " + std::to_string(attempt) +
      ")" + (ok ? "" : " NOT SENT: console down"));
}

void ClusterRuntime::send_secret(Channel ch, std::string_view name) {
  const NodeSetup* n = node_of(ch);
  if (!n || !n->console) return;
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

void ClusterRuntime::exec(const std::vector<std::string>& argv) {
  std::string shown;
  for (const auto& a : argv) shown += (shown.empty() ? "[" : " [") + escape(a) + "]";
  say("exec " + shown);
  commands_.run(argv);
}

void ClusterRuntime::log(std::string_view text) { say("log " + escape(text)); }

bool ClusterRuntime::mark_fenced(Channel ch, bool presumed, const chat::FenceEvidence& e) {
  const NodeSetup* n = node_of(ch);
  if (!n) return false;
  if (presumed && !options_.fence.accepts(e)) {
    say("presumed fence of " + n->name + " refused: " + options_.fence.refusal(e));
    return false;
  }
  if (!journal(JournalKind::FenceConfirmed,
               {{"node", n->name}, {"how", presumed ? "presumed" : "confirmed"}})) {
    return false;
  }
  say("fenced " + n->name +
      (presumed ? " (presumed: silent to the CR after its BREAK, console up, ping down)"
                : " (confirmed)"));
  return true;
}

void ClusterRuntime::takeover() {
  // The interpreter only calls this with the active fenced. The roles swap
  // even if the journal write fails: the node did boot; the alarm says so.
  journal(JournalKind::Takeover, {{"active", standby()}, {"standby", active()}});
  say("takeover: " + standby() + " is active, " + active() + " standby");
  // Last: the binding's listeners (the daemon's ping, its failover clock)
  // see the new roles with the takeover already journaled.
  roles_.swap();
}

void ClusterRuntime::power(Channel ch, chat::PowerOp op) {
  const NodeSetup* n = node_of(ch);
  if (!n) return;
  const auto& argv = op == chat::PowerOp::On ? n->power_on : n->power_off;
  if (argv.empty()) {
    say(std::string("power ") + chat::power_op_name(op) + " " + n->name +
        ": no power method configured");
    return;
  }
  say(std::string("power ") + chat::power_op_name(op) + " " + n->name);
  commands_.run(argv);
}

void ClusterRuntime::entered(const chat::StateChange& c) {
  if (c.to == initial_) fencing_ = false;
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
