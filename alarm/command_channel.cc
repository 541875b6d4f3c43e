// CommandChannel: runs a pager command per notification. The alarm goes on
// stdin (plain_body) and in a few CLUSTERD_* variables, never in argv, so a
// console line cannot become an option or show up in `ps`. posix_spawn, not
// fork: the daemon is multi-threaded by the time alarms go out.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "alarm/channel.h"
#include "alarm/message.h"
#include "base/child_env.h"

namespace clusterd::alarm {

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> clean_environment(const Notification& n) {
  std::vector<std::string> env = clean_child_environment();
  for (auto& e : command_env(n)) env.push_back(std::move(e));
  return env;
}

class CommandChannel : public Channel {
 public:
  CommandChannel(std::string name, CommandOptions o) : name_(std::move(name)), o_(std::move(o)) {}
  const std::string& name() const override { return name_; }

  Delivery send(const Notification& n) override {
    // stdin is one end of a socketpair so that writes can use MSG_NOSIGNAL: a
    // command that exits without reading must not SIGPIPE the daemon.
    int in[2], out[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0)
      return {Outcome::Temporary, std::string("socketpair: ") + std::strerror(errno)};
    if (::pipe2(out, O_CLOEXEC) != 0) {
      int err = errno;
      ::close(in[0]);
      ::close(in[1]);
      return {Outcome::Temporary, std::string("pipe: ") + std::strerror(err)};
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[1], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, out[1], 2);
    // Nothing else of clusterd's: Asio's sockets (a console's connection,
    // ping's) are not close-on-exec.
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr,
                               &none);  // the worker thread blocks SIGPIPE; the child must not
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);  // own group: a timeout kills its children too
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

    std::vector<std::string> env = clean_environment(n);
    std::vector<char*> argv, envp;
    for (auto& a : o_.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(in[1]);
    ::close(out[1]);
    if (rc != 0) {
      ::close(in[0]);
      ::close(out[0]);
      return {Outcome::Permanent, "cannot run " + o_.argv[0] + ": " + std::strerror(rc)};
    }
    return finish(pid, in[0], out[0], plain_body(n));
  }

 private:
  // Feeds stdin, collects output, and waits for the exit, all under one
  // deadline; on timeout the whole process group is killed.
  Delivery finish(pid_t pid, int in_fd, int out_fd, std::string input) {
    auto deadline = Clock::now() + o_.timeout;
    std::string output;
    std::string_view rest = input;
    bool out_open = true;
    if (rest.empty()) {
      ::close(in_fd);
      in_fd = -1;
    }
    bool timed_out = false;
    while (out_open || in_fd >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        timed_out = true;
        break;
      }
      pollfd p[2] = {{out_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
      int np = in_fd >= 0 ? 2 : 1;
      if (!out_open) {
        p[0] = p[1];
        np = 1;
      }
      if (::poll(p, static_cast<nfds_t>(np), static_cast<int>(left.count())) < 0 && errno != EINTR)
        break;
      for (int i = 0; i < np; ++i) {
        if (p[i].fd == out_fd && (p[i].revents & (POLLIN | POLLHUP | POLLERR))) {
          char buf[1024];
          ssize_t k = ::read(out_fd, buf, sizeof buf);
          if (k <= 0) {
            out_open = false;
          } else if (output.size() < 4096) {
            output.append(buf, static_cast<std::size_t>(k));
          }
        } else if (p[i].fd == in_fd && p[i].revents) {
          ssize_t k = ::send(in_fd, rest.data(), rest.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
          if (k > 0) rest.remove_prefix(static_cast<std::size_t>(k));
          if (k < 0 && errno != EAGAIN && errno != EINTR) rest = {};  // reader gone: fine
          if (rest.empty()) {
            ::close(in_fd);
            in_fd = -1;
          }
        }
      }
    }
    if (in_fd >= 0) ::close(in_fd);
    ::close(out_fd);
    int status = 0;
    if (!timed_out) {
      // Output closed; the exit follows at once unless a daemonised grandchild
      // kept the pipe, so wait out the rest of the deadline for it.
      while (true) {
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) return {Outcome::Temporary, "waitpid failed"};
        if (Clock::now() >= deadline) {
          timed_out = true;
          break;
        }
        ::usleep(5000);
      }
    }
    if (timed_out) {
      ::kill(-pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return {Outcome::Temporary, o_.argv[0] + " timed out after " + format_duration(o_.timeout)};
    }
    std::string tail =
        sanitize_text(output.size() > 200 ? output.substr(output.size() - 200) : output);
    if (WIFSIGNALED(status))
      return {Outcome::Temporary,
              o_.argv[0] + " killed by signal " + std::to_string(WTERMSIG(status))};
    int code = WEXITSTATUS(status);
    std::string detail =
        o_.argv[0] + " exit " + std::to_string(code) + (tail.empty() ? "" : ": " + tail);
    if (code == 0) return {Outcome::Accepted, detail};
    // posix_spawn reports exec failures in the child as exit 127 on glibc.
    if (code == 127 || code == 126) return {Outcome::Permanent, detail};
    return {Outcome::Temporary, detail};
  }

  std::string name_;
  CommandOptions o_;
};

}  // namespace

std::unique_ptr<Channel> make_command_channel(std::string name, CommandOptions options) {
  return std::make_unique<CommandChannel>(std::move(name), std::move(options));
}

}  // namespace clusterd::alarm
