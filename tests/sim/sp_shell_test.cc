// A console parked at the service processor, in virtual time: ALOM's "sc> "
// and ILOM's "-> ", the "#." escape, the way back to the host, and a host
// that runs (or panics) on unseen while the SP has the line.
#include <gtest/gtest.h>

#include "base/escape.h"
#include "sim/console_text.h"
#include "sim_fixture.h"

namespace clusterd::sim::testing {
namespace {

using namespace std::literals;

class SpShellTest : public SimTest {};

TEST_F(SpShellTest, AlomParkedConsoleAnswersCrWithScPromptAndIgnoresBreak) {
  auto n = running();
  EXPECT_EQ(n->m->control("sp-park alom", now), "ok");
  EXPECT_TRUE(n->m->at_sp());
  EXPECT_EQ(n->fx.take(), "\r\nsc> ");
  EXPECT_EQ(type(*n, "\r"), "\r\nsc> ");
  n->m->on_break(BreakVia::TelnetBrk, now);
  type(*n, "\r~\x02");  // not an alternate break either: the host never sees it
  EXPECT_EQ(n->m->state(), State::Running);
  EXPECT_TRUE(n->m->holds_lease());
  EXPECT_EQ(n->fx.events("break")[0].get("effect"), "at-sp");
  EXPECT_NE(n->m->status().find(" console=sp sp=alom "), std::string::npos);
}

TEST_F(SpShellTest, TypedBootAndSetenvAtTheSpAreSpErrorsNotHostCommands) {
  auto n = at_ok();
  n->m->control("sp-park alom", now);
  n->fx.take();
  std::string out = type(*n, "boot\r");
  EXPECT_EQ(out, "boot\r\n" + text::alom_unknown("boot") + "sc> ");
  type(*n, "setenv auto-boot? true\r");
  EXPECT_EQ(n->m->state(), State::Ok);
  EXPECT_FALSE(n->m->nvram().auto_boot);
  EXPECT_TRUE(n->fx.events("command").empty()) << "nothing reached OpenBoot";
  ASSERT_EQ(n->fx.events("sp_command").size(), 2u);
  EXPECT_EQ(n->fx.events("sp_command")[0].get("line"), "boot");
}

TEST_F(SpShellTest, HostRunsAndPanicsUnseenBehindTheSp) {
  NodeConfig c = test_config("alpha");
  c.t.chatter_interval = 1s;
  auto n = running(&c);
  n->m->control("sp-park ilom", now);
  EXPECT_EQ(n->fx.take(), "\r\n-> ");
  run_for(3s, {n.get()});
  EXPECT_EQ(n->fx.take(), "") << "chatter goes to the SP's log, not the line";
  n->m->control("panic", now);
  EXPECT_EQ(n->fx.take(), "");
  EXPECT_EQ(n->m->state(), State::Panic);
  run_for(2s, {n.get()});
  EXPECT_EQ(n->m->state(), State::Post) << "the host reboots behind the SP";
}

TEST_F(SpShellTest, AlomConsoleCommandReturnsToTheHostAndHashDotComesBack) {
  auto n = running();
  n->m->control("sp-park alom", now);
  n->fx.take();
  EXPECT_EQ(type(*n, "console\r"), "console\r\nEnter #. to return to ALOM.\r\n");
  EXPECT_FALSE(n->m->at_sp());
  EXPECT_EQ(type(*n, "\r"), "\r\nalpha console login: ");
  EXPECT_EQ(type(*n, "#."), "\r\nsc> ");
  EXPECT_TRUE(n->m->at_sp());
  auto c = n->fx.events("console");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[1].get("to"), "host");
  EXPECT_EQ(c[2].get("why"), "#.");
}

TEST_F(SpShellTest, IlomStartSpConsoleAsksThenStartsTheSerialConsole) {
  auto n = running();
  n->m->control("sp-park ilom", now);
  n->fx.take();
  EXPECT_EQ(type(*n, "start /SP/console\r"),
            "start /SP/console\r\nAre you sure you want to start /SP/console (y/n)? ");
  EXPECT_TRUE(n->m->at_sp());
  EXPECT_EQ(type(*n, "y\r"), "y\r\nSerial console started.  To stop, type #.\r\n");
  EXPECT_FALSE(n->m->at_sp());
  EXPECT_EQ(type(*n, "\r"), "\r\nalpha console login: ");
  EXPECT_EQ(type(*n, "#."), "\r\n-> ");
  EXPECT_EQ(type(*n, "start /HOST/console\r"),
            "start /HOST/console\r\nAre you sure you want to start /HOST/console (y/n)? ");
  EXPECT_EQ(type(*n, "n\r"), "n\r\n-> ");
  EXPECT_EQ(type(*n, "set /HOST/bootmode script=boot\r"),
            "set /HOST/bootmode script=boot\r\n" + text::ilom_unknown("set") + "-> ");
}

TEST_F(SpShellTest, SpUnparkTypesTheSpsOwnCommandAndAHashAloneReachesTheHost) {
  auto n = running();
  n->m->control("sp-park ilom", now);
  n->fx.take();
  EXPECT_EQ(n->m->control("sp-unpark", now), "ok");
  EXPECT_EQ(n->fx.take(),
            "start -script /SP/console\r\nSerial console started.  To stop, type #.\r\n");
  EXPECT_EQ(n->m->control("sp-unpark", now), "error: the host has the console");
  EXPECT_EQ(type(*n, "#"), "") << "held: it may be the start of \"#.\"";
  EXPECT_EQ(type(*n, "x"), "#x");
  EXPECT_EQ(n->m->control("sp-park none", now), "ok");
  EXPECT_EQ(type(*n, "#."), "#.") << "no SP: plain text";
}

TEST_F(SpShellTest, SpOptionMakesHashDotReachTheSpFromPowerOn) {
  NodeConfig c = test_config("alpha");
  c.sp = ServiceProcessor::Alom;
  auto n = make("alpha", false, &c);
  run_for(1s, {n.get()});
  n->fx.take();
  EXPECT_EQ(type(*n, "#."), "\r\nsc> ");
  EXPECT_EQ(n->m->state(), State::Ok);
}

}  // namespace
}  // namespace clusterd::sim::testing
