// A clean shutdown (control `shutdown`, what `shutdown -i0 -g0 -y` does on the
// node) in virtual time: the console text in order, the service's last write
// on the disk before the unmount, the unmount before `ok`, auto-boot? kept, the
// network down at the halt; and the standby booting after it never overlaps.
#include <gtest/gtest.h>

#include "base/escape.h"
#include "sim/console_text.h"
#include "sim_fixture.h"

namespace clusterd::sim::testing {
namespace {

using namespace std::literals;

class ShutdownTest : public SimTest {};

TEST_F(ShutdownTest, PrintsSolarisShutdownTextAndHaltsAtOkWithAutoBootKept) {
  auto n = running();
  ASSERT_TRUE(n->m->holds_lease());
  EXPECT_EQ(n->m->control("shutdown", now), "ok");
  EXPECT_EQ(n->m->state(), State::Stopping);
  EXPECT_EQ(n->m->state_name(), "STOPPING");
  run_for(2s - 1ms, {n.get()});
  EXPECT_EQ(n->m->state(), State::Stopping);
  run_for(1ms, {n.get()});
  EXPECT_EQ(n->m->state(), State::Ok);
  std::string expected =
      "svc.startd: The system is coming down.  Please wait.\r\n"
      "svc.startd: 106 system services are now being stopped.\r\n"
      "Mar  3 09:14:02 alpha syslogd: going down on signal 15\r\n"
      "svc.startd: The system is down.\r\n"
      "syncing file systems... done\r\n"
      "Program terminated\r\n"
      "{0} ok ";
  EXPECT_EQ(n->fx.take(), expected) << "the whole console output, byte for byte";
  EXPECT_TRUE(n->m->nvram().auto_boot) << "a halt leaves auto-boot? as it was";
  EXPECT_FALSE(n->m->holds_lease());
  EXPECT_FALSE(n->m->fenced()) << "a clean halt is no BREAK";
  EXPECT_EQ(n->fx.net, (std::vector<bool>{true, false})) << "up while stopping, down at the halt";
  // Nothing to resume: `go` after a halt is refused.
  EXPECT_NE(type(*n, "go\r").find("ERROR: go: no program to resume"), std::string::npos);
}

TEST_F(ShutdownTest, TheServiceStopsWritingAndItsLastWriteIsOnTheDiskBeforeTheUnmount) {
  auto n = running();
  run_for(1s, {n.get()});
  std::uint64_t before = n->m->writes();
  ASSERT_GT(before, 0u);
  n->m->control("shutdown", now);
  run_for(5s, {n.get()});
  EXPECT_EQ(n->m->writes(), before) << "no write after the service stopped";
  auto stop = n->fx.events("service_stop");
  ASSERT_EQ(stop.size(), 1u);
  EXPECT_EQ(stop[0].get("last_seq"), std::to_string(before));
  EXPECT_EQ(stop[0].get("why"), "shutdown");
  auto rel = n->fx.events("lease_release");
  ASSERT_EQ(rel.size(), 1u);
  EXPECT_EQ(rel[0].get("why"), "shutdown");
  EXPECT_GT(rel[0].t_ns, stop[0].t_ns);
  EXPECT_LT(rel[0].t_ns, n->fx.events("state").back().t_ns) << "unmounted before the halt";
  // Every write the ledger acknowledged is a record on the disk.
  auto writes = n->fx.events("write");
  ASSERT_EQ(writes.size(), before);
  EXPECT_EQ(disk.records().size(), before);
  EXPECT_EQ(writes.back().get("seq"), std::to_string(before));
  EXPECT_TRUE(n->fx.events("break").empty());
}

TEST_F(ShutdownTest, TheStandbyBootedAfterTheHaltNeverOverlaps) {
  auto a = running();
  auto b = make("beta", false);
  run_for(1s, {a.get(), b.get()});
  a->m->control("shutdown", now);
  run_for(2s, {a.get(), b.get()});
  ASSERT_EQ(a->m->state(), State::Ok);
  b->m->on_input("boot\r", now);
  run_for(6s, {a.get(), b.get()});
  ASSERT_EQ(b->m->state(), State::Running);
  std::vector<std::string> lines = a->fx.lines;
  lines.insert(lines.end(), b->fx.lines.begin(), b->fx.lines.end());
  auto rep = check_ledger(lines);
  EXPECT_TRUE(rep.clean()) << rep.summary();
  EXPECT_EQ(rep.overlap_ms(), 0.0);
}

TEST_F(ShutdownTest, ABreakDuringTheShutdownHaltsItAndGoResumesIt) {
  auto n = running();
  n->m->control("shutdown", now);
  run_for(500ms, {n.get()});
  n->fx.take();
  n->m->on_break(BreakVia::TelnetBrk, now);
  EXPECT_EQ(n->m->state(), State::Ok);
  EXPECT_EQ(n->fx.take(), "\r\nType 'go' to resume\r\n{0} ok ");
  type(*n, "go\r");
  EXPECT_EQ(n->m->state(), State::Stopping);
  run_for(3s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Ok);
  EXPECT_NE(n->fx.take().find("Program terminated\r\n{0} ok "), std::string::npos);
}

TEST_F(ShutdownTest, RefusedWithoutARunningSolaris) {
  auto n = at_ok();
  EXPECT_EQ(n->m->control("shutdown", now), "error: shutdown needs a running OS, not OK");
  auto l = running_linux();
  EXPECT_EQ(l->m->control("shutdown", now),
            "error: shutdown is simulated for Solaris and x86 only");
  EXPECT_EQ(l->m->state(), State::Running);
}

}  // namespace
}  // namespace clusterd::sim::testing
