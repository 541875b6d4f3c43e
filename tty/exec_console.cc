// exec: a local command as the console (`ipmitool ... sol activate`,
// `virsh console`), run under a new pseudo-terminal as its controlling tty.
// No shell: the words of the URI are the argv. When the command ends, its
// exit status is the lost reason and it is started again with backoff. BREAK
// is the configured escape sequence (`?break=~B` for ipmitool).
#include <pty.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "base/child_env.h"
#include "tty/transports.h"

namespace clusterd::tty {
namespace {

namespace asio = boost::asio;

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return std::string("killed by signal ") + std::to_string(WTERMSIG(status));
  return "ended";
}

class ExecConsole : public LinkConsole {
 public:
  using LinkConsole::LinkConsole;
  ~ExecConsole() override { ExecConsole::disconnect(); }

 protected:
  void connect() override {
    termios t{};
    ::cfmakeraw(&t);  // bytes pass both ways untouched; the command sets its own modes
    t.c_cflag |= CS8 | CREAD | CLOCAL;
    ::cfsetispeed(&t, B38400);
    ::cfsetospeed(&t, B38400);
    winsize ws{};
    ws.ws_row = 24;
    ws.ws_col = 80;
    std::vector<char*> argv;
    for (auto& a : ep_.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    // The command gets a clean environment: only what locates programs and
    // sets the locale, never whatever clusterd itself was started with (a
    // secret in the environment would be readable in /proc/PID/environ).
    std::vector<std::string> env_store = clean_child_environment();
    env_store.emplace_back("TERM=vt100");
    std::vector<char*> envp = environment_pointers(env_store);

    int master = -1;
    const pid_t parent = ::getpid();
    pid_t pid = ::forkpty(&master, nullptr, &t, &ws);
    if (pid < 0) {
      failed(LostReason::Io, std::string("forkpty: ") + std::strerror(errno));
      return;
    }
    if (pid == 0) {
      // Child: only async-signal-safe calls from here to exec.
      // The command dies with clusterd, even by SIGKILL. The pty's hangup
      // sends it SIGHUP then, but a command may ignore that (an `ipmitool sol
      // activate` seen outliving clusterd kept the BMC's one SOL session, and
      // the restarted clusterd's console was refused until it timed out).
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);  // clusterd died before the prctl
      ::signal(SIGPIPE, SIG_DFL);
      ::close_range(3, ~0U, 0);
      ::execvpe(argv[0], argv.data(), envp.data());
      const char* msg = "clusterd exec: cannot run the console command: ";
      ::write(1, msg, std::strlen(msg));
      const char* why = std::strerror(errno);
      ::write(1, why, std::strlen(why));
      ::write(1, "\r\n", 2);
      ::_exit(127);
    }
    pid_ = pid;
    ::fcntl(master, F_SETFD, FD_CLOEXEC);
    ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
    attach_wire(std::make_unique<FdWire>(asio::posix::stream_descriptor(io(), master)));
    connected();
  }

  // The pty reports EIO once the command and everything it started have
  // closed it: the command has ended, or is about to.
  void on_wire_error(const boost::system::error_code&) override {
    int status = 0;
    bool reaped = wait_for(std::chrono::milliseconds(500), &status);
    std::string detail =
        ep_.argv[0] + ": " + (reaped ? describe_status(status) : "closed its terminal");
    failed(LostReason::ChildExited, detail);
  }

  void disconnect() override {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGHUP);  // the command leads its own session (forkpty)
    ::kill(pid_, SIGTERM);
    int status = 0;
    if (!wait_for(std::chrono::milliseconds(300), &status)) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }

  bool transmit_break() override {
    if (effective_break(ep_) != BreakStyle::Escape) return false;
    send_wire(ep_.break_escape);
    return true;
  }

 private:
  // Reaps the child if it ends within `limit`; short, so the io_context thread
  // is never held for long.
  bool wait_for(std::chrono::milliseconds limit, int* status) {
    if (pid_ <= 0) return false;
    auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      pid_t r = ::waitpid(pid_, status, WNOHANG);
      if (r == pid_ || (r < 0 && errno == ECHILD)) {
        pid_ = -1;
        return r > 0;
      }
      if (std::chrono::steady_clock::now() >= end) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  pid_t pid_ = -1;
};

}  // namespace

std::unique_ptr<Console> make_exec_console(const Endpoint& e, ConsoleHandlers h, ConsoleContext c) {
  return std::make_unique<ExecConsole>(e, std::move(h), c);
}

}  // namespace clusterd::tty
