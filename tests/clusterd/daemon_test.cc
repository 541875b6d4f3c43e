// The real Daemon, driven in virtual time through its ports (clusterd/ports.h):
// FakeConsoles for alpha and beta, a fake ping the test reports through, a
// waker the test fires, the stock script and config loaded as clusterd loads
// them (clusterd/load.h). No sockets, no timers, no sleeps: a whole failover,
// its journal, the ping following the takeover, status and alarm delivery.
#include "clusterd/daemon.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "clusterd/alarm_bridge.h"
#include "clusterd/failover_clock.h"
#include "clusterd/journal.h"
#include "clusterd/load.h"
#include "clusterd/roles.h"
#include "clusterd/status.h"
#include "clusterd/timeline.h"
#include "tests/support/fake_console.h"

namespace clusterd {
namespace {

using namespace std::chrono_literals;
using chat::TimePoint;
using testing::FakeConsole;

struct FakePing : PingSource {
  void start(std::vector<boost::asio::ip::address> node,
             std::vector<boost::asio::ip::address>) override {
    started = true;
    targets = std::move(node);
  }
  void retarget(std::vector<boost::asio::ip::address> node) override {
    targets = std::move(node);
    ++retargets;
  }
  void stop() override { started = false; }
  PingReading reading() const override { return now; }
  std::string describe() const override { return "fake ping"; }

