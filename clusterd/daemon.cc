#include "clusterd/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "alarm/service.h"
#include "base/child_env.h"
#include "base/escape.h"
#include "base/rotating_file.h"
#include "base/timestamp.h"
#include "clusterd/control.h"
#include "clusterd/journal.h"
#include "clusterd/metrics.h"
#include "clusterd/metrics_probe.h"
#include "clusterd/metrics_server.h"
#include "clusterd/runtime.h"
#include "probe/detector.h"
#include "probe/icmp_prober.h"
#include "probe/tcp_prober.h"
#include "tty/console.h"
#include "tty/transcript_writer.h"

namespace clusterd {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

std::int64_t wall_ns() {
  return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
}

Result<bool> make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return true;
  return Error::io(path + ": " + std::strerror(errno));
}

alarm::Severity to_alarm(chat::AlarmSeverity s) {
  switch (s) {
    case chat::AlarmSeverity::Notice:
      return alarm::Severity::Notice;
    case chat::AlarmSeverity::Warning:
      return alarm::Severity::Warning;
    case chat::AlarmSeverity::Critical:
      return alarm::Severity::Critical;
  }
  return alarm::Severity::Critical;
}

// Runs commands without a shell; the exit is logged when SIGCHLD says so.
class SpawnRunner : public CommandRunner {
 public:
  explicit SpawnRunner(std::function<void(const std::string&)> say) : say_(std::move(say)) {}
  void run(const std::vector<std::string>& argv) override {
    if (argv.empty()) return;
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid = 0;
    // A clean environment (base/child_env.h), never clusterd's own.
    std::vector<std::string> env = clean_child_environment();
    int rc =
        ::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environment_pointers(env).data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      say_("exec " + argv[0] + " failed: " + std::strerror(rc));
      return;
    }
    running_[pid] = argv[0];
  }
  // Only our own children: waitpid(-1) would also take the exit of an exec
  // console's command or an alarm command channel's child from the code that
  // waits for it (which then saw "waitpid failed" and sent the page again).
  void reap() {
    for (auto it = running_.begin(); it != running_.end();) {
      int status = 0;
      pid_t pid = ::waitpid(it->first, &status, WNOHANG);
      if (pid != it->first) {
        ++it;
        continue;
      }
      say_(it->second + (WIFEXITED(status)
                             ? " exited " + std::to_string(WEXITSTATUS(status))
                             : " killed by signal " + std::to_string(WTERMSIG(status))));
      it = running_.erase(it);
    }
  }

 private:
  std::function<void(const std::string&)> say_;
  std::map<pid_t, std::string> running_;
};

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

struct Daemon::Impl : AlarmSink {
  Impl(asio::io_context& i, const clist::ClusterConfig& c, const chat::LoadedScript& s,
       DaemonPaths p)
      : io(i),
        cfg(c),
        script(s),
        paths(std::move(p)),
        timer(i),
        children(i, SIGCHLD),
        runner([this](const std::string& t) { say(t); }) {}

  // --- AlarmSink ---
  void raise(chat::AlarmSeverity severity, const std::string& text,
             const std::string& state) override {
    ++alarms_raised;
    last_alarm = std::string(chat::severity_name(severity)) + ": " + text;
    if (!alarms) return;
    alarm::Alarm a;
    // A warning or critical alarm is a condition of the state that raised it:
    // raised again from that state (a standby silent every minute) it is one
    // alarm with reminders, and it is resolved when the script is back in its
    // initial state. Notices are one-shot events.
    if (severity != chat::AlarmSeverity::Notice && !state.empty()) {
      a.key = cfg.name + "/" + state;
      open_conditions.insert(a.key);
    }
    a.cluster = cfg.name;
    a.node = runtime ? runtime->active() : "";
    a.severity = to_alarm(severity);
    a.text = text;
    a.time_ns = wall_ns();
    a.state = state;
    a.timeline = timeline_text(20);
    alarms->raise(std::move(a), Clock::now());
    rearm();
  }

  void say(const std::string& text) { timeline_add(Clock::now(), text); }

  void timeline_add(chat::TimePoint, std::string_view text) {
    std::string line = format_utc(wall_ns()) + " " + std::string(text);
    if (log) {
      line += '\n';
      log->write(line);
      line.pop_back();
    }
    lines.push_back(std::move(line));
    if (lines.size() > 5000) lines.pop_front();
  }

