#include "clusterd/daemon.h"

#include <signal.h>
#include <sys/stat.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "alarm/service.h"
#include "base/escape.h"
#include "base/rotating_file.h"
#include "clusterd/alarm_bridge.h"
#include "clusterd/child_runner.h"
#include "clusterd/control.h"
#include "clusterd/control_protocol.h"
#include "clusterd/failover_clock.h"
#include "clusterd/instance_files.h"
#include "clusterd/journal.h"
#include "clusterd/metrics.h"
#include "clusterd/metrics_server.h"
#include "clusterd/runtime.h"
#include "clusterd/status.h"
#include "clusterd/timeline.h"
#include "tty/transcript_writer.h"

namespace clusterd {

namespace asio = boost::asio;

namespace {

Result<void> make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return {};
  return Error::io(path + ": " + std::strerror(errno));
}

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

std::vector<asio::ip::address> parse_addresses(const std::vector<std::string>& text) {
  std::vector<asio::ip::address> out;
  for (const auto& a : text) {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(a, ec);
    if (!ec) out.push_back(addr);
  }
  return out;
}

}  // namespace

struct Daemon::Impl : ControlTarget {
  Impl(asio::io_context& i, const clist::ClusterConfig& c, const chat::LoadedScript& s,
       DaemonPaths p, DaemonPorts ports)
      : io(i),
        cfg(c),
        script(s),
        paths(std::move(p)),
        world(std::move(ports)),
        children(i, SIGCHLD),
        runner(i, {.output =
                       [this](std::uint64_t id, std::string_view b) {
                         if (!runtime) return;
                         runtime->on_command_output(id, b, now());
                         after_input();
                       },
                   .exited =
                       [this](std::uint64_t id, int status) {
                         if (!runtime) return;
                         runtime->on_command_exit(id, status, now());
                         after_input();
                       }}) {}

  chat::TimePoint now() const { return world.clock->now(); }
  void say(const std::string& text) { timeline->add(text); }

  // One wake-up for the runtime and the alarm service: the earliest deadline.
  void rearm() {
    std::optional<chat::TimePoint> next = runtime ? runtime->next_deadline() : std::nullopt;
    if (alarms) {
      auto a = alarms->next_deadline();
      if (a && (!next || *a < *next)) next = a;
    }
    if (!next) return;
    if (armed && *armed == *next) return;
    armed = next;
    world.waker->wake_at(*next, [this] {
      armed.reset();
      auto t = now();
      if (runtime) runtime->advance_to(t);
      if (alarms) alarms->tick(t);
      after_input();
    });
  }

  bool at_initial() const {
    const auto& prog = *script.program;
    return runtime->state() == prog.states[static_cast<std::size_t>(prog.initial)].name;
  }

  // Where every input ends: the failover clock sees the state, conditions
  // resolve once the script rests in its initial state, the timer re-arms.
  void after_input() {
    if (runtime) {
      bool rest = at_initial();
      failover_clock.after_input(rest, now());
      if (rest) bridge->rest();
    }
    rearm();
  }

  // The role binding's announcement: ping follows the new active node.
  void on_takeover(const RoleBinding& roles) {
    if (auto d = failover_clock.takeover(now())) {
      say("failover: " + format_duration(*d) + " from leaving state " +
          std::string(
              script.program->states[static_cast<std::size_t>(script.program->initial)].name) +
          " to the takeover");
    }
    if (ping) {
      ping->retarget(parse_addresses(cfg.nodes[roles.active()].addresses));
      say("ping now probes " + roles.active_name());
    }
  }

