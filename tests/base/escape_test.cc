#include "base/escape.h"

#include <gtest/gtest.h>

namespace clusterd {
namespace {

TEST(Escape, EveryByteRoundTripsAndComesOutPrintable) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  std::string e = escape(all);
  for (char c : e) {
    EXPECT_TRUE(c >= 0x20 && c < 0x7f)
        << "escaped text holds byte " << int(static_cast<unsigned char>(c));
  }
  auto back = unescape(e);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, all);
}

TEST(Escape, NamesTheCommonControls) {
  EXPECT_EQ(escape(std::string("a\\b\r\n\t\x1b[2J\x00\xff", 12)),
            "a\\\\b\\r\\n\\t\\e[2J\\x00\\xff");
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

// escape_text: for diagnostics. Hostile bytes become \xHH; valid UTF-8 text
// (accents, CJK, emoji), TAB and backslashes stay readable.
TEST(EscapeText, ControlsC1AndInvalidUtf8BecomeHexButValidUtf8Stays) {
  EXPECT_EQ(escape_text("plain \\n text\twith a tab"), "plain \\n text\twith a tab");
  EXPECT_EQ(escape_text("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80 \xc2\xa0"),
            "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80 \xc2\xa0");
  EXPECT_EQ(escape_text(std::string("a\x00"
                                    "b\x1b[2Jc\r\n\x7f",
                                    11)),
            "a\\x00b\\x1b[2Jc\\x0d\\x0a\\x7f");
  EXPECT_EQ(escape_text("\xc2\x9b"
                        "31m"),
            "\\xc2\\x9b31m");                                                     // C1 CSI
  EXPECT_EQ(escape_text("ex\xff\x9btra"), "ex\\xff\\x9btra");                     // invalid bytes
  EXPECT_EQ(escape_text("\xc3"), "\\xc3");                                        // truncated
  EXPECT_EQ(escape_text("\xc0\xaf \xe0\x80\xaf"), "\\xc0\\xaf \\xe0\\x80\\xaf");  // overlong
  EXPECT_EQ(escape_text("\xed\xa0\x80"), "\\xed\\xa0\\x80");                      // a surrogate
  EXPECT_EQ(escape_text("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");             // above U+10FFFF
  EXPECT_EQ(escape_text("\xe6\x97x"), "\\xe6\\x97x");  // cut short by ASCII
}

TEST(EscapeText, NoByteValueComesOutAsAControlOrInvalidUtf8) {
  // Every byte alone, and every pair: the output holds no C0 control but TAB,
  // no DEL, and no byte >= 0x80 at all (none of these is valid UTF-8 >= U+00A0
  // except the pairs C2 A0..DF BF, which must come out unchanged).
  for (int a = 0; a < 256; ++a) {
    for (int b = -1; b < 256; ++b) {
      std::string in(1, static_cast<char>(a));
      if (b >= 0) in += static_cast<char>(b);
      std::string e = escape_text(in);
      bool valid_pair =
          a >= 0xc2 && a <= 0xdf && b >= 0x80 && b <= 0xbf && !(a == 0xc2 && b < 0xa0);
      if (valid_pair) {
        EXPECT_EQ(e.substr(0, 2), in);
        continue;
      }
      for (char c : e) {
        auto u = static_cast<unsigned char>(c);
        ASSERT_TRUE((u >= 0x20 && u < 0x7f) || u == '\t') << a << " " << b << ": " << e;
      }
    }
  }
}

// One JSON escaper for diagnostics, alarms and `clusterctl status --json`:
// console bytes of any kind give valid, ASCII-only JSON.
TEST(JsonEscape, ControlAndHighBytesBecomeUnicodeEscapes) {
  EXPECT_EQ(json_escape(std::string("a\"b\\c\n\r\t\x00\x1b\x7f\xff", 12)),
            "a\\\"b\\\\c\\n\\r\\t\\u0000\\u001b\\u007f\\u00ff");
  EXPECT_EQ(json_escape("plain text: ok"), "plain text: ok");
}

}  // namespace
}  // namespace clusterd
