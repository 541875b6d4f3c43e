// FaultEnv's disk model: only synced data and synced names survive a
// restart, faults fire once on the operation they name, a torn write leaves
// its first bytes on disk, and a power cut keeps everything after it off disk.
#include "tests/support/fault_env.h"

#include <gtest/gtest.h>

namespace clusterd::testing {
namespace {

TEST(FaultEnv, OnlySyncedDataUnderSyncedNamesSurvivesARestart) {
  FaultEnv env;
  ASSERT_TRUE(env.make_dir("/d", 0700).ok());
  auto f = env.open_append("/d/j", 0640);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->append("one\n").ok());
  ASSERT_TRUE((*f)->sync_data().ok());
  EXPECT_EQ(env.disk("/d/j"), std::nullopt) << "the name is not synced yet";
  ASSERT_TRUE(env.sync_dir("/d").ok());
  ASSERT_TRUE((*f)->append("two\n").ok());
  EXPECT_EQ(env.file("/d/j"), "one\ntwo\n");
  EXPECT_EQ(env.disk("/d/j"), "one\n");
  f.value().reset();
  env.restart();
  EXPECT_EQ(env.read_file("/d/j").value(), "one\n");
}

TEST(FaultEnv, RenameAndRemoveNeedTheDirectorySync) {
  FaultEnv env;
  env.put("/d/old", "x");
  ASSERT_TRUE(env.rename("/d/old", "/d/new").ok());
  ASSERT_TRUE(env.remove("/d/new").ok());
  EXPECT_EQ(env.read_file("/d/new").error().code, Error::Code::NotFound);
  env.restart();
  EXPECT_EQ(env.read_file("/d/old").value(), "x") << "nothing was synced in /d";
  ASSERT_TRUE(env.rename("/d/old", "/d/new").ok());
  ASSERT_TRUE(env.sync_dir("/d").ok());
  env.restart();
  EXPECT_EQ(env.list_dir("/d").value(), std::vector<std::string>{"new"});
}

TEST(FaultEnv, AFaultFiresOnceOnItsOperationAfterItsSkip) {
  FaultEnv env;
  env.put("/d/a.journal", "");
  env.inject({.op = FaultEnv::Op::Append,
              .path_ends_with = ".journal",
              .skip = 1,
              .error = ENOSPC,
              .keep_bytes = 2});
  auto f = env.open_append("/d/a.journal", 0640);
  ASSERT_TRUE((*f)->append("first\n").ok());
  auto failed = (*f)->append("second\n");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "/d/a.journal: No space left on device");
  EXPECT_EQ(env.file("/d/a.journal"), "first\nse") << "keep_bytes reached the file";
  EXPECT_TRUE((*f)->append("third\n").ok()) << "a fault fires once";
  env.inject({.op = FaultEnv::Op::Sync});
  auto sync = (*f)->sync_data();
  ASSERT_FALSE(sync.ok());
  EXPECT_EQ(sync.error().message, "/d/a.journal: fdatasync: Input/output error");
  EXPECT_EQ(env.disk("/d/a.journal"), "");
}

TEST(FaultEnv, ATornWriteLeavesItsFirstBytesOnDiskAndNothingAfter) {
  FaultEnv env;
  env.put("/d/j", "whole\n");
  env.inject({.op = FaultEnv::Op::Append, .keep_bytes = 3, .power_cut = true});
  auto f = env.open_append("/d/j", 0640);
  EXPECT_FALSE((*f)->append("torn record\n").ok());
  EXPECT_TRUE((*f)->append("later\n").ok());
  EXPECT_TRUE((*f)->sync_data().ok());
  EXPECT_EQ(env.file("/d/j"), "whole\ntorlater\n");
  f.value().reset();
  env.restart();
  EXPECT_EQ(env.read_file("/d/j").value(), "whole\ntor");
}

TEST(FaultEnv, PowerCutAfterNKeepsTheFirstNOperations) {
  FaultEnv env;
  env.put("/d/j", "");
  auto f = env.open_append("/d/j", 0640);  // op 1
  env.power_cut_after(3);
  ASSERT_TRUE((*f)->append("a\n").ok());  // op 2
  ASSERT_TRUE((*f)->sync_data().ok());    // op 3: the last one that counts
  ASSERT_TRUE((*f)->append("b\n").ok());  // op 4
  ASSERT_TRUE((*f)->sync_data().ok());    // op 5: after the cut
  EXPECT_EQ(env.operations(), 5);
  EXPECT_EQ(env.log()[2], "sync /d/j");
  f.value().reset();
  env.restart();
  EXPECT_EQ(env.read_file("/d/j").value(), "a\n");
  EXPECT_EQ(env.operations(), 0);
}

TEST(FaultEnv, CreateEmptiesAnExistingFileAndMissingParentsAreNotFound) {
  FaultEnv env;
  env.put("/d/f", "old");
  ASSERT_TRUE(env.create("/d/f", 0600).ok());
  EXPECT_EQ(env.file("/d/f"), "");
  EXPECT_EQ(env.create("/nope/f", 0600).error().code, Error::Code::NotFound);
  ASSERT_TRUE(env.make_dirs("/a/b/c", 0700).ok());
  EXPECT_EQ(env.list_dir("/a/b").value(), std::vector<std::string>{"c"});
}

}  // namespace
}  // namespace clusterd::testing
