// The stock script drives the simulator: scripts/sparc-obp.chat in the real
// chat Interpreter, two NodeModels as its consoles, all in virtual time. It
// checks that what nodesim prints is what scripts/lib/patterns.chat expects
// (prompt, "Type 'go'", auto-boot? read-back, banner, panic, login), and that
// the whole failover leaves a clean ledger: no overlap, no write after fence.
#include <gtest/gtest.h>

#include <deque>
#include <variant>

#include "chat/actuator.h"
#include "chat/interpreter.h"
#include "chat/parser.h"
#include "chat/script.h"
#include "sim_fixture.h"

namespace clusterd::sim::testing {
namespace {

using namespace std::literals;
using chat::Channel;

class ScriptLoopTest : public SimTest, public chat::Actuator {
 protected:
  void SetUp() override {
    chat::FileLoader files;
    script_ =
        chat::load_script(std::string(CLUSTERD_SOURCE_DIR) + "/scripts/sparc-obp.chat", files);
    ASSERT_TRUE(script_.ok()) << "scripts/sparc-obp.chat does not compile";
    alpha_ = make("alpha", true);
    beta_ = make("beta", false);
    run_nodes(6s);
    ASSERT_EQ(alpha_->m->state(), State::Running);
    ASSERT_EQ(beta_->m->state(), State::Ok);
    alpha_->fx.take();
    beta_->fx.take();
    chat::InterpreterOptions opt;
    opt.active_name = "alpha";
    opt.standby_name = "beta";
    in_ = std::make_unique<chat::Interpreter>(*script_.program, *this, opt);
    in_->start(now);
  }

  Node& node(Channel ch) { return *((ch == Channel::Active) == !swapped_ ? alpha_ : beta_); }
  Channel role(const Node& n) const {
    return (&n == alpha_.get()) == !swapped_ ? Channel::Active : Channel::Standby;
  }
  void run_nodes(Duration d) { run_for(d, {alpha_.get(), beta_.get()}); }

  // Moves bytes and commands both ways until nothing is left to move.
  void settle() {
    for (int guard = 0; guard < 1000; ++guard) {
      bool moved = false;
      if (pending_ping_up_) {
        pending_ping_up_ = false;
        in_->on_event(chat::Event{chat::EventKind::PingUp}, now);
        moved = true;
      }
      for (Node* n : {alpha_.get(), beta_.get()}) {
        std::string out = n->fx.take();
        if (!out.empty()) {
          in_->on_bytes(role(*n), out, now);
          moved = true;
        }
      }
      while (!execs_.empty()) {
        // The node's sshd with a forced command: a clean shutdown of the
        // node named in `ssh -F CONFIG NODE COMMAND`, then ssh's exit 0.
        std::vector<std::string> argv = std::move(execs_.front());
        execs_.pop_front();
        if (argv.size() == 5 && argv[0] == "ssh" && argv[4] == "shutdown -i0 -g0 -y") {
          Node& n = argv[3] == "alpha" ? *alpha_ : *beta_;
          shutdown_replies_.push_back(n.m->control("shutdown", now));
          in_->on_event(chat::Event{chat::EventKind::ShExit, Channel::Sh, 0}, now);
        }
        moved = true;
      }
      while (!to_nodes_.empty()) {
        auto [ch, what] = to_nodes_.front();
        to_nodes_.pop_front();
        if (what.empty())
          node(ch).m->on_break(BreakVia::TelnetBrk, now);
        else
          node(ch).m->on_input(what, now);
        moved = true;
      }
      if (!moved) return;
    }
    FAIL() << "script and nodes keep talking";
  }

  // Virtual time: every node and script deadline in order until `d` passes.
  void run(Duration d) {
    TimePoint end = now + d;
    settle();
    for (;;) {
      std::optional<TimePoint> next = in_->next_deadline();
      for (Node* n : {alpha_.get(), beta_.get()}) {
        auto nd = n->m->next_deadline();
        if (nd && (!next || *nd < *next)) next = nd;
      }
      if (!next || *next > end) break;
      now = std::max(now, *next);
      alpha_->m->advance_to(now);
      beta_->m->advance_to(now);
      in_->advance_to(now);
      settle();
    }
    now = end;
    in_->advance_to(now);
    settle();
  }