  std::string timeline_text(std::size_t last) const {
    std::string out;
    std::size_t from = lines.size() > last ? lines.size() - last : 0;
    for (std::size_t i = from; i < lines.size(); ++i) out += lines[i] + "\n";
    return out;
  }

  // One timer for the runtime and the alarm service: the earliest deadline.
  void rearm() {
    std::optional<chat::TimePoint> next = runtime ? runtime->next_deadline() : std::nullopt;
    if (alarms) {
      auto a = alarms->next_deadline();
      if (a && (!next || *a < *next)) next = a;
    }
    if (!next) return;
    if (armed && *armed == *next) return;
    armed = next;
    timer.expires_at(*next);
    timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      armed.reset();
      auto now = Clock::now();
      if (runtime) runtime->advance_to(now);
      if (alarms) alarms->tick(now);
      after_input();
    });
  }

  const std::string& initial_state() const {
    const auto& prog = *script.program;
    return prog.states[static_cast<std::size_t>(prog.initial)].name;
  }

  // The runtime keeps no timing of a failover, so the daemon measures it
  // where every input ends: from the input that takes the script out of its
  // initial state to the one after which the journal holds a new takeover.
  // A failover resumed after a restart began before this process and has no
  // known start: the value is cleared rather than made up.
  void track_failover(Clock::time_point now) {
    bool at_initial = runtime->state() == initial_state();
    if (was_initial && !at_initial) left_initial = now;
    if (journal->state().takeovers != seen_takeovers) {
      seen_takeovers = journal->state().takeovers;
      last_takeover.reset();
      if (left_initial) {
        last_takeover = now - *left_initial;
        say("failover: " + format_duration(*last_takeover) + " from leaving state " +
            initial_state() + " to the takeover");
      }
    }
    if (at_initial) left_initial.reset();
    was_initial = at_initial;
  }

  // After every input: follow a takeover with the probes, resolve conditions
  // once the script rests again, re-arm the timer.
  void after_input() {
    if (runtime) track_failover(Clock::now());
    if (runtime && alarms && !open_conditions.empty()) {
      if (runtime->state() == initial_state()) {
        for (const auto& key : open_conditions) alarms->clear(key, Clock::now());
        open_conditions.clear();
      }
    }
    if (runtime && detector && runtime->active() != probed) {
      probed = runtime->active();
      detector->retarget(addresses_of(probed));
      say("ping now probes " + probed);
    }
    rearm();
  }

  std::vector<asio::ip::address> addresses_of(const std::string& node) const {
    std::vector<asio::ip::address> out;
    for (const auto& n : cfg.nodes) {
      if (n.name != node) continue;
      for (const auto& a : n.addresses) {
        boost::system::error_code ec;
        auto addr = asio::ip::make_address(a, ec);
        if (!ec) out.push_back(addr);
      }
    }
    return out;
  }

  void on_child_signal() {
    children.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      runner.reap();
      on_child_signal();
    });
  }

  std::string control(const std::string& request) {
    std::istringstream in(request);
    std::string cmd, arg;
    in >> cmd >> arg;
    auto now = Clock::now();
    if (cmd == "status") return "ok\n" + status_text(arg == "--json");
    if (cmd == "metrics") return "ok\n" + metrics_text();
    if (cmd == "timeline") {
      if (arg == "--since") {
        std::string when;
        in >> when;
        auto d = parse_duration(when);
        if (!d)
          return "error: --since '" + escape(when) + "' is not a duration (e.g. 90s, 10m, 2h)\n";
        std::int64_t cutoff = wall_ns() - d->count();
        std::string out = "ok\n";
        for (const auto& l : lines) {
          auto st = parse_stamp(std::string_view(l).substr(0, l.find(' ')));
          if (st.ok() && st->ns >= cutoff) out += l + "\n";
        }
        return out;
      }
      std::size_t n = 200;
      if (!arg.empty()) {
        auto [p, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), n);
        if (ec != std::errc() || p != arg.data() + arg.size()) {
          return "error: timeline takes a line count or --since DURATION, not '" + escape(arg) +
                 "'\n";
        }
      }
      return "ok\n" + timeline_text(n);
    }
    if (cmd == "switchover") {
      runtime->on_control(chat::EventKind::ControlSwitchover, now);
      after_input();
      return "ok\nswitchover requested\n";
    }
    if (cmd == "maintenance") {
      runtime->on_control(chat::EventKind::ControlMaintenance, now);
      after_input();
      return "ok\nmaintenance requested\n";
    }
    if (cmd == "alarms") {
      std::string out = "ok\n";
      for (const auto& l : alarms->list()) {
        out += l.status.alarm.id + "\t" +
               std::string(alarm::severity_name(l.status.alarm.severity)) + "\t" + l.delivery +
               "\t" + escape(l.status.alarm.text) + "\n";
      }
      return out;
    }
    if (cmd == "reload") {
      if (!reload) return "error: reload is not available\n";
      std::string r = reload();
      return r.rfind("ok", 0) == 0
                 ? "ok\n" +
                       r.substr(r.find(' ') == std::string::npos ? r.size() : r.find(' ') + 1) +
                       "\n"
                 : r + "\n";
    }
    if (cmd == "ack")
      return alarms->ack(arg, now) ? "ok\nacknowledged " + arg + "\n"
                                   : "error: no alarm " + arg + "\n";
    return "error: unknown request '" + escape(cmd) +
           "' (status, timeline, switchover, maintenance, alarms, ack, reload, metrics)\n";
  }

  // The Prometheus exposition (clusterd/metrics.h), for `clusterctl metrics`
  // and GET /metrics. Reads only what is in memory: a scrape costs no I/O.
  std::string metrics_text() const {
    metrics::ClusterMetrics m;
    m.cluster = cfg.name;
    if (runtime) m.state = std::string(runtime->state());
    for (std::size_t i = 0; i < 2; ++i) {
      m.nodes[i].name = cfg.nodes[i].name;
      m.nodes[i].active = runtime && runtime->active() == cfg.nodes[i].name;
      m.nodes[i].console_up = consoles[i] && consoles[i]->is_up();
    }
    m.ping_up = detector && detector->node_level() == probe::Reach::Up;
    if (counted) {
      m.ping_probes = counted->sent();
      m.ping_lost = counted->lost();
      if (auto rtt = counted->last_rtt()) m.ping_rtt_seconds = seconds(*rtt);
    }
    m.failovers = static_cast<std::uint64_t>(journal->state().takeovers);
    if (alarms) {
      for (const auto& e : alarms->deliverer().pending()) {
        if (e.notification.kind != alarm::NoticeKind::Heartbeat) ++m.alarms_pending;
      }
    }
    m.alarms_raised = alarms_raised;
    if (last_takeover) m.last_takeover_duration_seconds = seconds(*last_takeover);
    return metrics::render(m);
  }

  std::string status_text(bool json) const {
    auto console_state = [&](const std::string& node) {
      for (std::size_t i = 0; i < 2; ++i) {
        if (cfg.nodes[i].name == node && consoles[i]) return consoles[i]->is_up() ? "up" : "down";
      }
      return "?";
    };
    std::string rtt = "-";
    if (detector && detector->last_rtt()) rtt = probe::format_rtt(*detector->last_rtt());
    std::string ping = detector ? probe::reach_name(detector->node_level()) : "-";
    const auto& js = journal->state();
    if (json) {
      return "{\"cluster\":\"" + json_escape(cfg.name) + "\",\"state\":\"" +
             std::string(runtime->state()) + "\",\"active\":\"" + runtime->active() +
             "\",\"standby\":\"" + runtime->standby() + "\",\"console_active\":\"" +
             console_state(runtime->active()) + "\",\"console_standby\":\"" +
             console_state(runtime->standby()) + "\",\"ping\":\"" + ping + "\",\"rtt\":\"" + rtt +
             "\",\"isolated\":" + (detector && detector->isolated() ? "true" : "false") +
             ",\"failovers\":" + std::to_string(js.takeovers) + ",\"last_alarm\":\"" +
             json_escape(last_alarm) + "\"}\n";
    }
    std::ostringstream o;
    o << "cluster    " << cfg.name << "\n"
      << "state      " << runtime->state() << "\n"
      << "active     " << runtime->active() << "  (console " << console_state(runtime->active())
      << ", ping " << ping << ", rtt " << rtt << ")\n"
      << "standby    " << runtime->standby() << "  (console " << console_state(runtime->standby())
      << ")\n"
      << "monitor    " << (detector && detector->isolated() ? "ISOLATED" : "ok") << "\n"
      << "failovers  " << js.takeovers << "\n"
      << "last alarm " << (last_alarm.empty() ? "-" : escape(last_alarm)) << "\n";
    return o.str();
  }

  asio::io_context& io;
  const clist::ClusterConfig& cfg;
  const chat::LoadedScript& script;
  DaemonPaths paths;
  asio::steady_timer timer;
  std::optional<chat::TimePoint> armed;
  asio::signal_set children;
  SpawnRunner runner;
  std::unique_ptr<RotatingFile> log;
  std::deque<std::string> lines;
  std::string last_alarm, probed;
  std::set<std::string> open_conditions;
  SecretMap no_secrets;
  std::unique_ptr<Journal> journal;
  std::unique_ptr<alarm::AlarmService> alarms;
  std::array<std::unique_ptr<tty::TranscriptWriter>, 2> transcripts;
  std::array<std::unique_ptr<tty::Console>, 2> consoles;
  std::unique_ptr<probe::PingDetector> detector;
  std::unique_ptr<ClusterRuntime> runtime;
  std::unique_ptr<ControlServer> control_server;
  std::unique_ptr<MetricsServer> metrics_server;  // [metrics] listen; null: off
  CountingProber* counted = nullptr;              // the active node's prober, owned by the detector
  std::uint64_t alarms_raised = 0;
  // Failover timing (track_failover).
  bool was_initial = true;
  std::optional<Clock::time_point> left_initial;
  int seen_takeovers = 0;
  std::optional<Duration> last_takeover;
  std::string pid_path;
  std::function<std::string()> reload;
  int lock_fd = -1;
  ~Impl() {
    if (lock_fd >= 0) ::close(lock_fd);
  }
};

