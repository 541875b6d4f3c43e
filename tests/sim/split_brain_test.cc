// Two NodeModels on one MemoryDisk in virtual time: the split-brain and
// writes-after-fence detectors must catch a deliberately unsafe sequence and
// stay silent for a correct failover; the offline checker must agree.
#include <gtest/gtest.h>

#include "sim_fixture.h"

namespace clusterd::sim::testing {
namespace {

using namespace std::literals;

class SplitBrainTest : public SimTest {
 protected:
  void SetUp() override {
    a = make("alpha", true);  // the primary boots by itself
    b = make("beta", false);  // the standby waits at ok
    run_for(6s, {a.get(), b.get()});
    ASSERT_EQ(a->m->state(), State::Running);
    ASSERT_EQ(b->m->state(), State::Ok);
  }
  std::vector<std::string> merged() const {
    std::vector<std::string> all = a->fx.lines;
    all.insert(all.end(), b->fx.lines.begin(), b->fx.lines.end());
    return all;
  }
  std::unique_ptr<Node> a, b;
};

TEST_F(SplitBrainTest, BootingTheStandbyWhileThePrimaryRunsIsASplitBrainWithItsOverlap) {
  // Given alpha RUNNING with the disk; when beta is booted anyway and powered
  // off 2 s after its mount, then both ledger and checker show 2000 ms.
  b->m->on_input("boot\r", now);
  run_for(3s, {a.get(), b.get()});
  auto sb = b->fx.events("split_brain");
  ASSERT_EQ(sb.size(), 1u);
  EXPECT_EQ(sb[0].get("other"), "alpha");
  run_for(2s, {a.get(), b.get()});
  b->m->control("power-off", now);
  auto ov = b->fx.events("overlap");
  ASSERT_EQ(ov.size(), 1u);
  EXPECT_EQ(ov[0].get("other"), "alpha");
  EXPECT_EQ(ov[0].get("overlap_ms"), "2000.000");

  CheckReport rep = check_ledger(merged());
  ASSERT_EQ(rep.overlaps.size(), 1u);
  EXPECT_EQ(rep.overlaps[0].a, "alpha");
  EXPECT_EQ(rep.overlaps[0].b, "beta");
  EXPECT_DOUBLE_EQ(rep.overlap_ms(), 2000.0);
  EXPECT_FALSE(rep.clean());
  EXPECT_NE(rep.summary().find("split-brain: alpha and beta held the disk together for 2000.0 ms"),
            std::string::npos);
}

TEST_F(SplitBrainTest, AnOverlapStillOpenAtTheEndIsReportedOpen) {
  b->m->on_input("boot\r", now);
  run_for(4s, {a.get(), b.get()});
  CheckReport rep = check_ledger(merged());
  ASSERT_EQ(rep.overlaps.size(), 1u);
  EXPECT_TRUE(rep.overlaps[0].open);
}

TEST_F(SplitBrainTest, CorrectFailoverHasNoOverlapAndNoLateWrite) {
  // BREAK alpha, lock it, then boot beta: the sequence clusterd runs.
  a->m->on_break(BreakVia::TelnetBrk, now);
  a->m->on_input("setenv auto-boot? false\rprintenv auto-boot?\r", now);
  b->m->on_input("boot\r", now);
  run_for(10s, {a.get(), b.get()});
  EXPECT_EQ(b->m->state(), State::Running);
  EXPECT_TRUE(b->fx.events("split_brain").empty());
  CheckReport rep = check_ledger(merged());
  EXPECT_TRUE(rep.clean()) << rep.summary();
  EXPECT_EQ(rep.summary().substr(0, 34), "overlap: 0.0 ms in 0 interval(s)\nw");
}

TEST_F(SplitBrainTest, GoOnAFencedPrimaryIsCaughtAsWritesAfterFenceAndSplitBrain) {
  a->m->on_break(BreakVia::TelnetBrk, now);
  b->m->on_input("boot\r", now);
  run_for(6s, {a.get(), b.get()});
  a->m->on_input("go\r", now);  // someone resumes the fenced primary
  EXPECT_EQ(a->m->state(), State::Running);
  ASSERT_EQ(a->fx.events("split_brain").size(), 1u);
  run_for(1s, {a.get(), b.get()});
  auto late = a->fx.events("write_after_fence");
  ASSERT_EQ(late.size(), 5u);
  EXPECT_EQ(late[0].get("after_ms"), "6200.000");

  CheckReport rep = check_ledger(merged());
  EXPECT_EQ(rep.late_writes.size(), 5u);
  ASSERT_EQ(rep.overlaps.size(), 1u);
  EXPECT_TRUE(rep.overlaps[0].open);
}

TEST_F(SplitBrainTest, ExternalFenceTimeFlagsWritesAfterIt) {
  // The harness knows clusterd's fence-confirm time; alpha kept running.
  std::int64_t fence = to_ns(now);
  run_for(1s, {a.get(), b.get()});
  CheckReport rep = check_ledger(merged(), {{"alpha", fence}});
  EXPECT_EQ(rep.late_writes.size(), 5u);
  EXPECT_EQ(rep.late_writes[0].node, "alpha");
  EXPECT_TRUE(check_ledger(merged()).clean());
}

TEST_F(SplitBrainTest, AFreshBootEndsTheFence) {
  a->m->on_break(BreakVia::TelnetBrk, now);
  a->m->on_input("boot\r", now);
  run_for(6s, {a.get(), b.get()});
  EXPECT_FALSE(a->m->fenced());
  EXPECT_TRUE(check_ledger(merged()).clean());
}

}  // namespace
}  // namespace clusterd::sim::testing
