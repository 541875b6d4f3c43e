// Watch in virtual time: a simulated network answers (or not) each probe,
// and the exact sequence of reported events is checked, isolation rule
// included.
#include "probe/watch.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <sstream>

namespace clusterd::probe {
namespace {

using namespace std::chrono_literals;
const TimePoint t0{std::chrono::hours(1)};
const TrackerConfig kEverySecond{1s, 3, Duration::zero()};

// Drives a Watch the way PingDetector does, on virtual time: at each
// deadline it expires probes, sends what is due (reference first) and
// answers each probe 1 ms later when the target is alive at send time.
class Sim {
 public:
  explicit Sim(Watch& w) : w_(w) {}
  std::function<bool(Duration)> node_alive = [](Duration) { return true; };
  std::function<bool(Duration)> ref_alive = [](Duration) { return true; };

  // Runs until t0 + `end`; returns "+SECONDSs event[ held]" lines.
  std::string run_until(Duration end) {
    while (true) {
      auto d = w_.next_deadline();
      TimePoint next = d ? *d : TimePoint::max();
      if (!replies_.empty()) next = std::min(next, replies_.begin()->first);
      if (next > t0 + end) break;
      now_ = next;
      deliver(now_);
      w_.advance_to(now_);
      send(true);
      send(false);
      log(w_.take_events(now_));
    }
    now_ = t0 + end;
    std::string out = log_.str();
    log_.str("");
    return out;
  }
  TimePoint now() const { return now_; }

 private:
  void send(bool reference) {
    ReachTracker* t = reference ? static_cast<ReachTracker*>(w_.reference()) : &w_.node();
    if (!t || !t->send_due(now_)) return;
    std::uint16_t seq = ++seq_;
    t->on_sent(seq, now_);
    if ((reference ? ref_alive : node_alive)(now_ - t0))
      replies_.insert({now_ + 1ms, {reference, seq}});
  }
  void deliver(TimePoint now) {
    while (!replies_.empty() && replies_.begin()->first <= now) {
      auto [reference, seq] = replies_.begin()->second;
      replies_.erase(replies_.begin());
      ReachTracker* t = reference ? static_cast<ReachTracker*>(w_.reference()) : &w_.node();
      t->on_reply(seq, now, 1ms);
      log(w_.take_events(now));
    }
  }
  void log(const std::vector<Change>& changes) {
    for (const Change& c : changes) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(c.at - t0).count();
      log_ << "+" << ms / 1000 << "." << (ms % 1000 < 100 ? "0" : "") << (ms % 1000 < 10 ? "0" : "")
           << ms % 1000 << "s " << probe_event_name(c.event) << (c.held ? " held" : "") << "\n";
    }
  }

