#include "crashtest/session.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "base/duration.h"
#include "base/timestamp.h"
#include "clusterd/control.h"
#include "crashtest/evidence.h"
#include "crashtest/guided.h"
#include "crashtest/lab.h"
#include "crashtest/manifest.h"
#include "crashtest/report.h"
#include "crashtest/scenario_process.h"

namespace clusterd::crashtest {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string now_utc() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return format_utc(ns).substr(0, 19) + "Z";
}

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The folder of this executable: clusterd, clusterctl and nodesim sit beside it.
fs::path self_dir() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path(".") : p.parent_path();
}

// Where the scenarios and the rest of the project's files (tools/testnet.sh,
// scripts/) are: the source tree this crashtest was built from, or the
// installed share folder.
fs::path find_source() {
  if (const char* e = std::getenv("CRASHTEST_SOURCE_DIR"); e && *e) return e;
  for (fs::path p : {fs::path(CLUSTERD_SOURCE_DIR), self_dir() / "../share/clusterd"}) {
    if (fs::exists(p / "crashtest/scenarios/MANIFEST")) return p;
  }
  return {};
}

// Options every replay of a run needs besides its scenario, seed and offset.
std::string replay_extra(const Options& o) {
  std::string x;
  if (o.load) x += " --load";
  if (o.timings != "ci") x += " --timings " + o.timings;
  if (!o.script.empty()) x += " --script '" + o.script + "'";
  return x;
}

// What to run: the chosen scenarios; for a lab that chooses none, the lab set.
Result<std::vector<Scenario>> choose(const Options& o, const std::vector<Scenario>& all) {
  if (o.all) return all;
  std::vector<std::string> ids = o.ids;
  for (const auto& s : all) {
    if ((o.smoke && s.smoke) || (o.safety && s.safety) || (o.x86 && s.x86) || (o.bcp && s.bcp))
      ids.push_back(s.id);
  }
  if (ids.empty() && o.random > 0) return lab_pool(all);
  if (ids.empty())
    return Error::invalid(
        "choose scenarios: --scenario ID, --smoke, --safety, --x86, --bcp or --all (--list shows "
        "them)");
  return select(all, ids);
}

// crashtest --dry-run: the plan, one line per run, under a '#' header.
int print_plan(const Options& o, const std::vector<Scenario>& chosen,
               const std::vector<PlannedRun>& plan) {
  if (o.random > 0) {
    std::printf(
        "# crashtest --random %d --seed %llu: %zu iteration(s) drawn from %zu scenario(s), timings "
        "%s; "
        "replay one: crashtest --scenario ID --seed SEED --offset MS%s\n",
        o.random, static_cast<unsigned long long>(o.seed), plan.size(), chosen.size(),
        o.timings.c_str(), o.timings == "ci" ? "" : " --timings realistic");
  } else {
    std::printf("# crashtest: %zu run(s) of %zu scenario(s), seed %llu, timings %s\n", plan.size(),
                chosen.size(), static_cast<unsigned long long>(o.seed), o.timings.c_str());
  }
  for (const auto& p : plan) std::printf("%s\n", plan_line(p).c_str());
  return 0;
}

// crashtest --list: "ID  SETS  COVERS — WHAT", one scenario a line.
void print_list(const std::vector<Scenario>& all) {
  for (const auto& s : all) {
    std::string sets;
    for (auto [in, name] :
         {std::pair{s.smoke, "smoke"}, {s.safety, "safety"}, {s.x86, "x86"}, {s.bcp, "bcp"}}) {
      if (in) sets += (sets.empty() ? "" : ",") + std::string(name);
    }
    std::printf("%-26s %-12s %s — %s\n", s.id.c_str(), sets.empty() ? "-" : sets.c_str(),
                s.covers.c_str(), s.what.c_str());
  }
}

// The folder of clusterd, clusterctl and nodesim: beside crashtest in a build
// tree; ../bin when installed (crashtest in sbin).
Result<fs::path> find_binaries() {
  fs::path bin = self_dir();
  if (!fs::exists(bin / "clusterd") && fs::exists(bin / "../bin/clusterd"))
    bin = fs::canonical(bin / "../bin");
  for (const char* p : {"clusterd", "clusterctl", "nodesim"}) {
    if (!fs::exists(bin / p))
      return Error::invalid((bin / p).string() + " is missing (build clusterd first)");
  }
  return bin;
}

RunSettings settings_of(const Options& o, const fs::path& bin, std::size_t pool) {
  RunSettings st;
  st.started_utc = now_utc();
  char host[256] = "?";
  ::gethostname(host, sizeof host - 1);
  st.host = host;
  st.seed = o.seed;
  st.repeat = o.repeat;
  st.load = o.load;
  st.timings = o.timings;
  st.script = o.script.empty() ? "stock: scripts/sparc-obp.chat" : o.script;
  st.clusterd_version = (bin / "clusterd").string();
  st.lab_iterations = o.random;
  st.lab_pool = static_cast<int>(pool);
  st.replay_extra = replay_extra(o);
  return st;
}

