#include "base/escape.h"

#include <gtest/gtest.h>

namespace clusterd {
namespace {

TEST(Escape, EveryByteRoundTripsAndComesOutPrintable) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  std::string e = escape(all);
  for (char c : e) {
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "escaped text holds byte " << int(static_cast<unsigned char>(c));
  }
  auto back = unescape(e);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, all);
}

TEST(Escape, NamesTheCommonControls) {
  EXPECT_EQ(escape(std::string("a\\b\r\n\t\x1b[2J\x00\xff", 12)), "a\\\\b\\r\\n\\t\\e[2J\\x00\\xff");
}

TEST(Escape, UnescapeRejectsMalformedSequencesWithTheirOffset) {
  std::size_t at = 99;
  EXPECT_FALSE(unescape("ab\\", &at).has_value());
  EXPECT_EQ(at, 2u);
  EXPECT_FALSE(unescape("x\\x4", &at).has_value());
  EXPECT_EQ(at, 1u);
  EXPECT_FALSE(unescape("\\xzz", &at).has_value());
  EXPECT_FALSE(unescape("\\q", &at).has_value());
  EXPECT_EQ(*unescape("\\0\\\""), std::string("\0\"", 2));
}

}  // namespace
}  // namespace clusterd

namespace clusterd {
namespace {

// One JSON escaper for diagnostics, alarms and `clusterctl status --json`:
// console bytes of any kind give valid, ASCII-only JSON.
TEST(JsonEscape, ControlAndHighBytesBecomeUnicodeEscapes) {
  EXPECT_EQ(json_escape(std::string("a\"b\\c\n\r\t\x00\x1b\x7f\xff", 12)),
            "a\\\"b\\\\c\\n\\r\\t\\u0000\\u001b\\u007f\\u00ff");
  EXPECT_EQ(json_escape("plain text: ok"), "plain text: ok");
}

}  // namespace
}  // namespace clusterd
