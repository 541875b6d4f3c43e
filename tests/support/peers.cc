// Real-peer fixtures: see peers.h.
#include "tests/support/peers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

extern char** environ;

namespace clusterd::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kStartTimeout{5000};
constexpr const char* kPython = "/usr/bin/python3";  // not pyenv's python3 on PATH
constexpr const char* kSshd = "/usr/sbin/sshd";      // sshd re-execs itself: needs a full path

Error fail(std::string message) { return Error::io(std::move(message)); }

std::string errno_text(int err) { return std::strerror(err); }

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

bool write_text(const std::string& path, const std::string& text, mode_t mode = 0644) {
  std::ofstream out(path, std::ios::trunc | std::ios::binary);
  out << text;
  out.close();
  return out.good() && ::chmod(path.c_str(), mode) == 0;
}

/// The last lines of a log, to put into an Error so a failing test says why.
std::string tail_of(const std::string& path) {
  std::string text = read_file(path);
  if (text.size() > 1500) text = "..." + text.substr(text.size() - 1500);
  return text.empty() ? std::string("(no output)") : text;
}

/// Waits for `ready`, failing early (with the log) if the process dies first.
Result<void> wait_started(Process& proc, const std::function<bool()>& ready,
                          const std::string& what, const std::string& log_path) {
  bool died = false;
  bool ok = wait_until(
      [&] {
        if (ready()) return true;
        died = !proc.running();
        return died;
      },
      kStartTimeout);
  if (ok && !died) return {};
  proc.stop();
  return fail(what + (died ? " exited during start-up" : " did not become ready within 5 s") +
              "; its output:\n" + tail_of(log_path));
}

/// Error for a tool that could not be started, naming the Debian package.
Error tool_error(const std::string& what, const std::string& package, const Error& e) {
  return fail(what + ": " + e.message + " (is the '" + package + "' package installed?)");
}

std::vector<char*> c_argv(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

/// Spawns argv in its own process group. `out_fd` >= 0 becomes stdout+stderr;
/// otherwise `log_path` is opened for append.
Result<pid_t> spawn_raw(const std::vector<std::string>& argv, const std::string& log_path,
                        int out_fd, const std::vector<std::string>& extra_env) {
  if (argv.empty()) return Error::invalid("empty argv");
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    bool overridden = false;
    for (const auto& x : extra_env) {
      auto eq = x.find('=');
      if (kv.substr(0, kv.find('=')) == std::string_view(x).substr(0, eq)) overridden = true;
    }
    if (!overridden) env.emplace_back(kv);
  }
  env.insert(env.end(), extra_env.begin(), extra_env.end());

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (out_fd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  }
  posix_spawn_file_actions_adddup2(&fa, 1, 2);

  // Own process group (so stop() reaches helpers), default signal dispositions
  // and an empty mask (a test runner may have ignored SIGPIPE or blocked SIGTERM).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  auto args = c_argv(argv);
  auto envp = c_argv(env);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0].c_str(), &fa, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return fail("cannot run '" + argv[0] + "': " + errno_text(rc));
  return pid;
}

int decode_wait_status(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

}  // namespace

std::string message_of(const Result<void>& s) { return s.ok() ? std::string() : s.error().message; }

// ---- TempDir, UniqueFd ---------------------------------------------------------------

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/clusterd-test-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::perror(("mkdtemp " + tmpl).c_str());
    std::abort();
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  if (std::getenv("CLUSTERD_KEEP_TMP") != nullptr) {
    std::fprintf(stderr, "CLUSTERD_KEEP_TMP: kept %s\n", path_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::file(std::string_view name) const { return path_ + "/" + std::string(name); }

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) reset(o.release());
  return *this;
}

int UniqueFd::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

namespace {
struct ProcInfo {
  pid_t pid, ppid;
  std::string comm, state;
};

/// Every process on the machine, from /proc/PID/stat.
std::vector<ProcInfo> all_processes() {
  std::vector<ProcInfo> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = read_file("/proc/" + name + "/stat");
    auto open = stat.find('(');
    auto close = stat.rfind(')');  // the command name may contain spaces and ')'
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    ProcInfo p{static_cast<pid_t>(std::stol(name)), 0, stat.substr(open + 1, close - open - 1), ""};
    std::istringstream rest(stat.substr(close + 1));
    rest >> p.state >> p.ppid;
    out.push_back(std::move(p));
  }
  return out;
}

