// BCP mode in the runtime, in virtual time (docs/bcp.md): the shippers run
// at the right sites and restart; what they print feeds the tracker; the
// standby's boot waits at the failover gate until a promotion is journaled;
// the gate promotes within max_loss, holds above it (accept-loss, timeout),
// waits for a replica that still moves, wants zero loss for a planned
// switchover, and in observe mode never promotes; after the takeover the
// shippers turn round and a kept branch is alarmed. Real shippers, sites and
// a WAN: crashtest/scenarios/bcp_*.sh (crashtest --bcp).
#include <gtest/gtest.h>

#include "chat/script.h"
#include "clusterd/runtime.h"
#include "repl/tracker.h"
#include "tests/support/driven_commands.h"
#include "tests/support/fake_console.h"

namespace clusterd {
namespace {

using namespace std::chrono_literals;
using chat::TimePoint;
using testing::DrivenCommands;
using testing::FakeConsole;
using testing::NoAlarms;
using testing::TempDir;

const TimePoint t0{};

constexpr const char* kScript = R"(initial state watch {
  on active "panic" { break active } -> fence
  on control.switchover { break active } -> fence
}
state fence { on active "ok" { mark fenced active } -> boot }
state boot {
  boot standby "boot\r"
  on standby "login:" { takeover } -> watch
  after 30m -> gave_up
}
state gave_up { after 1h -> gave_up }
)";

struct BcpRig {
  explicit BcpRig(repl::GateConfig gate = {}, bool observe = false, const char* source = kScript,
                  Duration lease = {}) {
    script = chat::load_script_text(source, "t.chat");
    EXPECT_TRUE(script.ok()) << (script.diagnostics.empty() ? "" : script.diagnostics[0].message);
    auto j = Journal::open(dir.path + "/j", nullptr);
    EXPECT_TRUE(j.ok());
    journal = std::move(j.value());
    RuntimeOptions o;
    o.wall_ns = [this] { return wall0 + (now - t0).count(); };
    o.bcp.enabled = true;
    o.bcp.observe = observe;
    o.bcp.gate = gate;
    o.bcp.drain = 15s;
    for (std::size_t i = 0; i < 2; ++i) {
      std::string n = i == 0 ? "alpha" : "beta";
      o.bcp.nodes[i] = {{"serve-" + n}, {"receive-" + n}, {"promote-" + n}, {"renew-" + n}};
    }
    o.bcp.lease = lease.count() > 0;
    o.bcp.lease_term = lease;
    runtime = std::make_unique<ClusterRuntime>(
        *script.program, *journal,
        std::array<NodeSetup, 2>{NodeSetup{"alpha", &alpha, {}, {}, {}},
                                 NodeSetup{"beta", &beta, {}, {}, {}}},
        alarms, commands, nullptr, o,
        [this](TimePoint, std::string_view text) { timeline.emplace_back(text); });
    alpha.bring_up();
    beta.bring_up();
    runtime->start(t0);
    run_to(t0);
  }
  // As the daemon does: the runtime runs at its deadlines only, however
  // much output comes between them (output must not push them away).
  void run_to(TimePoint t) {
    while (auto d = runtime->next_deadline()) {
      if (*d > t) break;
      now = std::max(now, *d);
      runtime->advance_to(now);
    }
    now = t;
  }
  /// The id of the newest running command whose program is `prog`.
  std::uint64_t id_of(const std::string& prog) const {
    for (auto it = commands.started.rbegin(); it != commands.started.rend(); ++it)
      if (it->argv[0] == prog) return it->id;
    ADD_FAILURE() << prog << " never started";
    return 0;
  }
  int starts(const std::string& prog) const {
    int n = 0;
    for (const auto& s : commands.started) n += s.argv[0] == prog;
    return n;
  }
  bool killed(std::uint64_t id) const {
    return std::find(commands.killed.begin(), commands.killed.end(), id) != commands.killed.end();
  }
  void say(const std::string& prog, const std::string& text) {
    runtime->on_command_output(id_of(prog), text, now);
  }
  void end(const std::string& prog, int status) {
    runtime->on_command_exit(id_of(prog), status, now);
  }
  repl::Point point(std::uint64_t records, std::uint64_t epoch = 1) const {
    repl::Point p;
    p.records = records;
    p.bytes = records * 50;
    p.hash = 1000 + records;
    p.time_ns = wall0 + static_cast<std::int64_t>(records) * 200'000'000;
    p.epoch = epoch;
    return p;
  }
  /// A source at 5 records/s from t0 to `until`, the replica `behind` records
  /// behind, reported every 200 ms.
  void ship(Duration until, std::uint64_t behind) {
    for (auto t = now - t0; t <= until; t += 200ms) {
      run_to(t0 + t);
      std::uint64_t n = static_cast<std::uint64_t>((t / 200ms));
      say("serve-alpha", repl::format_point("head", point(n)) + "\n");
      say("receive-beta", repl::format_point("replica", point(n > behind ? n - behind : 0)) + "\n");
    }
  }
  void panic_and_fence() {
    runtime->on_console_bytes("alpha", "panic", now);
    runtime->on_console_bytes("alpha", "ok", now);
  }
  bool said(std::string_view part) const {
    for (const auto& l : timeline)
      if (l.find(part) != std::string::npos) return true;
    return false;
  }
  bool alarmed(std::string_view part) const {
    for (const auto& a : alarms.raised)
      if (a.find(part) != std::string::npos) return true;
    return false;
  }
  std::string all() const {
    std::string s;
    for (const auto& l : timeline) s += l + "\n";
    for (const auto& a : alarms.raised) s += "ALARM " + a + "\n";
    return s;
  }
  /// The gate opened: the receiver is killed; it ends; promote runs.
  void promote_ok(std::uint64_t records, std::uint64_t epoch = 2) {
    ASSERT_TRUE(killed(id_of("receive-beta"))) << all();
    end("receive-beta", 137);
    ASSERT_EQ(starts("promote-beta"), 1) << all();
    repl::Point p = point(records, epoch);
    say("promote-beta", repl::format_point("promoted", p) + "\n");
    end("promote-beta", 0);
  }