Daemon::Daemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Daemon::~Daemon() { stop(); }

Result<std::unique_ptr<Daemon>> Daemon::create(asio::io_context& io,
                                               const clist::ClusterConfig& cfg,
                                               const chat::LoadedScript& script,
                                               DaemonPaths paths) {
  auto impl = std::make_unique<Impl>(io, cfg, script, paths);
  Impl& d = *impl;
  for (const auto& dir : {paths.log_dir(), paths.run_dir(), paths.state_dir(), paths.spool_dir()}) {
    if (auto r = make_dir(dir, 0750); !r.ok()) return r.error();
  }
  // One process per cluster: the lock is held for the life of the process
  // (released by the kernel when it dies), taken before the journal and the
  // socket, so two clusterd started at once can never both fence the nodes.
  std::string lock_path = paths.run_dir() + "/" + cfg.name + ".lock";
  d.lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (d.lock_fd < 0) return Error::io(lock_path + ": " + std::strerror(errno));
  if (::flock(d.lock_fd, LOCK_EX | LOCK_NB) != 0) {
    return Error::invalid("another clusterd already runs cluster " + cfg.name + " (" + lock_path +
                          " is locked)");
  }
  std::string log_path = paths.log_dir() + "/" + cfg.name + ".log";
  auto lf = RotatingFile::open({.path = log_path, .max_bytes = 64ull << 20, .keep = 5});
  if (!lf.ok()) return Error::io(lf.error().message + " (the activity log)");
  d.log = std::move(lf.value());

  std::vector<std::string> warnings;
  auto j = Journal::open(paths.state_dir() + "/" + cfg.name + ".journal", &warnings);
  if (!j.ok()) return j.error();
  d.journal = std::move(j.value());
  for (const auto& w : warnings) d.say("journal: " + w);
  if (const char* crash = std::getenv("CLUSTERD_CRASH_AFTER"); crash && *crash) {
    auto kind = journal_kind_from_name(crash);
    if (!kind)
      return Error::invalid(std::string("CLUSTERD_CRASH_AFTER: unknown journal record '") + crash +
                            "'");
    d.journal->crash_after(kind);
    d.say(std::string("crash test: clusterd kills itself (SIGKILL) after journaling '") + crash +
          "'");
  }

  const SecretSource& secrets =
      cfg.secrets ? static_cast<const SecretSource&>(*cfg.secrets) : d.no_secrets;
  alarm::ServiceOptions aopt;
  aopt.spool_dir = paths.spool_dir() + "/" + cfg.name;
  aopt.on_event = [](const alarm::DeliveryEvent&) {};
  auto svc = alarm::AlarmService::create(cfg.alarms, secrets, aopt, Clock::now());
  if (!svc.ok()) return Error::invalid("alarms: " + svc.error().message);
  d.alarms = std::move(svc.value());

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
      d.runtime->on_console_bytes(name, b, Clock::now());
      d.after_input();
    };
    h.on_up = [&d, name] {
      if (!d.runtime) return;
      d.runtime->on_console_up(name, Clock::now());
      d.after_input();
    };
    h.on_lost = [&d, name](tty::LostReason r, const std::string& detail, Duration retry) {
      if (!d.runtime) return;
      d.runtime->on_console_lost(name,
                                 std::string(tty::lost_reason_name(r)) + ": " + detail +
                                     " (retry in " + format_duration(retry) + ")",
                                 Clock::now(),
                                 r == tty::LostReason::HostKey || r == tty::LostReason::AuthFailed);
      d.after_input();
    };
    d.consoles[i] =
        tty::make_console(node.console, std::move(h),
                          {.io = &io, .transcript = d.transcripts[i].get(), .secrets = &secrets});
  }

  // Probes: ICMP (needs CAP_NET_RAW or ping_group_range) or TCP connect.
  std::unique_ptr<probe::Prober> node_prober, ref_prober;
  if (cfg.ping.method == clist::PingMethod::Tcp) {
    node_prober = std::make_unique<probe::TcpConnectProber>(io, cfg.ping.tcp_port);
  } else {
    auto p = probe::IcmpProber::open(io);
    if (!p.ok()) return p.error();
    node_prober = std::move(p.value());
  }
  auto counting = std::make_unique<CountingProber>(std::move(node_prober));
  d.counted = counting.get();
  node_prober = std::move(counting);
  probe::DetectorConfig dc;
  dc.node = {cfg.ping.interval, cfg.ping.misses, cfg.ping.timeout};
  if (!cfg.ping.reference.empty()) {
    auto p = probe::IcmpProber::open(io);
    if (!p.ok()) return Error::invalid("[ping] reference: " + p.error().message);
    ref_prober = std::move(p.value());
    dc.reference = dc.node;
  }
  d.detector = std::make_unique<probe::PingDetector>(
      io, std::move(node_prober), std::move(ref_prober), dc,
      [&d](probe::ProbeEvent e, const std::string& detail) {
        if (!d.runtime) return;
        auto now = Clock::now();
        d.say(std::string(probe::probe_event_name(e)) + " " + detail);
        switch (e) {
          case probe::ProbeEvent::PingDown:
            d.runtime->on_ping(false, now);
            break;
          case probe::ProbeEvent::PingUp:
            d.runtime->on_ping(true, now);
            break;
          case probe::ProbeEvent::MonitorIsolated:
            d.runtime->on_isolation(true, now);
            break;
          case probe::ProbeEvent::MonitorOk:
            d.runtime->on_isolation(false, now);
            break;
        }
        d.after_input();
      });

  RuntimeOptions ro;
  ro.fence.allow_presumed = cfg.policy.unconfirmed_fence == clist::UnconfirmedFence::Takeover;
  ro.fence.silence = cfg.timeouts.confirm_window;
  std::array<NodeSetup, 2> nodes;
  // The runtime takes the initial active first; the journal may say otherwise.
  const auto& act = cfg.active();
  const auto& stb = cfg.standby();
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& n = i == 0 ? act : stb;
    std::size_t ci = cfg.nodes[0].name == n.name ? 0 : 1;
    nodes[i] = NodeSetup{n.name, d.consoles[ci].get(), n.power_off, n.power_on};
  }
  d.runtime = std::make_unique<ClusterRuntime>(
      *script.program, *d.journal, nodes, d, d.runner, &secrets, ro,
      [&d](chat::TimePoint at, std::string_view text) { d.timeline_add(at, text); });

  auto ctl = ControlServer::start(io, paths.run_dir() + "/" + cfg.name + ".sock",
                                  [&d](const std::string& req) { return d.control(req); });
  if (!ctl.ok()) return ctl.error();
  d.control_server = std::move(ctl.value());
  if (cfg.metrics.enabled()) {
    auto ms = MetricsServer::start(io, cfg.metrics.address, cfg.metrics.port,
                                   [&d] { return d.metrics_text(); });
    if (!ms.ok()) return ms.error();
    d.metrics_server = std::move(ms.value());
  }

  d.pid_path = paths.run_dir() + "/" + cfg.name + ".pid";
  std::string tmp = d.pid_path + ".tmp";
  {
    std::ofstream pf(tmp);
    pf << ::getpid() << "\n";
    if (!pf.flush()) return Error::io(tmp + ": cannot write the pid file");
  }
  if (std::rename(tmp.c_str(), d.pid_path.c_str()) != 0)
    return Error::io(d.pid_path + ": " + std::strerror(errno));
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

