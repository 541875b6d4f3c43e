// Pattern compilation, the compiler's first step for every `on CH …` and
// `pattern NAME = …`: a parsed PatternSpec (`"literal" | /regex/ … unless …`)
// becomes one PatternSource for the matcher (matcher.h), with its number of
// capture groups (for `$N` checks) and the text timelines show. Refuses atoms
// that would match anything or try to span lines. No state, no I/O.
#pragma once

#include <optional>
#include <string>

#include "base/diagnostic.h"
#include "chat/ast.h"
#include "chat/matcher.h"

namespace clusterd::chat {

struct CompiledPattern {
  PatternSource source;
  int groups = 0;       // capture groups of all the `any` atoms together
  std::string display;  // `"ok " | /login: $/ unless …`, or the pattern's name
};

/// Compiles `spec`. Each bad atom adds an error at its position to `out`,
/// and then the result is nullopt.
std::optional<CompiledPattern> compile_pattern(const ast::PatternSpec& spec, Diagnostics& out);

}  // namespace clusterd::chat