  TempDir dir;
  chat::LoadedScript script;
  std::unique_ptr<Journal> journal;
  FakeConsole alpha{tty::parse_endpoint("telnet://nts1:7001").value(), {}};
  FakeConsole beta{tty::parse_endpoint("telnet://nts1:7002").value(), {}};
  NoAlarms alarms;
  DrivenCommands commands;
  std::vector<std::string> timeline;
  std::unique_ptr<ClusterRuntime> runtime;
  TimePoint now = t0;
  std::int64_t wall0 = 1'800'000'000'000'000'000;
};

TEST(Bcp, ShippersRunAtTheirSitesAndStartAgainAfterTheyEnd) {
  BcpRig r;
  EXPECT_EQ(r.starts("serve-alpha"), 1);
  EXPECT_EQ(r.starts("receive-beta"), 1);
  EXPECT_EQ(r.starts("serve-beta"), 0);
  r.end("receive-beta", 1);
  r.run_to(t0 + 4s);
  EXPECT_EQ(r.starts("receive-beta"), 1);
  r.run_to(t0 + 5s);
  EXPECT_EQ(r.starts("receive-beta"), 2) << r.all();
  EXPECT_TRUE(r.said("bcp: receive beta ended (1); started again every 5s")) << r.all();
  // Ending the same way again is not said again.
  r.end("receive-beta", 1);
  r.run_to(t0 + 10s);
  EXPECT_EQ(r.starts("receive-beta"), 3);
  int ended = 0;
  for (const auto& l : r.timeline) ended += l.find("receive beta ended") != std::string::npos;
  EXPECT_EQ(ended, 1) << r.all();
  // An error line is said once until it changes.
  r.say("receive-beta", "error cannot reach the source\nerror cannot reach the source\n");
  int n = 0;
  for (const auto& l : r.timeline) n += l.find("cannot reach the source") != std::string::npos;
  EXPECT_EQ(n, 1);
  EXPECT_NE(r.runtime->bcp_json(r.now).find("\"last_error\":\"cannot reach the source\""),
            std::string::npos);
}

