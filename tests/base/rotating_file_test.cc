// RotatingFile: size rotation keeps KEEP old files and never splits a line;
// reopen after an outside rename (logrotate) loses no line.
#include "base/rotating_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace clusterd {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/clusterd-rotating-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(RotatingFile, RotatesBySizeKeepsKeepFilesAndNeverSplitsALine) {
  TempDir d;
  auto f = RotatingFile::open(
      {.path = (d.path / "x.log").string(), .max_bytes = 100, .keep = 2, .header = "# h\n"});
  ASSERT_TRUE(f.ok()) << f.error().message;
  std::string all;
  for (int i = 0; i < 40; ++i) {
    std::string line = "line " + std::to_string(i) + " ..........\n";  // 19-20 bytes
    ASSERT_TRUE((*f)->write(line));
    all += line;
  }
  EXPECT_TRUE(fs::exists(d.path / "x.log.1"));
  EXPECT_TRUE(fs::exists(d.path / "x.log.2"));
  EXPECT_FALSE(fs::exists(d.path / "x.log.3"));
  std::string kept;
  for (const char* name : {"x.log.2", "x.log.1", "x.log"}) {
    std::string text = slurp(d.path / name);
    EXPECT_LE(text.size(), 100u) << name;
    ASSERT_EQ(text.rfind("# h\n", 0), 0u) << name << " does not start with the header";
    EXPECT_EQ(text.back(), '\n') << name << " ends in a split line";
    kept += text.substr(4);
  }
  // The newest lines, whole and in order.
  EXPECT_EQ(all.substr(all.size() - kept.size()), kept);
  struct stat st {};
  ASSERT_EQ(::stat((d.path / "x.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(RotatingFile, ReopenAfterAnOutsideRenameLosesNoLine) {
  TempDir d;
  auto path = d.path / "c.log";
  auto f = RotatingFile::open({.path = path.string(), .max_bytes = 0});
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->write("one\n"));
  fs::rename(path, d.path / "c.log.1");  // logrotate's move
  ASSERT_TRUE((*f)->write("two\n"));     // still the old file until the signal
  ASSERT_TRUE((*f)->reopen().ok());
  ASSERT_TRUE((*f)->write("three\n"));
  EXPECT_EQ(slurp(d.path / "c.log.1"), "one\ntwo\n");
  EXPECT_EQ(slurp(path), "three\n");
}

TEST(RotatingFile, UnwritableDirectoryIsAnErrorNamingThePath) {
  auto f = RotatingFile::open({.path = "/nonexistent-dir/x.log"});
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("/nonexistent-dir/x.log"), std::string::npos)
      << f.error().message;
}

}  // namespace
}  // namespace clusterd