/// Every process below `root` (parents before children).
std::vector<pid_t> descendants(pid_t root) {
  auto procs = all_processes();
  std::vector<pid_t> out{root};
  for (size_t i = 0; i < out.size(); ++i) {
    for (const auto& p : procs) {
      if (p.ppid == out[i]) out.push_back(p.pid);
    }
  }
  out.erase(out.begin());
  return out;
}

/// Waits up to `timeout` for each of `pids` to be gone, reaping those that were
/// re-parented to us (see SubreaperScope).
void reap_orphans(const std::vector<pid_t>& pids, milliseconds timeout) {
  wait_until(
      [&] {
        bool all_gone = true;
        for (pid_t p : pids) {
          if (::waitpid(p, nullptr, WNOHANG) == p) continue;
          if (::access(("/proc/" + std::to_string(p)).c_str(), F_OK) == 0) all_gone = false;
        }
        return all_gone;
      },
      timeout);
}

/// Makes this process a child subreaper while it lives (see Process::stop).
class SubreaperScope {
 public:
  SubreaperScope() {
    int old = 0;
    ::prctl(PR_GET_CHILD_SUBREAPER, &old);
    was_ = old != 0;
    if (!was_) ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  }
  ~SubreaperScope() {
    if (!was_) ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  }
  SubreaperScope(const SubreaperScope&) = delete;
  SubreaperScope& operator=(const SubreaperScope&) = delete;

 private:
  bool was_ = false;
};
}  // namespace

// ---- Process ---------------------------------------------------------------------------

Process::~Process() { stop(); }

Process::Process(Process&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      reaped_(std::exchange(o.reaped_, true)),
      exit_code_(o.exit_code_) {}

Process& Process::operator=(Process&& o) noexcept {
  if (this != &o) {
    stop();
    pid_ = std::exchange(o.pid_, -1);
    reaped_ = std::exchange(o.reaped_, true);
    exit_code_ = o.exit_code_;
  }
  return *this;
}

Result<Process> Process::spawn(const std::vector<std::string>& argv, const std::string& log_path,
                               const std::vector<std::string>& extra_env) {
  auto pid = spawn_raw(argv, log_path, -1, extra_env);
  if (!pid.ok()) return pid.error();
  Process p;
  p.pid_ = *pid;
  p.reaped_ = false;
  p.exit_code_.reset();
  return p;
}

bool Process::try_reap(bool block) {
  if (reaped_) return true;
  int st = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &st, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exit_code_ = decode_wait_status(st);
    reaped_ = true;
  } else if (r < 0) {  // ECHILD: someone else reaped it; nothing left to wait for
    exit_code_ = -1;
    reaped_ = true;
  }
  return reaped_;
}

bool Process::running() { return pid_ > 0 && !try_reap(false); }

bool Process::signal(int sig) { return running() && ::kill(pid_, sig) == 0; }

