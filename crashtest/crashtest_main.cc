// crashtest: runs the crash-test scenarios (crashtest/scenarios/MANIFEST)
// against simulated clusters and writes the evidence report. Each run is one
// scenario script in its own process group (it builds its own test network,
// nodes, terminal server and clusterd, and tears them down on every way out);
// crashtest streams its progress, reads the evidence folder it left, judges
// the zero-tolerance invariants, audits what the run left behind and computes
// the figures. The runs follow a plan (crashtest/lab.h): the chosen scenarios
// repeated, or the randomized lab's draw (--random).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
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

namespace fs = std::filesystem;
using namespace clusterd;
using namespace clusterd::crashtest;

namespace {

constexpr const char* kUsage = R"(usage: crashtest [OPTIONS]
Runs crash-test scenarios against a simulated two-node cluster that each
scenario builds and tears down: two nodesim nodes in their own network
namespaces (one console behind the real ser2net, one reached by telnet),
clusterd with the stock script, and the faults of the pre-production test
list. Needs root (network namespaces). Writes REPORT/report.md and
REPORT/report.json, and the evidence of every run under REPORT/runs/.

Choosing:
  --list              print every scenario: ID, sets, what it covers; exit
  --scenario ID       run this scenario (repeatable)
  --smoke             the CI set (primary power-off, panic, cable pull, rogue
                      standby boot, kill -9 mid-failover, restart while
                      healthy, console garbage)
  --safety            the safety set (every scenario that ends in a presumed,
                      refused or unconfirmed fence, or meets a node that
                      answers its console), under --timings realistic
                      unless --timings says otherwise: ~30 min
  --all               every scenario
  --random N          randomized lab: N iterations, each a scenario drawn
                      from the lab set (every scenario but those too long
                      for an iteration; --scenario/--smoke/--all choose the
                      set instead) with its own seed and a timing offset of
                      0-2000 ms before its fault, all drawn from --seed
  --dry-run           print the plan (index, scenario, seed, offset) and
                      exit; runs nothing, needs no root
Running:
  --repeat N          run each chosen scenario N times (default 1)
  --seed N            seed of the runs' randomness (default 1; run i of a
                      scenario gets N + i - 1; a lab draws its plan from
                      it); printed in the report
  --offset MS         wait MS milliseconds more before each run's first
                      fault (a lab iteration's replay)
  --load              significant activity during every test: both consoles
                      flooding at line speed, a CPU hog (stress-ng)
  --timings ci|realistic   scaled timings (default ci: seconds) or the
                      stock script's production timeouts and minute-long
                      boots (slow)
  --script FILE       the chat script under test instead of the stock one
  --report DIR        where the report goes (default ./crashtest-report)
  --keep              keep each run's work folder (printed) for inspection
  --verbose           stream every scenario's own lines
  -h, --help          this text
Exit status: 0 every run passed, 1 some failed, 2 usage or setup error,
130 interrupted (the report covers the runs that finished).
Nightly: crashtest --all --load --repeat 10 --report /var/tmp/crashtest-$(date +%F)
         crashtest --random 100 --seed $(date +%Y%m%d) --report /var/tmp/lab
Replay one run (the report prints the command of the first failure):
  crashtest --scenario ID --seed S --offset MS

Guided mode, on a real cluster that clusterd runs (the sign-off procedure):
  crashtest --guided --cluster NAME [--home DIR] [--scenario STEP]...
            [--step-timeout DURATION] [--report DIR]
  Tells the operator which fault to make (power off the standby, panic the
  primary, power it off, pull its cables), waits for Enter, and judges each
  step from clusterd's own timeline within --step-timeout (default 15m).
  Steps: standby_power_off primary_panic primary_power_off cable_pull.
  Writes REPORT/signoff.md.
)";

volatile sig_atomic_t g_interrupted = 0;
void on_signal(int) { g_interrupted = 1; }

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

struct Options {
  std::vector<std::string> ids;
  bool list = false, smoke = false, safety = false, all = false, load = false, keep = false,
       verbose = false;
  int repeat = 1;
  bool repeat_given = false;
  int random = 0;  ///< --random N: a lab of N iterations
  bool dry_run = false;
  int offset_ms = 0;
  bool offset_given = false;
  std::uint64_t seed = 1;
  std::string timings = "ci", report = "crashtest-report", script;
  bool timings_given = false;
  bool guided = false;
  std::string cluster, home;
  Duration step_timeout = std::chrono::minutes(15);
};

