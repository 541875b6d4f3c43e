// Compiler: a parsed ast::Script -> Program. Resolves every name (states,
// channels, events, params, vars, patterns), types values, checks each regex
// with RE2, and builds one PatternSet per state and channel. Graph-level
// checks (reachability, the fencing rule) are the checker's (checker.h).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "base/diagnostic.h"
#include "base/duration.h"  // parse_duration: one spelling in scripts, configs and URIs
#include "chat/ast.h"
#include "chat/program.h"

namespace clusterd::chat {

/// The most states an `extends` chain may hold, the state itself included. A
/// state gets copies of every handler up its chain, so a long chain costs
/// quadratic time and memory; real scripts use two or three.
inline constexpr std::size_t kMaxExtendsChain = 64;

/// The most handlers a script's states may hold in all, each state counting
/// the ones it inherits (a few dozen parents with many handlers and
/// thousands of states extending them would otherwise take seconds and
/// gigabytes to compile). Real scripts hold a few hundred.
inline constexpr std::size_t kMaxHandlers = 20000;

struct CompileResult {
  std::unique_ptr<Program> program;  // null when there are errors
  Diagnostics diagnostics;
};

/// Compiles `script`. `overrides` replace param defaults (`--param k=v`, the
/// cluster config's [params]); each must name a declared param and parse as
/// its type.
/// `where` places an override's error (see compile_values).
CompileResult compile(const ast::Script& script,
                      const std::map<std::string, std::string>& overrides = {},
                      const std::map<std::string, Loc>& where = {});

}  // namespace clusterd::chat