  bool started = false;
  int retargets = 0;
  std::vector<boost::asio::ip::address> targets;
  PingReading now;
  Handler report;
};

struct FakeWaker : Waker {
  void wake_at(TimePoint at, std::function<void()> f) override {
    due = at;
    fn = std::move(f);
  }
  void cancel() override { fn = nullptr; }
  std::optional<TimePoint> due;
  std::function<void()> fn;
};

// Work posted to the daemon's thread: alarm delivery results come from the
// alarm service's worker threads.
struct PostQueue {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> q;
  void post(std::function<void()> f) {
    std::lock_guard lk(mu);
    q.push_back(std::move(f));
    cv.notify_all();
  }
  // Runs what is queued; waits (up to a generous bound, for a real child
  // process) until something is.
  bool run_one_waiting() {
    std::unique_lock lk(mu);
    if (!cv.wait_for(lk, 60s, [&] { return !q.empty(); })) return false;
    auto f = std::move(q.front());
    q.pop_front();
    lk.unlock();
    f();
    return true;
  }
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One cluster home: CList, clusters/prod.toml (the stock script; an exec
// page channel that accepts everything), and the daemon on fakes.
struct Harness {
  explicit Harness(std::string page = "/bin/true", std::string script_text = "",
                   std::string extra = "") {
    char tmpl[] = "/tmp/clusterd-daemon-XXXXXX";
    home = ::mkdtemp(tmpl);
    std::filesystem::create_directories(home + "/clusters");
    std::ofstream(home + "/CList") << "prod clusters/prod.toml\n";
    std::string script = std::string(CLUSTERD_SOURCE_DIR) + "/scripts/sparc-obp.chat";
    if (!script_text.empty()) {
      script = home + "/clusters/test.chat";
      std::ofstream(script) << script_text;
    }
    std::ofstream(home + "/clusters/prod.toml")
        << "script = \"" << script << "\"\n"
        << "[nodes.alpha]\nconsole = \"telnet://127.0.0.1:7001\"\naddress = \"10.0.0.1\"\n"
        << "role = \"active\"\n"
        << "[nodes.beta]\nconsole = \"telnet://127.0.0.1:7002\"\naddress = \"10.0.0.2\"\n"
        << "role = \"standby\"\n"
        << "[ping]\nmethod = \"tcp\"\ntcp_port = 22\n"
        << "[alarms]\npage = [\"exec:" << page << "\"]\n"
        << extra;
    std::ostringstream problems;
    loaded_ok = load_cluster("prod", home, "", problems, loaded);
    EXPECT_TRUE(loaded_ok) << problems.str();
  }
  ~Harness() {
    daemon.reset();
    std::filesystem::remove_all(home);
  }

  void create() {
    DaemonPorts p;
    p.clock = &clock;
    p.wall_ns = [this] {
      return std::int64_t{1'800'000'000} * 1'000'000'000 +
             std::chrono::duration_cast<std::chrono::nanoseconds>(clock.now().time_since_epoch())
                 .count();
    };
    p.post = [this](std::function<void()> f) { posted.post(std::move(f)); };
    p.make_console = [this](const clist::Node& n, tty::ConsoleHandlers h, tty::ConsoleContext) {
      auto c = std::make_unique<FakeConsole>(n.console, std::move(h));
      (n.name == "alpha" ? alpha : beta) = c.get();
      return c;
    };
    p.make_ping = [this](const clist::PingConfig&,
                         PingSource::Handler h) -> Result<std::unique_ptr<PingSource>> {
      auto f = std::make_unique<FakePing>();
      f->report = std::move(h);
      ping = f.get();
      return std::unique_ptr<PingSource>(std::move(f));
    };
    auto w = std::make_unique<FakeWaker>();
    waker = w.get();
    p.waker = std::move(w);
    p.control_socket = false;
    auto d = Daemon::create(io, *loaded.cfg.config, loaded.script, {home}, std::move(p));
    ASSERT_TRUE(d.ok()) << d.error().message;
    daemon = std::move(d.value());
  }

  // Virtual time moves to `t`, firing the daemon's wake-ups due on the way.
  void advance_to(TimePoint t) {
    while (waker->fn && waker->due && *waker->due <= t) {
      clock.set(*waker->due);
      auto fn = std::move(waker->fn);
      waker->fn = nullptr;
      fn();
    }
    clock.set(t);
  }
  void feed(FakeConsole* c, std::string_view bytes, TimePoint at) {
    advance_to(at);
    c->feed(bytes);
  }
  std::string timeline() const { return daemon->timeline(500); }
  std::string journal() const { return read_file(home + "/state/prod.journal"); }

  std::string home;
  bool loaded_ok = false;
  LoadedCluster loaded;
  boost::asio::io_context io;  // never run: the ports stand for it
  chat::VirtualClock clock{TimePoint{} + 1000s};
  PostQueue posted;
  FakeConsole* alpha = nullptr;
  FakeConsole* beta = nullptr;
  FakePing* ping = nullptr;
  FakeWaker* waker = nullptr;
  std::unique_ptr<Daemon> daemon;
};

const TimePoint t0 = TimePoint{} + 1000s;

// The panic conversation of tests/chat/golden/primary_panic, through the
// daemon's own console handlers, up to beta's login prompt.
void panic_failover(Harness& h) {
  h.daemon->start();
  h.alpha->bring_up();
  h.beta->bring_up();
  h.feed(h.alpha, "\r\npanic[cpu0]/thread=2a100547ca0: BAD TRAP: type=31 rp=2a100546f80 addr=0\r\n",
         t0 + 12s);
  h.feed(h.alpha, "\r\nType 'go' to resume\r\n{0} ok ", t0 + 13s);
  h.feed(h.alpha, "setenv auto-boot? false\r\n{0} ok ", t0 + 13200ms);
  h.feed(h.alpha, "printenv auto-boot?\r\nauto-boot? =          false\r\n{0} ok ", t0 + 13400ms);
  h.feed(h.beta, "\r\nbeta console login: ", t0 + 58s);
}

TEST(Daemon, DrivesAWholeFailoverInVirtualTime) {
  Harness h;
  ASSERT_TRUE(h.loaded_ok);
  h.create();
  panic_failover(h);
  std::string tl = h.timeline();
  EXPECT_EQ(h.alpha->breaks, 1) << tl;
  EXPECT_NE(h.alpha->written.find("setenv auto-boot? false\r"), std::string::npos) << tl;
  EXPECT_NE(h.beta->written.find("boot shared\r"), std::string::npos) << tl;
  // The journal holds the failover's steps in order.
  std::string j = h.journal();
  auto fence = j.find(" fence-confirmed "), boot = j.find(" boot-sent "),
       takeover = j.find(" takeover ");
  ASSERT_NE(fence, std::string::npos) << j;
  ASSERT_NE(boot, std::string::npos) << j;
  ASSERT_NE(takeover, std::string::npos) << j;
  EXPECT_LT(fence, boot);
  EXPECT_LT(boot, takeover);
  // The role binding's announcement moved ping to beta, once.
  ASSERT_NE(h.ping, nullptr);
  EXPECT_EQ(h.ping->retargets, 1) << tl;
  ASSERT_EQ(h.ping->targets.size(), 1u);
  EXPECT_EQ(h.ping->targets[0].to_string(), "10.0.0.2");
  EXPECT_NE(tl.find("ping now probes beta"), std::string::npos) << tl;
  // From the panic line (t0+12s) to beta's login (t0+58s), in virtual time.
  EXPECT_NE(tl.find("failover: 46s from leaving state watch to the takeover"), std::string::npos)
      << tl;
  std::string status = h.daemon->status(true);
  EXPECT_NE(status.find("\"active\":\"beta\""), std::string::npos) << status;
  EXPECT_NE(status.find("\"standby\":\"alpha\""), std::string::npos) << status;
  EXPECT_NE(status.find("\"failovers\":1"), std::string::npos) << status;
  EXPECT_NE(
      h.daemon->metrics().find("clusterd_last_takeover_duration_seconds{cluster=\"prod\"} 46"),
      std::string::npos)
      << h.daemon->metrics();
}

// Runs the daemon's io_context (real children: their pipes and SIGCHLD)
// until `done` holds, for at most 20 s of real time.
template <typename Done>
bool pump_until(Harness& h, Done done) {
  const auto give_up = std::chrono::steady_clock::now() + 20s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    h.io.restart();
    h.io.run_one_for(50ms);
  }
  return true;
}

const char* kShellScript = R"(initial state watch {
  on control.switchover { exec "/bin/sh" "-c" "echo disk c1t0 ok; echo slow disk >&2; exit 3" } -> checking
  on control.maintenance { exec "/bin/sh" "-c" "echo pgid \$\$; sleep 600 & sleep 600" } -> checking
}
state checking {
  on sh /disk (\w+) ok/ { log "saw disk $1" }
  on sh.exit 3 { log "exit three" } -> watch
  on sh.exit 256 { log "timed out" } -> watch
  after 1h -> watch
}
)";

// Processes, zombies aside, in process group `pgid`.
int live_in_group(pid_t pgid) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::ifstream f(e.path() / "stat");
    std::string stat;
    if (!f || !std::getline(f, stat)) continue;
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    char state = 0;
    long ppid = 0, pgrp = 0;
    rest >> state >> ppid >> pgrp;
    if (pgrp == pgid && state != 'Z') ++n;
  }
  return n;
}