int usage_error(const std::string& m) {
  std::fprintf(stderr, "crashtest: %s\n(crashtest --help for usage)\n", m.c_str());
  return 2;
}

// Guided mode: the operator makes the faults; clusterd's control socket tells.
int run_guided_mode(const Options& o) {
  std::string home = o.home;
  if (home.empty())
    home = std::getenv("CLUSTER_HOME") ? std::getenv("CLUSTER_HOME") : "/var/lib/clusterd";
  std::string sock = home + "/run/" + o.cluster + ".sock";
  auto probe = control_request(sock, "status");
  if (!probe.ok())
    return usage_error(o.cluster + ": " + probe.error().message + " (is clusterd running for it?)");
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
      return usage_error("unknown guided step '" + id +
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

// One run: the scenario script in its own process group (PGID, for the
// audit); its lines go to OUTPUT (and the terminal when verbose); progress on
// one line otherwise.
int run_script(const fs::path& src, const fs::path& bin, const Scenario& s,
               const fs::path& evidence, const Options& o, const PlannedRun& p,
               const std::string& label, pid_t& pgid) {
  pgid = 0;
  int fds[2];
  if (::pipe(fds) != 0) return 2;
  pid_t child = ::fork();
  if (child < 0) return 2;
  if (child == 0) {
    ::setpgid(0, 0);
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    ::setenv("EVIDENCE_DIR", evidence.c_str(), 1);
    ::setenv("CRASHTEST_SEED", std::to_string(p.seed).c_str(), 1);
    if (p.offset_ms > 0) ::setenv("CRASHTEST_OFFSET_MS", std::to_string(p.offset_ms).c_str(), 1);
    ::setenv("CRASHTEST_TIMINGS", o.timings.c_str(), 1);
    if (o.load) ::setenv("CRASHTEST_LOAD", "1", 1);
    if (o.keep) ::setenv("KEEP", "1", 1);
    if (!o.script.empty()) ::setenv("CRASHTEST_SCRIPT", o.script.c_str(), 1);
    for (const auto& [k, v] : s.env) ::setenv(k.c_str(), v.c_str(), 1);
    std::string script = (src / "crashtest/scenarios" / s.script).string();
    ::execl("/bin/bash", "bash", script.c_str(), bin.c_str(), src.c_str(),
            static_cast<char*>(nullptr));
    std::perror("crashtest: exec bash");
    ::_exit(127);
  }
  ::setpgid(child, child);
  pgid = child;
  ::close(fds[1]);
  std::ofstream out(evidence / "output.log");
  FILE* in = ::fdopen(fds[0], "r");
  bool tty = ::isatty(1);
  auto t0 = std::chrono::steady_clock::now();
  bool forwarded = false;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, in)) {
    std::string line(buf);
    out << line;
    out.flush();
    if (!line.empty() && line.back() == '\n') line.pop_back();
    if (o.verbose) {
      std::printf("    %s\n", line.c_str());
    } else if (tty && line.rfind("[", 0) == 0) {
      auto close = line.find("] ");
      std::string step = close == std::string::npos ? line : line.substr(close + 2);
      if (step.size() > 70) step = step.substr(0, 67) + "...";
      std::printf("\r\033[K%s %5.1fs  %s", label.c_str(), since(t0), step.c_str());
    }
    std::fflush(stdout);
    if (g_interrupted && !forwarded) {
      ::kill(-child, SIGTERM);  // the scenario's trap tears its network and processes down
      forwarded = true;
    }
  }
  std::fclose(in);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    if (g_interrupted && !forwarded) {
      ::kill(-child, SIGTERM);
      forwarded = true;
    }
  }
  if (tty && !o.verbose) std::printf("\r\033[K");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The members of process group PGID: "comm[pid]" each (from /proc).
std::vector<std::string> group_members(pid_t pgid) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = slurp(e.path() / "stat");  // "PID (COMM) STATE PPID PGRP ..."
    auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    long ppid = 0, pgrp = 0;
    if (rest >> state >> ppid >> pgrp && pgrp == pgid && state != "Z") {
      out.push_back(stat.substr(open + 1, close - open - 1) + "[" + pid + "]");
    }
  }
  return out;
}