  std::vector<std::string> merged() const {
    std::vector<std::string> all = alpha_->fx.lines;
    all.insert(all.end(), beta_->fx.lines.begin(), beta_->fx.lines.end());
    return all;
  }
  bool was_in(const std::string& s) const {
    return std::find(states_.begin(), states_.end(), s) != states_.end();
  }

  // chat::Actuator: what the script does goes to the nodes (after the
  // current call: the interpreter must not be re-entered).
  void send(Channel ch, std::string_view b) override { to_nodes_.emplace_back(ch, std::string(b)); }
  void boot(Channel ch, std::string_view b) override { to_nodes_.emplace_back(ch, std::string(b)); }
  void send_secret(Channel, std::string_view) override {}
  void send_break(Channel ch) override {
    breaks_.push_back(now);
    to_nodes_.emplace_back(ch, std::string());
  }
  void alarm(chat::AlarmSeverity, std::string_view t) override { alarms_.emplace_back(t); }
  void exec(const std::vector<std::string>& argv) override { execs_.push_back(argv); }
  void log(std::string_view) override {}
  bool mark_fenced(Channel, chat::FenceHow how, const chat::FenceEvidence&) override {
    fenced_presumed_ = how == chat::FenceHow::Presumed;
    return true;
  }
  void takeover() override {
    swapped_ = !swapped_;
    takeover_at_ = now;
    // The runtime pings the new active, which answers.
    pending_ping_up_ = true;
  }
  void power(Channel, chat::PowerOp) override {}
  void entered(const chat::StateChange& c) override {
    states_.push_back(script_.program->states[static_cast<std::size_t>(c.to)].name);
  }

