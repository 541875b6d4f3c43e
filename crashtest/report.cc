#include "crashtest/report.h"

#include <cstdio>
#include <sstream>

#include "base/escape.h"
#include "base/timestamp.h"
#include "crashtest/lab.h"

namespace clusterd::crashtest {
namespace {

std::vector<const RunResult*> runs_of(const std::vector<RunResult>& runs, const std::string& id) {
  std::vector<const RunResult*> out;
  for (const auto& r : runs) {
    if (r.scenario == id) out.push_back(&r);
  }
  return out;
}

std::vector<const RunResult*> all_of(const std::vector<RunResult>& runs) {
  std::vector<const RunResult*> out;
  for (const auto& r : runs) out.push_back(&r);
  return out;
}

std::vector<double> samples(const std::vector<const RunResult*>& runs, Figure f) {
  std::vector<double> out;
  for (const auto* r : runs) {
    auto it = r->figures.find(f);
    if (it != r->figures.end()) out.insert(out.end(), it->second.begin(), it->second.end());
  }
  return out;
}

std::string summary_text(const Summary& s) {
  if (s.n == 0) return "-";
  return seconds_text(s.p50) + " / " + seconds_text(s.p95) + " / " + seconds_text(s.max) +
         " (n=" + std::to_string(s.n) + ")";
}

// A table cell: no '|' or newline may break the table.
std::string cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out;
}

struct Totals {
  double overlap_ms = 0;
  int writes_after_fence = 0, false_failovers = 0, spurious_halts = 0, missing_ground_truth = 0,
      leftovers = 0;
  int bcp_runs = 0, bcp_out_of_range = 0;
  double bcp_both_ms = 0;
};

Totals totals(const std::vector<RunResult>& runs) {
  Totals t;
  for (const auto& r : runs) {
    if (r.overlap_ms) t.overlap_ms += *r.overlap_ms;
    if (r.writes_after_fence) t.writes_after_fence += *r.writes_after_fence;
    if (!r.overlap_ms || !r.writes_after_fence) ++t.missing_ground_truth;
    t.false_failovers += r.false_failovers;
    t.spurious_halts += r.spurious_halts;
    if (!r.leftovers.empty()) ++t.leftovers;
    if (r.bcp) {
      ++t.bcp_runs;
      t.bcp_both_ms += r.bcp->both_ms;
      if (!r.bcp->in_range()) ++t.bcp_out_of_range;
    }
  }
  return t;
}

// The first failed run in run order: the one to replay first.
const RunResult* first_failure(const std::vector<RunResult>& runs) {
  for (const auto& r : runs) {
    if (!r.passed) return &r;
  }
  return nullptr;
}

bool is_lab(const RunSettings& st) { return st.lab_iterations > 0; }

// "iteration 7 (ping_loss)" in a lab, "run 2 of ping_loss" otherwise.
std::string run_name(const RunSettings& st, const RunResult& r) {
  if (is_lab(st)) return "iteration " + std::to_string(r.index) + " (`" + r.scenario + "`)";
  return "run " + std::to_string(r.attempt) + " of `" + r.scenario + "`";
}

std::string evidence_dir(const RunResult& r) {
  return "runs/" + r.scenario + "." + std::to_string(r.attempt);
}

// {"T_detect":{"n":…,"p50":…,"p95":…,"max":…},…}: the figures with samples.
std::string figures_json(const std::vector<const RunResult*>& runs) {
  std::ostringstream o;
  o << "{";
  bool first = true;
  for (Figure f : kFigures) {
    auto sm = summarize(samples(runs, f));
    if (sm.n == 0) continue;
    o << (first ? "" : ",") << "\"" << figure_name(f) << "\":{\"n\":" << sm.n
      << ",\"p50\":" << sm.p50 << ",\"p95\":" << sm.p95 << ",\"max\":" << sm.max << "}";
    first = false;
  }
  o << "}";
  return o.str();
}

void lab_iterations_markdown(std::ostringstream& o, const std::vector<RunResult>& runs) {
  o << "## Iterations\n\n";
  o << "In run order; the evidence of each in its folder, the figures of all of them below.\n\n";
  o << "| # | scenario | seed | offset | time | result | evidence "
       "|\n|---|---|---|---|---|---|---|\n";
  for (const auto& r : runs) {
    o << "| " << r.index << " | " << r.scenario << " | " << r.seed << " | " << r.offset_ms
      << " ms | " << seconds_text(r.seconds) << " | "
      << (r.passed ? "pass" : "**FAIL**: " + cell(r.first_broken)) << " | " << evidence_dir(r)
      << " |\n";
  }
  o << "\n";
}

}  // namespace

