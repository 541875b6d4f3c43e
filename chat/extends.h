// `extends`, for the compiler: which state declaration each one extends, how
// long each chain is, and the handlers a state gets from its chain. Reports
// unknown parents, cycles and chains deeper than kMaxExtendsChain (compiler.h).
// Works on declarations (ast::StateDecl), before any state is compiled.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "base/diagnostic.h"
#include "chat/ast.h"

namespace clusterd::chat {

/// Indexes are positions in the declarations given to resolve_extends().
struct ExtendsChains {
  std::vector<int> parent;          // the declaration each extends; -1: none, or unknown
  std::vector<std::size_t> length;  // states in its chain, itself included (a cycle: each once)
};

/// Resolves every `extends` in time linear in the number of declarations
/// (a parent named twice is the last declaration of that name). Errors go to
/// `out`: an unknown parent (with `suggest_state(name)`'s "did you mean"), each
/// state of a cycle, and a chain deeper than kMaxExtendsChain (once per
/// chain: at the state where it gets too long).
ExtendsChains resolve_extends(const std::vector<ast::StateDecl>& decls, Diagnostics& out,
                              const std::function<std::string(const std::string&)>& suggest_state);

/// Declaration `i`'s own handlers, then its parent's, and so on up. A state
/// whose chain is too long (an error) gets its own handlers only.
std::vector<const ast::Handler*> handlers_with_inherited(const std::vector<ast::StateDecl>& decls,
                                                         const ExtendsChains& chains,
                                                         std::size_t i);

}  // namespace clusterd::chat