TEST(Daemon, ExecOutputAndExitReachTheScriptFromARealChild) {
  Harness h("/bin/true", kShellScript);
  ASSERT_TRUE(h.loaded_ok);
  h.create();
  h.daemon->start();
  h.daemon->control("switchover");
  ASSERT_TRUE(pump_until(h, [&] { return h.timeline().find("exit three") != std::string::npos; }))
      << h.timeline();
  std::string tl = h.timeline();
  EXPECT_NE(tl.find("log saw disk c1t0"), std::string::npos) << tl;
  EXPECT_NE(tl.find("sh | slow disk"), std::string::npos) << "stderr is part of sh\n" << tl;
  EXPECT_NE(tl.find("ended: sh.exit 3"), std::string::npos) << tl;
  // Logs/prod.sh: the command, its output, its end, in the transcript format.
  std::string sh = read_file(h.home + "/Logs/prod.sh");
  EXPECT_NE(sh.find("* start [/bin/sh] [-c]"), std::string::npos) << sh;
  EXPECT_NE(sh.find("disk c1t0 ok"), std::string::npos) << sh;
  EXPECT_NE(sh.find("* exit 3"), std::string::npos) << sh;
}

TEST(Daemon, ExecTimeoutKillsTheWholeProcessGroup) {
  Harness h("/bin/true", kShellScript, "[timeouts]\nexec = \"5s\"\n");
  ASSERT_TRUE(h.loaded_ok);
  h.create();
  h.daemon->start();
  h.daemon->control("maintenance");
  pid_t pgid = 0;
  ASSERT_TRUE(pump_until(h, [&] {
    std::string tl = h.timeline();
    auto at = tl.find("sh | pgid ");
    if (at == std::string::npos) return false;
    pgid = static_cast<pid_t>(std::stol(tl.substr(at + 10)));
    return live_in_group(pgid) == 3;  // the shell and both sleeps
  })) << h.timeline();
  h.advance_to(t0 + 4s);
  EXPECT_EQ(live_in_group(pgid), 3) << "killed before [timeouts] exec";
  h.advance_to(t0 + 6s);  // virtual time passes the timeout: the group is killed
  ASSERT_TRUE(pump_until(h, [&] { return h.timeline().find("timed out") != std::string::npos; }))
      << h.timeline();
  EXPECT_NE(h.timeline().find("sh.exit 256 (killed: [timeouts] exec 5s passed)"), std::string::npos)
      << h.timeline();
  EXPECT_TRUE(pump_until(h, [&] { return live_in_group(pgid) == 0; }))
      << "the background sleep outlived the timeout";
}