std::string replay_command(const RunSettings& st, const RunResult& r) {
  std::string c = "crashtest --scenario " + r.scenario + " --seed " + std::to_string(r.seed);
  if (r.offset_ms > 0) c += " --offset " + std::to_string(r.offset_ms);
  return c + st.replay_extra;
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, s < 10 ? "%.2f s" : "%.1f s", s);
  return buf;
}

// BCP (docs/bcp.md): per scenario, the records lost (ledgers against the
// promoted image) and the range the gate stated before it promoted, the
// time both sites wrote, the RTO (old writer's last write to the new one's first).
static void bcp_markdown(std::ostringstream& o, const std::vector<Scenario>& scenarios,
                         const std::vector<RunResult>& runs) {
  bool any = false;
  for (const auto& r : runs) any = any || r.bcp.has_value();
  if (!any) return;
  o << "\n## BCP (two sites, docs/bcp.md)\n\n"
       "Records lost: `write` records in the ledgers that the image active at the end lacks; "
       "the gate's range is what clusterd stated before it promoted (summed over the run's "
       "promotions). RTO: the old writer's last write to the new one's first, from the "
       "ledgers. One cell per run.\n\n";
  o << "| scenario | mode | runs | lost | gate's range | in range | both sites writing | RTO |\n";
  o << "|---|---|---|---|---|---|---|---|\n";
  for (const auto& s : scenarios) {
    auto rs = runs_of(runs, s.id);
    std::string mode, lost, range, in, both, rto;
    int n = 0;
    for (const auto* r : rs) {
      if (!r->bcp) continue;
      const auto& b = *r->bcp;
      auto add = [](std::string& cell, const std::string& v) {
        cell += (cell.empty() ? "" : ", ") + v;
      };
      if (mode.empty()) mode = b.mode;
      add(lost, std::to_string(b.lost));
      add(range, b.lo && b.hi ? std::to_string(*b.lo) + ".." + std::to_string(*b.hi) : "-");
      add(in, b.in_range() ? "yes" : "**NO**");
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.1f ms", b.both_ms);
      add(both, buf);
      add(rto, b.rto_ms ? seconds_text(*b.rto_ms / 1000) : "-");
      ++n;
    }
    if (n == 0) continue;
    o << "| " << s.id << " | " << cell(mode) << " | " << n << " | " << lost << " | " << range
      << " | " << in << " | " << both << " | " << rto << " |\n";
  }
}

