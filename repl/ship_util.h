// What clusterd-ship's commands share (repl/ship_main.cc, repl/snapshot.cc):
// status lines on stdout, one at a time and flushed, and durations in ms.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "base/duration.h"

namespace clusterd::repl {

inline int to_ms(Duration d) {
  return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

inline void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

inline void say_error(const std::string& text) { say("error " + text); }

}  // namespace clusterd::repl
