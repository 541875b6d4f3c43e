// CLUSTERD_ASSERT: for our own bugs only. A broken invariant of the code (an
// index the code itself computed out of range, a Result read for the wrong
// alternative) prints where and what to stderr, then aborts, so a core dump
// or the supervisor's log shows the line. Never for what the outside world
// controls (a config, a script, a console, a peer, a file): those are
// Diagnostics or Result errors. Not compiled out: the daemon fences machines,
// and carrying on past a broken invariant is worse than stopping.
#pragma once

namespace clusterd::detail {

/// Prints "FILE:LINE: assertion failed: CONDITION" to stderr and aborts.
[[noreturn]] void assert_failed(const char* file, int line, const char* condition) noexcept;

}  // namespace clusterd::detail

/// Checks `cond`, which must hold unless clusterd itself is wrong.
#define CLUSTERD_ASSERT(cond) \
  ((cond) ? static_cast<void>(0) : ::clusterd::detail::assert_failed(__FILE__, __LINE__, #cond))
