// The verifier's parts (docs/verify.md): state hashing loses no violation,
// a schedule runs the same every time, the alphabet's boundary (a boot no
// one can see), and what the node model's fingerprint leaves out.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../sim/sim_fixture.h"
#include "verify/explore.h"
#include "verify/setup.h"

namespace clusterd::verify {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::array<std::string, 2> kNames{"alpha", "beta"};

std::unique_ptr<Model> load(const std::string& script, bool power) {
  VerifySpec spec;
  spec.script = script;
  spec.power = power;
  std::ostringstream err;
  auto m = Model::load(spec, err);
  EXPECT_TRUE(m) << err.str();
  return m;
}

std::vector<Fault> faults(std::initializer_list<const char*> names) {
  std::vector<Fault> v;
  for (const char* n : names) {
    auto f = parse_fault(n, kNames);
    EXPECT_TRUE(f) << n;
    if (f) v.push_back(*f);
  }
  return v;
}

const std::string kSparc = std::string(CLUSTERD_SOURCE_DIR) + "/scripts/sparc-obp.chat";

// The stock script with its fence marked half a second after the BREAK (no
// `ok`, no read-back): boots the standby beside a node that ignored the BREAK.
std::string weakened_script() {
  const fs::path dir = fs::temp_directory_path() / "verify_test_weak";
  fs::create_directories(dir / "lib");
  for (const auto& e : fs::directory_iterator(fs::path(CLUSTERD_SOURCE_DIR) / "scripts/lib"))
    fs::copy_file(e.path(), dir / "lib" / e.path().filename(),
                  fs::copy_options::overwrite_existing);
  std::ifstream in(kSparc);
  std::ofstream out(dir / "weak.chat");
  std::string line;
  while (std::getline(in, line)) {
    out << line << "\n";
    if (line == "state fence {") out << "    after 500ms { mark fenced active } -> boot_standby\n";
  }
  return (dir / "weak.chat").string();
}

ExploreResult run(const Model& m, std::vector<Fault> alphabet, int depth, bool merge) {
  ExploreOptions o;
  o.depth = depth;
  o.faults = std::move(alphabet);
  o.merge = merge;
  o.horizon = 5min;  // the same for both: without merging a run goes on to it
  return explore([&] { return m.make(); }, o);
}

// Pruning on a state already explored must not hide a violation, nor find
// one that is not there: with and without it the verdicts, and the length of
// the shortest counterexample, are the same; with it, fewer runs.
TEST(Explore, StateHashingKeepsEveryVerdict) {
  const auto alphabet = faults({"hang alpha", "break-disable alpha", "console-lost alpha",
                                "power-off alpha", "console-back alpha"});
  auto weak = load(weakened_script(), true);
  ASSERT_TRUE(weak);
  const ExploreResult wm = run(*weak, alphabet, 2, true);
  const ExploreResult wn = run(*weak, alphabet, 2, false);
  ASSERT_TRUE(wm.counterexample);
  ASSERT_TRUE(wn.counterexample);
  EXPECT_EQ(wm.counterexample->violation.kind, "boot-unfenced");
  EXPECT_EQ(wn.counterexample->violation.kind, "boot-unfenced");
  EXPECT_EQ(wm.counterexample->faults.size(), wn.counterexample->faults.size());

  auto stock = load(kSparc, true);
  ASSERT_TRUE(stock);
  const ExploreResult sm = run(*stock, alphabet, 2, true);
  const ExploreResult sn = run(*stock, alphabet, 2, false);
  EXPECT_FALSE(sm.counterexample) << sm.counterexample->violation.text;
  EXPECT_FALSE(sn.counterexample) << sn.counterexample->violation.text;
  EXPECT_TRUE(sm.complete);
  EXPECT_TRUE(sn.complete);
  EXPECT_LT(sm.runs, sn.runs) << "state hashing pruned nothing";
}

// A counterexample is replayed by running its schedule again: the same
// faults at the same times give the same run, to the byte.
TEST(Explore, AScheduleRunsTheSameEveryTime) {
  auto weak = load(weakened_script(), true);
  ASSERT_TRUE(weak);
  const ModelSetup setup = weak->make();
  const std::vector<Injection> schedule{{0s, faults({"hang alpha"})[0]},
                                        {0s, faults({"break-disable alpha"})[0]}};
  Recording a, b;
  auto va = replay_schedule(setup, schedule, 2h, a);
  auto vb = replay_schedule(setup, schedule, 2h, b);
  ASSERT_TRUE(va);
  ASSERT_TRUE(vb);
  EXPECT_EQ(va->kind, "boot-unfenced");
  EXPECT_EQ(va->at, vb->at);
  EXPECT_EQ(a.timeline, b.timeline);
  EXPECT_EQ(a.ledger, b.ledger);
}

// A node that powers on where no console shows it cannot be stopped by any
// console script: such a power-on is not injected, nor is the loss of the
// console (or a restart of clusterd) while a node so started boots.
TEST(World, ABootNoOneCanSeeIsOutsideTheAlphabet) {
  auto stock = load(kSparc, false);
  ASSERT_TRUE(stock);
  const ModelSetup setup = stock->make();
  World w(setup);
  w.start();
  const auto f = [](const char* n) { return faults({n})[0]; };
  w.inject(f("power-off alpha"));
  ASSERT_TRUE(w.applicable(f("power-on alpha")));
  w.inject(f("console-lost alpha"));
  EXPECT_FALSE(w.applicable(f("power-on alpha"))) << "powered on behind a lost console";
  w.inject(f("console-back alpha"));
  ASSERT_TRUE(w.applicable(f("power-on alpha")));
  w.inject(f("power-on alpha"));  // auto-boot? true: POST, then the boot
  EXPECT_FALSE(w.applicable(f("console-lost alpha"))) << "its console lost while it boots";
  EXPECT_FALSE(w.applicable(f("restart clusterd"))) << "clusterd gone while it boots";
  EXPECT_TRUE(w.applicable(f("console-lost beta"))) << "the other node's console may go";
}

}  // namespace
}  // namespace clusterd::verify

namespace clusterd::sim::testing {
namespace {

class NodeFingerprintTest : public SimTest {};

// A hung node resumes where it stopped: how long ago it hung decides
// nothing, so two moments of one hang hash the same; a running node's
// pending boot steps do not.
TEST_F(NodeFingerprintTest, AHangHashesTheSameHowEverLongItLasts) {
  auto n = make("alpha", true);
  run_to(now + std::chrono::seconds(2), {n.get()});  // booting: steps pending
  ASSERT_EQ(n->m->state(), State::Booting);
  auto hash = [&](TimePoint at) {
    Fingerprint f;
    n->m->fingerprint(f, at);
    return f.value();
  };
  EXPECT_NE(hash(now), hash(now + std::chrono::seconds(1))) << "boot steps are relative to now";
  ASSERT_EQ(n->m->control("hang", now), "ok");
  EXPECT_EQ(hash(now), hash(now + std::chrono::minutes(7)));
}

}  // namespace
}  // namespace clusterd::sim::testing
