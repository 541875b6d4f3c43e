// scripts/x86-bmc.chat drives two x86 NodeModels in virtual time, in the real
// chat Interpreter: its power actions go to the nodes as their BMCs pass them
// on (power-off, power-on, the result read back from the node's state), its
// `exec ssh … 'systemctl poweroff'` to the active's `shutdown`, as the node's
// sshd with a forced command would. The planned switchover must find the
// active off by itself before its power-off, and a shutdown that hangs must
// end in the hard power-off after planned_stop_timeout; both with a clean
// ledger (no overlap) and every acknowledged write on the disk.
#include <gtest/gtest.h>

#include <deque>

#include "chat/actuator.h"
#include "chat/interpreter.h"
#include "chat/parser.h"
#include "chat/script.h"
#include "sim_fixture.h"

namespace clusterd::sim::testing {
namespace {

using namespace std::literals;
using chat::Channel;

class X86ScriptLoopTest : public SimTest, public chat::Actuator {
 protected:
  NodeConfig x86_config(std::string name, bool powered) {
    NodeConfig c = test_config(std::move(name));
    c.platform = Platform::X86;
    c.knobs.os = Os::Linux;
    c.start_powered = powered;
    return c;
  }
  void start(std::string shutdown_reply_mode) {
    shutdown_command_ = std::move(shutdown_reply_mode);
    chat::FileLoader files;
    script_ = chat::load_script(std::string(CLUSTERD_SOURCE_DIR) + "/scripts/x86-bmc.chat", files);
    ASSERT_TRUE(script_.ok()) << "scripts/x86-bmc.chat does not compile";
    NodeConfig ca = x86_config("alpha", true), cb = x86_config("beta", false);
    alpha_ = make("alpha", true, &ca);
    beta_ = make("beta", true, &cb);
    run_for(7s, {alpha_.get(), beta_.get()});
    ASSERT_EQ(alpha_->m->state(), State::Running);
    ASSERT_EQ(beta_->m->state(), State::Off);
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

  // Moves bytes, commands and power results both ways until nothing is left.
  void settle() {
    for (int guard = 0; guard < 1000; ++guard) {
      bool moved = false;
      for (Node* n : {alpha_.get(), beta_.get()}) {
        std::string out = n->fx.take();
        if (!out.empty()) {
          in_->on_bytes(role(*n), out, now);
          moved = true;
        }
      }
      while (!execs_.empty()) {
        std::vector<std::string> argv = std::move(execs_.front());
        execs_.pop_front();
        if (argv.size() == 5 && argv[0] == "ssh" && argv[4] == "systemctl poweroff") {
          Node& n = argv[3] == "alpha" ? *alpha_ : *beta_;
          shutdown_replies_.push_back(n.m->control(shutdown_command_, now));
          in_->on_event(chat::Event{chat::EventKind::ShExit, Channel::Sh, 0}, now);
        }
        moved = true;
      }
      while (!powers_.empty()) {
        auto [ch, op] = powers_.front();
        powers_.pop_front();
        Node& n = node(ch);
        bool off = op == chat::PowerOp::Off;
        power_log_.push_back(std::string(&n == alpha_.get() ? "alpha " : "beta ") +
                             (off ? "off in " : "on in ") + std::string(n.m->state_name()));
        if (off) {
          n.m->control("power-off", now);
        } else if (n.m->state() == State::Off) {
          n.m->control("power-on", now);
        }
        // The BMC's status reads back what the node is.
        bool reads_off = n.m->state() == State::Off;
        chat::EventKind k = off == reads_off
                                ? (off ? chat::EventKind::PowerOff : chat::EventKind::PowerOn)
                                : chat::EventKind::PowerFailed;
        in_->on_event(chat::Event{k, ch, 0, {}}, now);
        moved = true;
      }
      if (!moved) return;
    }
    FAIL() << "script and nodes keep talking";
  }

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
  std::size_t criticals() const {
    return static_cast<std::size_t>(std::count_if(alarms_.begin(), alarms_.end(), [](auto& a) {
      return a.first == chat::AlarmSeverity::Critical;
    }));
  }

  // chat::Actuator: what the script does goes to the nodes after the call.
  void send(Channel ch, std::string_view b) override {
    if (b != "\r") sent_.emplace_back(ch, std::string(b));
  }
  void boot(Channel ch, std::string_view b) override { sent_.emplace_back(ch, std::string(b)); }
  void send_secret(Channel, std::string_view) override {}
  void send_break(Channel) override { ++breaks_; }
  void alarm(chat::AlarmSeverity s, std::string_view t) override { alarms_.emplace_back(s, t); }
  void exec(const std::vector<std::string>& argv) override { execs_.push_back(argv); }
  void log(std::string_view) override {}
  bool mark_fenced(Channel, chat::FenceHow how, const chat::FenceEvidence&) override {
    fenced_by_power_ = how == chat::FenceHow::Power;
    return true;
  }
  void takeover() override {
    swapped_ = !swapped_;
    takeover_at_ = now;
  }
  void power(Channel ch, chat::PowerOp op) override { powers_.emplace_back(ch, op); }
  void entered(const chat::StateChange& c) override {
    states_.push_back(script_.program->states[static_cast<std::size_t>(c.to)].name);
  }

  std::string shutdown_command_;
  chat::LoadedScript script_;
  std::unique_ptr<Node> alpha_, beta_;
  std::unique_ptr<chat::Interpreter> in_;
  std::deque<std::vector<std::string>> execs_;
  std::deque<std::pair<Channel, chat::PowerOp>> powers_;
  std::vector<std::pair<Channel, std::string>> sent_;
  std::vector<std::string> shutdown_replies_, power_log_, states_;
  std::vector<std::pair<chat::AlarmSeverity, std::string>> alarms_;
  int breaks_ = 0;
  std::optional<TimePoint> takeover_at_;
  bool swapped_ = false;
  bool fenced_by_power_ = false;
};

TEST_F(X86ScriptLoopTest, PlannedSwitchoverFindsAlphaOffByItselfBeforeItsPowerOff) {
  start("shutdown");
  run(1s);
  std::uint64_t writes = alpha_->m->writes();
  in_->on_event(chat::Event{chat::EventKind::ControlSwitchover}, now);
  run(20s);
  EXPECT_EQ(shutdown_replies_, std::vector<std::string>{"ok"});
  for (const char* s : {"planned_stop", "planned_stopping", "fence", "boot", "booting"})
    EXPECT_TRUE(was_in(s)) << s << " never entered; states: " << ::testing::PrintToString(states_);
  EXPECT_EQ(power_log_, (std::vector<std::string>{"alpha off in OFF", "beta on in OFF"}))
      << "alpha powered itself off before the fence's power-off";
  EXPECT_TRUE(fenced_by_power_);
  ASSERT_TRUE(takeover_at_.has_value());
  EXPECT_EQ(criticals(), 0u);
  EXPECT_EQ(breaks_, 0);
  EXPECT_TRUE(sent_.empty()) << "nothing typed at either console";
  EXPECT_EQ(alpha_->m->state(), State::Off);
  EXPECT_EQ(beta_->m->state(), State::Running);
  auto stop = alpha_->fx.events("service_stop");
  ASSERT_EQ(stop.size(), 1u);
  EXPECT_GE(alpha_->m->writes(), writes);
  EXPECT_EQ(stop[0].get("last_seq"), alpha_->fx.events("write").back().get("seq"));
  EXPECT_EQ(alpha_->fx.events("lease_release").back().get("why"), "shutdown");
  EXPECT_EQ(disk.records().size(),
            alpha_->fx.events("write").size() + beta_->fx.events("write").size())
      << "every acknowledged write is on the disk";
  CheckReport rep = check_ledger(merged());
  EXPECT_TRUE(rep.clean()) << rep.summary();
  EXPECT_EQ(rep.overlap_ms(), 0.0);
  EXPECT_EQ(in_->state_name(), "watch");
}

TEST_F(X86ScriptLoopTest, AShutdownThatHangsIsPoweredOffHardAfterPlannedStopTimeout) {
  start("shutdown hang");
  run(1s);
  in_->on_event(chat::Event{chat::EventKind::ControlSwitchover}, now);
  TimePoint asked = now;
  run(4min + 59s);
  EXPECT_TRUE(power_log_.empty()) << "no power-off before planned_stop_timeout (5m)";
  EXPECT_EQ(alpha_->m->state(), State::Stopping);
  run(30s);
  EXPECT_EQ(power_log_, (std::vector<std::string>{"alpha off in STOPPING", "beta on in OFF"}));
  ASSERT_EQ(criticals(), 1u);
  auto crit = std::find_if(alarms_.begin(), alarms_.end(),
                           [](auto& a) { return a.first == chat::AlarmSeverity::Critical; });
  EXPECT_NE(crit->second.find("did not power it off within 5m"), std::string::npos) << crit->second;
  ASSERT_TRUE(takeover_at_.has_value());
  EXPECT_GT(*takeover_at_ - asked, 5min);
  EXPECT_EQ(alpha_->fx.events("lease_release").back().get("why"), "power-off");
  CheckReport rep = check_ledger(merged());
  EXPECT_TRUE(rep.clean()) << rep.summary();
  EXPECT_EQ(rep.overlap_ms(), 0.0);
}

}  // namespace
}  // namespace clusterd::sim::testing
