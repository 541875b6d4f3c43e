// Backoff: the one retry schedule for console reconnects and alarm delivery.
#include "base/backoff.h"

#include <gtest/gtest.h>

namespace clusterd {
namespace {

using namespace std::chrono_literals;

TEST(Backoff, FirstRetryQuickThenDoublingUpToTheCap) {
  Backoff b(500ms, 30s);
  EXPECT_EQ(b.next(), 500ms);
  EXPECT_EQ(b.next(), 1s);
  EXPECT_EQ(b.next(), 2s);
  EXPECT_EQ(b.next(), 4s);
  EXPECT_EQ(b.next(), 8s);
  EXPECT_EQ(b.next(), 16s);
  EXPECT_EQ(b.next(), 30s);
  EXPECT_EQ(b.next(), 30s);
}

TEST(Backoff, ResetStartsOverSaturateJumpsToCap) {
  Backoff b(1s, 10s);
  b.next();
  b.next();
  b.reset();
  EXPECT_EQ(b.next(), 1s);
  b.saturate();
  EXPECT_EQ(b.next(), 10s);
  EXPECT_EQ(b.next(), 10s);
  b.reset();
  EXPECT_EQ(b.next(), 1s);
}

TEST(Backoff, CapBelowFirstIsRaisedToFirst) {
  Backoff b(2s, 1s);
  EXPECT_EQ(b.next(), 2s);
  EXPECT_EQ(b.next(), 2s);
  EXPECT_EQ(b.after(5), 2s);
}

// The count a caller keeps (alarm delivery's attempts, from the spool) gives
// the same schedule as next() does.
TEST(Backoff, AfterNFailuresMatchesTheNthNext) {
  Backoff counted(10s, 60s);
  const Backoff pure(10s, 60s);
  for (int n = 1; n <= 10; ++n) EXPECT_EQ(pure.after(n), counted.next()) << n;
  EXPECT_EQ(pure.after(1), 10s);
  EXPECT_EQ(pure.after(2), 20s);
  EXPECT_EQ(pure.after(3), 40s);
  EXPECT_EQ(pure.after(4), 60s);
  EXPECT_EQ(pure.after(1000), 60s);
}

// A backoff that has failed for days neither overflows nor drops below the cap.
TEST(Backoff, ManyFailuresStayAtTheCap) {
  Backoff b(1ms, 10000h);
  Duration last{};
  for (int i = 0; i < 1000; ++i) last = b.next();
  EXPECT_EQ(last, Duration(10000h));
}

}  // namespace
}  // namespace clusterd
