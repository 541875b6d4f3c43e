// clusterd-ship lease-keeper / lease-renew (repl/lease.h, docs/bcp.md "A site
// the monitor cannot see"). The lease is a small file, FILE, at the site:
// each renewal rewrites it (a counter, replaced by rename); the keeper looks
// at it every --poll on its own monotonic clock, and halts the node with its
// HALT command when the text has not changed for the lease. The keeper holds
// an exclusive lock on FILE.keeper while it runs, so a renewal can tell the
// monitor that nobody would halt the node (exit 3).
#include "repl/lease_keeper.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "base/fd.h"
#include "repl/lease.h"
#include "repl/proc.h"
#include "repl/ship_util.h"

namespace clusterd::repl {

namespace {

using Clock = std::chrono::steady_clock;

std::string read_all(const std::string& path, bool& exists) {
  std::ifstream in(path);
  exists = static_cast<bool>(in);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TimePoint mono() { return TimePoint(Clock::now().time_since_epoch()); }

std::string words(const std::vector<std::string>& argv) {
  std::string t;
  for (const auto& a : argv) t += (t.empty() ? "" : " ") + a;
  return t;
}

}  // namespace

int lease_keeper(const LeaseOptions& o) {
  // Started by the site, not by whoever ran it: it outlives its parent.
  ::prctl(PR_SET_PDEATHSIG, 0);
  Fd lock(::open((o.file + ".keeper").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (lock.get() < 0) {
    say_error("cannot open " + o.file + ".keeper: " + std::strerror(errno));
    return 2;
  }
  // A renewal looks at the lock for a moment (lease_renew): try for 2 s.
  const auto lock_until = Clock::now() + std::chrono::seconds(2);
  while (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (Clock::now() >= lock_until) {
      say_error("another lease keeper runs for " + o.file);
      return 2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  bool exists = false;
  std::string seen = read_all(o.file, exists);
  // A keeper that restarts gives its node only what is left of the lease the
  // file holds (renewals are written even while no keeper runs).
  std::optional<Duration> age;
  if (struct stat st{}; exists && ::stat(o.file.c_str(), &st) == 0) {
    const auto mtime =
        std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
    age = std::chrono::duration_cast<Duration>(std::chrono::system_clock::now().time_since_epoch() -
                                               mtime);
  }
  const Duration first = lease_first_term(o.ttl, o.grace, age);
  std::mutex mu;
  LeaseKeeper k(o.ttl, first, mono());
  say("keeper lease=" + std::to_string(to_ms(o.ttl)) + "ms first=" + std::to_string(to_ms(first)) +
      "ms halt=" + words(o.halt));
  // The deadline on a thread of its own: a lease file on a hung filesystem
  // blocks the reads below, never the halt.
  std::thread watchdog([&] {
    for (;;) {
      std::this_thread::sleep_for(o.poll);
      bool again = false;
      {
        std::lock_guard<std::mutex> g(mu);
        again = k.halted();
        if (!k.due(mono())) continue;
      }
      say(again
              ? std::string("still expired: halting the node again")
              : "expired: no renewal for " + std::to_string(to_ms(o.ttl)) + "ms; halting the node");
      std::string out;
      const int rc = run_for(o.halt, o.ttl, &out);  // a HALT that hangs is killed after the lease
      while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
      say("halt exited " + std::to_string(rc) + (out.empty() ? "" : ": " + out.substr(0, 200)));
    }
  });
  for (;;) {
    std::this_thread::sleep_for(o.poll);
    std::string text = read_all(o.file, exists);
    if (!exists || text == seen) continue;
    seen = std::move(text);
    bool after_halt = false;
    {
      std::lock_guard<std::mutex> g(mu);
      after_halt = k.renewed(mono());
    }
    if (after_halt) say("renewed after the halt: armed again (the node stays halted)");
  }
}

int lease_renew(const LeaseOptions& o) {
  auto too_late = [&] {
    if (!o.not_after_ms) return false;
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    return now_ms > *o.not_after_ms;
  };
  if (too_late()) {
    say_error("too late: the monitor counts this renewal as ended; not renewed");
    return 4;
  }
  // Is a keeper there to hold it? Its lock says so: taking it means nobody
  // holds it (let go at once, when `probe` closes).
  bool keeper = true;
  {
    Fd probe(::open((o.file + ".keeper").c_str(), O_RDWR | O_CLOEXEC));
    keeper = probe.get() >= 0 && ::flock(probe.get(), LOCK_EX | LOCK_NB) != 0;
  }
  // Written either way: a keeper that starts later knows when the monitor
  // last reached the site. The wall time makes every renewal's text new.
  bool exists = false;
  std::uint64_t n = 0;
  std::istringstream(read_all(o.file, exists)) >> n;
  const std::string tmp = o.file + ".renew";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << n + 1 << " "
        << std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count()
        << "\n";
    out.flush();
    if (!out) {
      say_error("cannot write " + tmp + ": " + std::strerror(errno));
      return 2;
    }
  }
  if (too_late()) {  // the write took that long: never land late
    ::unlink(tmp.c_str());
    say_error("too late: the monitor counts this renewal as ended; not renewed");
    return 4;
  }
  if (::rename(tmp.c_str(), o.file.c_str()) != 0) {
    say_error("cannot rename " + tmp + " to " + o.file + ": " + std::strerror(errno));
    return 2;
  }
  if (!keeper) {
    say_error("no lease keeper runs for " + o.file + ": nobody would halt the node");
    return 3;
  }
  say("renewed " + std::to_string(n + 1));
  return 0;
}

}  // namespace clusterd::repl
