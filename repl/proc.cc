// Child processes of clusterd-ship's commands (repl/proc.h).
#include "repl/proc.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

namespace clusterd::repl {

/// Starts argv with stdin from `in` (-1: /dev/null) and stdout to `out` (-1:
/// a new pipe, returned in *read_end; stderr goes with stdout).
pid_t spawn(const std::vector<std::string>& argv, int in, int out, int* read_end, bool own_group) {
  int p[2] = {-1, -1};
  if (out < 0 && ::pipe2(p, O_CLOEXEC) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    if (own_group) ::setpgid(0, 0);
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::dup2(in >= 0 ? in : null, 0);
    int o = out >= 0 ? out : p[1];
    ::dup2(o, 1);
    ::dup2(out >= 0 ? 2 : o, 2);  // a pipeline's first stage keeps stderr apart
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  if (p[1] >= 0) ::close(p[1]);
  if (read_end) *read_end = p[0];
  return pid;
}

int wait_status(pid_t pid) {
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/// Runs argv to its end; its output (stdout and stderr) in *out.
int run_for(const std::vector<std::string>& argv, Duration limit, std::string* out) {
  int rd = -1;
  pid_t pid = spawn(argv, -1, -1, &rd, true);
  if (pid < 0) return 127;
  const auto until = std::chrono::steady_clock::now() + limit;
  char buf[4096];
  bool killed = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(-pid, SIGKILL);  // its group: what it started too
      killed = true;
      break;
    }
    pollfd pf{rd, POLLIN, 0};
    if (::poll(&pf, 1, static_cast<int>(std::min<long long>(left.count(), 1000))) <= 0) continue;
    ssize_t n = ::read(rd, buf, sizeof buf);
    if (n <= 0) break;
    if (out) out->append(buf, static_cast<std::size_t>(n));
  }
  ::close(rd);
  // Its output closed: it ended, or left a child holding the pipe; either
  // way it may not outlive the limit.
  while (!killed) {
    int st = 0;
    pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid)
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    if (std::chrono::steady_clock::now() >= until) {
      ::kill(-pid, SIGKILL);
      killed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  (void)wait_status(pid);
  return 124;
}

int run(const std::vector<std::string>& argv, std::string* out) {
  int rd = -1;
  pid_t pid = spawn(argv, -1, -1, &rd);
  if (pid < 0) return 127;
  char buf[4096];
  for (ssize_t n; (n = ::read(rd, buf, sizeof buf)) > 0;)
    if (out) out->append(buf, static_cast<std::size_t>(n));
  ::close(rd);
  return wait_status(pid);
}

}  // namespace clusterd::repl
