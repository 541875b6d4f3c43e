// Compiler: a parsed ast::Script -> Program. Resolves every name (states,
// channels, events, params, vars, patterns), types values, checks each regex
// with RE2, and builds one PatternSet per state and channel. Graph-level
// checks (reachability, the fencing rule) are the checker's (checker.h).
#pragma once

#include <map>
#include <memory>
#include <string>

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

/// Parses "250ms", "20s", "10m", "1h30m"; nullopt when it is not a duration
/// or exceeds 10000h.
std::optional<Duration> parse_duration(std::string_view s);

/// "250ms", "20s", "10m", "1h30m": the shortest exact spelling.
std::string format_duration(Duration d);

}  // namespace clusterd::chat
