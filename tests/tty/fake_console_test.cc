// The FakeConsole other suites build on behaves as the Console contract says.
#include "tests/support/fake_console.h"

#include <gtest/gtest.h>

namespace clusterd::testing {
namespace {

TEST(FakeConsole, DeliversWhatTheTestFeedsAndRefusesWritesWhileDown) {
  std::string got;
  int ups = 0;
  std::vector<tty::LostReason> losts;
  tty::ConsoleHandlers h;
  h.on_bytes = [&](std::string_view b) { got.append(b); };
  h.on_up = [&] { ++ups; };
  h.on_lost = [&](tty::LostReason r, const std::string&, Duration) { losts.push_back(r); };
  FakeConsole c(tty::parse_endpoint("telnet://nts1:7001").value(), h);
  c.open();
  EXPECT_FALSE(c.write("x")) << "a write while down must be refused";
  c.bring_up();
  c.feed("{0} ok ");
  EXPECT_TRUE(c.write("boot\r"));
  EXPECT_TRUE(c.send_break());
  c.drop(tty::LostReason::Kicked);
  EXPECT_FALSE(c.send_break());
  EXPECT_EQ(got, "{0} ok ");
  EXPECT_EQ(c.written, "boot\r");
  EXPECT_EQ(c.breaks, 1);
  EXPECT_EQ(ups, 1);
  ASSERT_EQ(losts.size(), 1u);
  EXPECT_EQ(losts[0], tty::LostReason::Kicked);
  EXPECT_EQ(c.break_method(), "telnet IAC BRK");
}

TEST(FakeConsole, FailAfterLetsNOperationsThrough) {
  FakeConsole c(tty::parse_endpoint("pty:/tmp/x").value(), {});
  c.bring_up();
  c.fail_after(2);
  EXPECT_TRUE(c.write("a"));
  EXPECT_TRUE(c.send_break());
  EXPECT_FALSE(c.write("b"));
  EXPECT_FALSE(c.send_break());
  EXPECT_EQ(c.written, "a");
}

}  // namespace
}  // namespace clusterd::testing
