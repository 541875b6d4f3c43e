#include "crashtest/evidence.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/timestamp.h"

namespace clusterd::crashtest {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

bool starts(const std::string& s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }
bool has(const std::string& s, std::string_view p) { return s.find(p) != std::string::npos; }

// Leaving the initial state, or the ping verdict: the moment clusterd knew.
bool is_detection(const std::string& t) {
  if (starts(t, "ping ") && has(t, " down")) return true;
  if (!starts(t, "state ") || !has(t, " <- ")) return false;
  return !starts(t, "state watch ") && !has(t, "<- start") && !has(t, "<- resume");
}

bool matches(Figure f, const std::string& t, const Scenario& s) {
  switch (f) {
    case Figure::Detect:
      return is_detection(t);
    case Figure::Fence:
      return starts(t, "fenced ");
    case Figure::Takeover:
      return starts(t, "takeover: ");
    case Figure::Alarm:
      return starts(t, "alarm critical ");
    case Figure::HaltRogue:
      return s.id.find("rogue") != std::string::npos && starts(t, "BREAK beta");
  }
  return false;
}

bool interesting(const std::string& t) {
  for (const char* p : {"state ", "BREAK", "send ", "fenced", "takeover", "alarm ", "ping ",
                        "console ", "resum", "operator", "refused", "crash test", "clusterd "}) {
    if (starts(t, p) || (std::string_view(p) == "refused" && has(t, p))) return true;
  }
  return false;
}

// "1795331463.123456789" (date +%s.%N) -> ns since the epoch; 0 when the
// token is not such a time.
std::int64_t parse_epoch(const std::string& token) {
  auto whole_number = [](std::string_view t, std::int64_t& out) {
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    return ec == std::errc() && p == t.data() + t.size();
  };
  auto dot = token.find('.');
  std::int64_t sec = 0, ns = 0;
  if (!whole_number(std::string_view(token).substr(0, dot), sec)) return 0;
  if (dot != std::string::npos) {
    std::string frac = token.substr(dot + 1, 9);
    while (frac.size() < 9) frac += '0';
    if (!whole_number(frac, ns)) return 0;
  }
  return sec * 1'000'000'000 + ns;
}

}  // namespace

const char* figure_name(Figure f) {
  switch (f) {
    case Figure::Detect:
      return "T_detect";
    case Figure::Fence:
      return "T_fence";
    case Figure::Takeover:
      return "T_takeover";
    case Figure::Alarm:
      return "T_alarm";
    case Figure::HaltRogue:
      return "T_halt_rogue";
  }
  return "?";
}

std::vector<TimelineLine> parse_timeline(const std::string& text) {
  std::vector<TimelineLine> out;
  for (const auto& l : lines_of(text)) {
    auto sp = l.find(' ');
    if (sp == std::string::npos) continue;
    auto stamp = parse_stamp(std::string_view(l).substr(0, sp));
    if (!stamp.ok() || stamp->relative) continue;
    out.push_back({stamp->ns, l.substr(sp + 1)});
  }
  return out;
}

std::map<Figure, std::vector<double>> measure(const std::vector<TimelineLine>& timeline,
                                              const std::vector<Injection>& injections,
                                              const Scenario& s) {
  std::map<Figure, std::vector<double>> out;
  for (std::size_t i = 0; i < injections.size(); ++i) {
    std::int64_t from = injections[i].ns;
    std::int64_t to = i + 1 < injections.size() ? injections[i + 1].ns : INT64_MAX;
    for (Figure f : kFigures) {
      for (const auto& l : timeline) {
        if (l.ns < from || l.ns >= to) continue;
        if (matches(f, l.text, s)) {
          out[f].push_back(static_cast<double>(l.ns - from) / 1e9);
          break;
        }
      }
    }
  }
  return out;
}

Summary summarize(std::vector<double> v) {
  Summary s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto rank = [&](double q) {
    auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::min(v.size(), std::max<std::size_t>(k, 1)) - 1];
  };
  s.p50 = rank(0.50);
  s.p95 = rank(0.95);
  s.max = v.back();
  return s;
}

