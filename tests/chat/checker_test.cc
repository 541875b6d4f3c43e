// Checker: the fencing rule (an error), and the warnings.
#include "chat/checker.h"

#include <gtest/gtest.h>

#include "tests/support/chat_support.h"

namespace clusterd::chat {
namespace {

using testing::diags;

TEST(Checker, RejectsTakeoverWithoutFence) {
  auto d = diags(
      "initial state watch { on ping.down -> boot }\n"
      "state boot { on standby \"login: \" { takeover } -> watch\n after 1m -> watch }");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0],
            "<input>:2:37: error: takeover reachable without 'mark fenced active' first (path: "
            "watch -> boot)");
}

TEST(Checker, RejectsBootWithoutFence) {
  auto d = diags(
      "initial state watch { on ping.down -> boot }\n"
      "state boot { boot standby \"boot shared\\r\"\n after 1m -> watch }");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0],
            "<input>:2:14: error: boot reachable without 'mark fenced active' first: the standby "
            "could boot while the active may still hold the shared disk (path: watch -> boot)");
}

// The stock script's shape: a boot, a failed boot, a retry in another state.
// The retry belongs to the same incident: no second fence. After a takeover
// the booted node is the active, unfenced: a boot then needs a new fence.
TEST(Checker, ARetryBootNeedsNoNewFenceButABootAfterTakeoverDoes) {
  EXPECT_EQ(diags("initial state watch { on ping.down { mark fenced active } -> boot }\n"
                  "state boot { boot standby \"boot\\r\"\n on standby \"ok \" -> again\n"
                  " on standby \"login: \" { takeover } -> watch\n after 1m -> again }\n"
                  "state again { boot standby \"boot\\r\"\n"
                  " on standby \"login: \" { takeover } -> watch\n after 1m -> watch }"),
            std::vector<std::string>{});
  auto d = diags(
      "initial state watch { on ping.down { mark fenced active } -> boot }\n"
      "state boot { boot standby \"boot\\r\"\n on standby \"login: \" { takeover } -> again\n"
      " after 1m -> watch }\n"
      "state again { boot standby \"boot\\r\"\n after 1m -> watch }");
  // No path is named: the checker names one only when no step of it is
  // fenced, and this one is fenced until the takeover.
  EXPECT_EQ(d, std::vector<std::string>{
                   "<input>:5:15: error: boot reachable without 'mark fenced active' first: the "
                   "standby could boot while the active may still hold the shared disk"});
}

TEST(Checker, BootAndTakeoverUnfencedInOneStateAreBothReported) {
  auto d = diags("initial state a { on ping.down { boot standby \"boot\\r\"; takeover } -> a }");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0],
            "<input>:1:34: error: boot reachable without 'mark fenced active' first: the standby "
            "could boot while the active may still hold the shared disk (path: a)");
  EXPECT_EQ(d[1],
            "<input>:1:57: error: takeover reachable without 'mark fenced active' first (path: a)");
}

// A boot sent with `send` is not journaled: warned, whatever state sends it.
TEST(Checker, WarnsAboutASendToTheStandbyThatLooksLikeABoot) {
  const std::string head =
      "param dev = \"shared\"\ninitial state a { on ping.down { mark fenced active } -> b }\n";
  const std::string tail = "\n after 1m -> a }";
  const std::string warning =
      "warning: this send to the standby looks like a boot: write 'boot standby \"…\"', which "
      "the runtime journals before the bytes go out (a plain send is not journaled, so a "
      "restarted clusterd would not know the standby was booted)";
  for (const char* text : {"send standby \"boot $dev\\r\"", "send standby \"\\r boot\"",
                           "send standby \"boot\\r\"", "send standby \"boot\""}) {
    EXPECT_EQ(diags(head + "state b { " + text + tail),
              std::vector<std::string>{"<input>:3:11: " + warning})
        << text;
  }
  for (const char* text : {"send standby \"\\r\"", "send standby \"bootp\\r\"",
                           "send standby \"printenv boot-device\\r\"", "send active \"boot\\r\"",
                           "send standby \"$dev boot\\r\"", "boot standby \"boot $dev\\r\""}) {
    EXPECT_TRUE(diags(head + "state b { " + text + tail).empty()) << text;
  }
}