void Daemon::start() {
  Impl& d = *impl_;
  auto now = Clock::now();
  d.say("clusterd " + d.cfg.name + " starting: script " + d.cfg.script);
  for (std::size_t i = 0; i < 2; ++i) {
    d.say("console " + d.cfg.nodes[i].name + ": " + d.cfg.nodes[i].console_uri +
          "; BREAK: " + d.consoles[i]->break_method());
  }
  d.say("ping: " + d.detector->node_prober().describe());
  d.on_child_signal();
  d.alarms->start();
  d.runtime->start(now);
  // A failover resumed from the journal is under way already: not a new one.
  d.was_initial = d.runtime->state() == d.initial_state();
  d.seen_takeovers = d.journal->state().takeovers;
  if (d.metrics_server) d.say("metrics: http://" + d.cfg.metrics.listen + "/metrics");
  d.probed = d.runtime->active();
  d.detector->start(
      d.addresses_of(d.probed),
      d.cfg.ping.reference.empty()
          ? std::vector<asio::ip::address>{}
          : std::vector<asio::ip::address>{asio::ip::make_address(d.cfg.ping.reference)});
  for (auto& c : d.consoles) c->open();
  d.after_input();
}

void Daemon::stop() {
  if (!impl_) return;
  Impl& d = *impl_;
  d.say("clusterd " + d.cfg.name + " stopping (nothing is sent to the nodes)");
  d.timer.cancel();
  boost::system::error_code ignored;
  d.children.cancel(ignored);
  if (d.detector) d.detector->stop();
  for (auto& c : d.consoles) {
    if (c) c->close();
  }
  if (d.alarms) d.alarms->stop();
  d.control_server.reset();
  d.metrics_server.reset();
  if (!d.pid_path.empty()) ::unlink(d.pid_path.c_str());
  d.runtime.reset();
  impl_.reset();
}

std::string Daemon::status(bool json) const { return impl_->status_text(json); }
std::string Daemon::metrics() const { return impl_->metrics_text(); }
void Daemon::note(const std::string& text) { impl_->say(text); }
void Daemon::reopen_logs() {
  Impl& d = *impl_;
  std::string problems;
  if (d.log) {
    if (auto r = d.log->reopen(); !r.ok()) problems += " " + r.error().message;
  }
  for (auto& t : d.transcripts) {
    if (!t) continue;
    if (auto r = t->reopen(); !r.ok()) problems += " " + r.error().message;
  }
  d.say(problems.empty() ? "logs reopened (SIGUSR1)"
                         : "logs reopened (SIGUSR1) with errors:" + problems);
}
void Daemon::set_reload(std::function<std::string()> reload) { impl_->reload = std::move(reload); }
bool Daemon::idle() const {
  const Impl& d = *impl_;
  const auto& js = d.journal->state();
  // A standby held at ok (fenced by the script) is no failover under way;
  // a fenced active is, until its takeover.
  return d.runtime && !d.runtime->fencing() && !js.boot_in_flight() && !js.fenced.count(js.active);
}
std::string Daemon::timeline(std::size_t last) const { return impl_->timeline_text(last); }

}  // namespace clusterd
