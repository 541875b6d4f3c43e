#include "crashtest/options.h"

#include <cstdlib>
#include <filesystem>

namespace clusterd::crashtest {

const char* const kUsage = R"(usage: crashtest [OPTIONS]
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
  --x86               the x86 set: scripts/x86-bmc.chat with two x86 nodes
                      behind real ipmi_sim BMCs, SOL consoles, fenced by
                      power with read-back (~3 min)
  --bcp               the BCP set: two sites, each with its own disk, the
                      record log or btrfs/rsync/zfs snapshots shipped over a
                      WAN by clusterd-ship; the failover gate, failback,
                      planned site switchovers, a site fenced by lease
                      (docs/bcp.md, ~8 min)
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

namespace {

// strtol as the flags have always read numbers: the whole word must be the
// number ("5x" is refused), and a missing value reads as `missing`, which
// each caller puts out of its range so that it gets the flag's own message.
long number_or(const char* v, long missing) {
  if (!v) return missing;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  return *end ? missing : n;
}

// The checks of how options combine, after every argument parsed.
Result<Options> check_combination(Options o) {
  if (o.guided) {
    if (o.cluster.empty()) return Error::invalid("--guided needs --cluster NAME");
    if (o.random > 0 || o.dry_run || o.offset_given) {
      return Error::invalid(
          "--random, --dry-run and --offset are for simulated runs, not --guided");
    }
    return o;
  }
  if (!o.cluster.empty()) return Error::invalid("--cluster goes with --guided");
  // The safety set is about the stock script's own timeouts: a BREAK timeout
  // shorter than the confirm window hid a presumption of a live node.
  if (o.safety && !o.timings_given) o.timings = "realistic";
  if (o.random > 0 && o.repeat_given) {
    return Error::invalid("--repeat and --random do not mix: a lab draws every iteration");
  }
  if (o.random > 0 && o.offset_given) {
    return Error::invalid("--offset and --random do not mix: a lab draws every offset");
  }
  return o;
}

}  // namespace

Result<Options> parse_options(const std::vector<std::string>& args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const char* { return i + 1 < args.size() ? args[++i].c_str() : nullptr; };
    if (a == "-h" || a == "--help") {
      o.help = true;
      return o;
    } else if (a == "--list") {
      o.list = true;
    } else if (a == "--smoke") {
      o.smoke = true;
    } else if (a == "--safety") {
      o.safety = true;
    } else if (a == "--x86") {
      o.x86 = true;
    } else if (a == "--bcp") {
      o.bcp = true;
    } else if (a == "--all") {
      o.all = true;
    } else if (a == "--load") {
      o.load = true;
    } else if (a == "--keep") {
      o.keep = true;
    } else if (a == "--verbose" || a == "-v") {
      o.verbose = true;
    } else if (a == "--scenario") {
      const char* v = value();
      if (!v) return Error::invalid("--scenario needs an ID (crashtest --list)");
      o.ids.push_back(v);
    } else if (a == "--repeat") {
      long n = number_or(value(), 0);
      if (n < 1 || n > 1000) return Error::invalid("--repeat needs a number 1-1000");
      o.repeat = static_cast<int>(n);
      o.repeat_given = true;
    } else if (a == "--random") {
      long n = number_or(value(), 0);
      if (n < 1 || n > 10000)
        return Error::invalid("--random needs a number of iterations 1-10000");
      o.random = static_cast<int>(n);
    } else if (a == "--dry-run") {
      o.dry_run = true;
    } else if (a == "--offset") {
      long n = number_or(value(), -1);
      if (n < 0 || n > 60000) return Error::invalid("--offset needs milliseconds 0-60000");
      o.offset_ms = static_cast<int>(n);
      o.offset_given = true;
    } else if (a == "--seed") {
      const char* v = value();
      char* end = nullptr;
      unsigned long long n = v ? std::strtoull(v, &end, 10) : 0;
      if (!v || *end) return Error::invalid("--seed needs a number");
      o.seed = n;
    } else if (a == "--timings") {
      const char* v = value();
      if (!v || (std::string(v) != "ci" && std::string(v) != "realistic"))
        return Error::invalid("--timings is ci or realistic");
      o.timings = v;
      o.timings_given = true;
    } else if (a == "--report") {
      const char* v = value();
      if (!v) return Error::invalid("--report needs a folder");
      o.report = v;
    } else if (a == "--script") {
      const char* v = value();
      if (!v) return Error::invalid("--script needs a chat script");
      o.script = std::filesystem::absolute(v).string();
      if (!std::filesystem::exists(o.script))
        return Error::invalid("--script " + std::string(v) + ": no such file");
    } else if (a == "--guided") {
      o.guided = true;
    } else if (a == "--cluster") {
      const char* v = value();
      if (!v) return Error::invalid("--cluster needs a cluster name");
      o.cluster = v;
    } else if (a == "--home") {
      const char* v = value();
      if (!v) return Error::invalid("--home needs a folder");
      o.home = v;
    } else if (a == "--step-timeout") {
      const char* v = value();
      auto d = parse_duration(v ? v : "");
      if (!d) return Error::invalid("--step-timeout needs a duration (e.g. 90s, 15m)");
      o.step_timeout = *d;
    } else {
      return Error::invalid("unknown option '" + a + "'");
    }
  }
  return check_combination(std::move(o));
}

}  // namespace clusterd::crashtest
