// Child processes of clusterd-ship's commands: started without a shell (each
// argv element one argument), waited for, their output read.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/duration.h"

namespace clusterd::repl {

/// Starts argv with stdin from `in` (-1: /dev/null) and stdout to `out` (-1:
/// a new pipe, returned in *read_end; stderr goes with stdout).
/// `own_group`: in a process group of its own (its pid), to be killed whole.
pid_t spawn(const std::vector<std::string>& argv, int in, int out, int* read_end,
            bool own_group = false);
/// Its exit status; 128 + the signal that ended it.
int wait_status(pid_t pid);
/// Runs argv to its end; its output (stdout and stderr) in *out.
int run(const std::vector<std::string>& argv, std::string* out = nullptr);
/// The same, killed (SIGKILL) after `limit`: then 124. Its own process group,
/// so what it started goes with it.
int run_for(const std::vector<std::string>& argv, Duration limit, std::string* out = nullptr);

}  // namespace clusterd::repl