// A reload restarts clusterd, and a stop kills what it started: not while
// an exec runs (a clean shutdown through ssh half way) or waits.
TEST(Daemon, IsNotIdleWhileAnExecRuns) {
  Harness h("/bin/true", kShellScript);
  ASSERT_TRUE(h.loaded_ok);
  h.create();
  h.daemon->start();
  EXPECT_TRUE(h.daemon->idle());
  h.daemon->control("maintenance");
  ASSERT_TRUE(pump_until(h, [&] { return h.timeline().find("sh | pgid ") != std::string::npos; }))
      << h.timeline();
  EXPECT_FALSE(h.daemon->idle()) << h.timeline();
}

// Where the stock script's unanswered BREAK leads (clusterd/load.cc): a
// power fence when both nodes have a power method, else the presumption; an
// explicit [params] entry wins.
std::string break_unanswered_target(const std::string& alpha_keys, const std::string& beta_keys,
                                    const std::string& params) {
  char tmpl[] = "/tmp/clusterd-load-XXXXXX";
  const std::string home = ::mkdtemp(tmpl);
  std::filesystem::create_directories(home + "/clusters");
  std::ofstream(home + "/CList") << "prod clusters/prod.toml\n";
  std::ofstream(home + "/clusters/prod.toml")
      << "script = \"" << CLUSTERD_SOURCE_DIR << "/scripts/sparc-obp.chat\"\n"
      << "[nodes.alpha]\nconsole = \"telnet://127.0.0.1:7001\"\naddress = \"10.0.0.1\"\n"
      << alpha_keys << "[nodes.beta]\nconsole = \"telnet://127.0.0.1:7002\"\n"
      << "address = \"10.0.0.2\"\n"
      << beta_keys << params;
  std::ostringstream problems;
  LoadedCluster loaded;
  std::string out;
  if (!load_cluster("prod", home, "", problems, loaded)) {
    out = "load failed: " + problems.str();
  } else {
    const auto& prog = *loaded.script.program;
    const auto& st = prog.states[static_cast<std::size_t>(prog.find_state("fence_wait"))];
    for (const auto& h : st.handlers) {
      if (h.kind == chat::Handler::Kind::After && h.target >= 0)
        out = prog.states[static_cast<std::size_t>(h.target)].name;
    }
  }
  std::filesystem::remove_all(home);
  return out;
}

