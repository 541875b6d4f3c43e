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
