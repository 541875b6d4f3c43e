// Checker: graph-level analyses of a compiled Program, after every name has
// been resolved. Errors: the fencing rule (every path to `takeover` passes
// `mark fenced active` first). Warnings: unreachable states, states that wait
// for console text with no `after`, a presumed fence with no
// `on fence.refused`, dead-end states.
#pragma once

#include "chat/diagnostic.h"
#include "chat/program.h"

namespace clusterd::chat {

/// Appends the checker's findings about `program` to `out`.
void check(const Program& program, Diagnostics& out);

}  // namespace clusterd::chat