TEST(Load, AnUnansweredBreakIsFencedByPowerWhenBothNodesHaveAPowerMethod) {
  const std::string power =
      "power_off = [\"/bin/true\"]\npower_on = [\"/bin/true\"]\npower_status = [\"/bin/true\"]\n";
  EXPECT_EQ(break_unanswered_target(power, power, ""), "power_fence");
  EXPECT_EQ(break_unanswered_target(power, "", ""), "presume_fence") << "only one node";
  EXPECT_EQ(break_unanswered_target("", "", ""), "presume_fence");
  EXPECT_EQ(break_unanswered_target(power, power,
                                    "[params]\nbreak_unanswered_state = \"presume_fence\"\n"),
            "presume_fence")
      << "an explicit [params] entry wins";
}

TEST(Daemon, AlarmDeliveryReachesTheTimeline) {
  Harness h;
  ASSERT_TRUE(h.loaded_ok);
  h.create();
  panic_failover(h);
  // The failover raised alarms; the exec page channel's results come back
  // from its worker thread through the daemon's post port.
  ASSERT_TRUE(h.posted.run_one_waiting()) << "no delivery result within 60 s";
  std::string tl = h.timeline();
  EXPECT_NE(tl.find(" via command-1: delivered"), std::string::npos) << tl;
}

TEST(Daemon, AFailedDeliveryIsInTheTimelineWithItsRetry) {
  Harness h("/bin/false");
  ASSERT_TRUE(h.loaded_ok);
  h.create();
  panic_failover(h);
  ASSERT_TRUE(h.posted.run_one_waiting()) << "no delivery result within 60 s";
  std::string tl = h.timeline();
  EXPECT_NE(tl.find("attempt 1 failed, retry in"), std::string::npos) << tl;
}

TEST(Daemon, ControlRequestsGoThroughTheProtocol) {
  Harness h;
  ASSERT_TRUE(h.loaded_ok);
  h.create();
  h.daemon->start();
  h.alpha->bring_up();
  h.beta->bring_up();
  EXPECT_EQ(h.daemon->control("status").rfind("ok\ncluster    prod\nstate      watch\n", 0), 0u)
      << h.daemon->control("status");
  EXPECT_EQ(h.daemon->control("timeline x"),
            "error: timeline takes a line count or --since DURATION, not 'x'\n");
  EXPECT_EQ(h.daemon->control("reload"), "error: reload is not available\n");
  h.daemon->set_reload([] { return std::string("ok reloading"); });
  EXPECT_EQ(h.daemon->control("reload"), "ok\nreloading\n");
  EXPECT_EQ(h.daemon->control("frob\x1b"),
            "error: unknown request 'frob\\e' (status, timeline, switchover, maintenance, "
            "alarms, ack, reload, metrics, idle, accept-loss)\n");
  EXPECT_EQ(h.daemon->control("idle"), "ok\nidle yes\n");
  // The stock script's planned switchover on a healthy active asks it to shut
  // down cleanly over ssh (the exec), never a BREAK first.
  EXPECT_EQ(h.daemon->control("switchover"), "ok\nswitchover requested\n");
  EXPECT_EQ(h.alpha->breaks, 0) << h.timeline();
  EXPECT_NE(h.timeline().find("exec [ssh] [-F] [/etc/clusterd/ssh_config] [alpha] "
                              "[shutdown -i0 -g0 -y]"),
            std::string::npos)
      << h.timeline();
}