std::string report_markdown(const RunSettings& st, const std::vector<Scenario>& scenarios,
                            const std::vector<RunResult>& runs) {
  std::ostringstream o;
  int passed = 0;
  for (const auto& r : runs) passed += r.passed ? 1 : 0;
  auto t = totals(runs);
  o << "# Crash-test report\n\n";
  o << "| | |\n|---|---|\n";
  o << "| started | " << st.started_utc << " |\n| host | " << cell(st.host) << " |\n";
  o << "| clusterd | " << cell(st.clusterd_version) << " |\n| chat script | " << cell(st.script)
    << " |\n";
  o << "| seed | " << st.seed << " |\n";
  if (is_lab(st)) {
    o << "| randomized lab | " << st.lab_iterations << " iterations drawn from " << st.lab_pool
      << " scenario(s), timing offsets 0-" << kLabMaxOffsetMs << " ms |\n";
  } else {
    o << "| repeat | " << st.repeat << " |\n";
  }
  o << "| load | " << (st.load ? "on" : "off") << " |\n| timings | " << st.timings << " |\n";
  o << "| result | **" << passed << " of " << runs.size() << (is_lab(st) ? " iterations" : " runs")
    << " passed**";
  if (is_lab(st) && static_cast<int>(runs.size()) != st.lab_iterations)
    o << " (" << st.lab_iterations << " planned)";
  o << (st.interrupted ? " (interrupted)" : "") << " |\n";
  if (const RunResult* f = first_failure(runs)) {
    o << "| first failure | " << run_name(st, *f) << ": " << cell(f->first_broken) << "; replay: `"
      << replay_command(st, *f) << "` |\n";
  }
  o << "\n";

  o << "## Zero-tolerance figures\n\n";
  o << "| invariant | total | source |\n|---|---|---|\n";
  o << "| split-brain overlap | " << t.overlap_ms << " ms | nodesim ledgers |\n";
  o << "| writes after a fence | " << t.writes_after_fence << " | nodesim ledgers |\n";
  o << "| false failovers | " << t.false_failovers
    << " | clusterd journal vs. the scenario's intent |\n";
  o << "| spurious halts | " << t.spurious_halts
    << " | nodesim ledgers, where no halt is warranted |\n";
  o << "| runs without ground truth | " << t.missing_ground_truth
    << " | no `nodesim check` in the evidence |\n";
  o << "| runs that left something behind | " << t.leftovers
    << " | the audit after each run: its processes and test network gone |\n";
  if (t.bcp_runs > 0) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f", t.bcp_both_ms);
    o << "| BCP: both sites writing | " << ms << " ms | nodesim check --bcp (ledgers) |\n";
    o << "| BCP: loss outside the gate's range | " << t.bcp_out_of_range
      << " | nodesim check --bcp vs. the journal's promotions |\n";
  }
  o << "\n";
  if (is_lab(st)) lab_iterations_markdown(o, runs);

  o << "## Scenarios\n\n";
  o << "Figures are seconds from the injected fault to the timeline line that shows the step, as "
       "p50 / p95 / max "
       "over every run (n samples).\n\n";
  o << "| scenario | covers | runs | passed | T_detect | T_fence | T_takeover | T_alarm | "
       "T_halt_rogue |\n";
  o << "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& s : scenarios) {
    auto rs = runs_of(runs, s.id);
    if (rs.empty()) continue;
    int ok = 0;
    for (const auto* r : rs) ok += r->passed ? 1 : 0;
    o << "| " << s.id << " | " << cell(s.covers) << " | " << rs.size() << " | "
      << (ok == static_cast<int>(rs.size()) ? "yes" : "**NO** (" + std::to_string(ok) + ")");
    for (Figure f : kFigures) o << " | " << summary_text(summarize(samples(rs, f)));
    o << " |\n";
  }
  bcp_markdown(o, scenarios, runs);
  o << "\n## All runs, per figure\n\n| figure | n | p50 | p95 | max |\n|---|---|---|---|---|\n";
  for (Figure f : kFigures) {
    auto sm = summarize(samples(all_of(runs), f));
    o << "| " << figure_name(f) << " | " << sm.n << " | " << (sm.n ? seconds_text(sm.p50) : "-")
      << " | " << (sm.n ? seconds_text(sm.p95) : "-") << " | "
      << (sm.n ? seconds_text(sm.max) : "-") << " |\n";
  }

  o << "\n## Evidence\n";
  for (const auto& s : scenarios) {
    auto rs = runs_of(runs, s.id);
    if (rs.empty()) continue;
    o << "\n### " << s.id << "\n\n" << s.what << " (" << s.covers << ")\n\n";
    for (const auto* r : rs) {
      o << "- run " << r->attempt << " (";
      if (is_lab(st)) o << "iteration " << r->index << ", ";
      o << "seed " << r->seed;
      if (r->offset_ms > 0) o << ", offset " << r->offset_ms << " ms";
      o << ", " << seconds_text(r->seconds) << "): " << (r->passed ? "**pass**" : "**FAIL**")
        << " — " << r->verdict << "\n";
      if (!r->passed) o << "  - first broken invariant: " << r->first_broken << "\n";
      if (!r->leftovers.empty())
        o << "  - left behind (killed and removed after the run): " << r->leftovers << "\n";
      char ms[32];
      std::snprintf(ms, sizeof ms, "%.1f ms", r->overlap_ms.value_or(0));
      o << "  - overlap " << (r->overlap_ms ? ms : "?") << ", writes after fence "
        << (r->writes_after_fence ? std::to_string(*r->writes_after_fence) : "?") << ", takeovers "
        << r->takeovers << " (meant " << s.failovers << "), halts " << r->halts
        << ", critical alarms " << r->critical_alarms << "\n";
    }
    // The evidence of the last run (the failing one, if any failed).
    const RunResult* shown = rs.back();
    for (const auto* r : rs) {
      if (!r->passed) {
        shown = r;
        break;
      }
    }
    o << "\nInjected (run " << shown->attempt << "):\n\n";
    for (const auto& i : shown->injections)
      o << "- " << format_utc(i.ns).substr(11) << " " << i.text << "\n";
    o << "\nTimeline (clusterd's decisions):\n\n```\n";
    for (const auto& l : shown->excerpt) o << l << "\n";
    o << "```\n";
    for (const auto& [node, lines] : shown->consoles) {
      if (lines.empty()) continue;
      o << "\nConsole " << node
        << " around the first fault (`<` from the node, `>` sent, `!` BREAK):\n\n```\n";
      for (const auto& l : lines) o << l << "\n";
      o << "```\n";
    }
  }
  return o.str();
}