std::optional<int> Process::wait_exit(milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  auto deadline = Clock::now() + timeout;
  while (!try_reap(false)) {
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return exit_code_;
}

// sshd's per-connection processes call setsid(), so a group signal misses them,
// and when the listener dies first they are re-parented to pid 1, which on these
// VMs reaps only every few seconds: they showed up as zombies after the test.
// Hence: signal the whole tree found in /proc, and be a subreaper meanwhile so
// that the orphans this makes come back to us and are reaped here.
std::optional<int> Process::stop(milliseconds grace) {
  if (pid_ <= 0) return std::nullopt;
  SubreaperScope subreaper;
  std::vector<pid_t> below;
  if (!reaped_) {
    below = descendants(pid_);
    ::kill(-pid_, SIGTERM);
    for (pid_t p : below) ::kill(p, SIGTERM);
    if (!wait_exit(grace)) {
      ::kill(-pid_, SIGKILL);
      try_reap(true);
    }
  }
  // Anything the child left behind in its group or below it (ours too).
  ::kill(-pid_, SIGKILL);
  for (pid_t p : below) ::kill(p, SIGKILL);
  reap_orphans(below, grace);
  return exit_code_;
}

void Process::kill9() {
  if (pid_ <= 0 || reaped_) return;
  SubreaperScope subreaper;
  std::vector<pid_t> below = descendants(pid_);
  ::kill(-pid_, SIGKILL);
  for (pid_t p : below) ::kill(p, SIGKILL);
  try_reap(true);
  reap_orphans(below, milliseconds(3000));
}

Result<CommandResult> run_command(const std::vector<std::string>& argv, milliseconds timeout) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail("pipe: " + errno_text(errno));
  UniqueFd rd(fds[0]), wr(fds[1]);
  auto pid = spawn_raw(argv, "", wr.get(), {});
  if (!pid.ok()) return pid.error();
  wr.reset();  // so that read() sees EOF when the child (and its children) exit
  CommandResult out;
  auto deadline = Clock::now() + timeout;
  char buf[4096];
  for (;;) {
    pollfd pfd{rd.get(), POLLIN, 0};
    int n = ::poll(&pfd, 1, remaining_ms(deadline));
    if (n <= 0) break;  // timeout (or error): stop reading
    ssize_t r = ::read(rd.get(), buf, sizeof buf);
    if (r <= 0) break;
    out.output.append(buf, static_cast<size_t>(r));
  }
  // Reap (or kill after the deadline): same logic as Process, done by hand
  // because the pid was spawned with a pipe rather than a log file.
  int st = 0;
  for (;;) {
    pid_t r = ::waitpid(*pid, &st, WNOHANG);
    if (r == *pid) {
      out.exit_code = decode_wait_status(st);
      break;
    }
    if (r < 0 && errno != EINTR) break;
    if (Clock::now() >= deadline) {
      ::kill(-*pid, SIGKILL);
      while (::waitpid(*pid, &st, 0) < 0 && errno == EINTR) {
      }
      out.exit_code = -1;
      break;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  ::kill(-*pid, SIGKILL);
  return out;
}

// ---- waiting and sockets -----------------------------------------------------------

uint16_t free_tcp_port() {
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (!s.valid() || ::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    return 0;
  }
  return ntohs(a.sin_port);
}

UniqueFd connect_tcp(uint16_t port) {
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (!s.valid() || ::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    return UniqueFd();
  }
  return s;
}

bool wait_for_tcp(uint16_t port, milliseconds timeout) {
  return wait_until([port] { return connect_tcp(port).valid(); }, timeout);
}

bool is_listening(uint16_t port) {
  char want[8];
  std::snprintf(want, sizeof want, ":%04X", port);
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::istringstream in(read_file(table));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string sl, local, remote, st;
      f >> sl >> local >> remote >> st;
      if (st == "0A" && local.size() > 5 && local.compare(local.size() - 5, 5, want) == 0) {
        return true;
      }
    }
  }
  return false;
}

bool wait_for_listen(uint16_t port, milliseconds timeout, bool listening) {
  return wait_until([&] { return is_listening(port) == listening; }, timeout);
}

bool wait_for_path(const std::string& path, milliseconds timeout) {
  return wait_until([&] { return ::access(path.c_str(), F_OK) == 0; }, timeout);
}

bool wait_until(const std::function<bool()>& pred, milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
}

int open_raw(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return -1;
  termios t{};
  if (::tcgetattr(fd, &t) != 0) {
    int err = errno;
    ::close(fd);
    errno = err;
    return -1;
  }
  ::cfmakeraw(&t);
  ::tcsetattr(fd, TCSANOW, &t);
  return fd;
}