// The audit after a run: what it left behind, removed so that it cannot skew
// the next run (a stray clusterd or nodesim on the next run's ports, test
// networks piling up over a long lab). The scenario's own traps take all of
// it down on every way out; a leftover is a harness bug, and fails the run.
std::string audit_leftovers(pid_t pgid, const fs::path& src) {
  if (pgid <= 0) return {};
  std::string left;
  // A few seconds for the last children of the traps to go.
  auto procs = group_members(pgid);
  for (int i = 0; i < 30 && !procs.empty(); ++i) {
    ::usleep(100000);
    procs = group_members(pgid);
  }
  if (!procs.empty()) {
    left = "processes";
    for (const auto& p : procs) left += " " + p;
    ::kill(-pgid, SIGKILL);
  }
  // scenario_enter (lib.sh) names its network after the script's pid.
  const std::string id = "s" + std::to_string(pgid % 10000000);
  std::string nets;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/run/netns", ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("cdt-" + id + "-", 0) == 0) nets += " " + name;
  }
  if (!nets.empty()) {
    left += (left.empty() ? "" : "; ") + std::string("test network") + nets;
    std::string down =
        "'" + (src / "tools/testnet.sh").string() + "' down " + id + " >/dev/null 2>&1";
    if (std::system(down.c_str()) != 0) left += " (testnet.sh down failed)";
  }
  return left;
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
    if ((o.smoke && s.smoke) || (o.safety && s.safety)) ids.push_back(s.id);
  }
  if (ids.empty() && o.random > 0) return lab_pool(all);
  if (ids.empty())
    return Error::invalid(
        "choose scenarios: --scenario ID, --smoke, --safety or --all (--list shows them)");
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

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* what) -> const char* {
      if (i + 1 >= argc) return nullptr;
      (void)what;
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--list") {
      o.list = true;
    } else if (a == "--smoke") {
      o.smoke = true;
    } else if (a == "--safety") {
      o.safety = true;
    } else if (a == "--all") {
      o.all = true;
    } else if (a == "--load") {
      o.load = true;
    } else if (a == "--keep") {
      o.keep = true;
    } else if (a == "--verbose" || a == "-v") {
      o.verbose = true;
    } else if (a == "--scenario") {
      const char* v = value("ID");
      if (!v) return usage_error("--scenario needs an ID (crashtest --list)");
      o.ids.push_back(v);
    } else if (a == "--repeat") {
      const char* v = value("N");
      char* end = nullptr;
      long n = v ? std::strtol(v, &end, 10) : 0;
      if (!v || *end || n < 1 || n > 1000) return usage_error("--repeat needs a number 1-1000");
      o.repeat = static_cast<int>(n);
      o.repeat_given = true;
    } else if (a == "--random") {
      const char* v = value("N");
      char* end = nullptr;
      long n = v ? std::strtol(v, &end, 10) : 0;
      if (!v || *end || n < 1 || n > 10000)
        return usage_error("--random needs a number of iterations 1-10000");
      o.random = static_cast<int>(n);
    } else if (a == "--dry-run") {
      o.dry_run = true;
    } else if (a == "--offset") {
      const char* v = value("MS");
      char* end = nullptr;
      long n = v ? std::strtol(v, &end, 10) : -1;
      if (!v || *end || n < 0 || n > 60000)
        return usage_error("--offset needs milliseconds 0-60000");
      o.offset_ms = static_cast<int>(n);
      o.offset_given = true;
    } else if (a == "--seed") {
      const char* v = value("N");
      char* end = nullptr;
      unsigned long long n = v ? std::strtoull(v, &end, 10) : 0;
      if (!v || *end) return usage_error("--seed needs a number");
      o.seed = n;
    } else if (a == "--timings") {
      const char* v = value("ci|realistic");
      if (!v || (std::string(v) != "ci" && std::string(v) != "realistic"))
        return usage_error("--timings is ci or realistic");
      o.timings = v;
      o.timings_given = true;
    } else if (a == "--report") {
      const char* v = value("DIR");
      if (!v) return usage_error("--report needs a folder");
      o.report = v;
    } else if (a == "--script") {
      const char* v = value("FILE");
      if (!v) return usage_error("--script needs a chat script");
      o.script = fs::absolute(v).string();
      if (!fs::exists(o.script))
        return usage_error("--script " + std::string(v) + ": no such file");
    } else if (a == "--guided") {
      o.guided = true;
    } else if (a == "--cluster") {
      const char* v = value("NAME");
      if (!v) return usage_error("--cluster needs a cluster name");
      o.cluster = v;
    } else if (a == "--home") {
      const char* v = value("DIR");
      if (!v) return usage_error("--home needs a folder");
      o.home = v;
    } else if (a == "--step-timeout") {
      const char* v = value("DURATION");
      auto d = v ? parse_duration(v) : std::nullopt;
      if (!d) return usage_error("--step-timeout needs a duration (e.g. 90s, 15m)");
      o.step_timeout = *d;
    } else {
      return usage_error("unknown option '" + a + "'");
    }
  }

  if (o.guided) {
    if (o.cluster.empty()) return usage_error("--guided needs --cluster NAME");
    if (o.random > 0 || o.dry_run || o.offset_given) {
      return usage_error("--random, --dry-run and --offset are for simulated runs, not --guided");
    }
    return run_guided_mode(o);
  }
  if (!o.cluster.empty()) return usage_error("--cluster goes with --guided");
  // The safety set is about the stock script's own timeouts: a BREAK timeout
  // shorter than the confirm window hid a presumption of a live node.
  if (o.safety && !o.timings_given) o.timings = "realistic";
  if (o.random > 0 && o.repeat_given) {
    return usage_error("--repeat and --random do not mix: a lab draws every iteration");
  }
  if (o.random > 0 && o.offset_given) {
    return usage_error("--offset and --random do not mix: a lab draws every offset");
  }
  fs::path src = find_source();
  if (src.empty())
    return usage_error("cannot find crashtest/scenarios/MANIFEST (set CRASHTEST_SOURCE_DIR)");
  auto manifest_path = src / "crashtest/scenarios/MANIFEST";
  auto all = parse_manifest(slurp(manifest_path), manifest_path.string());
  if (!all.ok()) return usage_error(all.error().message);

  if (o.list) {
    for (const auto& s : *all) {
      std::string sets = std::string(s.smoke ? "smoke" : "") + (s.smoke && s.safety ? "," : "") +
                         (s.safety ? "safety" : "");
      std::printf("%-26s %-12s %s — %s\n", s.id.c_str(), sets.empty() ? "-" : sets.c_str(),
                  s.covers.c_str(), s.what.c_str());
    }
    return 0;
  }
  auto sel = choose(o, *all);
  if (!sel.ok()) return usage_error(sel.error().message);
  const std::vector<Scenario>& chosen = *sel;
  if (chosen.empty()) return usage_error("no scenario to draw from");
  const auto plan = o.random > 0 ? lab_plan(chosen, o.random, o.seed)
                                 : repeat_plan(chosen, o.repeat, o.seed, o.offset_ms);
  if (o.dry_run) return print_plan(o, chosen, plan);
  std::map<std::string, const Scenario*> by_id;
  for (const auto& s : chosen) by_id[s.id] = &s;

  if (::geteuid() != 0)
    return usage_error("needs root: each scenario makes its own network namespaces");
  // Beside crashtest in a build tree; ../bin when installed (crashtest in sbin).
  fs::path bin = self_dir();
  if (!fs::exists(bin / "clusterd") && fs::exists(bin / "../bin/clusterd"))
    bin = fs::canonical(bin / "../bin");
  for (const char* p : {"clusterd", "clusterctl", "nodesim"}) {
    if (!fs::exists(bin / p))
      return usage_error((bin / p).string() + " is missing (build clusterd first)");
  }

  fs::path report = fs::absolute(o.report);
  std::error_code ec;
  fs::create_directories(report / "runs", ec);
  if (ec) return usage_error(report.string() + ": " + ec.message());

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

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
  st.lab_pool = static_cast<int>(chosen.size());
  st.replay_extra = replay_extra(o);

  std::vector<RunResult> runs;
  int total = static_cast<int>(plan.size()), failed = 0;
  auto t_all = std::chrono::steady_clock::now();
  if (o.random > 0) {
    std::printf(
        "crashtest: randomized lab, %d iteration(s) drawn from %zu scenario(s), seed %llu, offsets "
        "0-%d ms, "
        "timings %s%s; report in %s\n",
        total, chosen.size(), static_cast<unsigned long long>(o.seed), kLabMaxOffsetMs,
        o.timings.c_str(), o.load ? ", under load" : "", report.c_str());
  } else {
    std::printf("crashtest: %d run(s) of %zu scenario(s), seed %llu, timings %s%s; report in %s\n",
                total, chosen.size(), static_cast<unsigned long long>(o.seed), o.timings.c_str(),
                o.load ? ", under load" : "", report.c_str());
  }
  for (const auto& p : plan) {
    if (g_interrupted) break;
    const Scenario& s = *by_id.at(p.scenario);
    fs::path ev = report / "runs" / (s.id + "." + std::to_string(p.attempt));
    fs::remove_all(ev, ec);
    fs::create_directories(ev, ec);
    char label[128];
    if (o.random > 0) {
      std::snprintf(label, sizeof label, "[%d/%d] %s (seed %llu, offset %d ms)", p.index, total,
                    s.id.c_str(), static_cast<unsigned long long>(p.seed), p.offset_ms);
    } else {
      std::snprintf(label, sizeof label, "[%d/%d] %s", p.index, total, s.id.c_str());
    }
    if (o.verbose || !::isatty(1)) std::printf("%s: running\n", label);
    std::fflush(stdout);
    auto t0 = std::chrono::steady_clock::now();
    pid_t pgid = 0;
    int rc = run_script(src, bin, s, ev, o, p, label, pgid);
    RunResult r = read_evidence(ev.string(), s);
    r.attempt = p.attempt;
    r.index = p.index;
    r.seed = p.seed;
    r.offset_ms = p.offset_ms;
    r.seconds = since(t0);
    if (rc != 0 && r.passed) {
      r.passed = false;
      r.first_broken =
          "the scenario exited with status " + std::to_string(rc) + " after a pass verdict";
    }
    if (g_interrupted && !r.passed) break;  // a run cut short is not a result
    r.leftovers = audit_leftovers(pgid, src);
    if (!r.leftovers.empty() && r.passed) {
      r.passed = false;
      r.first_broken = "audit: the run left behind " + r.leftovers;
    }
    failed += r.passed ? 0 : 1;
    std::string figs;
    for (Figure f : kFigures) {
      auto it = r.figures.find(f);
      if (it != r.figures.end() && !it->second.empty())
        figs += std::string(" ") + figure_name(f) + "=" + seconds_text(it->second.front());
    }
    std::printf("%s: %s in %.1fs%s%s\n", label, r.passed ? "PASS" : "FAIL", r.seconds, figs.c_str(),
                r.passed ? ""
                         : ("\n    first broken: " + r.first_broken + "\n    evidence: " +
                            ev.string() + "\n    replay: " + replay_command(st, r))
                               .c_str());
    std::fflush(stdout);
    runs.push_back(std::move(r));
  }
  st.interrupted = g_interrupted != 0;
  if (st.interrupted) {
    // Whatever a killed scenario could not take down itself.
    std::string gc = "'" + (src / "tools/testnet.sh").string() + "' gc >/dev/null 2>&1";
    if (std::system(gc.c_str()) != 0) std::fprintf(stderr, "crashtest: testnet.sh gc failed\n");
  }
  std::ofstream(report / "report.md") << report_markdown(st, chosen, runs);
  std::ofstream(report / "report.json") << report_json(st, chosen, runs);
  if (o.random > 0) {
    std::printf("crashtest: lab seed %llu: %zu of %zu iteration(s) passed, %.0fs; %s\n",
                static_cast<unsigned long long>(o.seed),
                runs.size() - static_cast<std::size_t>(failed), plan.size(), since(t_all),
                (report / "report.md").c_str());
  } else {
    std::printf("crashtest: %zu run(s), %d failed, %.0fs; %s\n", runs.size(), failed, since(t_all),
                (report / "report.md").c_str());
  }
  if (st.interrupted) return 130;
  return failed == 0 ? 0 : 1;
}