  chat::LoadedScript script_;
  std::unique_ptr<Node> alpha_, beta_;
  std::unique_ptr<chat::Interpreter> in_;
  std::deque<std::pair<Channel, std::string>> to_nodes_;  // empty string = BREAK
  std::deque<std::vector<std::string>> execs_;
  std::vector<std::string> shutdown_replies_;
  std::vector<std::string> states_, alarms_;
  std::vector<TimePoint> breaks_;
  std::optional<TimePoint> takeover_at_;
  bool swapped_ = false;
  bool fenced_presumed_ = false;
  bool pending_ping_up_ = false;
};

TEST_F(ScriptLoopTest, PingLossWithLiveConsoleFencesAlphaAndBootsBetaWithZeroOverlap) {
  in_->on_event(chat::Event{chat::EventKind::PingDown}, now);
  run(25s);  // network_loss_holdoff (10 s) with ping still down, then the fence and the boot
  for (const char* s :
       {"confirm", "network_loss_hold", "fence", "lock_active", "readback_active", "boot_standby"})
    EXPECT_TRUE(was_in(s)) << s << " never entered; states: " << ::testing::PrintToString(states_);
  ASSERT_TRUE(takeover_at_.has_value());
  EXPECT_FALSE(fenced_presumed_) << "the fence must be confirmed by the read-back";
  EXPECT_EQ(alpha_->m->state(), State::Ok);
  EXPECT_FALSE(alpha_->m->nvram().auto_boot);
  EXPECT_EQ(beta_->m->state(), State::Running);
  CheckReport rep = check_ledger(merged());
  EXPECT_TRUE(rep.clean()) << rep.summary();
  EXPECT_EQ(in_->state_name(), "watch");
}

TEST_F(ScriptLoopTest, PanicOnTheActiveIsCaughtBeforeItsRebootAndBetaTakesOver) {
  alpha_->m->control("panic", now);
  run(10s);
  EXPECT_TRUE(was_in("fence"));
  ASSERT_TRUE(takeover_at_.has_value());
  EXPECT_EQ(alpha_->m->state(), State::Ok) << "stopped during the dump, never rebooted";
  EXPECT_EQ(alpha_->fx.events("lease_acquire").size(), 1u) << "only its first mount";
  EXPECT_TRUE(check_ledger(merged()).clean());
}

// A planned switchover on a healthy cluster: the stock script's ssh reaches
// alpha's shutdown, whose text (console_text.h) the script follows to `ok`;
// no BREAK, the lock read back, beta booted once, no overlap, and alpha's
// last write on the disk before it let it go.
TEST_F(ScriptLoopTest, PlannedSwitchoverShutsAlphaDownCleanlyWithoutABreak) {
  run(1s);
  in_->on_event(chat::Event{chat::EventKind::ControlSwitchover}, now);
  run(15s);
  EXPECT_EQ(shutdown_replies_, std::vector<std::string>{"ok"});
  for (const char* s :
       {"planned_stop", "planned_stopping", "lock_active", "readback_active", "boot_standby"})
    EXPECT_TRUE(was_in(s)) << s << " never entered; states: " << ::testing::PrintToString(states_);
  EXPECT_FALSE(was_in("fence"));
  EXPECT_TRUE(breaks_.empty()) << "a planned switchover sends no BREAK";
  EXPECT_TRUE(alpha_->fx.events("break").empty());
  ASSERT_TRUE(takeover_at_.has_value());
  EXPECT_FALSE(fenced_presumed_);
  EXPECT_EQ(alpha_->m->state(), State::Ok);
  EXPECT_FALSE(alpha_->m->nvram().auto_boot) << "locked by the script after the halt";
  EXPECT_EQ(beta_->m->state(), State::Running);
  EXPECT_EQ(beta_->fx.events("lease_acquire").size(), 1u);
  auto stop = alpha_->fx.events("service_stop");
  ASSERT_EQ(stop.size(), 1u);
  EXPECT_EQ(stop[0].get("last_seq"), alpha_->fx.events("write").back().get("seq"));
  EXPECT_EQ(alpha_->fx.events("lease_release").back().get("why"), "shutdown");
  CheckReport rep = check_ledger(merged());
  EXPECT_TRUE(rep.clean()) << rep.summary();
  EXPECT_EQ(rep.overlap_ms(), 0.0);
  for (const auto& a : alarms_) EXPECT_EQ(a.find("fencing"), std::string::npos) << a;
  EXPECT_EQ(in_->state_name(), "watch");
}

TEST_F(ScriptLoopTest, StandbyBootedByHandIsHeldAtOkBeforeTMount) {
  beta_->m->on_input("boot\r", now);
  TimePoint typed = now;
  run(10s);
  EXPECT_TRUE(was_in("stop_standby"));
  EXPECT_TRUE(was_in("readback_standby"));
  ASSERT_FALSE(breaks_.empty());
  EXPECT_LT(breaks_.front() - typed, 3s) << "T_halt_rogue must be under T_mount";
  EXPECT_EQ(beta_->m->state(), State::Ok);
  EXPECT_TRUE(beta_->fx.events("lease_acquire").empty());
  EXPECT_FALSE(beta_->m->nvram().auto_boot);
  EXPECT_EQ(alpha_->m->state(), State::Running) << "the active is left alone";
  EXPECT_TRUE(check_ledger(merged()).clean());
}

TEST_F(ScriptLoopTest, StandbyPoweredOnWithDeadBatteryIsStoppedAtItsBanner) {
  // S1b: beta comes back with NVRAM reset (auto-boot? true).
  beta_->m->control("battery-dead", now);
  beta_->m->control("power-cycle", now);
  run(10s);
  EXPECT_TRUE(was_in("stop_standby"));
  EXPECT_EQ(beta_->m->state(), State::Ok);
  EXPECT_TRUE(beta_->fx.events("lease_acquire").empty());
  EXPECT_TRUE(check_ledger(merged()).clean());
}

}  // namespace
}  // namespace clusterd::sim::testing
