// `chatc verify`: the model checker (docs/verify.md). Exit status: 0 no
// violation, 1 a violation (its counterexample written) or a script with
// errors, 2 usage, 3 the exploration stopped at --max-runs before the end.
#include "clusterd/chatc_verify.h"

#include <cstdio>
#include <iostream>
#include <sstream>

#include "base/duration.h"
#include "base/escape.h"
#include "base/json_writer.h"
#include "base/timestamp.h"
#include "verify/explore.h"
#include "verify/report.h"
#include "verify/setup.h"

namespace clusterd {

namespace {

using namespace verify;

constexpr const char* kUsage = R"(usage: chatc verify SCRIPT [OPTIONS]

Explores every sequence of up to N faults, each at every moment that matters,
with the script run by clusterd's own runtime against two nodesim node models,
and checks the safety invariants at every step (docs/verify.md).

  --config FILE        the cluster config it runs under (docs/config.md): its
                       [params], [policy], [timeouts], [ping] and whether both
                       nodes have a power method; default: the defaults
  --param NAME=VALUE   a script param (repeatable; over the config's)
  --depth N            faults per sequence, at most (default 3)
  --sweep NAME=LO..HI  explore again with NAME at LO, HI and 1 ms either side
                       of every other interval (and sum of two) in between:
                       where timeouts change order (repeatable, one at a time)
  --sweep-points K     values per sweep, at most (default 8)
  --set NAME=DURATION  a timing of the script or the model (repeatable)
  --power, --no-power  both nodes have a power method (a working BMC), or not
                       (default: from the config; x86 scripts: yes)
  --platform sparc|x86 the nodes' hardware (default: x86 when the script's
                       name says so)
  --unconfirmed-fence takeover|wait   the policy (default: the config's, takeover)
  --without FAULT      leave a fault out of the alphabet (repeatable), e.g.
                       "hang" or "break-disable alpha"
  --counterexample DIR where a counterexample goes (default ./verify-counterexample)
  --jobs N             worker threads (default 1; more may find another
                       counterexample of the same length)
  --max-runs N         stop after N runs (exit 3: not verified)
  --mutate old-presumption   the fence rule before the real-consoles issue
                       (silence from the last byte, no CR after the BREAK):
                       to see the verifier find the split brain it allowed
  --json               the result as one JSON object
  --quiet              no progress lines

Timings (--set, --sweep): the script's interval params by name, and
)";

int usage(const std::string& msg) {
  std::fprintf(stderr, "chatc: verify: %s\n(chatc verify --help for usage)\n",
               escape_text(msg).c_str());
  return 2;
}

struct Options {
  VerifySpec spec;
  int depth = 3;
  std::vector<Sweep> sweeps;
  std::size_t sweep_points = 8;
  std::vector<std::string> without;
  std::string cex_dir = "verify-counterexample";
  int jobs = 1;
  std::uint64_t max_runs = 20'000'000;
  bool json = false, quiet = false;
};

bool parse_duration_arg(const std::string& s, Duration& out) {
  auto d = parse_duration(s);
  if (!d.ok()) return false;
  out = *d;
  return true;
}

struct Outcome {
  std::string label;  // "" or "confirm_window=20s"
  ExploreResult result;
};

std::string seconds(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f s", s);
  return b;
}

}  // namespace

int chatc_verify(int argc, char** argv) {
  Options o;
  std::vector<std::string> v(argv, argv + argc);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string& s = v[i];
    std::string key = s.substr(0, s.find('='));
    std::string val;
    auto value = [&]() {
      if (s.rfind("--", 0) == 0 && s.find('=') != std::string::npos) {
        val = s.substr(s.find('=') + 1);
        return true;
      }
      if (i + 1 >= v.size()) return false;
      val = v[++i];
      return true;
    };
    auto number = [&](std::uint64_t& out) {
      try {
        std::size_t used = 0;
        out = std::stoull(val, &used);
        return used == val.size();
      } catch (const std::exception&) {
        return false;
      }
    };
    if (s == "-h" || s == "--help") {
      std::fputs(kUsage, stdout);
      for (const auto& [name, what] : model_knobs())
        std::printf("  %-16s %s\n", name.c_str(), what.c_str());
      std::fputs("\nSee docs/verify.md for what is modelled and what is not.\n", stdout);
      return 0;
    } else if (key == "--config") {
      if (!value()) return usage("--config needs a file");
      o.spec.config = val;
    } else if (key == "--param") {
      if (!value() || val.find('=') == std::string::npos) return usage("--param needs NAME=VALUE");
      o.spec.params[val.substr(0, val.find('='))] = val.substr(val.find('=') + 1);
    } else if (key == "--depth") {
      std::uint64_t n = 0;
      if (!value() || !number(n) || n > 6) return usage("--depth needs a number from 0 to 6");
      o.depth = static_cast<int>(n);
    } else if (key == "--sweep") {
      auto dots = std::string::npos;
      if (!value() || val.find('=') == std::string::npos ||
          (dots = val.find("..")) == std::string::npos)
        return usage("--sweep needs NAME=LO..HI (e.g. confirm_window=5s..60s)");
      Sweep sw;
      sw.name = val.substr(0, val.find('='));
      const std::string lo = val.substr(val.find('=') + 1, dots - val.find('=') - 1);
      const std::string hi = val.substr(dots + 2);
      if (!parse_duration_arg(lo, sw.lo) || !parse_duration_arg(hi, sw.hi) || sw.hi < sw.lo)
        return usage("--sweep " + val + ": LO and HI must be intervals (5s, 2m), LO <= HI");
      o.sweeps.push_back(sw);
    } else if (key == "--sweep-points") {
      std::uint64_t n = 0;
      if (!value() || !number(n) || n < 2) return usage("--sweep-points needs a number >= 2");
      o.sweep_points = n;
    } else if (key == "--set") {
      Duration d{};
      if (!value() || val.find('=') == std::string::npos ||
          !parse_duration_arg(val.substr(val.find('=') + 1), d))
        return usage("--set needs NAME=DURATION (e.g. node.boot=2m)");
      o.spec.knobs[val.substr(0, val.find('='))] = d;
    } else if (key == "--power") {
      o.spec.power = true;
    } else if (key == "--no-power") {
      o.spec.power = false;
    } else if (key == "--platform") {
      if (!value() || (val != "sparc" && val != "x86"))
        return usage("--platform must be sparc or x86");
      o.spec.platform = val == "x86" ? sim::Platform::X86 : sim::Platform::Sparc;
    } else if (key == "--unconfirmed-fence") {
      if (!value() || (val != "takeover" && val != "wait"))
        return usage("--unconfirmed-fence must be takeover or wait");
      o.spec.allow_presumed = val == "takeover";
    } else if (key == "--without") {
      if (!value()) return usage("--without needs a fault (e.g. hang, or \"hang alpha\")");
      o.without.push_back(val);
    } else if (key == "--counterexample") {
      if (!value()) return usage("--counterexample needs a directory");
      o.cex_dir = val;
    } else if (key == "--jobs") {
      std::uint64_t n = 0;
      if (!value() || !number(n) || n < 1 || n > 64)
        return usage("--jobs needs a number from 1 to 64");
      o.jobs = static_cast<int>(n);
    } else if (key == "--max-runs") {
      if (!value() || !number(o.max_runs) || o.max_runs == 0)
        return usage("--max-runs needs a number");
    } else if (key == "--mutate") {
      if (!value() || val != "old-presumption") return usage("--mutate knows old-presumption only");
      o.spec.legacy_presumption = true;
    } else if (key == "--json") {
      o.json = true;
    } else if (key == "--quiet") {
      o.quiet = true;
    } else if (s.size() > 1 && s[0] == '-') {
      return usage("unknown option '" + s + "'");
    } else if (o.spec.script.empty()) {
      o.spec.script = s;
    } else {
      return usage("verify takes one script file");
    }
  }
  if (o.spec.script.empty()) return usage("verify needs a script file");

