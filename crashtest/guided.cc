#include "crashtest/guided.h"

#include <sstream>

#include "base/timestamp.h"
#include "crashtest/report.h"

namespace clusterd::crashtest {
namespace {

std::string with_roles(std::string s, const std::string& active, const std::string& standby) {
  for (auto [key, value] :
       {std::pair<std::string, std::string>{"{active}", active}, {"{standby}", standby}}) {
    for (auto at = s.find(key); at != std::string::npos; at = s.find(key, at + value.size()))
      s.replace(at, key.size(), value);
  }
  return s;
}

// The timeline lines at or after `from` (the reply of "timeline N").
std::vector<TimelineLine> timeline_since(GuidedIo& io, std::int64_t from) {
  std::vector<TimelineLine> out;
  for (auto& l : parse_timeline(io.ask("timeline 5000"))) {
    if (l.ns >= from) out.push_back(std::move(l));
  }
  return out;
}

// Waits until every required line is there (or the time is up); then checks
// the forbidden ones. Empty: all good; else what broke.
std::string judge(GuidedIo& io, const std::vector<Expectation>& expect, const std::string& active,
                  const std::string& standby, std::int64_t from, Duration timeout,
                  std::vector<TimelineLine>& seen) {
  auto deadline =
      io.now_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  std::string missing;
  for (;;) {
    seen = timeline_since(io, from);
    missing.clear();
    for (const auto& e : expect) {
      if (e.forbidden) continue;
      auto text = with_roles(e.text, active, standby);
      bool found = false;
      for (const auto& l : seen) found |= l.text.find(text) != std::string::npos;
      if (!found) {
        missing = "no \"" + text + "\" in clusterd's timeline within " + format_duration(timeout) +
                  " (" + e.why + ")";
        break;
      }
    }
    if (missing.empty() || io.now_ns() >= deadline) break;
    io.sleep(std::chrono::milliseconds(500));
  }
  if (!missing.empty()) return missing;
  for (const auto& e : expect) {
    if (!e.forbidden) continue;
    auto text = with_roles(e.text, active, standby);
    for (const auto& l : seen) {
      if (l.text.find(text) != std::string::npos) {
        return "\"" + l.text + "\" at " + format_utc(l.ns) + ", which must not happen (" + e.why +
               ")";
      }
    }
  }
  return {};
}

}  // namespace

const std::vector<GuidedStep>& guided_steps() {
  static const std::vector<GuidedStep> steps = {
      {"standby_power_off",
       "seed: secondary power-off (alarm)",
       "Power off the STANDBY node {standby} (power cord or service processor). Leave {active} "
       "alone.",
       {{"alarm warning", "an alarm says the standby no longer answers"},
        {"BREAK {active}", "the active node is never touched", true},
        {"takeover:", "no failover", true}},
       "Power {standby} on again. clusterd stops its power-on at ok and holds it there.",
       {{"{standby} is held at ok",
         "the standby is back at its prompt with auto-boot? false, ready to take over"},
        {"takeover:", "no failover", true}}},
      {"primary_panic",
       "seed: simulated panic",
       "Make the ACTIVE node {active} panic (as root on it: `uadmin 5 1` on Solaris, "
       "`echo c > /proc/sysrq-trigger` on Linux).",
       {{"fenced {active}", "the panicked node is fenced"},
        {"takeover: {standby} is active", "the standby took over"},
        {"alarm critical", "a critical alarm went out"}},
       "",
       {}},
      {"primary_power_off",
       "seed: primary power-off",
       "Power off the ACTIVE node {active} (power cord or service processor).",
       {{"fenced {active}", "the node is fenced (presumed off: console silent, no ping)"},
        {"takeover: {standby} is active", "the standby took over"},
        {"alarm critical", "a critical alarm went out"}},
       "Power {active} on again. clusterd must stop it at ok before it boots (it is now the "
       "standby).",
       {{"BREAK {active}", "its power-on was stopped with a BREAK"}}},
      {"cable_pull",
       "seed: network cable disconnect",
       "Unplug every network cable of the ACTIVE node {active}; leave its console connected.",
       {{"ping {active} down", "the ping loss is seen"},
        {"alarm critical", "a critical alarm went out"}},
       "Plug {active}'s network cables back in.",
       {}},
  };
  return steps;
}

std::string status_field(const std::string& status, const std::string& key) {
  std::istringstream in(status);
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, key.size(), key) != 0 || line.size() == key.size() ||
        line[key.size()] != ' ')
      continue;
    std::istringstream words(line.substr(key.size()));
    std::string v;
    words >> v;
    return v;
  }
  return {};
}

