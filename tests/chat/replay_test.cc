// Replay: input formats, ordering, role swaps, console notes.
#include "chat/replay.h"

#include <gtest/gtest.h>

#include "tests/support/chat_support.h"

namespace clusterd::chat {
namespace {

std::string run(const std::string& script, const std::string& active, const std::string& standby,
                const std::string& events, FencePolicy policy = {}) {
  auto s = testing::compile_ok(script);
  EXPECT_TRUE(s->ok());
  ReplayInput in;
  if (!active.empty()) in.active = *read_transcript(active, "a");
  if (!standby.empty()) in.standby = *read_transcript(standby, "s");
  in.events = *read_events(events, "e");
  ReplayOptions o;
  o.interpreter.active_name = "alpha";
  o.interpreter.standby_name = "beta";
  o.policy = policy;
  return format_timeline(replay(*s->program, in, o), false);
}

TEST(Replay, EventsParseWithLineNumbersInErrors) {
  auto e = read_events(
      "# comment\n+1s ping.down\n+2s console.lost standby\n+3s sh.exit 2\n+9s end\n", "ev");
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->size(), 4u);
  EXPECT_EQ((*e)[1].event->channel, Channel::Standby);
  EXPECT_EQ((*e)[2].event->code, 2);
  EXPECT_FALSE((*e)[3].event.has_value());
  EXPECT_EQ(read_events("+1s console.up\n", "ev").error().message,
            "ev:1: console.up needs a channel: active or standby");
  EXPECT_EQ(read_events("\n+1s\n", "ev").error().message, "ev:2: expected 'TIME EVENT [ARG]'");
  EXPECT_EQ(read_transcript("+1 < ok\nbad < x\n", "t").error().message,
            "t:2: bad time 'bad' (expected 2026-11-22T01:02:03.456Z or +SECONDS)");
}

TEST(Replay, AbsoluteStampsCountFromTheEarliest) {
  std::string out = run("initial state a { on active \"x\" -> b }\nstate b {}",
                        "2026-11-22T10:00:00Z < start\n2026-11-22T10:00:07.5Z < x\n", "", "");
  EXPECT_NE(out.find("+7.500s    state    b  <- active \"x\""), std::string::npos) << out;
}

TEST(Replay, ATranscriptFollowsItsNodeAcrossATakeover) {
  // After the takeover, beta's bytes arrive on `active` and alpha's on `standby`.
  std::string out =
      run("initial state a { on ping.down { mark fenced active; takeover } -> b }\n"
          "state b { on active \"from-beta\" -> c\n after 1h -> b }\nstate c { on standby "
          "\"from-alpha\" -> d\n after 1h -> c }\nstate d {}",
          "+5 < from-alpha\n", "+3 < from-beta\n", "+1s ping.down\n");
  EXPECT_NE(out.find("+3.000s    state    c"), std::string::npos) << out;
  EXPECT_NE(out.find("+5.000s    state    d"), std::string::npos) << out;
}

TEST(Replay, AReadBackOffDoesNotOutliveATakeoverAsInTheRuntime) {
  // alpha read back off, fenced by power, beta took over; later alpha is the
  // active again: its old read-back fences it no more (clusterd/runtime.cc).
  std::string out =
      run("initial state a { on power.off active { mark fenced active by power; takeover } -> b }\n"
          "state b { on ping.down { mark fenced active; takeover } -> c\n after 1h -> b }\n"
          "state c { on ping.down { mark fenced active by power } -> d\n on fence.refused -> e\n"
          " after 1h -> c }\nstate d {}\nstate e {}",
          "", "", "+1s power.off active\n+2s ping.down\n+3s ping.down\n");
  EXPECT_NE(out.find("state    e  <- fence.refused"), std::string::npos) << out;
}

TEST(Replay, AFenceByLeaseNeedsTheRecordingsLeaseExpired) {
  const char* script =
      "initial state a { on ping.down { mark fenced active by lease } -> b\n on fence.refused -> "
      "c }\nstate b {}\nstate c { on lease.expired { mark fenced active by lease } -> b\n on "
      "fence.refused -> c }";
  std::string out = run(script, "", "", "+1s ping.down\n+5s lease.expired\n+6s end\n");
  EXPECT_NE(
      out.find(
          "+1.000s    refused  lease fence of active (alpha) (no lease.expired for the active)"),
      std::string::npos)
      << out;
  EXPECT_NE(out.find("+5.000s    fenced   active (alpha) by lease"), std::string::npos) << out;
  EXPECT_NE(out.find("+5.000s    state    b  <- lease.expired"), std::string::npos) << out;
}

TEST(Replay, ConsoleNotesBecomeConsoleEvents) {
  std::string out =
      run("initial state a { on console.lost active -> b }\nstate b { on console.up active -> a }",
          "+1 * lost kicked by another client\n+2 * up\n", "", "");
  EXPECT_NE(out.find("+1.000s    event    console.lost active (kicked by another client)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("+2.000s    state    a  <- console.up active"), std::string::npos) << out;
}

TEST(Replay, PresumedFenceFollowsThePolicy) {
  const char* script =
      "initial state a { on ping.down -> f }\n"
      "state f { break active\n after 30s { mark fenced active presumed } -> ok\n on fence.refused "
      "-> no }\n"
      "state ok {}\nstate no {}";
  // The runtime sends its own CR 2 s after the BREAK (the script sent none);
  // silence counts from there: 28 s at the presumption.
  std::string taken = run(script, "+0 < hello\n", "", "+10s ping.down\n+60s end\n");
  EXPECT_NE(taken.find("+12.000s   send     active (alpha) \"\\r\""), std::string::npos) << taken;
  EXPECT_NE(
      taken.find(
          "presumed, accepted (console up, ping down, silent 28.0s since the CR after the BREAK)"),
      std::string::npos)
      << taken;
  FencePolicy wait;
  wait.allow_presumed = false;
  std::string refused = run(script, "+0 < hello\n", "", "+10s ping.down\n+60s end\n", wait);
  EXPECT_NE(refused.find("refused  presumed fence of active (alpha) (unconfirmed_fence = wait)"),
            std::string::npos)
      << refused;
  EXPECT_NE(refused.find("state    no"), std::string::npos);
  // A node that answers the CR after its BREAK is alive, however silent it
  // is afterwards: no presumption, whatever the script says.
  std::string answered = run(script, "+0 < hello\n+12.5 < \\r\\nalpha console login: \n", "",
                             "+10s ping.down\n+60s end\n");
  EXPECT_NE(answered.find("the node answered the CR sent after the BREAK: it is alive"),
            std::string::npos)
      << answered;
  EXPECT_NE(answered.find("state    no"), std::string::npos);
  // Bytes before that CR (the BREAK's own echo, old chatter) do not count
  // against the presumption; silence after the CR must last the window.
  std::string early = run(script, "+0 < hello\n+11 < x\n", "", "+10s ping.down\n+60s end\n");
  EXPECT_NE(early.find("presumed, accepted"), std::string::npos) << early;
  FencePolicy long_window;
  long_window.silence = std::chrono::seconds(29);
  std::string short_silence =
      run(script, "+0 < hello\n", "", "+10s ping.down\n+60s end\n", long_window);
  EXPECT_NE(short_silence.find("silent only 28.0s since the CR after the BREAK, not 29.0s"),
            std::string::npos)
      << short_silence;
}

TEST(Replay, APresumptionWithoutABreakIsRefused) {
  const char* script =
      "initial state a { on ping.down -> f }\n"
      "state f { after 30s { mark fenced active presumed } -> ok\n on fence.refused -> no }\nstate "
      "ok {}\nstate no {}";
  std::string out = run(script, "+0 < hello\n", "", "+10s ping.down\n+60s end\n");
  EXPECT_NE(out.find("(no BREAK was sent)"), std::string::npos) << out;
  EXPECT_NE(out.find("state    no"), std::string::npos) << out;
}

TEST(Replay, TheScriptsOwnCrAfterTheBreakIsTheProbe) {
  // The script asks itself 1 s after the BREAK: the runtime sends no CR of its
  // own, and silence counts from the script's CR.
  const char* script =
      "initial state a { on ping.down -> f }\n"
      "state f { break active\n after 1s -> g }\n"
      "state g { send active \"\\r\"\n after 29s { mark fenced active presumed } -> ok\n on "
      "fence.refused -> no }\n"
      "state ok {}\nstate no {}";
  std::string out = run(script, "+0 < hello\n", "", "+10s ping.down\n+60s end\n");
  EXPECT_EQ(out.find("after its BREAK"), std::string::npos) << out;
  EXPECT_NE(out.find("silent 29.0s since the CR after the BREAK"), std::string::npos) << out;
  // A second BREAK needs a CR of its own: the first one's probe is void.
  const char* twice =
      "initial state a { on ping.down -> f }\n"
      "state f { break active\n send active \"\\r\"\n after 20s -> g }\n"
      "state g { break active\n after 1s { mark fenced active presumed } -> ok\n on fence.refused "
      "-> no }\n"
      "state ok {}\nstate no {}";
  std::string out2 = run(twice, "+0 < hello\n", "", "+10s ping.down\n+60s end\n");
  EXPECT_NE(out2.find("(no CR sent after the last BREAK yet)"), std::string::npos) << out2;
}

TEST(Replay, EndStopsTheReplayAndFiresTimersUpToIt) {
  std::string out =
      run("initial state a { after 10s -> b }\nstate b { after 10s -> a }", "", "", "+25s end\n");
  EXPECT_NE(out.find("+20.000s   state    a"), std::string::npos) << out;
  EXPECT_EQ(out.find("+30.000s"), std::string::npos) << out;
}

}  // namespace
}  // namespace clusterd::chat