namespace {
/// One poll+read step. Returns false at EOF, on an error, or when `deadline` passed.
bool read_some(int fd, Clock::time_point deadline, std::string& out) {
  pollfd pfd{fd, POLLIN, 0};
  int n = ::poll(&pfd, 1, remaining_ms(deadline));
  if (n < 0 && errno == EINTR) return true;
  if (n <= 0) return false;
  char buf[4096];
  ssize_t r = ::read(fd, buf, sizeof buf);
  if (r > 0) {
    out.append(buf, static_cast<size_t>(r));
    return true;
  }
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
    // POLLHUP with nothing to read (a pty whose other side is not open yet)
    // would spin; back off instead.
    if ((pfd.revents & (POLLHUP | POLLERR)) != 0) std::this_thread::sleep_for(milliseconds(10));
    return true;
  }
  return false;  // EOF, or EIO from a pty whose socat is gone
}
}  // namespace

std::string read_for(int fd, milliseconds d) {
  std::string out;
  auto deadline = Clock::now() + d;
  while (Clock::now() < deadline && read_some(fd, deadline, out)) {
  }
  return out;
}

bool read_until(int fd, std::string_view needle, milliseconds timeout, std::string* got) {
  std::string out;
  auto deadline = Clock::now() + timeout;
  bool found = false;
  while (!(found = out.find(needle) != std::string::npos) && Clock::now() < deadline &&
         read_some(fd, deadline, out)) {
  }
  if (got != nullptr) *got = std::move(out);
  return found;
}

bool write_all(int fd, std::string_view bytes, milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!bytes.empty()) {
    ssize_t w = ::write(fd, bytes.data(), bytes.size());
    if (w > 0) {
      bytes.remove_prefix(static_cast<size_t>(w));
      continue;
    }
    if (w < 0 && errno != EAGAIN && errno != EINTR) return false;
    pollfd pfd{fd, POLLOUT, 0};
    if (Clock::now() >= deadline || ::poll(&pfd, 1, remaining_ms(deadline)) < 0) return false;
  }
  return true;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---- SocatPair -----------------------------------------------------------------------

Result<void> SocatPair::start(const std::string& dir, const std::string& name) {
  dir_ = dir;
  name_ = name;
  node_ = dir + "/" + name + ".node";
  console_ = dir + "/" + name + ".console";
  // A SIGKILLed socat leaves its links behind; socat would refuse to replace them.
  ::unlink(node_.c_str());
  ::unlink(console_.c_str());
  std::string log = dir + "/" + name + ".socat.log";
  auto p = Process::spawn(
      {"socat", "-d", "-d", "pty,raw,echo=0,link=" + node_, "pty,raw,echo=0,link=" + console_},
      log);
  if (!p.ok()) return tool_error("SocatPair", "socat", p.error());
  proc_ = std::move(p).value();
  return wait_started(
      proc_,
      [&] { return ::access(node_.c_str(), F_OK) == 0 && ::access(console_.c_str(), F_OK) == 0; },
      "socat", log);
}

void SocatPair::stop() {
  proc_.stop();
  if (!node_.empty()) {
    ::unlink(node_.c_str());
    ::unlink(console_.c_str());
  }
}

Result<void> SocatPair::restart() {
  stop();
  return start(dir_, name_);
}

// ---- Ser2net -------------------------------------------------------------------------

Result<void> Ser2net::start(const std::string& dir, const Ser2netOptions& options) {
  dir_ = dir;
  options_ = options;
  if (options_.serial_device.empty() == (options_.rfc2217_node_port == 0)) {
    return Error::invalid("Ser2net: set exactly one of serial_device and rfc2217_node_port");
  }
  if (options_.port == 0) options_.port = free_tcp_port();
  config_ = dir + "/" + options_.name + ".yaml";
  log_ = dir + "/" + options_.name + ".log";
  pidfile_ = dir + "/" + options_.name + ".pid";

  std::string port = std::to_string(options_.port);
  std::string accepter;
  switch (options_.accepter) {
    case Ser2netAccepter::Telnet:
      accepter = "telnet,tcp,127.0.0.1," + port;
      break;
    case Ser2netAccepter::Rfc2217:
      accepter = "telnet(rfc2217),tcp,127.0.0.1," + port;
      break;
    case Ser2netAccepter::Raw:
      accepter = "tcp,127.0.0.1," + port;
      break;
  }
  std::string connector =
      options_.rfc2217_node_port != 0
          ? "telnet(rfc2217),tcp,127.0.0.1," + std::to_string(options_.rfc2217_node_port)
          : "serialdev," + options_.serial_device + ",115200n81,local";
  std::string yaml =
      "%YAML 1.1\n"
      "---\n"
      "connection: &console\n"
      "    accepter: " +
      accepter +
      "\n"
      "    enable: on\n"
      "    options:\n"
      "      kickolduser: true\n"
      "      telnet-brk-on-sync: true\n"
      "    connector: " +
      connector + "\n";
  if (!write_text(config_, yaml)) return fail("Ser2net: cannot write " + config_);
  return run();
}

