// One scenario run as a child process (crashtest/scenario_process.h) with a
// stand-in script: its environment and output, and an interrupt forwarded to
// it. Its own binary: it installs signal handlers and forks.
#include "crashtest/scenario_process.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace clusterd::crashtest {
namespace {

namespace fs = std::filesystem;

/// A source tree with one scenario script, and an evidence folder.
class ScenarioProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) /
            ("scenario_process_test." + std::to_string(::getpid()) + "." +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "src/crashtest/scenarios");
    fs::create_directories(evidence());
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path evidence() const { return root_ / "evidence"; }

  ScriptExit run(const std::string& body, const Options& o = {}) {
    std::ofstream(root_ / "src/crashtest/scenarios/stand_in.sh") << body;
    Scenario s;
    s.id = "stand_in";
    s.script = "stand_in.sh";
    s.env = {{"STAND_IN_VAR", "from the manifest"}};
    PlannedRun p;
    p.seed = 42;
    p.offset_ms = 250;
    return run_script(root_ / "src", root_ / "bin", s, evidence(), o, p, "[1/1] stand_in");
  }

  std::string output() const {
    std::ifstream in(evidence() / "output.log");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  fs::path root_;
};

TEST_F(ScenarioProcessTest, ScriptGetsTheRunSettingsAndItsOutputIsKept) {
  Options o;
  o.timings = "realistic";
  auto exit =
      run("echo \"args=$1 $2\"\n"
          "echo \"seed=$CRASHTEST_SEED offset=$CRASHTEST_OFFSET_MS timings=$CRASHTEST_TIMINGS\"\n"
          "echo \"var=$STAND_IN_VAR evidence=$EVIDENCE_DIR\"\n"
          "echo to stderr >&2\n"
          "exit 7\n",
          o);
  EXPECT_EQ(exit.status, 7);
  EXPECT_GT(exit.pgid, 0);
  std::string out = output();
  EXPECT_NE(out.find("seed=42 offset=250 timings=realistic\n"), std::string::npos) << out;
  EXPECT_NE(out.find("var=from the manifest evidence=" + evidence().string() + "\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("to stderr\n"), std::string::npos) << out;
  EXPECT_EQ(audit_leftovers(exit.pgid, "/nonexistent"), "");
}

// Given a scenario that is quiet when crashtest gets SIGINT (here it sends
// the signal itself and then waits for its TERM without a word), when
// crashtest is reading its output, then the scenario still gets SIGTERM, its
// trap runs with its output still read, and its exit status comes back.
// Without the forward the trap never ran: the read ended at the signal, and
// the scenario died of SIGPIPE at its next line, leaving its nodes behind.
TEST_F(ScenarioProcessTest, InterruptReachesAQuietScenarioAndItsTrapIsHeard) {
  catch_interrupts();
  auto exit =
      run("trap 'echo tearing down; exit 3' TERM\n"
          "kill -INT $PPID\n"
          "sleep 20\n"
          "echo never interrupted\n");
  EXPECT_TRUE(interrupted());
  EXPECT_EQ(exit.status, 3);
  // bash may say "Terminated" for the sleep the SIGTERM ended first.
  std::string out = output();
  EXPECT_NE(out.find("tearing down\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("never interrupted"), std::string::npos) << out;
}

}  // namespace
}  // namespace clusterd::crashtest
