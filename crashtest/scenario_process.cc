#include "crashtest/scenario_process.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace clusterd::crashtest {
namespace {

namespace fs = std::filesystem;

volatile sig_atomic_t g_interrupted = 0;
void on_signal(int) { g_interrupted = 1; }

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The members of process group PGID: "comm[pid]" each (from /proc).
std::vector<std::string> group_members(pid_t pgid) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = slurp(e.path() / "stat");  // "PID (COMM) STATE PPID PGRP ..."
    auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    long ppid = 0, pgrp = 0;
    if (rest >> state >> ppid >> pgrp && pgrp == pgid && state != "Z") {
      out.push_back(stat.substr(open + 1, close - open - 1) + "[" + pid + "]");
    }
  }
  return out;
}

// The run's settings as the scenario scripts read them (crashtest/scenarios/lib.sh).
void set_run_environment(const fs::path& evidence, const Options& o, const PlannedRun& p,
                         const Scenario& s) {
  ::setenv("EVIDENCE_DIR", evidence.c_str(), 1);
  ::setenv("CRASHTEST_SEED", std::to_string(p.seed).c_str(), 1);
  if (p.offset_ms > 0) ::setenv("CRASHTEST_OFFSET_MS", std::to_string(p.offset_ms).c_str(), 1);
  ::setenv("CRASHTEST_TIMINGS", o.timings.c_str(), 1);
  if (o.load) ::setenv("CRASHTEST_LOAD", "1", 1);
  if (o.keep) ::setenv("KEEP", "1", 1);
  if (!o.script.empty()) ::setenv("CRASHTEST_SCRIPT", o.script.c_str(), 1);
  for (const auto& [k, v] : s.env) ::setenv(k.c_str(), v.c_str(), 1);
}

// The script's lines on stdout: every one with --verbose; otherwise, on a
// terminal, its "[step] ..." lines rewritten in place as one progress line.
struct Progress {
  const Options& o;
  const std::string& label;
  bool tty;
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();

  void show(const std::string& line) const {
    if (o.verbose) {
      std::printf("    %s\n", line.c_str());
    } else if (tty && line.rfind("[", 0) == 0) {
      auto close = line.find("] ");
      std::string step = close == std::string::npos ? line : line.substr(close + 2);
      if (step.size() > 70) step = step.substr(0, 67) + "...";
      std::printf("\r\033[K%s %5.1fs  %s", label.c_str(),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                  step.c_str());
    }
    std::fflush(stdout);
  }
  void clear() const {
    if (tty && !o.verbose) std::printf("\r\033[K");
  }
};

}  // namespace

void catch_interrupts() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

bool interrupted() { return g_interrupted != 0; }

// A process group of its own, so that one kill(-pgid) reaches everything the
// script started (nodesim, ser2net, clusterd) and the audit can tell what of
// it outlived the script.
ScriptExit run_script(const fs::path& src, const fs::path& bin, const Scenario& s,
                      const fs::path& evidence, const Options& o, const PlannedRun& p,
                      const std::string& label) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  // SIGINT and SIGTERM stay blocked except inside ppoll(), which unblocks
  // them atomically while it waits: one that arrives between the check and
  // the wait is not lost, and a quiet scenario still gets it forwarded.
  sigset_t stop, before;
  ::sigemptyset(&stop);
  ::sigaddset(&stop, SIGINT);
  ::sigaddset(&stop, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &stop, &before);
  pid_t child = ::fork();
  if (child < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    ::sigprocmask(SIG_SETMASK, &before, nullptr);
    return {};
  }
  if (child == 0) {
    ::sigprocmask(SIG_SETMASK, &before, nullptr);  // the script's traps need them
    ::setpgid(0, 0);
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    set_run_environment(evidence, o, p, s);
    std::string script = (src / "crashtest/scenarios" / s.script).string();
    ::execl("/bin/bash", "bash", script.c_str(), bin.c_str(), src.c_str(),
            static_cast<char*>(nullptr));
    std::perror("crashtest: exec bash");
    ::_exit(127);
  }
  // Both sides call setpgid: whichever runs first, the group exists before
  // crashtest could signal it or the script could fork.
  ::setpgid(child, child);
  ::close(fds[1]);
  bool forwarded = false;
  auto forward_interrupt = [&] {
    if (!g_interrupted || forwarded) return;
    ::kill(-child, SIGTERM);  // the scenario's trap tears its network and processes down
    forwarded = true;
  };
  Progress progress{o, label, ::isatty(1) != 0};
  std::ofstream out(evidence / "output.log");
  std::string partial;  // a line not ended yet
  char buf[4096];
  for (;;) {
    forward_interrupt();
    pollfd pfd{fds[0], POLLIN, 0};
    if (::ppoll(&pfd, 1, nullptr, &before) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;  // EOF: the script and everything it started closed the pipe
    out.write(buf, n);
    out.flush();
    partial.append(buf, static_cast<std::size_t>(n));
    for (auto nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n')) {
      progress.show(partial.substr(0, nl));
      partial.erase(0, nl + 1);
    }
  }
  if (!partial.empty()) progress.show(partial);
  ::close(fds[0]);
  ::sigprocmask(SIG_SETMASK, &before, nullptr);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) forward_interrupt();
  progress.clear();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), child};
}

// The audit after a run: what it left behind, removed so that it cannot skew
// the next run (a stray clusterd or nodesim on the next run's ports, test
// networks piling up over a long lab). The scenario's own traps take all of
// it down on every way out; a leftover is a harness bug, and fails the run.
std::string audit_leftovers(pid_t pgid, const fs::path& src) {
  if (pgid <= 0) return {};
  std::string left;
  // A few seconds for the last children of the traps to go.
  auto procs = group_members(pgid);
  for (int i = 0; i < 30 && !procs.empty(); ++i) {
    ::usleep(100000);
    procs = group_members(pgid);
  }
  if (!procs.empty()) {
    left = "processes";
    for (const auto& p : procs) left += " " + p;
    ::kill(-pgid, SIGKILL);
  }
  // scenario_enter (lib.sh) names its network after the script's pid.
  const std::string id = "s" + std::to_string(pgid % 10000000);
  std::string nets;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/run/netns", ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("cdt-" + id + "-", 0) == 0) nets += " " + name;
  }
  if (!nets.empty()) {
    left += (left.empty() ? "" : "; ") + std::string("test network") + nets;
    std::string down =
        "'" + (src / "tools/testnet.sh").string() + "' down " + id + " >/dev/null 2>&1";
    if (std::system(down.c_str()) != 0) left += " (testnet.sh down failed)";
  }
  return left;
}

}  // namespace clusterd::crashtest