std::string report_json(const RunSettings& st, const std::vector<Scenario>& scenarios,
                        const std::vector<RunResult>& runs) {
  std::ostringstream o;
  auto q = [](const std::string& s) { return "\"" + json_escape(s) + "\""; };
  auto t = totals(runs);
  int passed = 0;
  for (const auto& r : runs) passed += r.passed ? 1 : 0;
  o << "{\"started\":" << q(st.started_utc) << ",\"host\":" << q(st.host)
    << ",\"clusterd\":" << q(st.clusterd_version) << ",\"script\":" << q(st.script)
    << ",\"seed\":" << st.seed << ",\"repeat\":" << st.repeat
    << ",\"load\":" << (st.load ? "true" : "false") << ",\"timings\":" << q(st.timings)
    << ",\"interrupted\":" << (st.interrupted ? "true" : "false") << ",\"runs\":" << runs.size()
    << ",\"passed\":" << passed << ",\n\"zero_tolerance\":{\"overlap_ms\":" << t.overlap_ms
    << ",\"writes_after_fence\":" << t.writes_after_fence
    << ",\"false_failovers\":" << t.false_failovers << ",\"spurious_halts\":" << t.spurious_halts
    << ",\"runs_without_ground_truth\":" << t.missing_ground_truth
    << ",\"runs_with_leftovers\":" << t.leftovers
    << ",\"bcp_both_sites_writing_ms\":" << t.bcp_both_ms
    << ",\"bcp_loss_outside_range\":" << t.bcp_out_of_range
    << "},\n\"figures\":" << figures_json(all_of(runs)) << ",\n\"first_failure\":";
  if (const RunResult* f = first_failure(runs)) {
    o << "{\"index\":" << f->index << ",\"scenario\":" << q(f->scenario)
      << ",\"attempt\":" << f->attempt << ",\"seed\":" << f->seed
      << ",\"offset_ms\":" << f->offset_ms << ",\"first_broken\":" << q(f->first_broken)
      << ",\"replay\":" << q(replay_command(st, *f)) << "}";
  } else {
    o << "null";
  }
  o << ",\n\"lab\":";
  if (is_lab(st)) {
    o << "{\"iterations\":" << st.lab_iterations << ",\"pool\":" << st.lab_pool
      << ",\"max_offset_ms\":" << kLabMaxOffsetMs << ",\"ran\":" << runs.size()
      << ",\"passed\":" << passed << ",\"plan\":[";
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const auto& r = runs[i];
      o << (i ? "," : "") << "\n{\"iteration\":" << r.index << ",\"scenario\":" << q(r.scenario)
        << ",\"seed\":" << r.seed << ",\"offset_ms\":" << r.offset_ms
        << ",\"seconds\":" << r.seconds << ",\"passed\":" << (r.passed ? "true" : "false")
        << ",\"first_broken\":" << q(r.first_broken) << ",\"evidence\":" << q(evidence_dir(r))
        << "}";
    }
    o << "]}";
  } else {
    o << "null";
  }
  o << ",\n\"scenarios\":[";
  bool first_s = true;
  for (const auto& s : scenarios) {
    auto rs = runs_of(runs, s.id);
    if (rs.empty()) continue;
    o << (first_s ? "\n" : ",\n") << "{\"id\":" << q(s.id) << ",\"covers\":" << q(s.covers)
      << ",\"what\":" << q(s.what) << ",\"figures\":" << figures_json(rs);
    first_s = false;
    o << ",\"runs\":[";
    for (std::size_t i = 0; i < rs.size(); ++i) {
      const auto& r = *rs[i];
      o << (i ? "," : "") << "{\"attempt\":" << r.attempt << ",\"index\":" << r.index
        << ",\"seed\":" << r.seed << ",\"offset_ms\":" << r.offset_ms
        << ",\"seconds\":" << r.seconds << ",\"passed\":" << (r.passed ? "true" : "false")
        << ",\"verdict\":" << q(r.verdict) << ",\"first_broken\":" << q(r.first_broken)
        << ",\"overlap_ms\":"
        << (r.overlap_ms ? std::to_string(*r.overlap_ms)
                               .substr(0, std::to_string(*r.overlap_ms).find('.') + 2)
                         : "null")
        << ",\"writes_after_fence\":"
        << (r.writes_after_fence ? std::to_string(*r.writes_after_fence) : "null")
        << ",\"takeovers\":" << r.takeovers << ",\"false_failovers\":" << r.false_failovers
        << ",\"halts\":" << r.halts << ",\"spurious_halts\":" << r.spurious_halts
        << ",\"critical_alarms\":" << r.critical_alarms << ",\"leftovers\":" << q(r.leftovers);
      if (r.bcp) {
        const auto& b = *r.bcp;
        o << ",\"bcp\":{\"mode\":" << q(b.mode) << ",\"lost\":" << b.lost
          << ",\"lo\":" << (b.lo ? std::to_string(*b.lo) : "null")
          << ",\"hi\":" << (b.hi ? std::to_string(*b.hi) : "null") << ",\"both_ms\":" << b.both_ms
          << ",\"rto_ms\":" << (b.rto_ms ? std::to_string(*b.rto_ms) : "null") << "}";
      }
      o << "}";
    }
    o << "]}";
  }
  o << "\n]}\n";
  return o.str();
}

}  // namespace clusterd::crashtest