TEST(Bcp, TheBootWaitsForThePromotionAndGoesWithinMaxLoss) {
  BcpRig r;
  r.ship(10s, 1);
  r.panic_and_fence();
  EXPECT_EQ(r.runtime->state(), "boot");
  EXPECT_EQ(r.beta.written, "");  // held at the gate
  EXPECT_TRUE(r.said("waits at the failover gate")) << r.all();
  // The replica stopped moving: the gate decides at once (lo 1, hi 1 + a
  // little: within max_loss 50).
  r.run_to(r.now + 3s);
  r.promote_ok(49);
  EXPECT_EQ(r.beta.written, "boot\r") << r.all();
  EXPECT_EQ(r.journal->state().promoted, "beta");
  EXPECT_EQ(r.journal->state().epoch, 2u);
  EXPECT_TRUE(r.alarmed("notice beta's site promoted at 49 records, epoch 2 (promote;")) << r.all();
  // Not started again at the promoted site.
  r.run_to(r.now + 30s);
  EXPECT_EQ(r.starts("receive-beta"), 1) << r.all();
  // The takeover turns the shippers round: beta serves, alpha receives.
  r.runtime->on_console_bytes("beta", "login:", r.now);
  EXPECT_TRUE(r.killed(r.id_of("serve-alpha")));
  r.end("serve-alpha", 137);  // the killed old source ends; then the new one starts
  r.run_to(r.now + 1s);
  EXPECT_EQ(r.starts("serve-beta"), 1) << r.all();
  EXPECT_EQ(r.starts("receive-alpha"), 1) << r.all();
  EXPECT_EQ(r.starts("serve-alpha"), 1) << r.all();
  // The old site's unshipped tail is kept, and alarmed.
  r.say("receive-alpha", "branch file=/d/a.img.branch-e1-x records=3 bytes=150\n");
  EXPECT_TRUE(
      r.alarmed("critical the unshipped tail of alpha's site was kept as a branch "
                "(file=/d/a.img.branch-e1-x records=3 bytes=150)"))
      << r.all();
}

TEST(Bcp, AboveMaxLossItHoldsUntilAnOperatorAcceptsTheLoss) {
  repl::GateConfig g;
  g.max_loss = 10;
  g.gate_timeout = 0s;  // only an operator
  BcpRig r(g);
  r.ship(10s, 2);
  // The head reports stop (the WAN and the site's management path are
  // down); the fence comes 20 s later: up to 5/s × 20 s unseen.
  r.run_to(t0 + 30s);
  r.panic_and_fence();
  r.run_to(r.now + 2s);
  EXPECT_EQ(r.starts("promote-beta"), 0);
  EXPECT_FALSE(r.killed(r.id_of("receive-beta")));
  EXPECT_TRUE(r.alarmed("critical failover held: expected loss 2..")) << r.all();
  EXPECT_TRUE(r.alarmed("gate_timeout 0: only an operator")) << r.all();
  EXPECT_NE(r.runtime->bcp_json(r.now).find("\"gate\":\"hold\""), std::string::npos);
  r.run_to(r.now + 2h);
  EXPECT_EQ(r.starts("promote-beta"), 0);
  EXPECT_EQ(r.beta.written, "");
  std::string why;
  ASSERT_TRUE(r.runtime->accept_loss(r.now, why)) << why;
  r.promote_ok(48);
  EXPECT_EQ(r.beta.written, "boot\r");
  EXPECT_TRUE(r.alarmed("critical beta's site promoted at 48 records, epoch 2 (accepted;"))
      << r.all();
  EXPECT_FALSE(r.runtime->accept_loss(r.now, why));
  EXPECT_EQ(why, "no failover is held at the gate");
}

TEST(Bcp, AStaleHeadDoesNotHoldForeverTheTimeoutOpensTheGate) {
  repl::GateConfig g;
  g.max_loss = 10;
  g.gate_timeout = 5min;
  BcpRig r(g);
  r.ship(10s, 2);
  r.run_to(t0 + 30s);
  r.panic_and_fence();
  r.run_to(r.now + 299s);
  EXPECT_EQ(r.starts("promote-beta"), 0);
  r.run_to(r.now + 2s);
  r.promote_ok(48);
  EXPECT_TRUE(r.alarmed("critical beta's site promoted at 48 records, epoch 2 (timed-out;"))
      << r.all();
  EXPECT_EQ(r.beta.written, "boot\r");
}