RunResult read_evidence(const std::string& dir_text, const Scenario& s) {
  fs::path dir(dir_text);
  RunResult r;
  r.scenario = s.id;

  std::string verdict = slurp(dir / "verdict");
  while (!verdict.empty() && (verdict.back() == '\n' || verdict.back() == '\r')) verdict.pop_back();
  bool said_pass = starts(verdict, "pass");
  r.verdict = verdict.empty() ? "no verdict: the scenario ended before writing one"
                              : verdict.substr(verdict.find(' ') + 1);

  for (const auto& l : lines_of(slurp(dir / "injections"))) {
    auto sp = l.find(' ');
    if (sp == std::string::npos) continue;
    r.injections.push_back({parse_epoch(l.substr(0, sp)), l.substr(sp + 1)});
  }

  auto timeline = parse_timeline(slurp(dir / "logs" / "demo.log"));
  r.figures = measure(timeline, r.injections, s);
  for (const auto& l : timeline) r.critical_alarms += starts(l.text, "alarm critical ") ? 1 : 0;

  // The excerpt: what clusterd decided, from just before the first fault.
  std::int64_t from = r.injections.empty() ? 0 : r.injections.front().ns - 1'000'000'000;
  for (const auto& l : timeline) {
    if (l.ns < from || !interesting(l.text)) continue;
    r.excerpt.push_back(format_utc(l.ns).substr(11) + " " + l.text);
  }
  // A long excerpt loses its middle: the first lines show the decision, the
  // last ones how the run ended.
  constexpr std::size_t kExcerpt = 60;
  if (r.excerpt.size() > kExcerpt) {
    auto cut = r.excerpt.size() - kExcerpt;
    r.excerpt.erase(r.excerpt.begin() + static_cast<std::ptrdiff_t>(kExcerpt / 2),
                    r.excerpt.begin() + static_cast<std::ptrdiff_t>(kExcerpt / 2 + cut));
    r.excerpt.insert(r.excerpt.begin() + static_cast<std::ptrdiff_t>(kExcerpt / 2),
                     "… " + std::to_string(cut) + " lines …");
  }
  // The consoles around the first fault.
  if (!r.injections.empty()) {
    std::int64_t a = r.injections.front().ns - 2'000'000'000,
                 b = r.injections.front().ns + 15'000'000'000;
    for (const char* node : {"alpha", "beta"}) {
      auto& out = r.consoles[node];
      for (const auto& l :
           parse_timeline(slurp(dir / "logs" / (std::string("demo.") + node + ".console")))) {
        if (l.ns < a || l.ns > b) continue;
        if (out.size() >= 30) {
          out.push_back("…");
          break;
        }
        out.push_back(format_utc(l.ns).substr(11) + " " + l.text.substr(0, 160));
      }
    }
  }

  for (const auto& l : lines_of(slurp(dir / "journal")))
    r.takeovers += has(l, " takeover ") ? 1 : 0;
  r.false_failovers = std::max(0, r.takeovers - s.failovers);

  for (const auto& entry :
       fs::directory_iterator(dir, fs::directory_options::skip_permission_denied)) {
    if (entry.path().extension() != ".ledger") continue;
    // A BREAK via nodesim's control socket is the scenario's own fault
    // injection; only the others came from clusterd.
    for (const auto& l : lines_of(slurp(entry.path()))) {
      if (has(l, "\"ev\":\"break\"") && has(l, "\"effect\":\"halted\"") &&
          !has(l, "\"via\":\"control\""))
        ++r.halts;
    }
  }
  if (s.halts_allowed) r.spurious_halts = std::max(0, r.halts - *s.halts_allowed);

  for (const auto& l : lines_of(slurp(dir / "nodesim-check"))) {
    auto t = l.substr(std::min(l.size(), l.find_first_not_of(' ')));
    if (starts(t, "overlap: ")) r.overlap_ms = std::atof(t.c_str() + 9);
    if (starts(t, "writes-after-fence: ")) r.writes_after_fence = std::atoi(t.c_str() + 20);
  }

  if (auto text = slurp(dir / "bcp"); !text.empty()) {
    BcpFigures b;
    std::istringstream in(text);
    for (std::string kv; in >> kv;) {
      auto eq = kv.find('=');
      if (eq == std::string::npos) continue;
      std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
      if (k == "mode") b.mode = v;
      if (v == "-" || v.empty()) continue;
      if (k == "lost") b.lost = std::atoll(v.c_str());
      if (k == "lo") b.lo = std::atoll(v.c_str());
      if (k == "hi") b.hi = std::atoll(v.c_str());
      if (k == "both_ms") b.both_ms = std::atof(v.c_str());
      if (k == "rto_ms") b.rto_ms = std::atof(v.c_str());
    }
    r.bcp = b;
  }

  // The first broken invariant, and where: the nodesim ledgers, then the
  // scenario's own assertion (it names its line), then clusterd's journal.
  // The ground truth comes first: a split-brain outranks whatever the
  // scenario noticed later because of it.
  if (r.overlap_ms && *r.overlap_ms > 0) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f", *r.overlap_ms);
    r.first_broken = std::string("split-brain: both nodes held the shared disk for ") + ms +
                     " ms (nodesim check)";
  } else if (r.writes_after_fence && *r.writes_after_fence > 0) {
    r.first_broken =
        std::to_string(*r.writes_after_fence) + " write(s) after the fence (nodesim check)";
  } else if (r.bcp && r.bcp->both_ms > 0) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f", r.bcp->both_ms);
    r.first_broken = std::string("both sites wrote for ") + ms + " ms (nodesim check --bcp)";
  } else if (r.bcp && !r.bcp->in_range()) {
    r.first_broken = "lost " + std::to_string(r.bcp->lost) + " records, outside the gate's " +
                     std::to_string(*r.bcp->lo) + ".." + std::to_string(*r.bcp->hi) +
                     " (nodesim check --bcp vs. the journal)";
  } else if (!said_pass) {
    r.first_broken = "scenario: " + r.verdict;
  } else if (r.false_failovers > 0) {
    r.first_broken = std::to_string(r.takeovers) + " takeover(s) where the scenario means " +
                     std::to_string(s.failovers) + " (journal)";
  } else if (r.spurious_halts > 0) {
    r.first_broken = std::to_string(r.spurious_halts) +
                     " node(s) halted by clusterd where no halt is warranted (ledgers)";
  } else if (!r.overlap_ms || !r.writes_after_fence) {
    r.first_broken = "no nodesim check in the evidence: the ground truth was not read";
  }
  r.passed = r.first_broken.empty();
  return r;
}

}  // namespace clusterd::crashtest