std::vector<GuidedResult> run_guided(const std::vector<GuidedStep>& steps, GuidedIo& io,
                                     Duration timeout) {
  std::vector<GuidedResult> out;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    GuidedResult r;
    r.step = steps[i];
    r.run.scenario = steps[i].id;
    auto status = io.ask("status");
    r.active = status_field(status, "active");
    r.standby = status_field(status, "standby");
    std::string state = status_field(status, "state");
    io.say("");
    io.say("Step " + std::to_string(i + 1) + "/" + std::to_string(steps.size()) + ": " +
           steps[i].id + " (" + steps[i].covers + ")");
    if (r.active.empty() || state != "watch") {
      r.first_broken = "the cluster is not watching a healthy pair (state " +
                       (state.empty() ? "unknown" : state) + "): heal it first";
      io.say("  " + r.first_broken);
      out.push_back(std::move(r));
      break;
    }
    // The window opens when the operator is told: what clusterd does between
    // the fault and the Enter key counts (figures count from the Enter).
    auto shown = io.now_ns();
    io.say("  " + with_roles(steps[i].instruction, r.active, r.standby));
    io.say("  Press Enter as soon as it is done (q to stop).");
    if (!io.wait_enter()) {
      r.first_broken = "stopped by the operator";
      out.push_back(std::move(r));
      break;
    }
    auto t0 = io.now_ns();
    r.run.injections.push_back({t0, with_roles(steps[i].instruction, r.active, r.standby)});
    io.say("  watching clusterd (up to " + format_duration(timeout) + ")...");
    std::vector<TimelineLine> seen;
    r.first_broken = judge(io, steps[i].expect, r.active, r.standby, shown, timeout, seen);
    if (r.first_broken.empty() && !steps[i].restore.empty()) {
      auto heal_shown = io.now_ns();
      io.say("  " + with_roles(steps[i].restore, r.active, r.standby));
      io.say("  Press Enter as soon as it is done.");
      if (!io.wait_enter()) {
        r.first_broken = "stopped by the operator before the heal";
      } else {
        auto t1 = io.now_ns();
        r.run.injections.push_back({t1, with_roles(steps[i].restore, r.active, r.standby)});
        std::vector<TimelineLine> after;
        r.first_broken =
            judge(io, steps[i].restored, r.active, r.standby, heal_shown, timeout, after);
        // Back to watching before the next step.
        for (int k = 0; r.first_broken.empty() && k < 120 &&
                        status_field(io.ask("status"), "state") != "watch";
             ++k) {
          io.sleep(std::chrono::milliseconds(500));
        }
      }
    }
    seen = timeline_since(io, shown);
    Scenario s;
    s.id = steps[i].id;
    r.run.figures = measure(seen, r.run.injections, s);
    for (const auto& l : seen) r.run.excerpt.push_back(format_utc(l.ns).substr(11) + " " + l.text);
    if (r.run.excerpt.size() > 60) r.run.excerpt.resize(60);
    r.passed = r.first_broken.empty();
    r.run.passed = r.passed;
    io.say(r.passed ? "  PASS" : "  FAIL: " + r.first_broken);
    out.push_back(std::move(r));
  }
  return out;
}

std::string guided_report(const std::string& cluster, const std::string& started,
                          const std::vector<GuidedResult>& results) {
  std::ostringstream o;
  int passed = 0;
  for (const auto& r : results) passed += r.passed ? 1 : 0;
  o << "# Crash-test sign-off sheet: cluster " << cluster << "\n\n";
  o << "Started " << started
    << ". Faults made by hand on the real cluster, judged from clusterd's own timeline.\n\n";
  o << "**" << passed << " of " << results.size() << " steps passed.**\n\n";
  o << "| step | covers | roles before | result | T_detect | T_fence | T_takeover | T_alarm "
       "|\n|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : results) {
    o << "| " << r.step.id << " | " << r.step.covers << " | " << r.active << " active, "
      << r.standby << " standby | " << (r.passed ? "pass" : "**FAIL**");
    for (Figure f : {Figure::Detect, Figure::Fence, Figure::Takeover, Figure::Alarm}) {
      auto it = r.run.figures.find(f);
      o << " | "
        << (it != r.run.figures.end() && !it->second.empty() ? seconds_text(it->second.front())
                                                             : "-");
    }
    o << " |\n";
  }
  for (const auto& r : results) {
    o << "\n## " << r.step.id << "\n\n";
    if (!r.passed) o << "First broken: " << r.first_broken << "\n\n";
    for (const auto& i : r.run.injections)
      o << "- " << format_utc(i.ns) << " operator: " << i.text << "\n";
    o << "\n```\n";
    for (const auto& l : r.run.excerpt) o << l << "\n";
    o << "```\n";
  }
  o << "\n## Sign-off\n\nTested by: ____________________  Date: ____________  Signature: "
       "____________________\n\n"
       "Approved for production by: ____________________  Date: ____________\n";
  return o.str();
}

}  // namespace clusterd::crashtest
