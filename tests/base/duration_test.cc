// parse_duration / format_duration: the one spelling of a duration for
// scripts, configs, console URIs and every command line.
#include "base/duration.h"

#include <gtest/gtest.h>

namespace clusterd {
namespace {

using namespace std::chrono_literals;

TEST(Duration, ParsesEveryUnitAndSums) {
  EXPECT_EQ(parse_duration("250ms").value(), Duration(250ms));
  EXPECT_EQ(parse_duration("20s").value(), Duration(20s));
  EXPECT_EQ(parse_duration("10m").value(), Duration(10min));
  EXPECT_EQ(parse_duration("1h30m5s").value(), Duration(5405s));
  EXPECT_EQ(parse_duration("0s").value(), Duration(0));
  EXPECT_EQ(parse_duration("10000h").value(), Duration(10000h));
}

// What nodesim's old parser took and the one parser refuses: a bare number,
// a fraction, microseconds, "min". Each is a spelling a config would refuse.
TEST(Duration, RefusesWhatIsNotADuration) {
  for (const char* s : {"", "5", "0", "5x", "1.5s", "250us", "2min", "-1s", "1 s", "s", "10001h",
                        "999999999999h" /* would overflow as nanoseconds */}) {
    auto d = parse_duration(s);
    ASSERT_FALSE(d.ok()) << s;
    EXPECT_EQ(d.error().code, Error::Code::Invalid);
    EXPECT_EQ(d.error().message,
              std::string("expected a duration such as 250ms, 20s, 10m or 1h30m, got '") + s + "'");
  }
}

TEST(Duration, FormatsTheShortestExactSpelling) {
  EXPECT_EQ(format_duration(5405s), "1h30m5s");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(Duration{}), "0s");
  EXPECT_EQ(parse_duration(format_duration(90min)).value(), Duration(90min));
}

}  // namespace
}  // namespace clusterd