TEST(Daemon, PingDownWithTheConsoleSilentFencesAfterTheConfirmWindowOnly) {
  Harness h;
  ASSERT_TRUE(h.loaded_ok);
  h.create();
  h.daemon->start();
  h.alpha->bring_up();
  h.beta->bring_up();
  h.advance_to(t0 + 5s);
  h.ping->report(probe::ProbeEvent::PingDown, "3 probes unanswered");
  // The script asks the console first (confirm): no BREAK while only ping says so.
  EXPECT_EQ(h.alpha->breaks, 0) << h.timeline();
  h.advance_to(t0 + 6s);
  EXPECT_EQ(h.alpha->breaks, 0) << h.timeline();
  EXPECT_NE(h.timeline().find("state confirm"), std::string::npos) << h.timeline();
  // The node answers its console: alive, no fence, back to watch.
  h.feed(h.alpha, "\r\nalpha console login: ", t0 + 7s);
  h.ping->report(probe::ProbeEvent::PingUp, "answered");
  h.advance_to(t0 + 120s);
  EXPECT_EQ(h.alpha->breaks, 0) << h.timeline();
  EXPECT_EQ(h.journal().find("fence-confirmed"), std::string::npos) << h.journal();
}

TEST(Daemon, ASecondDaemonForTheSameClusterIsRefused) {
  Harness h;
  ASSERT_TRUE(h.loaded_ok);
  h.create();
  DaemonPorts p;  // never used: the lock refuses first
  chat::VirtualClock c;
  p.clock = &c;
  auto second = Daemon::create(h.io, *h.loaded.cfg.config, h.loaded.script, {h.home}, std::move(p));
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("another clusterd already runs cluster prod"),
            std::string::npos)
      << second.error().message;
}

// docs/operator-manual.md, "Maintenance": the command toggles; both toggles
// raise a notice; status shows `state maintenance`; the stock script acts on
// nothing meanwhile; on leaving, `watch` acts at once on what holds then (a
// ping that is down starts a failover at once).
TEST(Daemon, MaintenanceTogglesAndActsOnNothingUntilItEnds) {
  Harness h;
  ASSERT_TRUE(h.loaded_ok);
  h.create();
  h.daemon->start();
  h.alpha->bring_up();
  h.beta->bring_up();
  h.advance_to(t0 + 1s);
  EXPECT_EQ(h.daemon->control("maintenance"), "ok\nmaintenance requested\n");
  EXPECT_NE(h.daemon->control("status").find("state      maintenance\n"), std::string::npos)
      << h.daemon->control("status");
  EXPECT_NE(h.timeline().find("alarm notice \"maintenance on: clusterd watches but does not act\""),
            std::string::npos)
      << h.timeline();
  h.advance_to(t0 + 5s);
  h.ping->report(probe::ProbeEvent::PingDown, "3 probes unanswered");
  h.feed(h.alpha, "\r\npanic[cpu0]/thread=2a100547ca0: BAD TRAP: type=31\r\n", t0 + 6s);
  h.advance_to(t0 + 300s);
  EXPECT_EQ(h.alpha->breaks, 0) << h.timeline();
  EXPECT_EQ(h.alpha->written, "") << h.timeline();
  EXPECT_EQ(h.beta->written.find("boot"), std::string::npos) << h.timeline();
  EXPECT_NE(h.daemon->control("status").find("state      maintenance\n"), std::string::npos)
      << h.timeline();
  // Off again: the notice, and `watch` sees the ping that is down at once.
  EXPECT_EQ(h.daemon->control("maintenance"), "ok\nmaintenance requested\n");
  std::string tl = h.timeline();
  EXPECT_NE(tl.find("alarm notice \"maintenance off\""), std::string::npos) << tl;
  EXPECT_NE(tl.find("state confirm"), std::string::npos) << tl;
}

