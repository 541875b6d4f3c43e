#include "tty/backoff.h"

#include <gtest/gtest.h>

namespace clusterd::tty {
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
}

TEST(Backoff, CapBelowFirstIsRaisedToFirst) {
  Backoff b(2s, 1s);
  EXPECT_EQ(b.next(), 2s);
  EXPECT_EQ(b.next(), 2s);
}

}  // namespace
}  // namespace clusterd::tty