Result<void> Ser2net::run() {
  ::unlink(pidfile_.c_str());
  auto p = Process::spawn({"ser2net", "-n", "-d", "-u", "-c", config_, "-P", pidfile_}, log_);
  if (!p.ok()) return tool_error("Ser2net", "ser2net", p.error());
  proc_ = std::move(p).value();
  // Not wait_for_tcp: a probe connection would make ser2net open the device
  // and flush it when the probe hangs up, eating console output a test wrote.
  uint16_t port = options_.port;
  return wait_started(
      proc_, [port] { return is_listening(port); }, "ser2net on port " + std::to_string(port),
      log_);
}

void Ser2net::stop() { proc_.stop(); }

Result<void> Ser2net::restart() {
  stop();
  return run();
}

void Ser2net::kill9() { proc_.kill9(); }

// ---- Sshd ------------------------------------------------------------------------------

namespace {
Result<void> keygen(const std::string& path, const std::string& passphrase) {
  ::unlink(path.c_str());
  ::unlink((path + ".pub").c_str());
  auto r = run_command(
      {"ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "clusterd-test", "-f", path});
  if (!r.ok()) return tool_error("Sshd", "openssh-client", r.error());
  if (r->exit_code != 0) return fail("Sshd: ssh-keygen " + path + " failed: " + r->output);
  return {};
}

/// "type base64" from a .pub file (without the comment).
std::string public_key(const std::string& pub_path) {
  std::istringstream in(read_file(pub_path));
  std::string type, key;
  in >> type >> key;
  return type + " " + key;
}
}  // namespace

Result<void> Sshd::start(const std::string& dir, const std::string& passphrase, uint16_t port) {
  dir_ = dir;
  port_ = port != 0 ? port : free_tcp_port();
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr) user_ = pw->pw_name;
  if (::access(kSshd, X_OK) != 0) {
    return fail(std::string("Sshd: ") + kSshd + " not found (is 'openssh-server' installed?)");
  }
  // Privilege separation directory; sshd refuses to start without it.
  if (::mkdir("/run/sshd", 0755) != 0 && errno != EEXIST) {
    return fail("Sshd: cannot create /run/sshd: " + errno_text(errno));
  }
  host_key_ = dir + "/host_ed25519";
  other_host_key_ = dir + "/other_host_ed25519";
  client_key_ = dir + "/client_ed25519";
  client_key_pass_ = dir + "/client_pass_ed25519";
  for (const auto& k : {host_key_, other_host_key_, client_key_}) {
    if (auto s = keygen(k, ""); !s.ok()) return s;
  }
  if (auto s = keygen(client_key_pass_, passphrase); !s.ok()) return s;

  authorized_keys_ = dir + "/authorized_keys";
  known_hosts_ = dir + "/known_hosts";
  known_hosts_changed_ = dir + "/known_hosts_changed";
  known_hosts_empty_ = dir + "/known_hosts_empty";
  config_ = dir + "/sshd_config";
  log_ = dir + "/sshd.log";
  std::string name = "[127.0.0.1]:" + std::to_string(port_) + " ";
  bool ok = write_text(authorized_keys_,
                       public_key(client_key_ + ".pub") + "\n" +
                           public_key(client_key_pass_ + ".pub") + "\n",
                       0600) &&
            write_text(known_hosts_, name + public_key(host_key_ + ".pub") + "\n") &&
            write_text(known_hosts_changed_, name + public_key(other_host_key_ + ".pub") + "\n") &&
            write_text(known_hosts_empty_, "");
  // StrictModes no: keys live under /tmp (mode 1777), which StrictModes rejects.
  std::string conf = "Port " + std::to_string(port_) +
                     "\n"
                     "ListenAddress 127.0.0.1\n"
                     "HostKey " +
                     host_key_ +
                     "\n"
                     "PidFile " +
                     dir +
                     "/sshd.pid\n"
                     "AuthorizedKeysFile " +
                     authorized_keys_ +
                     "\n"
                     "StrictModes no\n"
                     "PubkeyAuthentication yes\n"
                     "PasswordAuthentication no\n"
                     "KbdInteractiveAuthentication no\n"
                     "PermitRootLogin prohibit-password\n"
                     "UsePAM no\n"
                     "UseDNS no\n"
                     "PrintMotd no\n"
                     "PrintLastLog no\n"
                     "ClientAliveInterval 0\n"
                     // Sessions run `$SHELL -c CMD`; Debian's bash sources ~/.bashrc
                     // when SSH_CLIENT is set, unless SHLVL says it is nested: the
                     // machine's rc files (a slow `pyenv rehash` was seen) stay out.
                     "SetEnv SHLVL=1\n"
                     "LogLevel DEBUG1\n";
  ok = ok && write_text(config_, conf);
  if (!ok) return fail("Sshd: cannot write files in " + dir);

  auto check = run_command({kSshd, "-t", "-f", config_});
  if (!check.ok()) return tool_error("Sshd", "openssh-server", check.error());
  if (check->exit_code != 0) return fail("Sshd: sshd -t rejected the config: " + check->output);
  return run();
}

Result<void> Sshd::run() {
  // -E, not -e: with -e at DEBUG1 the session child logs "debug1: ..." lines to
  // its stderr, which is the channel, so every client saw them in its output.
  auto p = Process::spawn({kSshd, "-D", "-E", log_, "-f", config_}, log_ + ".out");
  if (!p.ok()) return tool_error("Sshd", "openssh-server", p.error());
  proc_ = std::move(p).value();
  uint16_t port = port_;
  return wait_started(
      proc_, [port] { return is_listening(port); }, "sshd on port " + std::to_string(port), log_);
}

std::vector<std::string> Sshd::ssh_argv(const std::string& known_hosts_file) const {
  return {"ssh",
          "-F",
          "/dev/null",
          "-p",
          std::to_string(port_),
          "-i",
          client_key_,
          "-o",
          "IdentitiesOnly=yes",
          "-o",
          "UserKnownHostsFile=" + known_hosts_file,
          "-o",
          "GlobalKnownHostsFile=/dev/null",
          "-o",
          "StrictHostKeyChecking=yes",
          "-o",
          "BatchMode=yes",
          "-o",
          "ConnectTimeout=5",
          user_ + "@127.0.0.1"};
}

void Sshd::stop() { proc_.stop(); }

Result<void> Sshd::restart() {
  stop();
  return run();
}

// ---- TelnetRecorder --------------------------------------------------------------------

Result<void> TelnetRecorder::start(const std::string& dir, const RecorderOptions& options) {
  dir_ = dir;
  options_ = options;
  log_ = dir + "/" + options_.name + ".log";
  out_ = dir + "/" + options_.name + ".out";
  ::unlink(log_.c_str());
  return run(1);
}

Result<void> TelnetRecorder::run(int first_conn) {
  std::string script = std::string(CLUSTERD_SOURCE_DIR) + "/tests/peers/telnet_recorder.py";
  if (::access(kPython, X_OK) != 0) {
    return fail(std::string("TelnetRecorder: ") + kPython + " not found (is 'python3' installed?)");
  }
  if (::access(script.c_str(), R_OK) != 0) return fail("TelnetRecorder: no " + script);
  std::vector<std::string> argv = {kPython, script, "--port",       std::to_string(options_.port),
                                   "--log", log_,   "--first-conn", std::to_string(first_conn)};
  if (options_.echo) argv.push_back("--echo");
  if (!options_.greeting.empty()) argv.insert(argv.end(), {"--greeting", options_.greeting});
  if (!options_.send_file.empty()) argv.insert(argv.end(), {"--send-file", options_.send_file});
  if (options_.silent) argv.push_back("--silent");
  if (options_.no_read) argv.push_back("--no-read");
  if (options_.no_timing_mark) argv.push_back("--no-timing-mark");

  ::unlink(out_.c_str());  // "listening" must come from this run
  auto p = Process::spawn(argv, out_);
  if (!p.ok()) return fail("TelnetRecorder: " + p.error().message);
  proc_ = std::move(p).value();
  uint16_t port = 0;
  auto listening = [&] {
    std::string out = read_file(out_);
    auto at = out.find("listening ");
    if (at == std::string::npos || out.find('\n', at) == std::string::npos) return false;
    port = static_cast<uint16_t>(std::atoi(out.c_str() + at + 10));
    return true;
  };
  Result<void> s = wait_started(proc_, listening, "telnet_recorder.py", out_);
  if (s.ok()) options_.port = port;
  return s;
}

std::vector<TelnetEvent> TelnetRecorder::events() const {
  std::vector<TelnetEvent> out;
  std::istringstream in(read_file(log_));
  std::string line;
  while (std::getline(in, line)) {
    if (auto e = parse_telnet_event(line)) out.push_back(std::move(*e));
  }
  return out;
}

std::string TelnetRecorder::data(int conn) const {
  std::string out;
  for (const auto& e : events()) {
    if (e.ev == "data" && (conn == 0 || e.conn == conn)) out += e.bytes;
  }
  return out;
}

void TelnetRecorder::stop() { proc_.stop(); }

Result<void> TelnetRecorder::restart() {
  int last = 0;
  for (const auto& e : events()) last = std::max(last, e.conn);
  stop();
  return run(last + 1);
}

// The recorder writes flat objects of numbers and plain ASCII strings
// (json.dumps of its own fields), so a full JSON parser is not needed.
std::optional<TelnetEvent> parse_telnet_event(std::string_view line) {
  size_t i = 0;
  auto ws = [&] {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
  };
  auto str = [&](std::string& out) {
    if (i >= line.size() || line[i] != '"') return false;
    for (++i; i < line.size() && line[i] != '"'; ++i) {
      if (line[i] == '\\' && i + 1 < line.size()) ++i;
      out += line[i];
    }
    return i++ < line.size();
  };
  auto hex_bytes = [](std::string_view hex) {
    std::string out;
    for (size_t k = 0; k + 1 < hex.size();) {
      if (hex[k] == ' ') {
        ++k;
        continue;
      }
      out += static_cast<char>(std::stoi(std::string(hex.substr(k, 2)), nullptr, 16));
      k += 2;
    }
    return out;
  };
  TelnetEvent e;
  ws();
  if (i >= line.size() || line[i++] != '{') return std::nullopt;
  try {
    for (;;) {
      ws();
      std::string key, sval;
      if (!str(key)) return std::nullopt;
      ws();
      if (i >= line.size() || line[i++] != ':') return std::nullopt;
      ws();
      double num = 0;
      if (i < line.size() && line[i] == '"') {
        if (!str(sval)) return std::nullopt;
      } else {
        size_t used = 0;
        num = std::stod(std::string(line.substr(i, 32)), &used);
        i += used;
      }
      if (key == "t")
        e.t = num;
      else if (key == "conn")
        e.conn = static_cast<int>(num);
      else if (key == "ev")
        e.ev = sval;
      else if (key == "cmd")
        e.cmd = static_cast<int>(num);
      else if (key == "verb")
        e.verb = sval;
      else if (key == "opt")
        e.opt = static_cast<int>(num);
      else if (key == "hex")
        e.bytes = hex_bytes(sval);
      ws();
      if (i < line.size() && line[i] == ',') {
        ++i;
        continue;
      }
      if (i < line.size() && line[i] == '}') break;
      return std::nullopt;
    }
  } catch (const std::exception&) {  // stod/stoi on a malformed (torn) line
    return std::nullopt;
  }
  if (e.ev.empty()) return std::nullopt;
  return e;
}

}  // namespace clusterd::testing
