// `extends` resolution (extends.h): one walk up from each declaration,
// stopping at a state already measured, so a script of thousands of states in
// long chains costs time linear in their number, not quadratic.
#include "chat/extends.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "chat/compiler.h"  // kMaxExtendsChain

namespace clusterd::chat {

ExtendsChains resolve_extends(const std::vector<ast::StateDecl>& decls, Diagnostics& out,
                              const std::function<std::string(const std::string&)>& suggest_state) {
  auto error = [&](const Loc& l, std::string m) {
    out.push_back({l, Severity::Error, std::move(m), {}});
  };
  const std::size_t n = decls.size();
  ExtendsChains c;
  std::unordered_map<std::string_view, int> by_name;
  for (std::size_t i = 0; i < n; ++i) {
    by_name[decls[i].name.text] = static_cast<int>(i);  // the last wins
  }
  c.parent.assign(n, -1);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& parent = decls[i].parent;
    if (parent.text.empty()) continue;
    if (auto it = by_name.find(parent.text); it != by_name.end()) {
      c.parent[i] = it->second;
    } else {
      error(parent.loc,
            "unknown state '" + parent.text + "' to extend" + suggest_state(parent.text));
    }
  }
  c.length.assign(n, 0);
  std::vector<char> on_path(n, 0), in_cycle(n, 0);
  std::vector<std::size_t> path;
  for (std::size_t i = 0; i < n; ++i) {
    if (c.length[i] != 0) continue;
    // Up from i until a state already measured, the top, or a state on
    // this path (a cycle).
    path.clear();
    int at = static_cast<int>(i);
    while (at >= 0 && c.length[static_cast<std::size_t>(at)] == 0 &&
           !on_path[static_cast<std::size_t>(at)]) {
      on_path[static_cast<std::size_t>(at)] = 1;
      path.push_back(static_cast<std::size_t>(at));
      at = c.parent[static_cast<std::size_t>(at)];
    }
    std::size_t above = 0;  // the chain length of `at`
    std::size_t end = path.size();
    if (at >= 0 && on_path[static_cast<std::size_t>(at)]) {
      const auto first = static_cast<std::size_t>(
          std::find(path.begin(), path.end(), static_cast<std::size_t>(at)) - path.begin());
      for (std::size_t k = first; k < end; ++k) {
        const auto& d = decls[path[k]];
        error(d.parent.loc,
              "state '" + d.name.text + "' extends itself through '" + d.parent.text + "'");
        c.length[path[k]] = end - first;
        in_cycle[path[k]] = 1;
      }
      above = end - first;
      end = first;
    } else if (at >= 0) {
      above = c.length[static_cast<std::size_t>(at)];
    }
    for (std::size_t k = end; k-- > 0;) c.length[path[k]] = ++above;
    for (auto p : path) on_path[p] = 0;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (c.length[i] != kMaxExtendsChain + 1 || in_cycle[i]) continue;
    std::size_t top = i;
    while (c.parent[top] >= 0) top = static_cast<std::size_t>(c.parent[top]);
    error(decls[i].parent.loc, "state '" + decls[i].name.text + "' extends a chain deeper than " +
                                   std::to_string(kMaxExtendsChain) + " states (up to '" +
                                   decls[top].name.text + "')");
  }
  return c;
}

std::vector<const ast::Handler*> handlers_with_inherited(const std::vector<ast::StateDecl>& decls,
                                                         const ExtendsChains& chains,
                                                         std::size_t i) {
  std::vector<const ast::Handler*> out;
  const std::size_t len = chains.length[i] > kMaxExtendsChain ? 1 : chains.length[i];
  for (std::size_t k = 0; k < len && i < decls.size(); ++k) {
    for (const auto& h : decls[i].handlers) out.push_back(&h);
    if (chains.parent[i] < 0) break;
    i = static_cast<std::size_t>(chains.parent[i]);
  }
  return out;
}

}  // namespace clusterd::chat
