// What clusterd-ship's commands share (repl/ship_main.cc, repl/snapshot.cc):
// status lines on stdout, one at a time and flushed, and durations in ms.
#pragma once

#include <sys/prctl.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/duration.h"

namespace clusterd::repl {

inline int to_ms(Duration d) {
  return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

/// One status line. Nobody reading them any more (the ssh that ran us, or
/// clusterd, is gone) ends the process: a shipper nobody watches must not
/// keep its port or its image's lock.
inline void say(const std::string& line) {
  if (std::fputs((line + "\n").c_str(), stdout) < 0 || std::fflush(stdout) != 0) std::exit(0);
}

/// A long-running command ends with the process that started it (sshd's
/// session when run over ssh without a terminal: it is not signalled then).
inline void die_with_parent() { ::prctl(PR_SET_PDEATHSIG, SIGTERM); }

inline void say_error(const std::string& text) { say("error " + text); }

}  // namespace clusterd::repl
