// crashtest-kill-switch.so: stops clusterd exactly after a given journal
// record is on disk, from outside the product. A crash scenario
// (kill9_at_step.sh) starts clusterd with
//   LD_PRELOAD=.../crashtest-kill-switch.so CRASHTEST_KILL_AFTER=KIND
// This library wraps fdatasync(2) and fsync(2): once the real call has
// succeeded on a file whose name ends in ".journal" and whose last record is
// of KIND (fence-confirmed, boot-sent, takeover, ...), it says so on stderr
// and raises SIGKILL before the call returns. The journal syncs each record
// before the step it stands for, so the process dies after the record and
// before the step, wherever the daemon's code has moved. Without
// CRASHTEST_KILL_AFTER it only passes the calls through, and so it does in a
// process that syncs no journal (the env(1) that starts clusterd, or
// clusterd's children, which inherit both variables).
//
// LD_PRELOAD is honoured for /usr/bin/clusterd (file capability cap_net_raw)
// because crashtest runs as root: the kernel asks for secure execution only
// when the capabilities raise an unprivileged user's.
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

using SyncFn = int (*)(int);

// CRASHTEST_KILL_AFTER; null: pass through. Read at each call, not once at
// load: the variable stays in the environment, because a launcher that
// loads this library too (the env(1) that starts clusterd) must pass it on.
const char* kill_after() {
  const char* kind = std::getenv("CRASHTEST_KILL_AFTER");
  return kind && *kind ? kind : nullptr;
}

SyncFn real(const char* name) { return reinterpret_cast<SyncFn>(::dlsym(RTLD_NEXT, name)); }

// The file behind `fd`, by its /proc link; empty if there is none.
std::string path_of(int fd) {
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  char buf[4096];
  ssize_t n = ::readlink(link, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// The kind of the last whole record (the second word of the last line) in
// the file behind `fd`. The journal is open write-only, so the file is
// opened again through /proc for reading.
std::string last_kind(int fd) {
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  int rfd = ::open(link, O_RDONLY | O_CLOEXEC);
  if (rfd < 0) return {};
  struct stat st {};
  std::string tail;
  if (::fstat(rfd, &st) == 0 && st.st_size > 0) {
    off_t len = std::min<off_t>(st.st_size, 8192);
    tail.resize(static_cast<std::size_t>(len));
    ssize_t n = ::pread(rfd, tail.data(), tail.size(), st.st_size - len);
    tail.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  }
  ::close(rfd);
  if (tail.empty() || tail.back() != '\n') return {};  // no whole last record
  tail.pop_back();
  std::string_view line = tail;
  if (auto nl = line.rfind('\n'); nl != std::string_view::npos) line.remove_prefix(nl + 1);
  auto sp = line.find(' ');
  if (sp == std::string_view::npos) return {};
  line.remove_prefix(sp + 1);
  return std::string(line.substr(0, line.find(' ')));
}

void say(const std::string& line) { (void)!::write(2, line.data(), line.size()); }

int synced(int fd, int rc) {
  const char* kind = kill_after();
  if (rc != 0 || !kind) return rc;
  std::string path = path_of(fd);
  if (!path.ends_with(".journal")) return rc;
  static bool announced = false;  // the first journal sync of the process
  if (!announced) {
    announced = true;
    say(std::string("crash test: SIGKILL armed for after the journal record '") + kind + "' (" +
        path + ")\n");
  }
  if (last_kind(fd) != kind) return rc;
  say(std::string("crash test: SIGKILL after journaling '") + kind + "' (" + path + ")\n");
  ::kill(::getpid(), SIGKILL);
  return rc;  // not reached
}

}  // namespace

extern "C" {

int fdatasync(int fd) {
  static SyncFn next = real("fdatasync");
  return synced(fd, next(fd));
}

int fsync(int fd) {
  static SyncFn next = real("fsync");
  return synced(fd, next(fd));
}

}  // extern "C"