  void wait_children() {
    children.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      runner.reap();
      wait_children();
    });
  }

  // --- ControlTarget ---
  std::string status(bool json) const override {
    StatusView v;
    v.cluster = cfg.name;
    v.state = std::string(runtime->state());
    const RoleBinding& r = runtime->roles();
    v.active = r.active_name();
    v.standby = r.standby_name();
    auto console_state = [&](std::size_t node) {
      return consoles[node] ? (consoles[node]->is_up() ? "up" : "down") : "?";
    };
    v.console_active = console_state(r.active());
    v.console_standby = console_state(r.standby());
    if (ping) {
      PingReading p = ping->reading();
      v.ping = probe::reach_name(p.level);
      if (p.rtt) v.rtt = probe::format_rtt(*p.rtt);
      v.isolated = p.isolated;
    }
    v.failovers = journal->state().takeovers;
    v.last_alarm = bridge->last();
    if (const repl::Tracker* t = runtime->bcp_tracker()) {
      auto st = t->status(now(), world.wall_ns());
      v.bcp_json = runtime->bcp_json(now());
      char line[300];
      std::snprintf(
          line, sizeof line,
          "epoch %llu, replica %llu of %llu records (lag %.1f s, %llu bytes), replica age "
          "%.1f s, peak %.1f records/s%s%s",
          static_cast<unsigned long long>(st.epoch),
          static_cast<unsigned long long>(st.replica.records),
          static_cast<unsigned long long>(st.head.records), st.lag_s,
          static_cast<unsigned long long>(st.lag_bytes), st.replica_age_s, st.rate_per_s,
          st.replica_in_future ? ", REPLICA DATED IN THE FUTURE" : "",
          st.diverged ? ", DIVERGED" : "");
      v.bcp_text = line;
      if (!st.last_error.empty()) v.bcp_text += "; last error: " + escape(st.last_error);
    }
    return json ? render_status_json(v) : render_status_text(v);
  }

  // Reads only what is in memory: a scrape costs no I/O.
  std::string metrics() const override {
    metrics::ClusterMetrics m;
    m.cluster = cfg.name;
    if (runtime) m.state = std::string(runtime->state());
    for (std::size_t i = 0; i < 2; ++i) {
      m.nodes[i].name = cfg.nodes[i].name;
      m.nodes[i].active = runtime && runtime->roles().active() == i;
      m.nodes[i].console_up = consoles[i] && consoles[i]->is_up();
    }
    if (ping) {
      PingReading p = ping->reading();
      m.ping_up = p.level == probe::Reach::Up;
      m.ping_probes = p.probes;
      m.ping_lost = p.lost;
      if (p.probe_rtt) m.ping_rtt_seconds = seconds(*p.probe_rtt);
    }
    m.failovers = static_cast<std::uint64_t>(journal->state().takeovers);
    if (alarms) {
      for (const auto& e : alarms->deliverer().pending()) {
        if (e.notification.kind != alarm::NoticeKind::Heartbeat) ++m.alarms_pending;
      }
    }
    m.alarms_raised = bridge->raised();
    if (auto d = failover_clock.last()) m.last_takeover_duration_seconds = seconds(*d);
    if (const repl::Tracker* t = runtime ? runtime->bcp_tracker() : nullptr) {
      auto st = t->status(now(), world.wall_ns());
      metrics::BcpMetrics b;
      b.lag_seconds = st.lag_s;
      b.lag_records = st.lag_records;
      b.lag_bytes = st.lag_bytes;
      if (st.have_replica && st.replica.time_ns != 0) b.replica_age_seconds = st.replica_age_s;
      b.epoch = st.epoch;
      b.gate_held = runtime->bcp_held();
      b.replica_in_future = st.replica_in_future;
      b.diverged = st.diverged;
      m.bcp = b;
    }
    return metrics::render(m);
  }

  std::string timeline_last(std::size_t n) const override { return timeline->last(n); }
  std::string timeline_since(std::int64_t cutoff) const override { return timeline->since(cutoff); }
  std::int64_t wall_ns() const override { return world.wall_ns(); }
  void switchover() override {
    runtime->on_control(chat::EventKind::ControlSwitchover, now());
    after_input();
  }
  bool bcp() const override { return cfg.bcp.enabled; }
  void maintenance() override {
    runtime->on_control(chat::EventKind::ControlMaintenance, now());
    after_input();
  }
  std::string alarms_text() const {
    std::string out;
    for (const auto& l : alarms->list()) {
      out += l.status.alarm.id + "\t" + std::string(alarm::severity_name(l.status.alarm.severity)) +
             "\t" + l.delivery + "\t" + escape(l.status.alarm.text) + "\n";
    }
    return out;
  }
  std::string alarm_list() const override { return alarms_text(); }
  bool ack(std::string_view id) override { return alarms->ack(id, now()); }
  std::optional<std::string> reload() override {
    if (!reload_fn) return std::nullopt;
    return reload_fn();
  }
  std::string accept_loss() override {
    std::string why;
    if (!runtime->accept_loss(now(), why)) return "error: " + why;
    after_input();
    return "ok the held failover goes on with the loss the alarm stated";
  }
  bool idle() const override {
    const Impl& d = *this;
    const auto& js = d.journal->state();
    // A standby held at ok (fenced by the script) is no failover under way;
    // a fenced active is, until its takeover. An exec or a power action that
    // runs would be killed by the restart (a clean shutdown, a power-off not
    // read back yet).
    return d.runtime && !d.runtime->fencing() && !d.runtime->commands_running() &&
           !js.boot_in_flight() && !js.fenced.count(js.active);
  }

  asio::io_context& io;
  const clist::ClusterConfig& cfg;
  const chat::LoadedScript& script;
  DaemonPaths paths;
  DaemonPorts world;
  asio::signal_set children;
  ChildRunner runner;
  std::optional<chat::TimePoint> armed;
  SecretMap no_secrets;
  std::unique_ptr<InstanceFiles> instance;
  std::unique_ptr<Timeline> timeline;
  std::unique_ptr<Journal> journal;
  std::unique_ptr<alarm::AlarmService> alarms;
  std::unique_ptr<AlarmBridge> bridge;
  std::array<std::unique_ptr<tty::TranscriptWriter>, 2> transcripts;
  std::unique_ptr<tty::TranscriptWriter> sh_transcript;   // Logs/NAME.sh: exec output
  std::array<std::unique_ptr<tty::Console>, 2> consoles;  // config order, as the runtime's nodes
  std::unique_ptr<PingSource> ping;
  std::unique_ptr<ClusterRuntime> runtime;
  std::unique_ptr<ControlServer> control_server;
  std::unique_ptr<MetricsServer> metrics_server;  // [metrics] listen; null: off
  FailoverClock failover_clock;
  std::function<std::string()> reload_fn;
  bool fleet = false;                  // DaemonFleet given: owner checks, journal in etcd
  std::array<bool, 2> fleet_closed{};  // consoles closed because this monitor is not the owner
  // Set when the daemon is gone: a delivery result posted from a worker
  // thread just before must not touch it.
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
};

