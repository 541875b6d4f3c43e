#include "clusterd/child_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/child_env.h"

namespace clusterd {

namespace asio = boost::asio;

ChildRunner::~ChildRunner() {
  // clusterd is going away: what it started goes too, and is reaped.
  for (auto& [id, c] : children_) {
    if (!c->status) {
      ::kill(-c->pid, SIGKILL);
      int st = 0;
      ::waitpid(c->pid, &st, 0);
    }
    if (c->pipe) c->pipe->close();
  }
}

bool ChildRunner::start(std::uint64_t id, const std::vector<std::string>& argv, std::string& why) {
  if (argv.empty()) {
    why = "empty command";
    return false;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    why = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  // Nothing else of clusterd's: Asio's sockets (a console's connection,
  // ping's) are not close-on-exec, and a child, or what it leaves running,
  // must not hold a console session or a listening port.
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // A process group of its own (a timeout kills all of it), the default
  // disposition of every signal and an empty mask, whatever clusterd set.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  // A clean environment, never clusterd's own (it may hold what a child
  // should not see).
  std::vector<std::string> env = clean_child_environment();
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &fa, &attr, args.data(), environment_pointers(env).data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    why = std::strerror(rc);
    return false;
  }
  auto c = std::make_shared<Child>();
  c->id = id;
  c->pid = pid;
  c->pipe = std::make_unique<asio::posix::stream_descriptor>(io_, fds[0]);
  c->pipe->non_blocking(true);
  children_[id] = c;
  read(c);
  return true;
}

void ChildRunner::kill(std::uint64_t id) {
  auto it = children_.find(id);
  if (it == children_.end() || it->second->status) return;
  ::kill(-it->second->pid, SIGKILL);
}

void ChildRunner::read(const std::shared_ptr<Child>& c) {
  c->reading = true;
  c->pipe->async_read_some(asio::buffer(c->buf),
                           [this, c](const boost::system::error_code& ec, std::size_t n) {
                             c->reading = false;
                             if (n > 0 && handlers_.output) {
                               handlers_.output(c->id, std::string_view(c->buf.data(), n));
                             }
                             if (c->status || ec == asio::error::operation_aborted) {
                               // The child ended (reap() cut the wait short, or
                               // its exit came with these bytes): read what
                               // is left, never wait for a process it left.
                               if (ec && ec != asio::error::operation_aborted) c->eof = true;
                               drain(*c);
                               finish_if_done(c);
                               return;
                             }
                             if (ec) {
                               c->eof = true;
                               finish_if_done(c);
                               return;
                             }
                             read(c);
                           });
}

// The child has ended: what it wrote is in the pipe already. Only that is
// read: a process it left behind may keep the pipe full for ever.
void ChildRunner::drain(Child& c) {
  if (c.eof) return;
  int left = 0;
  if (::ioctl(c.pipe->native_handle(), FIONREAD, &left) != 0) left = 0;
  while (left > 0) {
    const std::size_t want = std::min(c.buf.size(), static_cast<std::size_t>(left));
    ssize_t n = ::read(c.pipe->native_handle(), c.buf.data(), want);
    if (n > 0) {
      left -= static_cast<int>(n);
      if (handlers_.output)
        handlers_.output(c.id, std::string_view(c.buf.data(), static_cast<std::size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;  // EOF, or EAGAIN
  }
  c.eof = true;
}

void ChildRunner::finish_if_done(const std::shared_ptr<Child>& c) {
  if (!c->eof || !c->status || c->reading) return;
  c->pipe->close();
  children_.erase(c->id);
  if (handlers_.exited) handlers_.exited(c->id, *c->status);
}

// Only our own children: waitpid(-1) would also take the exit of an exec
// console's command or an alarm command channel's child from the code that
// waits for it (which then saw "waitpid failed" and sent the page again).
void ChildRunner::reap() {
  std::vector<std::shared_ptr<Child>> ended;
  for (auto& [id, c] : children_) {
    if (c->status) continue;
    int status = 0;
    if (::waitpid(c->pid, &status, WNOHANG) != c->pid) continue;
    c->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    ended.push_back(c);
  }
  for (auto& c : ended) {
    if (c->reading) {
      boost::system::error_code ignored;
      c->pipe->cancel(ignored);  // the read's handler drains and finishes
    } else {
      drain(*c);
      finish_if_done(c);
    }
  }
}

}  // namespace clusterd
