// Result<T>, Result<void> and CLUSTERD_ASSERT: values, errors, and what a bug
// (reading the alternative a Result does not hold) does.
#include "base/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "base/assert.h"

namespace clusterd {
namespace {

Result<int> half(int n) {
  if (n % 2) return Error::invalid(std::to_string(n) + " is odd");
  return n / 2;
}

Result<void> check_even(int n) {
  if (n % 2) return Error::invalid(std::to_string(n) + " is odd");
  return {};
}

TEST(Result, HoldsAValueOrAnError) {
  auto ok = half(4);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 2);
  EXPECT_EQ(ok.value_or(-1), 2);
  auto bad = half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Error::Code::Invalid);
  EXPECT_EQ(bad.error().message, "3 is odd");
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(Result, MovesAMoveOnlyValueOut) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(7));
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 7);
}

TEST(Result, VoidFormSaysItWorkedOrWhyNot) {
  EXPECT_TRUE(check_even(2).ok());
  auto bad = check_even(5);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "5 is odd");
}

// Reading the wrong alternative is our bug, not an input error: the process
// stops with the place and the condition on stderr.
TEST(ResultDeathTest, ReadingTheWrongAlternativeAborts) {
  EXPECT_DEATH((void)*half(3), "base/result.h:[0-9]+: assertion failed: ok\\(\\)");
  EXPECT_DEATH((void)half(4).error(), "assertion failed: !ok\\(\\)");
  EXPECT_DEATH((void)check_even(4).error(), "assertion failed: !ok\\(\\)");
}

TEST(AssertDeathTest, PrintsFileLineAndConditionThenAborts) {
  int two = 2;
  CLUSTERD_ASSERT(two == 2);  // holds: nothing happens
  EXPECT_DEATH(CLUSTERD_ASSERT(two == 3), "result_test.cc:[0-9]+: assertion failed: two == 3");
}

}  // namespace
}  // namespace clusterd