Daemon::Daemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Daemon::~Daemon() { stop(); }

Result<std::unique_ptr<Daemon>> Daemon::create(asio::io_context& io,
                                               const clist::ClusterConfig& cfg,
                                               const chat::LoadedScript& script, DaemonPaths paths,
                                               DaemonPorts ports, DaemonFleet fleet) {
  if (!ports.clock) ports = real_ports(io);
  auto impl = std::make_unique<Impl>(io, cfg, script, paths, std::move(ports));
  Impl& d = *impl;
  for (const auto& dir : {paths.log_dir(), paths.run_dir(), paths.state_dir(), paths.spool_dir()}) {
    if (auto r = make_dir(dir, 0750); !r.ok()) return r.error();
  }
  auto inst = InstanceFiles::lock(paths.run_dir(), cfg.name);
  if (!inst.ok()) return inst.error();
  d.instance = std::move(inst.value());

  std::string log_path = paths.log_dir() + "/" + cfg.name + ".log";
  auto lf = RotatingFile::open({.path = log_path, .max_bytes = 64ull << 20, .keep = 5});
  if (!lf.ok()) return Error::io(lf.error().message + " (the activity log)");
  d.timeline = std::make_unique<Timeline>(std::move(lf.value()), d.world.wall_ns);

  std::vector<std::string> warnings;
  d.fleet = fleet.owner_check != nullptr;
  auto j = fleet.journal
               ? Journal::open_store(std::move(fleet.journal), &warnings)
               : Journal::open(paths.state_dir() + "/" + cfg.name + ".journal", &warnings);
  if (!j.ok()) return j.error();
  d.journal = std::move(j.value());
  for (const auto& w : warnings) d.say("journal: " + w);

  const SecretSource& secrets =
      cfg.secrets ? static_cast<const SecretSource&>(*cfg.secrets) : d.no_secrets;
  alarm::ServiceOptions aopt;
  aopt.spool_dir = paths.spool_dir() + "/" + cfg.name;
  aopt.wall_clock = d.world.wall_ns;
  // From the service's worker threads: over to the daemon's thread.
  aopt.on_event = [&d, alive = std::weak_ptr<bool>(d.alive)](const alarm::DeliveryEvent& e) {
    d.world.post([&d, alive, e] {
      if (alive.lock()) d.bridge->delivered(e);
    });
  };
  auto svc = alarm::AlarmService::create(cfg.alarms, secrets, aopt, d.now());
  if (!svc.ok()) return Error::invalid("alarms: " + svc.error().message);
  d.alarms = std::move(svc.value());
  d.bridge = std::make_unique<AlarmBridge>(
      AlarmBridge::Context{.cluster = cfg.name,
                           .now = [&d] { return d.now(); },
                           .wall_ns = d.world.wall_ns,
                           .active_node = [&d] { return d.runtime ? d.runtime->active() : ""; }},
      d.alarms.get(), *d.timeline);

  // Consoles, in config order; handlers reach the runtime by node name.
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& node = cfg.nodes[i];
    auto w = tty::TranscriptWriter::open(
        {.path = paths.log_dir() + "/" + cfg.name + "." + node.name + ".console",
         .header = "# clusterd transcript v1 cluster=" + cfg.name + " node=" + node.name});
    if (!w.ok()) return w.error();
    d.transcripts[i] = std::move(w.value());
    std::string name = node.name;
    tty::ConsoleHandlers h;
    h.on_bytes = [&d, name](std::string_view b) {
      if (!d.runtime) return;
      d.runtime->on_console_bytes(name, b, d.now());
      d.after_input();
    };
    h.on_up = [&d, name] {
      if (!d.runtime) return;
      d.runtime->on_console_up(name, d.now());
      d.after_input();
    };
    h.on_lost = [&d, name, i](tty::LostReason r, const std::string& detail, Duration retry) {
      if (!d.runtime) return;
      if (d.fleet && !d.runtime->owner_ok(d.now())) {
        // Another monitor owns the cluster now and seized this console:
        // reconnecting would cut it off. Reopened by fleet_tick().
        d.fleet_closed[i] = true;
        d.say("console " + name + " lost and left closed: this monitor is not the owner now");
        d.world.post([&d, i, alive = std::weak_ptr<bool>(d.alive)] {
          if (alive.lock() && d.fleet_closed[i]) d.consoles[i]->close();
        });
      }
      d.runtime->on_console_lost(name,
                                 std::string(tty::lost_reason_name(r)) + ": " + detail +
                                     " (retry in " + format_duration(retry) + ")",
                                 d.now(),
                                 r == tty::LostReason::HostKey || r == tty::LostReason::AuthFailed);
      d.after_input();
    };
    d.consoles[i] = d.world.make_console(
        node, std::move(h), {.io = &io, .transcript = d.transcripts[i].get(), .secrets = &secrets});
  }

  auto p = d.world.make_ping(cfg.ping, [&d](probe::ProbeEvent e, const std::string& detail) {
    if (!d.runtime) return;
    auto t = d.now();
    d.say(std::string(probe::probe_event_name(e)) + " " + detail);
    switch (e) {
      case probe::ProbeEvent::PingDown:
        d.runtime->on_ping(false, t);
        break;
      case probe::ProbeEvent::PingUp:
        d.runtime->on_ping(true, t);
        break;
      case probe::ProbeEvent::MonitorIsolated:
        d.runtime->on_isolation(true, t);
        break;
      case probe::ProbeEvent::MonitorOk:
        d.runtime->on_isolation(false, t);
        break;
    }
    d.after_input();
  });
  if (!p.ok()) return p.error();
  d.ping = std::move(p.value());

  auto shw = tty::TranscriptWriter::open(
      {.path = paths.log_dir() + "/" + cfg.name + ".sh",
       .header = "# clusterd transcript v1 cluster=" + cfg.name + " channel=sh"});
  if (!shw.ok()) return shw.error();
  d.sh_transcript = std::move(shw.value());

  RuntimeOptions ro;
  ro.exec_timeout = cfg.timeouts.exec;
  ro.power_timeout = cfg.timeouts.power;
  ro.sh_transcript = d.sh_transcript.get();
  ro.fence.allow_presumed = cfg.policy.unconfirmed_fence == clist::UnconfirmedFence::Takeover;
  ro.fence.silence = cfg.timeouts.confirm_window;
  ro.wall_ns = d.world.wall_ns;
  ro.owner_check = fleet.owner_check;
  ro.journal_intents = d.fleet;
  if (cfg.bcp.enabled) {
    ro.bcp.enabled = true;
    ro.bcp.observe = cfg.bcp.observe;
    ro.bcp.gate.max_loss = cfg.bcp.max_loss;
    ro.bcp.gate.gate_timeout = cfg.bcp.gate_timeout;
    ro.bcp.drain = cfg.bcp.drain;
    ro.bcp.lag_alarm = cfg.bcp.lag_alarm;
    ro.bcp.promote_timeout = cfg.timeouts.power;
    for (std::size_t i = 0; i < 2; ++i)
      ro.bcp.nodes[i] = {cfg.nodes[i].ship_serve, cfg.nodes[i].ship_receive,
                         cfg.nodes[i].ship_promote, cfg.nodes[i].ship_renew};
    ro.bcp.lease = cfg.bcp.site_isolation_lease;
    ro.bcp.lease_term = cfg.bcp.lease;
  }
  // The journal's roles, when it has them, win over the config's.
  ro.initial_active = cfg.nodes[0].name == cfg.active().name ? 0 : 1;
  std::array<NodeSetup, 2> nodes;
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& n = cfg.nodes[i];
    nodes[i] = NodeSetup{n.name,         d.consoles[i].get(), n.power_off,      n.power_on,
                         n.power_status, n.power_status_off,  n.power_status_on};
  }
  d.runtime = std::make_unique<ClusterRuntime>(
      *script.program, *d.journal, nodes, *d.bridge, d.runner, &secrets, ro,
      [&d](chat::TimePoint, std::string_view text) { d.timeline->add(text); });
  d.runtime->roles().on_change([&d](const RoleBinding& r) { d.on_takeover(r); });

  if (d.world.control_socket) {
    auto ctl =
        ControlServer::start(io, paths.run_dir() + "/" + cfg.name + ".sock",
                             [&d](const std::string& req) { return answer_control(req, d); });
    if (!ctl.ok()) return ctl.error();
    d.control_server = std::move(ctl.value());
  }
  if (cfg.metrics.enabled()) {
    auto ms = MetricsServer::start(io, cfg.metrics.address, cfg.metrics.port,
                                   [&d] { return d.metrics(); });
    if (!ms.ok()) return ms.error();
    d.metrics_server = std::move(ms.value());
  }
  if (auto r = d.instance->write_pid(); !r.ok()) return r.error();
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

