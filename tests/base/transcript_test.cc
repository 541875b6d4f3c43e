#include "base/transcript.h"

#include <gtest/gtest.h>

namespace clusterd {
namespace {

TEST(Stamp, ParsesAbsoluteAndRelativeForms) {
  auto a = parse_stamp("2026-11-22T01:02:03.456789Z");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->relative);
  EXPECT_EQ(a->ns, 1795309323456789000LL);
  EXPECT_EQ(format_utc(a->ns), "2026-11-22T01:02:03.456789Z");
  EXPECT_EQ(parse_stamp("2026-11-22T01:02:03Z")->ns, 1795309323000000000LL);
  EXPECT_EQ(parse_stamp("+12.5")->ns, 12'500'000'000LL);
  EXPECT_EQ(parse_stamp("+12.5s")->ns, 12'500'000'000LL);
  EXPECT_EQ(parse_stamp("+250ms")->ns, 250'000'000LL);
  EXPECT_TRUE(parse_stamp("+0")->relative);
}

TEST(Stamp, RejectsMalformedStampsSayingWhatWasExpected) {
  for (const char* bad : {"", "+", "+x", "+1.", "2026-13-01T00:00:00Z", "2026-11-22 01:02:03Z",
                          "2026-11-22T01:02:03", "yesterday"}) {
    auto r = parse_stamp(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_EQ(parse_stamp("noon").error().message,
            "bad time 'noon' (expected 2026-11-22T01:02:03.456Z or +SECONDS)");
}

TEST(Stamp, FormatsOffsetsInMilliseconds) {
  EXPECT_EQ(format_offset(12'345'678'901LL), "+12.345s");
  EXPECT_EQ(format_offset(-1'500'000'000LL), "-1.500s");
}

TEST(Transcript, RecordsRoundTripWhateverTheBytes) {
  TranscriptRecord r{
      {1795309323456789000LL, false}, Direction::In, std::string("ok \r\n\x00\xff\\", 8)};
  std::string line = format_transcript_record(r);
  EXPECT_EQ(line, "2026-11-22T01:02:03.456789Z < ok \\r\\n\\x00\\xff\\\\");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  bool skip = true;
  auto back = parse_transcript_line(line, &skip);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(skip);
  EXPECT_EQ(back->data, r.data);
  EXPECT_EQ(back->stamp.ns, r.stamp.ns);
}

TEST(Transcript, ReadsEveryDirectionAndSkipsComments) {
  bool skip = false;
  EXPECT_EQ(parse_transcript_line("+1 > boot shared\\r", &skip)->dir, Direction::Out);
  EXPECT_EQ(parse_transcript_line("+1 ! iac", &skip)->dir, Direction::Break);
  EXPECT_EQ(parse_transcript_line("+1 * lost eof", &skip)->data, "lost eof");
  EXPECT_EQ(parse_transcript_line("+1 <", &skip)->data, "");
  EXPECT_TRUE(parse_transcript_line("# clusterd transcript v1", &skip).ok());
  EXPECT_TRUE(skip);
  EXPECT_TRUE(parse_transcript_line("   ", &skip).ok());
  EXPECT_TRUE(skip);
}

TEST(Transcript, ErrorsSayWhichFieldIsWrong) {
  bool skip = false;
  EXPECT_EQ(parse_transcript_line("+1", &skip).error().message,
            "expected 'STAMP DIR DATA', got no direction");
  EXPECT_EQ(parse_transcript_line("+1 ? x", &skip).error().message,
            "bad direction '?' (expected < > ! or *)");
  EXPECT_EQ(parse_transcript_line("+1 <x", &skip).error().message,
            "expected a space after the direction");
  EXPECT_EQ(parse_transcript_line("+1 < a\\q", &skip).error().message,
            "bad escape at data offset 1");
}

}  // namespace
}  // namespace clusterd