// docs/operator-manual.md, "Alarms and acknowledging": `clusterctl ack`
// takes an open alarm's id from `clusterctl alarms`; an unknown id, or one
// already resolved (the script went back to `watch`), answers
// `error: no alarm ID`.
TEST(Daemon, AckTakesAnOpenAlarmAndRefusesAResolvedOne) {
  // The id of the first critical alarm in `clusterctl alarms` (tab-separated:
  // id, severity, delivery, text).
  auto critical_id = [](const std::string& list) {
    auto crit = list.find("\tcritical\t");
    if (crit == std::string::npos) return std::string();
    auto start = list.rfind('\n', crit);
    start = start == std::string::npos ? 0 : start + 1;
    return list.substr(start, crit - start);
  };
  Harness h;
  ASSERT_TRUE(h.loaded_ok);
  h.create();
  h.daemon->start();
  h.alpha->bring_up();
  h.beta->bring_up();
  h.feed(h.alpha, "\r\npanic[cpu0]/thread=2a100547ca0: BAD TRAP: type=31 rp=2a100546f80 addr=0\r\n",
         t0 + 12s);
  h.advance_to(t0 + 13s);
  std::string open = critical_id(h.daemon->control("alarms"));
  ASSERT_FALSE(open.empty()) << h.daemon->control("alarms");
  EXPECT_EQ(h.daemon->control("ack " + open), "ok\nacknowledged " + open + "\n");
  EXPECT_EQ(h.daemon->control("ack 20000101-000000-9999"),
            "error: no alarm 20000101-000000-9999\n");
  // A failover that ended in `watch` resolved its critical alarm: nothing to ack.
  Harness r;
  ASSERT_TRUE(r.loaded_ok);
  r.create();
  panic_failover(r);
  ASSERT_NE(r.daemon->status(true).find("\"active\":\"beta\""), std::string::npos) << r.timeline();
  std::string resolved = critical_id(r.daemon->control("alarms"));
  ASSERT_FALSE(resolved.empty()) << r.daemon->control("alarms");
  EXPECT_EQ(r.daemon->control("ack " + resolved), "error: no alarm " + resolved + "\n");
}

// clusterd(8), SIGHUP: "If a failover is under way the reload is refused
// too". The main refuses a reload while Daemon::idle() is false: not idle
// from the fence until the takeover, idle again after it.
TEST(Daemon, IsNotIdleFromTheFenceToTheTakeoverSoAReloadWaits) {
  Harness h;
  ASSERT_TRUE(h.loaded_ok);
  h.create();
  h.daemon->start();
  h.alpha->bring_up();
  h.beta->bring_up();
  h.advance_to(t0 + 1s);
  EXPECT_TRUE(h.daemon->idle()) << h.timeline();
  h.feed(h.alpha, "\r\npanic[cpu0]/thread=2a100547ca0: BAD TRAP: type=31 rp=2a100546f80 addr=0\r\n",
         t0 + 12s);
  EXPECT_TRUE(h.daemon->idle()) << h.timeline();  // panic_seen: no fence step yet
  h.advance_to(t0 + 12600ms);                     // the BREAK went out
  ASSERT_EQ(h.alpha->breaks, 1) << h.timeline();
  EXPECT_FALSE(h.daemon->idle()) << h.timeline();
  h.feed(h.alpha, "\r\nType 'go' to resume\r\n{0} ok ", t0 + 13s);
  h.feed(h.alpha, "setenv auto-boot? false\r\n{0} ok ", t0 + 13200ms);
  h.feed(h.alpha, "printenv auto-boot?\r\nauto-boot? =          false\r\n{0} ok ", t0 + 13400ms);
  EXPECT_FALSE(h.daemon->idle()) << h.timeline();  // fenced, the boot on its way
  h.feed(h.beta, "\r\nbeta console login: ", t0 + 58s);
  ASSERT_NE(h.daemon->status(true).find("\"active\":\"beta\""), std::string::npos) << h.timeline();
  EXPECT_TRUE(h.daemon->idle()) << h.timeline();
}

// --- the parts, one by one ---------------------------------------------------