TEST(Checker, AcceptsTakeoverAfterFenceOnEveryPath) {
  EXPECT_TRUE(
      diags("initial state watch { on ping.down { mark fenced active } -> boot }\n"
            "state boot { on standby \"login: \" { takeover } -> watch\n after 1m -> watch }")
          .empty());
  // Fenced in the entry of the state before.
  EXPECT_TRUE(diags("initial state watch { on ping.down -> fence }\n"
                    "state fence { mark fenced active\n after 1s -> boot }\n"
                    "state boot { takeover\n after 1m -> watch }")
                  .empty());
}

TEST(Checker, OneUnfencedPathIsEnough) {
  auto d = diags(
      "initial state watch { on ping.down -> fence\n on active \"panic\" -> boot }\n"
      "state fence { after 1s { mark fenced active } -> boot }\n"
      "state boot { after 1m { takeover } -> watch }");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0],
            "<input>:4:25: error: takeover reachable without 'mark fenced active' first (path: "
            "watch -> boot)");
}

TEST(Checker, FencingTheStandbyDoesNotCount) {
  auto d = diags("initial state a { on ping.down { mark fenced standby; takeover } -> a }");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0],
            "<input>:1:55: error: takeover reachable without 'mark fenced active' first (path: a)");
}

TEST(Checker, ASecondTakeoverNeedsASecondFence) {
  auto d =
      diags("initial state a { on ping.down { mark fenced active; takeover; takeover } -> a }");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0],
            "<input>:1:64: error: takeover reachable without 'mark fenced active' first (path: a)");
}

TEST(Checker, AFenceInAHandlerThatMayNotHaveRunDoesNotCount) {
  auto d = diags(
      "initial state a { on active \"x\" { mark fenced active }\n on ping.down { takeover } -> a "
      "}");
  // The no-target handler may not have fired before ping.down.
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0],
            "<input>:2:17: error: takeover reachable without 'mark fenced active' first (path: a)");
}

TEST(Checker, WarnsAboutUnreachableWaitingAndDeadEndStates) {
  auto d = diags(
      "initial state a { on ping.down -> b }\n"
      "state b { on active \"ok \" -> a }\n"
      "state orphan { after 1s -> a }\n"
      "state c { }");
  EXPECT_EQ(d, (std::vector<std::string>{
                   "<input>:2:7: warning: state 'b' waits for console text with no 'after': it can "
                   "wait forever",
                   "<input>:3:7: warning: state 'orphan' is unreachable from the initial state",
                   "<input>:4:7: warning: state 'c' is unreachable from the initial state",
                   "<input>:4:7: warning: state 'c' has no way out: the script stops there"}));
}

// A pattern defined and never used is a panic nobody watches for.
TEST(Checker, WarnsAboutAPatternNoHandlerUses) {
  auto d = diags(
      "pattern used = /ok $/\n"
      "pattern oops = /Oops: .*/\n"
      "initial state a { on active used -> a }");
  EXPECT_EQ(d, (std::vector<std::string>{
                   "<input>:2:9: warning: pattern 'oops' is defined but no handler uses it"}));
}

// `-> $p`: the proof holds for the state the config chose; a state only a
// param can name is not called unreachable.
TEST(Checker, AParamTargetIsProvedForTheChosenStateAndItsAlternativesAreReachable) {
  const char* text =
      "param on_loss = \"fence\"\n"
      "initial state watch { on ping.down -> $on_loss }\n"
      "state fence { after 1s { mark fenced active } -> boot }\n"
      "state boot { after 1m { takeover } -> watch }\n"
      "state reckless { after 1s -> boot }\n"
      "state orphan { after 1s -> watch }";
  // orphan is named by no handler either: a param could pick it too.
  EXPECT_TRUE(diags(text).empty()) << diags(text)[0];
  auto d = diags(text, nullptr, {{"on_loss", "reckless"}});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0],
            "<input>:4:25: error: takeover reachable without 'mark fenced active' first (path: "
            "watch -> reckless -> boot)");
}

TEST(Checker, WarnsWhenAPresumedFenceHasNoRefusalHandler) {
  auto d = diags("initial state a { after 1s { mark fenced active presumed } -> a }");
  EXPECT_EQ(d,
            (std::vector<std::string>{
                "<input>:1:15: warning: state 'a' presumes a fence but has no 'on fence.refused': "
                "when the runtime refuses, it stays here"}));
}

}  // namespace
}  // namespace clusterd::chat