void Daemon::start() {
  Impl& d = *impl_;
  d.say("clusterd " + d.cfg.name + " starting: script " + d.cfg.script);
  for (std::size_t i = 0; i < 2; ++i) {
    d.say("console " + d.cfg.nodes[i].name + ": " + d.cfg.nodes[i].console_uri +
          "; BREAK: " + d.consoles[i]->break_method());
  }
  d.say("ping: " + d.ping->describe());
  d.wait_children();
  for (const auto& problem : d.alarms->start()) d.say("alarm spool: " + problem);
  d.runtime->start(d.now());
  // A failover resumed from the journal is under way already: not a new one.
  d.failover_clock.started(d.at_initial());
  if (d.metrics_server) d.say("metrics: http://" + d.cfg.metrics.listen + "/metrics");
  const RoleBinding& roles = d.runtime->roles();
  d.ping->start(parse_addresses(d.cfg.nodes[roles.active()].addresses),
                d.cfg.ping.reference.empty()
                    ? std::vector<asio::ip::address>{}
                    : std::vector<asio::ip::address>{asio::ip::make_address(d.cfg.ping.reference)});
  for (auto& c : d.consoles) c->open();
  d.after_input();
}

void Daemon::fleet_tick() {
  Impl& d = *impl_;
  if (!d.fleet || !d.runtime) return;
  if (!d.runtime->owner_ok(d.now())) {
    // A console waiting to reconnect would take the port from a new owner:
    // it waits closed until this monitor may act again.
    for (std::size_t i = 0; i < 2; ++i) {
      if (d.fleet_closed[i] || d.consoles[i]->is_up()) continue;
      d.fleet_closed[i] = true;
      d.consoles[i]->close();
      d.say("console " + d.cfg.nodes[i].name + " closed: this monitor may not act now");
    }
    return;
  }
  for (std::size_t i = 0; i < 2; ++i) {
    if (!d.fleet_closed[i]) continue;
    d.fleet_closed[i] = false;
    d.say("console " + d.cfg.nodes[i].name + " reopened: this monitor may act again");
    d.consoles[i]->open();
  }
  d.after_input();
}