  std::ostringstream err;
  auto model = Model::load(o.spec, err);
  if (!model) {
    std::fputs(err.str().c_str(), stderr);
    return err.str().find("No such file") != std::string::npos ? 2 : 1;
  }
  ExploreOptions eo;
  eo.depth = o.depth;
  eo.jobs = o.jobs;
  eo.max_runs = o.max_runs;
  const std::array<std::string, 2> names{"alpha", "beta"};
  for (const auto& w : o.without) {
    bool any = false;
    std::vector<Fault> kept;
    for (const Fault& f : eo.faults) {
      const std::string n = fault_name(f, names);
      const bool drop = n == w || n.substr(0, n.find(' ')) == w;
      any |= drop;
      if (!drop) kept.push_back(f);
    }
    if (!any)
      return usage("--without " + w + ": no such fault (chatc verify --help; docs/verify.md)");
    eo.faults = std::move(kept);
  }
  if (!o.quiet && !o.json) {
    eo.progress = [](std::uint64_t runs, std::uint64_t states) {
      std::fprintf(stderr, "  ... %llu runs, %llu states\n", static_cast<unsigned long long>(runs),
                   static_cast<unsigned long long>(states));
    };
  }

  // The runs: the spec as given, then each sweep's points.
  std::vector<std::pair<std::string, std::unique_ptr<Model>>> plan;
  plan.emplace_back("", nullptr);
  for (const auto& sw : o.sweeps) {
    for (Duration d : sweep_points(sw, model->intervals(), o.sweep_points)) {
      auto m = model->with(sw.name, d, err);
      if (!m) {
        std::fputs(err.str().c_str(), stderr);
        return 2;
      }
      plan.emplace_back(sw.name + "=" + format_duration(d), std::move(m));
    }
  }
  std::vector<Outcome> outcomes;
  const Model* failing = nullptr;
  for (auto& [label, m] : plan) {
    const Model& use = m ? *m : *model;
    if (!o.quiet && !o.json)
      std::fprintf(stderr, "verifying %s%s at depth %d over %zu faults...\n", o.spec.script.c_str(),
                   label.empty() ? "" : (" with " + label).c_str(), o.depth, eo.faults.size());
    ExploreResult r = explore([&use] { return use.make(); }, eo);
    outcomes.push_back({label, r});
    if (r.counterexample) {
      failing = &use;
      break;
    }
  }

