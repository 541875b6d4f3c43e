#include "clusterd/child_runner.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstring>

#include "base/child_env.h"

namespace clusterd {

void ChildRunner::run(const std::vector<std::string>& argv) {
  if (argv.empty()) return;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  // A clean environment, never clusterd's own (it may hold what a child
  // should not see).
  std::vector<std::string> env = clean_child_environment();
  int rc =
      ::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environment_pointers(env).data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    say_("exec " + argv[0] + " failed: " + std::strerror(rc));
    return;
  }
  running_[pid] = argv[0];
}

// Only our own children: waitpid(-1) would also take the exit of an exec
// console's command or an alarm command channel's child from the code that
// waits for it (which then saw "waitpid failed" and sent the page again).
void ChildRunner::reap() {
  for (auto it = running_.begin(); it != running_.end();) {
    int status = 0;
    pid_t pid = ::waitpid(it->first, &status, WNOHANG);
    if (pid != it->first) {
      ++it;
      continue;
    }
    say_(it->second + (WIFEXITED(status)
                           ? " exited " + std::to_string(WEXITSTATUS(status))
                           : " killed by signal " + std::to_string(WTERMSIG(status))));
    it = running_.erase(it);
  }
}

}  // namespace clusterd
