// Compiler: a parsed ast::Script -> Program. Resolves every name (states,
// channels, events, params, vars, patterns), types values, checks each regex
// with RE2, and builds one PatternSet per state and channel. Graph-level
// checks (reachability, the fencing rule) are the checker's (checker.h).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "base/duration.h"
#include "chat/ast.h"
#include "chat/diagnostic.h"
#include "chat/program.h"

namespace clusterd::chat {

struct CompileResult {
  std::unique_ptr<Program> program;  // null when there are errors
  Diagnostics diagnostics;
};

/// Compiles `script`. `overrides` replace param defaults (`--param k=v`, the
/// cluster config's [params]); each must name a declared param and parse as
/// its type.
CompileResult compile(const ast::Script& script,
                      const std::map<std::string, std::string>& overrides = {});

// Durations are spelled the same in scripts, configs and URIs (base/duration.h).
using clusterd::format_duration;
using clusterd::parse_duration;

}  // namespace clusterd::chat
