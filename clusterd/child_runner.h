// ChildRunner: runs the script's `exec` and the power methods as children,
// without a shell, in a clean environment (base/child_env.h), stdin from
// /dev/null, and says when each exits. Never blocks: run() returns once the
// child is spawned; reap() (on SIGCHLD) collects the exits.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "clusterd/runtime.h"

namespace clusterd {

class ChildRunner : public CommandRunner {
 public:
  /// `say` gets one line per spawn failure and per exit.
  explicit ChildRunner(std::function<void(const std::string&)> say) : say_(std::move(say)) {}
  void run(const std::vector<std::string>& argv) override;
  /// Collects the exits of this runner's children, never anyone else's.
  void reap();

 private:
  std::function<void(const std::string&)> say_;
  std::map<pid_t, std::string> running_;
};

}  // namespace clusterd
