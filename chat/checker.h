// Checker: graph-level analyses of a compiled Program, after every name has
// been resolved. Errors: the fencing rule (every path to `takeover` and to
// `boot standby` passes `mark fenced active` first, since the last takeover).
// Warnings: unreachable states, states that wait for console text with no
// `after`, a presumed fence with no `on fence.refused`, dead-end states, a
// `send standby` whose text starts with the word `boot` (a boot the runtime
// would not journal: write `boot standby`).
#pragma once

#include "base/diagnostic.h"
#include "chat/program.h"

namespace clusterd::chat {

/// Appends the checker's findings about `program` to `out`.
void check(const Program& program, Diagnostics& out);

}  // namespace clusterd::chat