void Daemon::stop() {
  if (!impl_) return;
  Impl& d = *impl_;
  d.say("clusterd " + d.cfg.name + " stopping (nothing is sent to the nodes)");
  *d.alive = false;
  d.alive.reset();
  d.world.waker->cancel();
  boost::system::error_code ignored;
  d.children.cancel(ignored);
  if (d.ping) d.ping->stop();
  for (auto& c : d.consoles) {
    if (c) c->close();
  }
  if (d.alarms) d.alarms->stop();
  d.control_server.reset();
  d.metrics_server.reset();
  d.instance->remove_pid();
  d.runtime.reset();
  impl_.reset();
}

std::string Daemon::status(bool json) const { return impl_->status(json); }
std::string Daemon::metrics() const { return impl_->metrics(); }
std::string Daemon::control(std::string_view request) { return answer_control(request, *impl_); }
void Daemon::note(const std::string& text) { impl_->say(text); }
void Daemon::reopen_logs() {
  Impl& d = *impl_;
  std::string problems = d.timeline->reopen();
  if (!problems.empty()) problems = " " + problems;
  for (auto* t : {d.transcripts[0].get(), d.transcripts[1].get(), d.sh_transcript.get()}) {
    if (!t) continue;
    if (auto r = t->reopen(); !r.ok()) problems += " " + r.error().message;
  }
  d.say(problems.empty() ? "logs reopened (SIGUSR1)"
                         : "logs reopened (SIGUSR1) with errors:" + problems);
}
void Daemon::set_reload(std::function<std::string()> reload) {
  impl_->reload_fn = std::move(reload);
}
bool Daemon::idle() const { return impl_->idle(); }
std::string Daemon::timeline(std::size_t last) const { return impl_->timeline->last(last); }

}  // namespace clusterd