  Watch& w_;
  TimePoint now_ = t0;
  std::uint16_t seq_ = 0;
  std::multimap<TimePoint, std::pair<bool, std::uint16_t>> replies_;
  std::ostringstream log_;
};

auto dead_between(Duration from, Duration to) {
  return [from, to](Duration t) { return t < from || t >= to; };
}

TEST(Watch, WithoutReferenceNodeLossIsReportedPlainly) {
  Watch w(kEverySecond, std::nullopt);
  Sim sim(w);
  sim.node_alive = dead_between(10500ms, 20500ms);
  w.start(t0);
  // Probes at 11, 12, 13 s are lost; the third times out at 14 s. The probe
  // at 21 s is answered 1 ms later.
  EXPECT_EQ(sim.run_until(30s),
            "+0.001s ping.up\n"
            "+14.000s ping.down\n"
            "+21.001s ping.up\n");
}

TEST(Watch, NodeLossWhileTheReferenceAnswersIsPingDown) {
  Watch w(kEverySecond, kEverySecond);
  Sim sim(w);
  sim.node_alive = dead_between(10500ms, 1h);
  w.start(t0);
  EXPECT_EQ(sim.run_until(30s),
            "+0.001s monitor.ok\n"
            "+0.001s ping.up\n"
            "+14.000s ping.down\n");
  EXPECT_FALSE(w.isolated());
}

TEST(Watch, MonitorLinkLossIsIsolationAndNeverPingDown) {
  // Given the monitor's own link down from 10.5 s to 20.5 s, node and
  // reference probes are lost together: monitor.isolated, no ping.down.
  Watch w(kEverySecond, kEverySecond);
  Sim sim(w);
  sim.node_alive = sim.ref_alive = dead_between(10500ms, 20500ms);
  w.start(t0);
  EXPECT_EQ(sim.run_until(30s),
            "+0.001s monitor.ok\n"
            "+0.001s ping.up\n"
            "+14.000s monitor.isolated\n"
            "+21.001s monitor.ok\n");
  EXPECT_EQ(w.reported_node(), Reach::Up);  // never reported down
}

TEST(Watch, NodeStillDownWhenTheMonitorRecoversIsReportedHeld) {
  Watch w(kEverySecond, kEverySecond);
  Sim sim(w);
  sim.node_alive = dead_between(10500ms, 1h);
  sim.ref_alive = dead_between(10500ms, 20500ms);
  w.start(t0);
  EXPECT_EQ(sim.run_until(30s),
            "+0.001s monitor.ok\n"
            "+0.001s ping.up\n"
            "+14.000s monitor.isolated\n"
            "+21.001s monitor.ok\n"
            "+22.000s ping.down held\n");
}

TEST(Watch, AReferenceThatIsMissingHoldsPingDownUntilItIsIsolated) {
  // Given the reference needs 5 misses and the node 3: at 14 s the node is
  // down but the reference has missed 3 probes, so nothing is reported until
  // it is isolated at 16 s; ping.down never comes.
  Watch w(kEverySecond, TrackerConfig{1s, 5, Duration::zero()});
  Sim sim(w);
  sim.node_alive = sim.ref_alive = dead_between(10500ms, 1h);
  w.start(t0);
  EXPECT_EQ(sim.run_until(30s),
            "+0.001s monitor.ok\n"
            "+0.001s ping.up\n"
            "+16.000s monitor.isolated\n");
}

TEST(Watch, AReferenceBlipDelaysPingDownToItsNextAnswer) {
  // Given the reference loses one probe (at 13 s) while the node dies, the
  // node's down at 14 s waits for the reference's answer at 14.001 s and a
  // node miss after it: the probe sent at 14 s times out at 15 s.
  Watch w(kEverySecond, kEverySecond);
  Sim sim(w);
  sim.node_alive = dead_between(10500ms, 1h);
  sim.ref_alive = dead_between(12500ms, 13500ms);
  w.start(t0);
  EXPECT_EQ(sim.run_until(30s),
            "+0.001s monitor.ok\n"
            "+0.001s ping.up\n"
            "+15.000s ping.down held\n");
}

TEST(Watch, PingDownWaitsForTheReferencesFirstAnswerAtStart) {
  Watch w(TrackerConfig{1s, 1, Duration::zero()}, kEverySecond);
  Sim sim(w);
  sim.node_alive = [](Duration) { return false; };
  sim.ref_alive = dead_between(0s, 1500ms);  // the reference misses its first two probes
  w.start(t0);
  // The node is down at 1 s (one miss), but nothing has shown the monitor's
  // network works until the reference answers its probe of 2 s; the node's
  // probe of 2 s times out at 3 s.
  EXPECT_EQ(sim.run_until(10s),
            "+2.001s monitor.ok\n"
            "+3.000s ping.down held\n");
}

TEST(Watch, NodeThatComesBackWhileIsolatedIsNeverReportedDown) {
  Watch w(kEverySecond, kEverySecond);
  Sim sim(w);
  sim.node_alive = dead_between(10500ms, 16500ms);
  sim.ref_alive = dead_between(10500ms, 25500ms);
  w.start(t0);
  EXPECT_EQ(sim.run_until(30s),
            "+0.001s monitor.ok\n"
            "+0.001s ping.up\n"
            "+14.000s monitor.isolated\n"
            "+26.001s monitor.ok\n");
}

TEST(Watch, RetargetReportsTheNewNodesFirstAnswerEvenIfTheLevelRepeats) {
  Watch w(kEverySecond, kEverySecond);
  Sim sim(w);
  w.start(t0);
  EXPECT_EQ(sim.run_until(5500ms), "+0.001s monitor.ok\n+0.001s ping.up\n");
  w.retarget(sim.now());  // takeover at 5.5 s: the new node's probe goes out at once
  EXPECT_EQ(w.reported_node(), Reach::Unknown);
  EXPECT_EQ(sim.run_until(10s), "+5.501s ping.up\n");
}

TEST(Watch, RetargetToADeadNodeReportsDownAfterItsMisses) {
  Watch w(kEverySecond, kEverySecond);
  Sim sim(w);
  w.start(t0);
  sim.run_until(5500ms);
  sim.node_alive = [](Duration) { return false; };
  w.retarget(sim.now());  // probes at 5.5, 6.5, 7.5 s; the last times out at 8.5 s
  EXPECT_EQ(sim.run_until(10s), "+8.500s ping.down\n");
}

TEST(Watch, TheReferenceAnsweringFirstAfterAnOutageDoesNotReleaseOldNodeMisses) {
  // Given the monitor's link back at 20.5 s and the reference's answer
  // arriving before the node's (both probes sent at 21 s), the node's misses
  // from the outage are not reported: its answer follows and all is well.
  Watch w(kEverySecond, kEverySecond);
  w.start(t0);
  TimePoint t = t0;
  std::uint16_t seq = 0;
  auto both_sent = [&](TimePoint at) {
    w.advance_to(at);
    w.reference()->on_sent(++seq, at);
    w.node().on_sent(++seq, at);
    return seq;
  };
  std::uint16_t s = both_sent(t);
  w.reference()->on_reply(static_cast<std::uint16_t>(s - 1), t + 1ms, 1ms);
  w.node().on_reply(s, t + 1ms, 1ms);
  EXPECT_EQ(w.take_events(t + 1ms).size(), 2u);
  for (int i = 1; i <= 4; ++i) {
    both_sent(t0 + i * 1s);  // all lost; the timeouts of 1..3 s make both down at 4 s
    EXPECT_EQ(w.take_events(t0 + i * 1s).size(), i == 4 ? 1u : 0u) << i;  // monitor.isolated
  }
  s = both_sent(t0 + 5s);
  w.reference()->on_reply(static_cast<std::uint16_t>(s - 1), t0 + 5s + 1ms, 1ms);
  auto ev = w.take_events(t0 + 5s + 1ms);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].event, ProbeEvent::MonitorOk);
  EXPECT_EQ(w.node().level(), Reach::Down);  // not answered yet, but not reported
  w.node().on_reply(s, t0 + 5s + 2ms, 2ms);
  EXPECT_TRUE(w.take_events(t0 + 5s + 2ms).empty());  // still up as last reported
  EXPECT_EQ(w.reported_node(), Reach::Up);
}

TEST(Watch, NextDeadlineIsTheEarlierTrackers) {
  Watch w(TrackerConfig{1s, 3, Duration::zero()}, TrackerConfig{5s, 3, 300ms});
  EXPECT_EQ(w.next_deadline(), std::nullopt);
  w.start(t0);
  w.reference()->on_sent(1, t0);
  w.node().on_sent(2, t0);
  EXPECT_EQ(w.next_deadline(), t0 + 300ms);  // the reference probe's timeout
  w.stop();
  EXPECT_EQ(w.next_deadline(), std::nullopt);
}

}  // namespace
}  // namespace clusterd::probe
