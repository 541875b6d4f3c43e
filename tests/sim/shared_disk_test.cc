// FileDisk: the image file two nodesim processes share. Two FileDisk objects
// on one path stand for the two processes.
#include "sim/shared_disk.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sim/ledger.h"

namespace clusterd::sim {
namespace {

using namespace std::literals;

class FileDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("nodesim-disk-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir);
    path = (dir / "shared.img").string();
    ASSERT_TRUE(FileDisk::init(path).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::filesystem::path dir;
  std::string path;
  TimePoint t = TimePoint{} + 5s;
};

TEST_F(FileDiskTest, FreshImageHasAGoodLabelAndNoHolders) {
  FileDisk d(path);
  EXPECT_EQ(d.health(), DiskHealth::Ok);
  EXPECT_TRUE(d.holders()->empty());
  EXPECT_EQ(std::filesystem::file_size(path), 4096u);
  ASSERT_TRUE(FileDisk::init(path).ok()) << "init of an existing image keeps it";
  EXPECT_EQ(std::filesystem::file_size(path), 4096u);
}

TEST_F(FileDiskTest, SecondHolderSeesTheFirstAndReleaseReportsWhoRemains) {
  FileDisk a(path), b(path);
  EXPECT_TRUE(a.acquire("alpha", t)->empty());
  auto others = b.acquire("beta", t + 1s);
  ASSERT_TRUE(others.ok());
  ASSERT_EQ(others->size(), 1u);
  EXPECT_EQ((*others)[0].node, "alpha");
  EXPECT_EQ((*others)[0].since_ns, to_ns(t));
  auto left = b.release("beta", t + 2s);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].node, "alpha");
  EXPECT_TRUE(a.release("alpha", t + 3s)->empty());
}

TEST_F(FileDiskTest, StaleLeaseOfAKilledProcessCanBeCleared) {
  FileDisk a(path);
  ASSERT_TRUE(a.acquire("alpha", t).ok());
  EXPECT_TRUE(*FileDisk(path).clear_stale("alpha"));
  EXPECT_FALSE(*FileDisk(path).clear_stale("alpha"));
}

TEST_F(FileDiskTest, RecordsAppendAfterTheLeaseArea) {
  FileDisk a(path);
  ASSERT_TRUE(a.append("alpha", 1, t).ok());
  ASSERT_TRUE(a.append("alpha", 2, t + 1s).ok());
  std::ifstream in(path, std::ios::binary);
  in.seekg(4096);
  std::string l1, l2;
  std::getline(in, l1);
  std::getline(in, l2);
  EXPECT_EQ(l1, R"({"t_ns":5000000000,"node":"alpha","ev":"record","seq":1})");
  EXPECT_EQ(parse_ledger_line(l2)->get("seq"), "2");
}

TEST_F(FileDiskTest, DiskOffMakesItUnreadableUntilOn) {
  FileDisk a(path);
  ASSERT_TRUE(a.set_power(false).ok());
  EXPECT_EQ(FileDisk(path).health(), DiskHealth::Unreadable);
  EXPECT_FALSE(a.acquire("alpha", t).ok());
  EXPECT_FALSE(a.append("alpha", 1, t).ok());
  ASSERT_TRUE(a.set_power(true).ok());
  EXPECT_EQ(a.health(), DiskHealth::Ok);
  EXPECT_EQ(FileDisk(path + ".missing").health(), DiskHealth::Unreadable);
}

TEST_F(FileDiskTest, OverwrittenSectorZeroIsABadLabel) {
  FileDisk a(path);
  ASSERT_TRUE(a.acquire("alpha", t).ok());
  ASSERT_TRUE(a.set_label(false).ok());
  EXPECT_EQ(a.health(), DiskHealth::BadLabel);
  EXPECT_EQ(a.holders()->size(), 1u) << "the label fault leaves the lease alone";
  ASSERT_TRUE(a.set_label(true).ok());
  EXPECT_EQ(a.health(), DiskHealth::Ok);
}

}  // namespace
}  // namespace clusterd::sim
