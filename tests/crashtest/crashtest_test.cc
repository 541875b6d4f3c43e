// crashtest's judging: the manifest, the plan (the randomized lab's draw), the
// evidence of one run (figures from the timeline, invariants from the ledgers,
// the journal and nodesim check), and the report's tables.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "crashtest/evidence.h"
#include "crashtest/lab.h"
#include "crashtest/manifest.h"
#include "crashtest/report.h"

namespace clusterd::crashtest {
namespace {

namespace fs = std::filesystem;

const char* kManifest =
    "# comment\n"
    "\n"
    "panic | primary_panic.sh | smoke | 1 | - | seed: simulated panic | panic: takeover\n"
    "quiet | restart_healthy.sh X=1 Y=two | - | 0 | 0 | plan A1 | restarts\n"
    "ignored | break_ignored.sh | smoke,safety | 0 | - | plan 3 | refused\n";

TEST(Manifest, ParsesFieldsEnvAndSets) {
  auto m = parse_manifest(kManifest, "MANIFEST");
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_EQ(m->size(), 3u);
  EXPECT_EQ((*m)[0].id, "panic");
  EXPECT_TRUE((*m)[0].smoke);
  EXPECT_FALSE((*m)[0].safety);
  EXPECT_FALSE((*m)[1].smoke || (*m)[1].safety);
  EXPECT_TRUE((*m)[2].smoke && (*m)[2].safety);
  EXPECT_EQ((*m)[0].failovers, 1);
  EXPECT_FALSE((*m)[0].halts_allowed.has_value());
  EXPECT_EQ((*m)[1].env,
            (std::vector<std::pair<std::string, std::string>>{{"X", "1"}, {"Y", "two"}}));
  EXPECT_EQ((*m)[1].halts_allowed, 0);
  EXPECT_EQ((*m)[1].line, 4);
}

TEST(Manifest, ErrorsNameTheLine) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"a | a.sh | smoke | 1 | -\n",
       "M:1: expected 7 fields separated by ' | ' (ID | SCRIPT | SETS | FAILOVERS | HALTS | COVERS "
       "| WHAT), found 5"},
      {"a b | a.sh | smoke | 1 | - | c | w\n",
       "M:1: scenario id 'a b' is not letters, digits, '_' and '-'"},
      {"a | ../a.sh | smoke | 1 | - | c | w\n",
       "M:1: SCRIPT must be a file name ending in .sh in the scenarios folder, not '../a.sh'"},
      {"a | a.sh | often | 1 | - | c | w\n",
       "M:1: SETS is '-' or a comma list of 'smoke', 'safety', 'x86' and 'bcp', not 'often'"},
      {"a | a.sh | smoke,often | 1 | - | c | w\n",
       "M:1: SETS is '-' or a comma list of 'smoke', 'safety', 'x86' and 'bcp', not 'smoke,often'"},
      {"a | a.sh | - | x | - | c | w\n", "M:1: FAILOVERS must be a number >= 0, not 'x'"},
      {"a | a.sh | - | 1 | 2 | c | w\n", "M:1: HALTS is '0' or '-', not '2'"},
      {"a | a.sh | - | 1 | - | c | w\n\na | b.sh | - | 1 | - | c | w\n",
       "M:3: duplicate scenario id 'a'"},
      {"a | a.sh NOEQ | - | 1 | - | c | w\n", "M:1: 'NOEQ' is not VAR=VALUE"},
      {"# only comments\n", "M: no scenarios"},
  };
  for (const auto& c : cases) {
    auto m = parse_manifest(c.text, "M");
    ASSERT_FALSE(m.ok()) << c.text;
    EXPECT_EQ(m.error().message, c.error);
  }
  auto all = parse_manifest(kManifest, "M");
  auto bad = select(*all, {"panic", "nope"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "unknown scenario 'nope' (known: panic, quiet, ignored)");
}

