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
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
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
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    say_error("another lease keeper runs for " + o.file);
    return 2;
  }
  bool exists = false;
  std::string seen = read_all(o.file, exists);
  LeaseKeeper k(o.ttl, o.grace, mono());
  say("keeper lease=" + std::to_string(to_ms(o.ttl)) +
      "ms grace=" + std::to_string(to_ms(o.grace)) + "ms halt=" + words(o.halt));
  for (;;) {
    std::this_thread::sleep_for(o.poll);
    const TimePoint now = mono();
    std::string text = read_all(o.file, exists);
    if (exists && text != seen) {
      seen = std::move(text);
      if (k.renewed(now)) say("renewed after the halt: armed again (the node stays halted)");
    }
    const bool again = k.halted();
    if (!k.due(now)) continue;
    say(again ? std::string("still expired: halting the node again")
              : "expired: no renewal for " + std::to_string(to_ms(o.ttl)) + "ms; halting the node");
    std::string out;
    const int rc = run(o.halt, &out);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    say("halt exited " + std::to_string(rc) + (out.empty() ? "" : ": " + out.substr(0, 200)));
  }
}

int lease_renew(const LeaseOptions& o) {
  // Is a keeper there to hold it? Its lock says so: taking it means nobody
  // holds it (let go at once, when `probe` closes).
  {
    Fd probe(::open((o.file + ".keeper").c_str(), O_RDWR | O_CLOEXEC));
    if (probe.get() < 0 || ::flock(probe.get(), LOCK_EX | LOCK_NB) == 0) {
      say_error("no lease keeper runs for " + o.file + ": nobody would halt the node");
      return 3;
    }
  }
  bool exists = false;
  std::uint64_t n = 0;
  std::istringstream(read_all(o.file, exists)) >> n;
  const std::string tmp = o.file + ".renew";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << n + 1 << "\n";
    out.flush();
    if (!out) {
      say_error("cannot write " + tmp + ": " + std::strerror(errno));
      return 2;
    }
  }
  if (::rename(tmp.c_str(), o.file.c_str()) != 0) {
    say_error("cannot rename " + tmp + " to " + o.file + ": " + std::strerror(errno));
    return 2;
  }
  say("renewed " + std::to_string(n + 1));
  return 0;
}

}  // namespace clusterd::repl
