#include "chat/checker.h"

#include <deque>
#include <map>
#include <string_view>

namespace clusterd::chat {

namespace {

// A fence the runtime may refuse: presumed (its evidence rule), by power
// (only when its own power read-back said off) or by lease (only when the
// node's lease has run out twice over, BCP site_isolation = lease).
const char* refusable_fence(const Action& a) {
  if (a.kind != Action::Kind::MarkFenced) return nullptr;
  if (a.fence == FenceHow::Presumed) return "presumes a fence";
  if (a.fence == FenceHow::Power) return "fences by power";
  if (a.fence == FenceHow::Lease) return "fences by lease";
  return nullptr;
}

// The first takeover and the first boot of the standby a walk reaches while
// the active is not known to be fenced.
struct Unfenced {
  const Action* takeover = nullptr;
  const Action* boot = nullptr;
};

// Runs `actions` from fence status `fenced`; returns the status after them.
// `bad` (when given) gets the first takeover and the first boot reached while
// not fenced. A boot needs the fence of the same incident: a takeover ends
// the incident (the booted standby is the new active, which nobody fenced),
// so a boot after it needs a new `mark fenced active` as a takeover does.
bool run_actions(const std::vector<Action>& actions, bool fenced, Unfenced* bad) {
  for (const auto& a : actions) {
    if (a.kind == Action::Kind::MarkFenced && a.channel == Channel::Active) fenced = true;
    if (boots_standby(a) && !fenced && bad && !bad->boot) bad->boot = &a;
    if (a.kind == Action::Kind::Takeover) {
      if (!fenced && bad && !bad->takeover) bad->takeover = &a;
      fenced = false;  // the new active has not been fenced by anyone
    }
  }
  return fenced;
}

// Fence status that holds for every handler of a state, given its entry status:
// handlers that stay in the state may have run first, so their effects count.
bool state_status(const State& s, bool entry_status) {
  bool st = run_actions(s.entry, entry_status, nullptr);
  bool all = st;
  for (const auto& h : s.handlers) {
    if (h.target < 0) all = all && run_actions(h.actions, st, nullptr);
  }
  return all;
}

void fencing_rule(const Program& p, Diagnostics& out) {
  const std::size_t n = p.states.size();
  // Must-analysis: fenced_in[s] is true when every path into s is fenced.
  // Start optimistic and lower to a fixpoint; the initial state is entered
  // from nowhere, unfenced.
  // A worklist: each state is looked at once, and again only when it is
  // lowered (at most once), so the cost is linear in the handlers.
  std::vector<bool> fenced_in(n, true);
  fenced_in[static_cast<std::size_t>(p.initial)] = false;
  std::deque<std::size_t> work;
  for (std::size_t s = 0; s < n; ++s) work.push_back(s);
  while (!work.empty()) {
    const auto s = work.front();
    work.pop_front();
    bool st = state_status(p.states[s], fenced_in[s]);
    for (const auto& h : p.states[s].handlers) {
      if (h.target < 0) continue;
      bool edge = run_actions(h.actions, st, nullptr);
      auto t = static_cast<std::size_t>(h.target);
      if (!edge && fenced_in[t]) {
        fenced_in[t] = false;
        work.push_back(t);
      }
    }
  }
  // Report each takeover reached unfenced, with one path that gets there.
  std::vector<int> parent(n, -2);
  std::deque<std::size_t> q{static_cast<std::size_t>(p.initial)};
  parent[static_cast<std::size_t>(p.initial)] = -1;
  while (!q.empty()) {
    auto s = q.front();
    q.pop_front();
    bool st = state_status(p.states[s], fenced_in[s]);
    for (const auto& h : p.states[s].handlers) {
      if (h.target < 0) continue;
      auto t = static_cast<std::size_t>(h.target);
      if (!run_actions(h.actions, st, nullptr) && parent[t] == -2) {
        parent[t] = static_cast<int>(s);
        q.push_back(t);
      }
    }
  }
  for (std::size_t s = 0; s < n; ++s) {
    const State& state = p.states[s];
    Unfenced bad;
    bool st = run_actions(state.entry, fenced_in[s], &bad);
    bool hs = state_status(state, fenced_in[s]);
    for (const auto& h : state.handlers) run_actions(h.actions, h.target < 0 ? st : hs, &bad);
    if (!bad.takeover && !bad.boot) continue;
    std::string path;
    if (parent[s] != -2) {
      std::vector<std::string> names;
      for (int at = static_cast<int>(s); at >= 0; at = parent[static_cast<std::size_t>(at)]) {
        names.push_back(p.states[static_cast<std::size_t>(at)].name);
      }
      for (auto it = names.rbegin(); it != names.rend(); ++it) {
        path += (path.empty() ? "" : " -> ") + *it;
      }
    }
    const std::string via = path.empty() ? std::string() : " (path: " + path + ")";
    if (bad.boot) {
      out.push_back({bad.boot->loc,
                     Severity::Error,
                     "boot reachable without 'mark fenced active' first: the standby could boot "
                     "while the active may still hold the shared disk" +
                         via,
                     {}});
    }
    if (bad.takeover) {
      out.push_back({bad.takeover->loc,
                     Severity::Error,
                     "takeover reachable without 'mark fenced active' first" + via,
                     {}});
    }
  }
}

// True when `t` is literal text that starts (after blanks and line ends) with
// the word `boot`: the OpenBoot command, sent without being named a boot.
bool looks_like_boot(const Template& t) {
  if (t.segments.empty() || t.segments.front().kind != Template::Segment::Kind::Literal) {
    return false;
  }
  std::string_view s = t.segments.front().literal;
  const auto start = s.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return false;
  s.remove_prefix(start);
  if (s.substr(0, 4) != "boot") return false;
  if (s.size() > 4) return s[4] == ' ' || s[4] == '\t' || s[4] == '\r' || s[4] == '\n';
  // "boot" and a variable after it ("boot$dev" is odd, but still the command).
  return true;
}

// A `send standby "boot …"` is a boot the runtime does not know of: it is not
// journaled, so a clusterd restarted during it would not wait for it (and the
// script may boot again). A warning, not an error: the text may be meant for
// something other than OpenBoot, which only the author knows.
void sends_that_boot(const Program& p, Diagnostics& out) {
  auto check = [&](const std::vector<Action>& actions) {
    for (const auto& a : actions) {
      if (a.kind != Action::Kind::Send || a.channel != Channel::Standby) continue;
      if (!looks_like_boot(a.text)) continue;
      out.push_back({a.loc,
                     Severity::Warning,
                     "this send to the standby looks like a boot: write 'boot standby \"…\"', "
                     "which the runtime journals before the bytes go out (a plain send is not "
                     "journaled, so a restarted clusterd would not know the standby was booted)",
                     {}});
    }
  };
  for (const auto& st : p.states) {
    check(st.entry);
    for (const auto& h : st.handlers) check(h.actions);
  }
}

}  // namespace

void check(const Program& p, Diagnostics& out) {
  const std::size_t n = p.states.size();
  if (n == 0) return;
  // Reachability from the initial state.
  std::vector<bool> seen(n, false);
  std::deque<std::size_t> q{static_cast<std::size_t>(p.initial)};
  seen[static_cast<std::size_t>(p.initial)] = true;
  // A `-> $param` target is the config's choice: any state that no handler
  // names literally may be the one another config picks, so it counts as
  // reachable once such a handler is.
  std::vector<bool> named(n, false);
  for (const auto& st : p.states) {
    for (const auto& h : st.handlers) {
      if (h.target >= 0 && h.target_param.empty()) named[static_cast<std::size_t>(h.target)] = true;
    }
  }
  bool param_targets_reached = false;
  auto reach = [&](std::size_t t) {
    if (seen[t]) return;
    seen[t] = true;
    q.push_back(t);
  };
  while (!q.empty()) {
    auto s = q.front();
    q.pop_front();
    for (const auto& h : p.states[s].handlers) {
      if (h.target >= 0) reach(static_cast<std::size_t>(h.target));
      if (h.target_param.empty() || param_targets_reached) continue;
      param_targets_reached = true;  // once is enough
      for (std::size_t t = 0; t < n; ++t) {
        if (!named[t] && static_cast<int>(t) != p.initial) reach(t);
      }
    }
  }
  for (std::size_t s = 0; s < n; ++s) {
    const State& st = p.states[s];
    if (!seen[s]) {
      out.push_back({st.loc,
                     Severity::Warning,
                     "state '" + st.name + "' is unreachable from the initial state",
                     {}});
    }
    bool waits = false, has_after = false, leaves = false, refused = false;
    const char* refusable = nullptr;  // what the state says that the runtime may refuse
    bool event_exit = false;          // an event handler that leaves: the state waits for that too
    for (const auto& h : st.handlers) {
      waits |= h.kind == Handler::Kind::Pattern;
      has_after |= h.kind == Handler::Kind::After;
      leaves |= h.target >= 0;
      event_exit |= h.kind == Handler::Kind::Event && h.target >= 0;
      refused |= h.kind == Handler::Kind::Event && h.event.kind == EventKind::FenceRefused;
      for (const auto& a : h.actions) {
        if (!refusable) refusable = refusable_fence(a);
      }
    }
    for (const auto& a : st.entry) {
      if (!refusable) refusable = refusable_fence(a);
    }
    if (static_cast<int>(s) != p.initial && waits && !has_after && !event_exit) {
      out.push_back(
          {st.loc,
           Severity::Warning,
           "state '" + st.name + "' waits for console text with no 'after': it can wait forever",
           {}});
    }
    if (!leaves && static_cast<int>(s) != p.initial) {
      out.push_back({st.loc,
                     Severity::Warning,
                     "state '" + st.name + "' has no way out: the script stops there",
                     {}});
    }
    if (refusable && !refused) {
      out.push_back({st.loc,
                     Severity::Warning,
                     "state '" + st.name + "' " + refusable +
                         " but has no 'on fence.refused': "
                         "when the runtime refuses, it stays here",
                     {}});
    }
  }
  fencing_rule(p, out);
  sends_that_boot(p, out);
}

}  // namespace clusterd::chat