TEST(Summary, NearestRankPercentiles) {
  auto s = summarize({5, 1, 4, 2, 3, 6, 7, 8, 9, 10});
  EXPECT_EQ(s.n, 10u);
  EXPECT_DOUBLE_EQ(s.p50, 5);
  EXPECT_DOUBLE_EQ(s.p95, 10);
  EXPECT_DOUBLE_EQ(s.max, 10);
  EXPECT_EQ(summarize({}).n, 0u);
  EXPECT_DOUBLE_EQ(summarize({2.5}).p95, 2.5);
}

// Seven scenarios, one of them too long for a lab iteration.
const char* kLabManifest =
    "primary_panic | primary_panic.sh | smoke | 1 | - | seed: panic | p\n"
    "ping_loss | ping_loss.sh | smoke | 1 | - | seed: cable | c\n"
    "cascaded_power_offs | cascaded_power_offs.sh | - | 10 | - | seed: cascaded | ten\n"
    "hung_primary | hung_primary.sh | - | 1 | - | plan: hung | h\n"
    "monitor_stall | monitor_stall.sh | - | 0 | 0 | plan: stall | s\n"
    "console_garbage | console_garbage.sh | smoke | 0 | 0 | plan A7 | g\n"
    "ip_change | ip_change.sh | - | 1 | - | seed: ip | i\n";

std::vector<Scenario> lab_manifest() {
  auto m = parse_manifest(kLabManifest, "M");
  EXPECT_TRUE(m.ok()) << m.error().message;
  return m.ok() ? *m : std::vector<Scenario>{};
}

bool same_plan(const std::vector<PlannedRun>& a, const std::vector<PlannedRun>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].index != b[i].index || a[i].scenario != b[i].scenario ||
        a[i].attempt != b[i].attempt || a[i].seed != b[i].seed ||
        a[i].offset_ms != b[i].offset_ms) {
      return false;
    }
  }
  return true;
}

TEST(Lab, ThePoolLeavesOutTheScenariosTooLongForAnIteration) {
  auto all = lab_manifest();
  auto pool = lab_pool(all);
  ASSERT_EQ(pool.size(), all.size() - 1);
  for (const auto& s : pool) EXPECT_NE(s.id, "cascaded_power_offs");
  EXPECT_EQ(pool.front().id, "primary_panic") << "manifest order";
}

TEST(Lab, ThePlanIsTheSameForASeedAndDiffersForAnother) {
  auto pool = lab_pool(lab_manifest());
  auto a = lab_plan(pool, 50, 7);
  ASSERT_EQ(a.size(), 50u);
  EXPECT_TRUE(same_plan(a, lab_plan(pool, 50, 7)));
  EXPECT_FALSE(same_plan(a, lab_plan(pool, 50, 8)));
  // A shorter lab is the start of a longer one: iteration i depends on the seed alone.
  auto longer = lab_plan(pool, 200, 7);
  EXPECT_TRUE(same_plan(a, std::vector<PlannedRun>(longer.begin(), longer.begin() + 50)));
}

TEST(Lab, ThePlanIsPinned) {
  // std::mt19937_64 and the draw are fixed: a report's seed replays on any
  // build. A change here breaks the replay of every earlier report.
  auto plan = lab_plan(lab_pool(lab_manifest()), 3, 7);
  ASSERT_EQ(plan.size(), 3u);
  std::string got;
  for (const auto& p : plan) got += plan_line(p) + "\n";
  EXPECT_EQ(got,
            "   1  monitor_stall              seed=83410 offset_ms=309\n"
            "   2  primary_panic              seed=116738 offset_ms=1248\n"
            "   3  monitor_stall              seed=489872 offset_ms=1899\n");
}

TEST(Lab, EveryDrawIsEligibleAndInRangeAndSeveralScenariosAreCovered) {
  auto pool = lab_pool(lab_manifest());
  auto plan = lab_plan(pool, 50, 1);
  std::set<std::string> ids, seen;
  for (const auto& s : pool) ids.insert(s.id);
  std::map<std::string, int> runs;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const auto& p = plan[i];
    EXPECT_EQ(p.index, static_cast<int>(i) + 1);
    EXPECT_TRUE(ids.count(p.scenario)) << p.scenario;
    EXPECT_GE(p.seed, 1u);
    EXPECT_LE(p.seed, kLabMaxSeed);
    EXPECT_GE(p.offset_ms, 0);
    EXPECT_LE(p.offset_ms, kLabMaxOffsetMs);
    EXPECT_EQ(p.attempt, ++runs[p.scenario])
        << "attempt counts the runs of the scenario: runs/ID.ATTEMPT";
    seen.insert(p.scenario);
  }
  EXPECT_EQ(seen.size(), pool.size()) << "50 draws from 6 scenarios reach every one";
  std::set<int> offsets;
  for (const auto& p : plan) offsets.insert(p.offset_ms);
  EXPECT_GT(offsets.size(), 40u) << "offsets are spread";
  EXPECT_TRUE(lab_plan({}, 5, 1).empty());
}