TEST(Bcp, AReplicaStillMovingIsWaitedForThenNothingIsLost) {
  repl::GateConfig g;
  g.max_loss = 0;  // only a complete copy goes by itself
  BcpRig r(g);
  r.ship(10s, 5);
  r.panic_and_fence();
  // The source is fenced but its shipper still sends the tail.
  for (std::uint64_t n = 46; n <= 50; ++n) {
    r.run_to(r.now + 500ms);
    r.say("serve-alpha", repl::format_point("head", r.point(50)) + "\n");
    r.say("receive-beta", repl::format_point("replica", r.point(n)) + "\n");
    if (n < 50) {
      EXPECT_EQ(r.starts("promote-beta"), 0) << n;
    }
  }
  r.run_to(r.now + 500ms);
  r.promote_ok(50);
  EXPECT_TRUE(r.said("(promote; expected loss 0..")) << r.all();
  EXPECT_EQ(r.beta.written, "boot\r");
}

TEST(Bcp, APlannedSwitchoverGoesOnlyWhenReplicaAndHeadAgree) {
  repl::GateConfig g;
  g.max_loss = 100;  // would let a lossy one through; a planned one must not
  g.gate_timeout = 1min;
  BcpRig r(g);
  r.ship(10s, 3);
  r.runtime->on_control(chat::EventKind::ControlSwitchover, r.now);
  r.runtime->on_console_bytes("alpha", "ok", r.now);
  r.run_to(r.now + 20s);  // not moving, not caught up
  EXPECT_EQ(r.starts("promote-beta"), 0) << r.all();
  r.run_to(r.now + 1min);
  EXPECT_TRUE(
      r.alarmed("critical planned switchover held: the replica at beta's site has 47 of "
                "50 records"))
      << r.all();
  r.say("receive-beta", repl::format_point("replica", r.point(50)) + "\n");
  r.run_to(r.now + 1s);
  // Equal to the last head seen, but that head came before the fence: the
  // source may have written more since. Not yet.
  EXPECT_EQ(r.starts("promote-beta"), 0) << r.all();
  r.say("serve-alpha", repl::format_point("head", r.point(50)) + "\n");
  r.run_to(r.now + 1s);
  r.promote_ok(50);
  EXPECT_TRUE(r.said("planned switchover: replica and head agree (50 records, hash equal)"))
      << r.all();
}

TEST(Bcp, ObserveModeSaysWhatItWouldDoAndNeverPromotes) {
  BcpRig r({}, /*observe=*/true);
  r.ship(10s, 1);
  r.panic_and_fence();
  r.run_to(r.now + 1h);
  EXPECT_EQ(r.starts("promote-beta"), 0);
  EXPECT_FALSE(r.killed(r.id_of("receive-beta")));
  EXPECT_EQ(r.beta.written, "");
  EXPECT_TRUE(r.alarmed("warning failover gate (observe-only): would promote beta's site now"))
      << r.all();
  std::string why;
  EXPECT_FALSE(r.runtime->accept_loss(r.now, why));
}

TEST(Bcp, AFailedPromotionSendsNoBoot) {
  BcpRig r;
  r.ship(10s, 1);
  r.panic_and_fence();
  r.run_to(r.now + 3s);
  r.end("receive-beta", 137);
  r.say("promote-beta", "clusterd-ship: the image's first 2450 bytes do not match\n");
  r.end("promote-beta", 1);
  EXPECT_EQ(r.beta.written, "");
  EXPECT_TRUE(r.journal->state().promoted.empty());
  EXPECT_TRUE(
      r.alarmed("critical promotion of beta's site failed (exit 1: clusterd-ship: the "
                "image's first 2450 bytes do not match"))
      << r.all();
  // The receiver runs again.
  r.run_to(r.now + 6s);
  EXPECT_EQ(r.starts("receive-beta"), 2) << r.all();
}