TEST(RoleBinding, ASwapMovesBothChannelsAndIsAnnouncedOnce) {
  RoleBinding r({"alpha", "beta"}, 1);
  EXPECT_EQ(r.active_name(), "beta");
  EXPECT_EQ(*r.node_of(chat::Channel::Active), 1u);
  EXPECT_FALSE(r.node_of(chat::Channel::Sh).has_value());
  std::vector<std::string> heard;
  r.on_change([&](const RoleBinding& b) { heard.push_back(b.active_name()); });
  r.swap();
  EXPECT_EQ(heard, std::vector<std::string>{"alpha"});
  EXPECT_EQ(r.channel_of(0), chat::Channel::Active);
  EXPECT_EQ(r.channel_of(1), chat::Channel::Standby);
  EXPECT_EQ(r.index_of("beta"), std::optional<std::size_t>(1));
  EXPECT_FALSE(r.index_of("gamma").has_value());
}

TEST(FailoverClock, MeasuresFromLeavingTheInitialStateAndNeverMakesUpAStart) {
  FailoverClock c;
  c.started(true);
  c.after_input(true, t0);
  c.after_input(false, t0 + 5s);  // the failover starts here
  c.after_input(false, t0 + 9s);
  EXPECT_EQ(c.takeover(t0 + 30s), std::optional<Duration>(25s));
  FailoverClock resumed;
  resumed.started(false);  // a failover resumed from the journal
  resumed.after_input(false, t0);
  EXPECT_FALSE(resumed.takeover(t0 + 30s).has_value());
  EXPECT_FALSE(resumed.last().has_value());
}

TEST(Timeline, KeepsTheLastLinesAndFindsThemByTime) {
  std::int64_t wall = 1'000'000'000'000'000'000;
  Timeline tl(nullptr, [&] { return wall; });
  for (std::size_t i = 0; i < Timeline::kMemoryLines + 10; ++i) {
    wall += 1'000'000'000;
    tl.add("line " + std::to_string(i));
  }
  std::string all = tl.last(Timeline::kMemoryLines + 100);
  EXPECT_EQ(all.find("line 9\n"), std::string::npos);
  EXPECT_NE(all.find(" line 10\n"), std::string::npos);
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), static_cast<long>(Timeline::kMemoryLines));
  EXPECT_EQ(tl.last(1).substr(tl.last(1).find(' ')), " line 5009\n");
  std::string recent = tl.since(wall - 1'500'000'000);
  EXPECT_EQ(std::count(recent.begin(), recent.end(), '\n'), 2) << recent;
}

// A spool that could not record a notification is a line of its own in the
// timeline, not a "delivered" one: the alarm service reports it as a
// DeliveryEvent of type SpoolError.
TEST(AlarmBridge, SpoolErrorIsItsOwnTimelineLine) {
  Timeline tl(nullptr, [] { return std::int64_t{1'000'000'000'000'000'000}; });
  AlarmBridge bridge({.cluster = "prod"}, nullptr, tl);
  alarm::DeliveryEvent e{.type = alarm::DeliveryEvent::Type::SpoolError,
                         .message_id = "a1.raised.1@prod.clusterd",
                         .alarm_id = "a1",
                         .kind = alarm::NoticeKind::Raised,
                         .detail = "cannot write /s/a1.alarm.tmp: No space left on device"};
  bridge.delivered(e);
  std::string line = tl.last(1);
  EXPECT_EQ(line.substr(line.find(' ') + 1),
            "alarm a1 raised: SPOOL ERROR (cannot write /s/a1.alarm.tmp: No space left on "
            "device): a restart now may lose or resend it\n");
}

TEST(Status, JsonEscapesWhatItQuotes) {
  StatusView v;
  v.cluster = "prod";
  v.last_alarm = "critical: \"quoted\"\x1b[2J";
  std::string j = render_status_json(v);
  EXPECT_NE(j.find("\"last_alarm\":\"critical: \\\"quoted\\\"\\u001b[2J\""), std::string::npos)
      << j;
  EXPECT_EQ(j.back(), '\n');
  EXPECT_NE(render_status_text(v).find("last alarm critical: \"quoted\"\\e[2J"), std::string::npos)
      << render_status_text(v);
}

}  // namespace
}  // namespace clusterd