TEST(Lab, TheRepeatPlanGivesRunRTheSeedPlusRMinusOne) {
  auto all = lab_manifest();
  std::vector<Scenario> two{all[0], all[1]};
  auto plan = repeat_plan(two, 2, 40, 250);
  ASSERT_EQ(plan.size(), 4u);
  EXPECT_EQ(plan_line(plan[0]), "   1  primary_panic              seed=40 offset_ms=250");
  EXPECT_EQ(plan[1].scenario, "ping_loss");
  EXPECT_EQ(plan[2].scenario, "primary_panic");
  EXPECT_EQ(plan[2].seed, 41u);
  EXPECT_EQ(plan[2].attempt, 2);
  EXPECT_EQ(plan[3].index, 4);
}

struct Evidence {
  fs::path dir;
  Evidence() {
    char tmpl[] = "/tmp/crashtest-evidence-XXXXXX";
    dir = ::mkdtemp(tmpl);
    fs::create_directories(dir / "logs");
  }
  ~Evidence() { fs::remove_all(dir); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name) << text;
  }
};

// 2026-11-22T07:00:00Z is 1795330800 s after the epoch.
const char* kTimeline =
    "2026-11-22T07:00:00.000000Z state watch <- start\n"
    "2026-11-22T07:00:10.250000Z ping alpha down\n"
    "2026-11-22T07:00:10.250100Z state confirm <- ping.down\n"
    "2026-11-22T07:00:10.400000Z alarm critical \"fencing alpha: ping lost\"\n"
    "2026-11-22T07:00:11.000000Z fenced alpha (confirmed)\n"
    "2026-11-22T07:00:15.000000Z takeover: beta is active, alpha standby\n"
    "2026-11-22T07:00:15.000100Z state watch <- standby solaris_login matched \"login: \"\n"
    "2026-11-22T07:01:00.000000Z ping beta down\n"
    "2026-11-22T07:01:00.500000Z fenced beta (confirmed)\n";

Scenario scenario(int failovers, std::optional<int> halts) {
  Scenario s;
  s.id = "cable";
  s.failovers = failovers;
  s.halts_allowed = halts;
  return s;
}