/// What every run of one invocation shares: its options, the source tree
/// (scenarios, tools), the binaries and the report folder.
struct Bench {
  const Options& o;
  fs::path src, bin, report;
  int total = 0;  ///< runs in the plan
};

// One run of the plan: the script, then its evidence judged and the audit.
// nullopt when an interrupt cut it short: a run cut short is not a result.
std::optional<RunResult> run_one(const Bench& bench, const Scenario& s, const PlannedRun& p,
                                 const std::string& label, const fs::path& ev) {
  auto t0 = std::chrono::steady_clock::now();
  ScriptExit exit = run_script(bench.src, bench.bin, s, ev, bench.o, p, label);
  RunResult r = read_evidence(ev.string(), s);
  r.attempt = p.attempt;
  r.index = p.index;
  r.seed = p.seed;
  r.offset_ms = p.offset_ms;
  r.seconds = since(t0);
  if (exit.status != 0 && r.passed) {
    r.passed = false;
    r.first_broken =
        "the scenario exited with status " + std::to_string(exit.status) + " after a pass verdict";
  }
  if (interrupted() && !r.passed) return std::nullopt;
  r.leftovers = audit_leftovers(exit.pgid, bench.src);
  if (!r.leftovers.empty() && r.passed) {
    r.passed = false;
    r.first_broken = "audit: the run left behind " + r.leftovers;
  }
  return r;
}

// "LABEL: PASS in 31.2s T_detect=…", and for a failure where to look and how
// to replay it.
void print_result(const std::string& label, const RunResult& r, const fs::path& ev,
                  const RunSettings& st) {
  std::string figs;
  for (Figure f : kFigures) {
    auto it = r.figures.find(f);
    if (it != r.figures.end() && !it->second.empty())
      figs += std::string(" ") + figure_name(f) + "=" + seconds_text(it->second.front());
  }
  std::printf(
      "%s: %s in %.1fs%s%s\n", label.c_str(), r.passed ? "PASS" : "FAIL", r.seconds, figs.c_str(),
      r.passed ? ""
               : ("\n    first broken: " + r.first_broken + "\n    evidence: " + ev.string() +
                  "\n    replay: " + replay_command(st, r))
                     .c_str());
  std::fflush(stdout);
}

void print_start(const Options& o, const Bench& bench, std::size_t pool) {
  if (o.random > 0) {
    std::printf(
        "crashtest: randomized lab, %d iteration(s) drawn from %zu scenario(s), seed %llu, offsets "
        "0-%d ms, "
        "timings %s%s; report in %s\n",
        bench.total, pool, static_cast<unsigned long long>(o.seed), kLabMaxOffsetMs,
        o.timings.c_str(), o.load ? ", under load" : "", bench.report.c_str());
  } else {
    std::printf("crashtest: %d run(s) of %zu scenario(s), seed %llu, timings %s%s; report in %s\n",
                bench.total, pool, static_cast<unsigned long long>(o.seed), o.timings.c_str(),
                o.load ? ", under load" : "", bench.report.c_str());
  }
}

// Every run of `plan` in order (until an interrupt), then the report.
int run_plan(const Bench& bench, const std::vector<Scenario>& chosen,
             const std::vector<PlannedRun>& plan, RunSettings& st) {
  const Options& o = bench.o;
  std::map<std::string, const Scenario*> by_id;
  for (const auto& s : chosen) by_id[s.id] = &s;
  std::vector<RunResult> runs;
  int failed = 0;
  auto t_all = std::chrono::steady_clock::now();
  print_start(o, bench, chosen.size());
  std::error_code ec;
  for (const auto& p : plan) {
    if (interrupted()) break;
    const Scenario& s = *by_id.at(p.scenario);
    fs::path ev = bench.report / "runs" / (s.id + "." + std::to_string(p.attempt));
    fs::remove_all(ev, ec);
    fs::create_directories(ev, ec);
    char label[128];
    if (o.random > 0) {
      std::snprintf(label, sizeof label, "[%d/%d] %s (seed %llu, offset %d ms)", p.index,
                    bench.total, s.id.c_str(), static_cast<unsigned long long>(p.seed),
                    p.offset_ms);
    } else {
      std::snprintf(label, sizeof label, "[%d/%d] %s", p.index, bench.total, s.id.c_str());
    }
    // Without a terminal there is no progress line: say when a run starts.
    if (o.verbose || !::isatty(1)) std::printf("%s: running\n", label);
    std::fflush(stdout);
    auto r = run_one(bench, s, p, label, ev);
    if (!r) break;
    failed += r->passed ? 0 : 1;
    print_result(label, *r, ev, st);
    runs.push_back(std::move(*r));
  }
  st.interrupted = interrupted();
  if (st.interrupted) {
    // Whatever a killed scenario could not take down itself.
    std::string gc = "'" + (bench.src / "tools/testnet.sh").string() + "' gc >/dev/null 2>&1";
    if (std::system(gc.c_str()) != 0) std::fprintf(stderr, "crashtest: testnet.sh gc failed\n");
  }
  std::ofstream(bench.report / "report.md") << report_markdown(st, chosen, runs);
  std::ofstream(bench.report / "report.json") << report_json(st, chosen, runs);
  if (o.random > 0) {
    std::printf("crashtest: lab seed %llu: %zu of %zu iteration(s) passed, %.0fs; %s\n",
                static_cast<unsigned long long>(o.seed),
                runs.size() - static_cast<std::size_t>(failed), plan.size(), since(t_all),
                (bench.report / "report.md").c_str());
  } else {
    std::printf("crashtest: %zu run(s), %d failed, %.0fs; %s\n", runs.size(), failed, since(t_all),
                (bench.report / "report.md").c_str());
  }
  if (st.interrupted) return 130;
  return failed == 0 ? 0 : 1;
}

}  // namespace