TEST(Bcp, AReplicaFallingBehindIsAWarningAndCatchingUpANotice) {
  BcpRig r;
  r.ship(10s, 0);
  // The WAN is cut: the head goes on, the replica stays at 50.
  for (int i = 1; i <= 350; ++i) {
    r.run_to(r.now + 200ms);
    r.say("serve-alpha",
          repl::format_point("head", r.point(50 + static_cast<std::uint64_t>(i))) + "\n");
    if (i == 250) {
      EXPECT_FALSE(r.alarmed("replication behind")) << "at 50 s behind: " << r.all();
    }
  }
  EXPECT_TRUE(r.alarmed("warning replication behind: the replica at beta's site lacks")) << r.all();
  r.say("receive-beta", repl::format_point("replica", r.point(400)) + "\n");
  r.run_to(r.now + 1s);
  EXPECT_TRUE(r.alarmed("notice replication caught up again: 400 records at beta's site"))
      << r.all();
  // A replica point dated in the future is alarmed, not called fresh.
  repl::Point future = r.point(400);
  future.time_ns = r.wall0 + (r.now - t0).count() + 60'000'000'000;
  r.say("receive-beta", repl::format_point("replica", future) + "\n");
  r.run_to(r.now + 1s);
  EXPECT_TRUE(r.alarmed("critical the replica point at beta's site is dated 59 s in the future"))
      << r.all();
}

TEST(Bcp, AnOldEpochReplicaIsRefused) {
  BcpRig r;
  r.say("receive-beta", repl::format_point("replica", r.point(10, 2)) + "\n");
  r.say("receive-beta", repl::format_point("replica", r.point(12, 1)) + "\n");
  auto j = r.runtime->bcp_json(r.now);
  EXPECT_NE(j.find("\"records\":10"), std::string::npos) << j;
  EXPECT_NE(j.find("refused a replica point of epoch 1"), std::string::npos) << j;
}

// site_isolation = lease (repl/lease.h): both sites' leases renewed every
// T/3; with the active's ping down and a renewal failed, renewals to it stop;
// 2T after the last one ended the script hears lease.expired, and the fence
// by lease is accepted; the gate's source stop is T + 1 s after that renewal.
constexpr const char* kLeaseScript = R"(initial state watch {
  on active "panic" { break active } -> fence
  on lease.expired { mark fenced active by lease } -> boot
  on fence.refused -> refused
}
state fence { on active "ok" { mark fenced active } -> boot }
state boot {
  boot standby "boot\r"
  on standby "login:" { takeover } -> watch
  after 30m -> gave_up
}
state refused { after 1h -> refused }
state gave_up { after 1h -> gave_up }
)";