TEST(Evidence, FiguresCountFromEachInjectionToTheFirstLineThatShowsTheStep) {
  auto tl = parse_timeline(kTimeline);
  ASSERT_EQ(tl.size(), 9u);
  std::vector<Injection> inj{{1795330810'000000000, "cable-pull alpha"},
                             {1795330859'000000000, "cable-pull beta"}};
  auto f = measure(tl, inj, scenario(1, std::nullopt));
  ASSERT_EQ(f[Figure::Detect].size(), 2u);
  EXPECT_NEAR(f[Figure::Detect][0], 0.25, 1e-6);
  EXPECT_NEAR(f[Figure::Detect][1], 1.0, 1e-6);
  EXPECT_NEAR(f[Figure::Fence][0], 1.0, 1e-6);
  EXPECT_NEAR(f[Figure::Fence][1], 1.5, 1e-6);
  ASSERT_EQ(f[Figure::Takeover].size(), 1u);  // the second fault never reached a takeover
  EXPECT_NEAR(f[Figure::Takeover][0], 5.0, 1e-6);
  EXPECT_NEAR(f[Figure::Alarm][0], 0.4, 1e-6);
  EXPECT_TRUE(f[Figure::HaltRogue].empty());  // only rogue scenarios measure it
}

TEST(Evidence, APassingRunWithCleanGroundTruthPasses) {
  Evidence e;
  e.write("verdict", "pass cable pulled -> takeover\n");
  e.write("injections", "1795330810.000000000 cable-pull alpha\n");
  e.write("logs/demo.log", kTimeline);
  e.write("journal",
          "2026-11-22T07:00:00Z roles active=alpha standby=beta\n2026-11-22T07:00:15Z takeover "
          "active=beta standby=alpha\n");
  e.write("alpha.ledger",
          "{\"ev\":\"break\",\"via\":\"telnet-brk\",\"effect\":\"halted\",\"in\":\"RUNNING\"}\n");
  e.write("nodesim-check", "  overlap: 0.0 ms in 0 interval(s)\n  writes-after-fence: 0\n");
  auto r = read_evidence(e.dir.string(), scenario(1, std::nullopt));
  EXPECT_TRUE(r.passed) << r.first_broken;
  EXPECT_EQ(r.verdict, "cable pulled -> takeover");
  EXPECT_EQ(r.takeovers, 1);
  EXPECT_EQ(r.halts, 1);
  EXPECT_EQ(r.overlap_ms, 0.0);
  EXPECT_EQ(r.writes_after_fence, 0);
  EXPECT_EQ(r.critical_alarms, 1);
  ASSERT_FALSE(r.excerpt.empty());
  EXPECT_EQ(r.excerpt.front(), "07:00:10.250000Z ping alpha down");
}

TEST(Evidence, TheFirstBrokenInvariantIsNamed) {
  Evidence e;
  e.write("verdict", "pass looked fine to the script\n");
  e.write("injections", "1795330810.0 x\n");
  e.write("logs/demo.log", kTimeline);
  e.write("journal", "t takeover active=beta standby=alpha\n");
  e.write("nodesim-check", "overlap: 1520.5 ms in 1 interval(s)\nwrites-after-fence: 3\n");
  auto r = read_evidence(e.dir.string(), scenario(1, std::nullopt));
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.first_broken.rfind("split-brain: both nodes held the shared disk for 1520.5", 0), 0u)
      << r.first_broken;

  e.write("nodesim-check", "overlap: 0.0 ms in 0 interval(s)\nwrites-after-fence: 0\n");
  r = read_evidence(e.dir.string(), scenario(0, 0));
  EXPECT_EQ(r.first_broken, "1 takeover(s) where the scenario means 0 (journal)");
  EXPECT_EQ(r.false_failovers, 1);

  e.write("journal", "");
  e.write("alpha.ledger",
          "{\"ev\":\"break\",\"via\":\"control\",\"effect\":\"halted\"}\n"
          "{\"ev\":\"break\",\"via\":\"telnet-brk\",\"effect\":\"halted\"}\n");
  r = read_evidence(e.dir.string(), scenario(0, 0));
  EXPECT_EQ(r.halts, 1) << "a BREAK injected through the control socket is not clusterd's";
  EXPECT_EQ(r.first_broken, "1 node(s) halted by clusterd where no halt is warranted (ledgers)");

  e.write("verdict", "fail no takeover by beta within 30s (at ping_loss.sh:18)\n");
  r = read_evidence(e.dir.string(), scenario(0, 0));
  EXPECT_EQ(r.first_broken, "scenario: no takeover by beta within 30s (at ping_loss.sh:18)");

  fs::remove(e.dir / "verdict");
  r = read_evidence(e.dir.string(), scenario(0, std::nullopt));
  EXPECT_FALSE(r.passed);
  fs::remove(e.dir / "alpha.ledger");
  e.write("verdict", "pass ok\n");
  fs::remove(e.dir / "nodesim-check");
  r = read_evidence(e.dir.string(), scenario(1, std::nullopt));
  EXPECT_EQ(r.first_broken, "no nodesim check in the evidence: the ground truth was not read");
}

// BCP runs (docs/bcp.md): the lost count against the gates' range and the
// time both sites wrote are judged from the evidence's `bcp` line and shown
// in the report's BCP section.
TEST(Evidence, BcpFiguresAreJudgedAndReported) {
  Evidence e;
  e.write("verdict", "pass site A off\n");
  e.write("injections", "1795330810.000000000 site A power-off\n");
  e.write("logs/demo.log", kTimeline);
  e.write("journal", "t takeover active=beta standby=alpha\n");
  e.write("nodesim-check", "overlap: 0.0 ms in 0 interval(s)\nwrites-after-fence: 0\n");
  e.write("bcp", "mode=stream lost=3 lo=2 hi=9 both_ms=0.0 rto_ms=15294.7\n");
  Scenario s = scenario(1, std::nullopt);
  s.id = "bcp_site_power_off";
  auto r = read_evidence(e.dir.string(), s);
  ASSERT_TRUE(r.bcp.has_value());
  EXPECT_TRUE(r.passed) << r.first_broken;
  EXPECT_EQ(r.bcp->lost, 3);
  EXPECT_EQ(r.bcp->lo, 2);
  EXPECT_EQ(r.bcp->hi, 9);
  RunSettings st;
  std::string md = report_markdown(st, {s}, {r});
  EXPECT_NE(md.find("| BCP: both sites writing | 0.0 ms |"), std::string::npos) << md;
  EXPECT_NE(md.find("| bcp_site_power_off | stream | 1 | 3 | 2..9 | yes | 0.0 ms | 15.3 s |"),
            std::string::npos)
      << md;
  EXPECT_NE(report_json(st, {s}, {r}).find("\"bcp\":{\"mode\":\"stream\",\"lost\":3,\"lo\":2"),
            std::string::npos);

  e.write("bcp", "mode=stream lost=12 lo=2 hi=9 both_ms=0.0 rto_ms=-\n");
  r = read_evidence(e.dir.string(), s);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.first_broken,
            "lost 12 records, outside the gate's 2..9 (nodesim check --bcp vs. the journal)");
  EXPECT_NE(report_markdown(st, {s}, {r}).find("| BCP: loss outside the gate's range | 1 |"),
            std::string::npos);

  e.write("bcp", "mode=stream lost=0 lo=- hi=- both_ms=812.5 rto_ms=-\n");
  r = read_evidence(e.dir.string(), s);
  EXPECT_EQ(r.first_broken, "both sites wrote for 812.5 ms (nodesim check --bcp)");
}

TEST(Report, TablesCarryVerdictsFiguresAndTheZeroToleranceTotals) {
  auto all = parse_manifest(kManifest, "M");
  RunResult a;
  a.scenario = "panic";
  a.passed = true;
  a.verdict = "ok";
  a.overlap_ms = 0;
  a.writes_after_fence = 0;
  a.figures[Figure::Takeover] = {4.0};
  RunResult b = a;
  b.scenario = "quiet";
  b.passed = false;
  b.first_broken = "split-brain: 12 ms";
  b.overlap_ms = 12;
  RunSettings st;
  st.seed = 7;
  auto md = report_markdown(st, *all, {a, b});
  EXPECT_NE(md.find("**1 of 2 runs passed**"), std::string::npos) << md;
  EXPECT_NE(md.find("| split-brain overlap | 12 ms |"), std::string::npos) << md;
  EXPECT_NE(
      md.find(
          "| panic | seed: simulated panic | 1 | yes | - | - | 4.00 s / 4.00 s / 4.00 s (n=1) |"),
      std::string::npos)
      << md;
  EXPECT_NE(md.find("first broken invariant: split-brain: 12 ms"), std::string::npos);
  EXPECT_NE(md.find("| seed | 7 |"), std::string::npos);
  auto js = report_json(st, *all, {a, b});
  EXPECT_NE(js.find("\"zero_tolerance\":{\"overlap_ms\":12,"), std::string::npos) << js;
  EXPECT_NE(js.find("\"T_takeover\":{\"n\":1,\"p50\":4,"), std::string::npos) << js;
  EXPECT_NE(js.find("\"lab\":null"), std::string::npos) << js;
  EXPECT_NE(js.find("\"replay\":\"crashtest --scenario quiet --seed 0\""), std::string::npos) << js;
}

TEST(Report, ALabCarriesPassTotalTheSeedItsIterationsAndTheFirstFailuresReplay) {
  auto all = parse_manifest(kManifest, "M");
  auto run = [](const char* id, int index, int attempt, std::uint64_t seed, int offset,
                double takeover, bool passed) {
    RunResult r;
    r.scenario = id;
    r.index = index;
    r.attempt = attempt;
    r.seed = seed;
    r.offset_ms = offset;
    r.passed = passed;
    r.verdict = "v";
    r.overlap_ms = 0;
    r.writes_after_fence = 0;
    r.figures[Figure::Takeover] = {takeover};
    if (!passed) r.first_broken = "1 takeover(s) where the scenario means 0 (journal)";
    return r;
  };
  std::vector<RunResult> runs{run("panic", 1, 1, 512, 10, 4.0, true),
                              run("quiet", 2, 1, 77, 850, 6.0, false),
                              run("panic", 3, 2, 9, 0, 5.0, true)};
  runs[0].leftovers = "processes nodesim[42]";
  RunSettings st;
  st.seed = 42;
  st.lab_iterations = 4;
  st.lab_pool = 2;
  st.load = true;
  st.replay_extra = " --load";
  st.interrupted = true;
  auto md = report_markdown(st, *all, runs);
  EXPECT_NE(md.find("| seed | 42 |"), std::string::npos) << md;
  EXPECT_NE(
      md.find(
          "| randomized lab | 4 iterations drawn from 2 scenario(s), timing offsets 0-2000 ms |"),
      std::string::npos)
      << md;
  EXPECT_EQ(md.find("| repeat |"), std::string::npos) << md;
  EXPECT_NE(md.find("**2 of 3 iterations passed** (4 planned) (interrupted)"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| first failure | iteration 2 (`quiet`): 1 takeover(s) where the scenario "
                    "means 0 (journal); "
                    "replay: `crashtest --scenario quiet --seed 77 --offset 850 --load` |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| runs that left something behind | 1 |"), std::string::npos) << md;
  EXPECT_NE(
      md.find(
          "| 2 | quiet | 77 | 850 ms | 0.00 s | **FAIL**: 1 takeover(s) where the scenario means 0 "
          "(journal) | runs/quiet.1 |"),
      std::string::npos)
      << md;
  EXPECT_NE(md.find("| 3 | panic | 9 | 0 ms | 0.00 s | pass | runs/panic.2 |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| T_takeover | 3 | 5.00 s | 6.00 s | 6.00 s |"), std::string::npos) << md;
  EXPECT_NE(md.find("- run 2 (iteration 3, seed 9, 0.00 s): **pass**"), std::string::npos) << md;
  EXPECT_NE(md.find("left behind (killed and removed after the run): processes nodesim[42]"),
            std::string::npos)
      << md;

  auto js = report_json(st, *all, runs);
  EXPECT_NE(js.find("\"runs_with_leftovers\":1,"), std::string::npos) << js;
  EXPECT_NE(js.find("\"figures\":{\"T_takeover\":{\"n\":3,\"p50\":5,\"p95\":6,\"max\":6}}"),
            std::string::npos)
      << js;
  EXPECT_NE(
      js.find("\"first_failure\":{\"index\":2,\"scenario\":\"quiet\",\"attempt\":1,\"seed\":77,"
              "\"offset_ms\":850,"),
      std::string::npos)
      << js;
  EXPECT_NE(js.find("\"replay\":\"crashtest --scenario quiet --seed 77 --offset 850 --load\""),
            std::string::npos)
      << js;
  EXPECT_NE(
      js.find(
          "\"lab\":{\"iterations\":4,\"pool\":2,\"max_offset_ms\":2000,\"ran\":3,\"passed\":2,"),
      std::string::npos)
      << js;
  EXPECT_NE(js.find("{\"iteration\":2,\"scenario\":\"quiet\",\"seed\":77,\"offset_ms\":850,"),
            std::string::npos)
      << js;

  runs[1].passed = true;
  EXPECT_NE(report_json(st, *all, runs).find("\"first_failure\":null"), std::string::npos);
  EXPECT_EQ(report_markdown(st, *all, runs).find("| first failure |"), std::string::npos);
}

}  // namespace
}  // namespace clusterd::crashtest