Result<int> run_guided_mode(const Options& o) {
  std::string home = o.home;
  if (home.empty())
    home = std::getenv("CLUSTER_HOME") ? std::getenv("CLUSTER_HOME") : "/var/lib/clusterd";
  std::string sock = home + "/run/" + o.cluster + ".sock";
  auto probe = control_request(sock, "status");
  if (!probe.ok())
    return Error::invalid(o.cluster + ": " + probe.error().message +
                          " (is clusterd running for it?)");
  std::vector<GuidedStep> steps;
  for (const auto& st : guided_steps()) {
    bool want = o.ids.empty();
    for (const auto& id : o.ids) want |= id == st.id;
    if (want) steps.push_back(st);
  }
  for (const auto& id : o.ids) {
    bool known = false;
    for (const auto& st : guided_steps()) known |= st.id == id;
    if (!known)
      return Error::invalid("unknown guided step '" + id +
                            "' (standby_power_off, primary_panic, primary_power_off, cable_pull)");
  }
  GuidedIo io;
  io.say = [](const std::string& l) {
    std::printf("%s\n", l.c_str());
    std::fflush(stdout);
  };
  io.wait_enter = [] {
    char buf[256];
    if (!std::fgets(buf, sizeof buf, stdin)) return false;
    return !(buf[0] == 'q' || buf[0] == 'Q');
  };
  io.ask = [sock](const std::string& req) {
    auto r = control_request(sock, req);
    return r.ok() ? *r : std::string();
  };
  io.now_ns = [] {
    return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count());
  };
  io.sleep = [](Duration d) {
    ::usleep(
        static_cast<useconds_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count()));
  };
  std::string started = now_utc();
  std::printf("crashtest --guided: cluster %s, %zu step(s); each waits up to %s for clusterd\n",
              o.cluster.c_str(), steps.size(), format_duration(o.step_timeout).c_str());
  auto results = run_guided(steps, io, o.step_timeout);
  fs::path report = fs::absolute(o.report);
  std::error_code ec;
  fs::create_directories(report, ec);
  std::ofstream(report / "signoff.md") << guided_report(o.cluster, started, results);
  int failed = 0;
  for (const auto& r : results) failed += r.passed ? 0 : 1;
  std::printf("crashtest --guided: %zu step(s), %d failed; %s\n", results.size(), failed,
              (report / "signoff.md").c_str());
  return failed == 0 && results.size() == steps.size() ? 0 : 1;
}

Result<int> run_simulated(const Options& o) {
  fs::path src = find_source();
  if (src.empty())
    return Error::invalid("cannot find crashtest/scenarios/MANIFEST (set CRASHTEST_SOURCE_DIR)");
  auto manifest_path = src / "crashtest/scenarios/MANIFEST";
  auto all = parse_manifest(slurp(manifest_path), manifest_path.string());
  if (!all.ok()) return all.error();
  if (o.list) {
    print_list(*all);
    return 0;
  }
  auto sel = choose(o, *all);
  if (!sel.ok()) return sel.error();
  const std::vector<Scenario>& chosen = *sel;
  if (chosen.empty()) return Error::invalid("no scenario to draw from");
  const auto plan = o.random > 0 ? lab_plan(chosen, o.random, o.seed)
                                 : repeat_plan(chosen, o.repeat, o.seed, o.offset_ms);
  if (o.dry_run) return print_plan(o, chosen, plan);

  if (::geteuid() != 0)
    return Error::invalid("needs root: each scenario makes its own network namespaces");
  auto bin = find_binaries();
  if (!bin.ok()) return bin.error();
  fs::path report = fs::absolute(o.report);
  std::error_code ec;
  fs::create_directories(report / "runs", ec);
  if (ec) return Error::invalid(report.string() + ": " + ec.message());

  catch_interrupts();
  RunSettings st = settings_of(o, *bin, chosen.size());
  Bench bench{o, src, *bin, report, static_cast<int>(plan.size())};
  return run_plan(bench, chosen, plan, st);
}

}  // namespace clusterd::crashtest