TEST(Bcp, ASiteLostForTwiceItsLeaseIsFencedByLeaseThenPromoted) {
  repl::GateConfig g;
  g.max_loss = 1000;
  BcpRig r(g, false, kLeaseScript, 6s);
  EXPECT_EQ(r.starts("renew-alpha"), 1);
  EXPECT_EQ(r.starts("renew-beta"), 1);
  // Renewals get through every 2 s while both sites are reachable.
  auto renew_round = [&](int status) {
    r.runtime->on_command_exit(r.id_of("renew-alpha"), status, r.now);
    r.runtime->on_command_exit(r.id_of("renew-beta"), 0, r.now);
  };
  r.ship(100ms, 0);
  renew_round(0);
  for (int k = 1; k <= 5; ++k) {
    r.ship(2s * k + 100ms, 2);
    renew_round(0);
  }
  EXPECT_EQ(r.starts("renew-alpha"), 6) << r.all();
  EXPECT_FALSE(r.said("lease.expired"));
  // Site A goes dark at 10.2 s: ping down; the 12 s renewal fails at 12.5 s.
  r.run_to(t0 + 10200ms);
  r.runtime->on_ping(false, r.now);
  r.run_to(t0 + 12500ms);
  EXPECT_EQ(r.starts("renew-alpha"), 7);
  r.runtime->on_command_exit(r.id_of("renew-alpha"), 255, r.now);
  r.runtime->on_command_exit(r.id_of("renew-beta"), 0, r.now);
  EXPECT_TRUE(r.alarmed("lease renewals to alpha's site fail (exit 255)")) << r.all();
  // No more renewals to alpha; beta's go on.
  r.run_to(t0 + 20s);
  EXPECT_EQ(r.starts("renew-alpha"), 7) << r.all();
  EXPECT_GT(r.starts("renew-beta"), 7);
  EXPECT_TRUE(r.said("renewals of alpha's lease stop")) << r.all();
  // The failed renewal started at 12 s and could land until 14 s (it was
  // told --not-after, and would be killed then): 2T after that, not before.
  std::vector<std::string> last_renew;
  for (const auto& s : r.commands.started)
    if (s.argv[0] == "renew-alpha") last_renew = s.argv;
  EXPECT_EQ(last_renew,
            (std::vector<std::string>{"renew-alpha", "--not-after",
                                      std::to_string((r.wall0 + 14'000'000'000) / 1'000'000)}));
  r.run_to(t0 + 25900ms);
  EXPECT_FALSE(r.said("lease.expired")) << r.all();
  EXPECT_FALSE(r.said("fenced alpha"));
  r.run_to(t0 + 26100ms);
  EXPECT_TRUE(r.said("lease.expired")) << r.all();
  EXPECT_TRUE(r.said("fenced alpha (by lease")) << r.all();
  EXPECT_NE(r.journal->state().fenced.count("alpha"), 0u);
  // The boot waits at the gate; the source stopped by 14 + 6 + 1 = 21 s.
  EXPECT_TRUE(r.said("bcp: the boot of beta waits at the failover gate")) << r.all();
  r.run_to(t0 + 45s);  // the drain (no source reports) and the decision
  r.promote_ok(48);
  EXPECT_TRUE(r.said("send beta \"boot\\r\" (boot")) << r.all();
  EXPECT_NE(r.journal->state().promoted, "");
}

TEST(Bcp, NoFenceByLeaseWhileARenewalRunsOrWithoutAKeeper) {
  repl::GateConfig g;
  g.max_loss = 1000;
  BcpRig r(g, false, kLeaseScript, 6s);
  // The site answers but no keeper runs there: a critical alarm, and never a
  // fence by lease, however long alpha stays lost.
  r.runtime->on_command_exit(r.id_of("renew-alpha"), 3, r.now);
  EXPECT_TRUE(r.alarmed("no lease keeper runs at alpha's site")) << r.all();
  r.runtime->on_ping(false, r.now);
  for (int k = 1; k <= 30; ++k) {
    r.run_to(t0 + 2s * k + 100ms);
    if (r.starts("renew-alpha") > k) r.runtime->on_command_exit(r.id_of("renew-alpha"), 3, r.now);
  }
  EXPECT_FALSE(r.said("lease.expired")) << r.all();
  EXPECT_EQ(r.journal->state().fenced.count("alpha"), 0u);
  // A keeper held it once: a renewal that hangs is killed after T/3, and
  // while one runs no expiry is counted.
  BcpRig h(g, false, kLeaseScript, 6s);
  h.runtime->on_command_exit(h.id_of("renew-alpha"), 0, h.now);
  h.run_to(t0 + 2s);
  EXPECT_EQ(h.starts("renew-alpha"), 2);
  h.run_to(t0 + 4s);
  EXPECT_TRUE(h.killed(h.id_of("renew-alpha"))) << h.all();
  h.runtime->on_command_exit(h.id_of("renew-alpha"), 137, h.now);
  EXPECT_TRUE(h.alarmed("lease renewals to alpha's site fail (killed after 2s)")) << h.all();
  // Ping up: renewals go on (each failure moves the last contact on).
  for (int k = 3; k <= 15; ++k) {
    h.run_to(t0 + 2s * k + 100ms);
    h.runtime->on_command_exit(h.id_of("renew-alpha"), 255, h.now);
  }
  EXPECT_FALSE(h.said("lease.expired")) << h.all();
  EXPECT_EQ(h.journal->state().fenced.count("alpha"), 0u);
}

}  // namespace
}  // namespace clusterd