  std::uint64_t runs = 0, states = 0;
  double secs = 0;
  bool complete = true;
  for (const auto& oc : outcomes) {
    runs += oc.result.runs;
    states += oc.result.states;
    secs += oc.result.seconds;
    complete &= oc.result.complete;
  }
  const Outcome& last = outcomes.back();
  std::string cmd, tail;
  if (last.result.counterexample) {
    auto w =
        write_counterexample(o.cex_dir, *failing, *last.result.counterexample, eo.horizon, tail);
    if (!w.ok()) {
      std::fprintf(stderr, "chatc: verify: cannot write the counterexample: %s\n",
                   w.error().message.c_str());
    } else {
      cmd = *w;
    }
  }
  if (o.json) {
    std::string sweeps = "[";
    for (const auto& oc : outcomes) {
      if (sweeps.size() > 1) sweeps += ",";
      sweeps += JsonObject()
                    .string("setting", oc.label)
                    .number("runs", static_cast<std::int64_t>(oc.result.runs))
                    .number("states", static_cast<std::int64_t>(oc.result.states))
                    .number("pruned", static_cast<std::int64_t>(oc.result.pruned))
                    .number("steps", static_cast<std::int64_t>(oc.result.steps))
                    .boolean("complete", oc.result.complete)
                    .string("seconds", seconds(oc.result.seconds))
                    .str();
    }
    sweeps += "]";
    JsonObject j;
    j.string("script", o.spec.script)
        .string("verdict", last.result.counterexample ? "violation"
                           : complete                 ? "verified"
                                                      : "incomplete")
        .number("depth", o.depth)
        .number("faults", static_cast<std::int64_t>(eo.faults.size()))
        .number("runs", static_cast<std::int64_t>(runs))
        .number("states", static_cast<std::int64_t>(states))
        .string("seconds", seconds(secs))
        .raw("explorations", sweeps);
    if (last.result.counterexample) {
      const auto& c = *last.result.counterexample;
      std::string faults = "[";
      for (const auto& f : c.faults) {
        if (faults.size() > 1) faults += ",";
        faults +=
            JsonObject()
                .string("at",
                        format_offset(
                            std::chrono::duration_cast<std::chrono::nanoseconds>(f.at).count()))
                .string("fault", fault_name(f.fault, names))
                .str();
      }
      faults += "]";
      j.string("setting", last.label)
          .string("violation", c.violation.kind)
          .string("text", c.violation.text)
          .string("at",
                  format_offset(
                      std::chrono::duration_cast<std::chrono::nanoseconds>(c.violation.at).count()))
          .raw("counterexample", faults)
          .string("dir", o.cex_dir)
          .string("replay", cmd);
    }
    std::printf("%s\n", j.str().c_str());
  } else if (last.result.counterexample) {
    const auto& c = *last.result.counterexample;
    std::printf(
        "VIOLATION (%s) %s\n  %s\n  at %s after: %s\n", c.violation.kind.c_str(),
        last.label.empty() ? "" : ("with " + last.label).c_str(),
        escape_text(c.violation.text).c_str(),
        format_offset(std::chrono::duration_cast<std::chrono::nanoseconds>(c.violation.at).count())
            .c_str(),
        describe_faults(c.faults, names).c_str());
    std::printf(
        "\nThe timeline up to it:\n%s\nThe replay case: %s/ (timeline.txt, ledger.jsonl)\n  %s\n",
        tail.c_str(), o.cex_dir.c_str(), cmd.c_str());
  } else {
    std::printf(
        "%s %s: no violation in %llu runs (fault sequences of up to %d faults out of %zu), "
        "%llu states, %zu setting%s, %s\n",
        complete ? "verified" : "NOT VERIFIED (stopped at --max-runs)", o.spec.script.c_str(),
        static_cast<unsigned long long>(runs), o.depth, eo.faults.size(),
        static_cast<unsigned long long>(states), outcomes.size(), outcomes.size() == 1 ? "" : "s",
        seconds(secs).c_str());
  }
  if (last.result.counterexample) return 1;
  return complete ? 0 : 3;
}

}  // namespace clusterd
