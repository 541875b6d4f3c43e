// The transcript writer: records in the docs/formats.md format that the
// replay reader parses back, lines split after each newline, and rotation
// that neither loses nor splits a record.
#include "tty/transcript_writer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace clusterd::tty {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/clusterd-tw-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::vector<std::string> lines(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::unique_ptr<TranscriptWriter> open_writer(const fs::path& p, std::uint64_t max, int keep,
                                              std::int64_t* clock) {
  auto w = TranscriptWriter::open({.path = p.string(),
                                   .max_bytes = max,
                                   .keep = keep,
                                   .header = "# clusterd transcript v1 node=alpha",
                                   .now_ns = [clock] { return (*clock)++; }});
  EXPECT_TRUE(w.ok());
  return std::move(w.value());
}

TEST(TranscriptWriter, RecordsReadBackByteForByte) {
  TempDir d;
  std::int64_t t = 1'795'000'000'000'000'000;
  auto w = open_writer(d.path / "a.console", 1 << 20, 3, &t);
  std::string nasty("ok\xff\x00\x1b[2J\r\n", 10);
  w->record(Direction::Note, "up");
  w->record(Direction::In, nasty + "{0} ok ");
  w->record(Direction::Out, "boot\r");
  w->record(Direction::Break, "telnet IAC BRK");
  auto ls = lines(d.path / "a.console");
  ASSERT_EQ(ls.size(), 6u);
  EXPECT_EQ(ls[0], "# clusterd transcript v1 node=alpha");
  std::string got;
  for (std::size_t i = 2; i < 4; ++i) {
    bool skip = false;
    auto r = parse_transcript_line(ls[i], &skip);
    ASSERT_TRUE(r.ok()) << ls[i];
    EXPECT_EQ(r->dir, Direction::In);
    got += r->data;
  }
  EXPECT_EQ(got, nasty + "{0} ok ");  // split after the newline, nothing lost
  for (const auto& l : ls) {
    for (char c : l) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "control byte in " << l;
  }
  EXPECT_NE(ls[5].find(" ! telnet IAC BRK"), std::string::npos);
}

TEST(TranscriptWriter, RotationKeepsEveryRecordWholeAndInOrder) {
  TempDir d;
  std::int64_t t = 1'795'000'000'000'000'000;
  auto p = d.path / "b.console";
  auto w = open_writer(p, 400, 50, &t);
  for (int i = 0; i < 200; ++i) w->record(Direction::In, "line " + std::to_string(i) + "\r\n");
  // Oldest file has the highest number; read them back oldest first.
  std::vector<fs::path> files;
  for (int i = 50; i >= 1; --i) {
    if (fs::exists(p.string() + "." + std::to_string(i)))
      files.push_back(p.string() + "." + std::to_string(i));
  }
  files.push_back(p);
  ASSERT_GT(files.size(), 5u);
  int expect = 0;
  for (const auto& f : files) {
    EXPECT_LE(fs::file_size(f), 400u + 80u) << f;  // at most one record past the limit: never split
    auto ls = lines(f);
    ASSERT_FALSE(ls.empty());
    EXPECT_EQ(ls[0], "# clusterd transcript v1 node=alpha") << f;
    for (std::size_t i = 1; i < ls.size(); ++i) {
      bool skip = false;
      auto r = parse_transcript_line(ls[i], &skip);
      ASSERT_TRUE(r.ok()) << ls[i];
      EXPECT_EQ(r->data, "line " + std::to_string(expect++) + "\r\n");
    }
  }
  EXPECT_EQ(expect, 200);
  EXPECT_EQ(w->records_lost(), 0u);
}

TEST(TranscriptWriter, KeepsOnlyTheConfiguredNumberOfOldFiles) {
  TempDir d;
  std::int64_t t = 0;
  auto p = d.path / "c.console";
  auto w = open_writer(p, 200, 2, &t);
  for (int i = 0; i < 100; ++i) w->record(Direction::In, "xxxxxxxxxxxxxxxxxxxxxxxx\n");
  EXPECT_TRUE(fs::exists(p.string() + ".1"));
  EXPECT_TRUE(fs::exists(p.string() + ".2"));
  EXPECT_FALSE(fs::exists(p.string() + ".3"));
}

TEST(TranscriptWriter, OpenFailsWithThePathInTheMessage) {
  auto w = TranscriptWriter::open({.path = "/nonexistent-dir/x.console"});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().message, "/nonexistent-dir/x.console: No such file or directory");
}

}  // namespace
}  // namespace clusterd::tty
