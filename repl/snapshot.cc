#include "repl/snapshot.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "repl/log_file.h"
#include "repl/proc.h"
#include "repl/ship_util.h"
#include "repl/tracker.h"

namespace clusterd::repl {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// --- the site's files -------------------------------------------------------------

std::string state_key(const std::string& snapdir) { return snapdir + "/site"; }

std::string read_word(const std::string& path) {
  std::ifstream f(path);
  std::string w;
  f >> w;
  return w;
}

bool write_word(const std::string& path, const std::string& w) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    f << w << "\n";
    if (!f.flush()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

/// Snapshots in a folder, oldest first (snap-e<E>-<N>: by epoch, then N).
std::vector<std::string> snapshots(const std::string& dir) {
  std::vector<std::pair<std::pair<unsigned long, unsigned long>, std::string>> v;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    unsigned long ep = 0, k = 0;
    if (n.ends_with(".tmp")) continue;
    if (n.ends_with(".img")) n.resize(n.size() - 4);  // rsync: the snapshot is the file
    if (std::sscanf(n.c_str(), "snap-e%lu-%lu", &ep, &k) == 2) v.push_back({{ep, k}, n});
  }
  std::sort(v.begin(), v.end());
  std::vector<std::string> out;
  for (auto& [key, n] : v) out.push_back(n);
  return out;
}

bool is_rsync(const SnapshotOptions& o) { return o.method == "rsync"; }
bool is_zfs(const SnapshotOptions& o) { return o.method == "zfs"; }

// --- zfs (zfs-fuse 0.7 or OpenZFS: only commands both have) -------------------------

bool zfs_exists(const std::string& name) {
  return run({"zfs", "list", "-H", "-o", "name", name}) == 0;
}
/// DATASET's snapshots of ours (snap-e<E>-<N>, the part after '@'), oldest first.
std::vector<std::string> zfs_snapshots(const std::string& dataset) {
  std::string out;
  std::vector<std::string> names;
  if (run({"zfs", "list", "-H", "-t", "snapshot", "-o", "name", "-s", "creation", "-r", dataset},
          &out) != 0)
    return names;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) {
    if (l.rfind(dataset + "@", 0) != 0) continue;
    std::string n = l.substr(dataset.size() + 1);
    unsigned long e = 0, k = 0;
    char tail = 0;
    // Only ours: an operator's or another tool's snapshots are never touched.
    if (std::sscanf(n.c_str(), "snap-e%lu-%lu%c", &e, &k, &tail) == 2) names.push_back(n);
  }
  return names;
}
std::string zfs_mountpoint(const std::string& dataset) {
  std::string out;
  if (run({"zfs", "get", "-Hp", "-o", "value", "mountpoint", dataset}, &out) != 0) return "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}
/// A zfs command, again while it says the dataset is busy (zfs-fuse lets go
/// of a dataset a moment after an unmount or a receive), for up to 10 s.
int zfs_busy_retry(const std::vector<std::string>& argv, std::string* out = nullptr) {
  const auto until = Clock::now() + std::chrono::seconds(10);
  for (;;) {
    std::string o;
    const int rc = run(argv, &o);
    if (rc == 0 || o.find("busy") == std::string::npos || Clock::now() >= until) {
      if (out) *out = o;
      return rc;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}
/// Renames a dataset, unmounted on the way (zfs-fuse refuses to rename a
/// mounted one); mounted again under its new name.
int zfs_rename(const std::string& from, const std::string& to, std::string* out) {
  (void)zfs_busy_retry({"zfs", "umount", from});
  const int rc = zfs_busy_retry({"zfs", "rename", from, to}, out);
  (void)zfs_busy_retry({"zfs", "mount", rc == 0 ? to : from});
  return rc;
}
/// `zfs send ARGS | zfs recv RECV...` on this host; the status of the receive.
int zfs_pipe(const std::vector<std::string>& send, const std::vector<std::string>& recv,
             std::string* out) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return 2;
  pid_t s = spawn(send, -1, pipefd[1], nullptr);
  int rd = -1;
  pid_t r = spawn(recv, pipefd[0], -1, &rd);
  ::close(pipefd[0]);
  ::close(pipefd[1]);
  char b[4096];
  for (ssize_t n; (n = ::read(rd, b, sizeof b)) > 0;)
    if (out) out->append(b, static_cast<std::size_t>(n));
  ::close(rd);
  const int send_st = s > 0 ? wait_status(s) : 127;
  const int recv_st = r > 0 ? wait_status(r) : 127;
  return recv_st != 0 ? recv_st : send_st;
}

/// The image inside snapshot `name` of folder `dir`.
std::string snap_image(const SnapshotOptions& o, const std::string& dir, const std::string& name) {
  return is_rsync(o) ? dir + "/" + name + ".img" : dir + "/" + name + "/" + o.image;
}

/// A snapshot of ours (the source's; for zfs, of --dataset).
void drop_snapshot(const SnapshotOptions& o, const std::string& dir, const std::string& name) {
  if (is_zfs(o)) {
    (void)zfs_busy_retry({"zfs", "destroy", o.dataset + "@" + name});
  } else if (is_rsync(o)) {
    ::unlink((dir + "/" + name + ".img").c_str());
  } else {
    (void)run({"btrfs", "subvolume", "delete", dir + "/" + name});
  }
}

/// rsync mode's snapshot: the image's header and complete lines, copied to
/// `to` through a temporary file (a consistent prefix: records are appended
/// a line at a time).
bool copy_complete(const std::string& from, const std::string& to, std::string* why) {
  auto size = log_size(from);
  if (!size) return *why = size.error().message, false;
  std::uint64_t start = *size > 65536 ? *size - 65536 : 0;
  auto tail = read_lines(from, start, static_cast<std::size_t>(*size - start));
  if (!tail) return *why = tail.error().message, false;
  std::uint64_t keep = kLogStart + start + tail->size();
  std::ifstream in(from, std::ios::binary);
  std::string data(static_cast<std::size_t>(keep), '\0');
  if (!in.read(data.data(), static_cast<std::streamsize>(keep)))
    return *why = "cannot read " + from, false;
  std::string tmp = to + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out.write(data.data(), static_cast<std::streamsize>(data.size())) || !out.flush())
      return *why = "cannot write " + tmp, false;
  }
  if (std::rename(tmp.c_str(), to.c_str()) != 0) return *why = "cannot rename " + tmp, false;
  return true;
}

/// A received snapshot is complete when btrfs gave it a Received UUID.
bool received_complete(const std::string& path) {
  std::string out;
  if (run({"btrfs", "subvolume", "show", path}, &out) != 0) return false;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) {
    auto at = l.find("Received UUID:");
    if (at == std::string::npos) continue;
    std::string v = l.substr(at + 14);
    v.erase(0, v.find_first_not_of(" \t"));
    return !v.empty() && v != "-";
  }
  return false;
}

/// The complete-line prefix of the image inside a snapshot.
Result<Point> image_point(const std::string& image_path) {
  auto size = log_size(image_path);
  if (!size) return size.error();
  std::uint64_t from = *size > 65536 ? *size - 65536 : 0;
  auto tail = read_lines(image_path, from, static_cast<std::size_t>(*size - from));
  if (!tail) return tail.error();
  return scan_prefix(image_path, from + tail->size());
}

int lock_dir(const std::string& dir, Duration wait) {
  int fd = ::open((dir + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  auto until = Clock::now() + wait;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (Clock::now() >= until) return ::close(fd), -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fd;
}

std::string utc_stamp() {
  char b[32];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  std::strftime(b, sizeof b, "%Y%m%dT%H%M%SZ", &tm);
  return b;
}

}  // namespace

// --- the source --------------------------------------------------------------------

int snapshot_loop(const SnapshotOptions& o) {
  const std::string live = o.volume + "/" + o.image;
  auto st = load_state(state_key(o.snapdir));
  if (!st) return std::fprintf(stderr, "clusterd-ship: %s\n", st.error().message.c_str()), 2;
  const std::uint64_t epoch = st->point.epoch;
  Point head;
  head.epoch = epoch;
  head.hash = kHashSeed;
  // The live head, read on from where it was (from the start again if the
  // image shrank: it was replaced).
  auto last_said = Clock::now() - std::chrono::hours(1);
  auto report_head = [&]() {
    auto size = log_size(live);
    if (!size) return;  // no head from a disk it cannot read: the source looks gone, as it is
    if (*size < head.bytes) head = Point{0, 0, 0, kHashSeed, epoch};
    bool moved = false;
    for (;;) {
      auto chunk = read_lines(live, head.bytes, 1 << 20);
      if (!chunk || chunk->empty()) break;
      head.hash = hash_extend(head.hash, *chunk);
      head.records += count_lines(*chunk);
      head.bytes += chunk->size();
      moved = true;
    }
    if (moved) head.time_ns = wall_now_ns();
    if (moved || Clock::now() - last_said >= std::chrono::seconds(1)) {
      say(format_point("head", head));
      last_said = Clock::now();
    }
  };
  if (auto size = log_size(live); !size) {  // never a head of 0 for an unreadable disk
    std::fprintf(stderr, "clusterd-ship: %s\n", size.error().message.c_str());
    return 2;
  }
  report_head();
  unsigned long n = 0;
  for (const auto& s : is_zfs(o) ? zfs_snapshots(o.dataset) : snapshots(o.snapdir)) {
    unsigned long ep = 0, k = 0;
    if (std::sscanf(s.c_str(), "snap-e%lu-%lu", &ep, &k) == 2 && ep == epoch) n = std::max(n, k);
  }
  auto next_cycle = Clock::now();
  for (;;) {
    while (Clock::now() < next_cycle) {
      std::this_thread::sleep_for(o.poll);
      report_head();
    }
    next_cycle = Clock::now() + o.interval;
    // 1. A read-only snapshot of the volume: a consistent image.
    std::string name = "snap-e" + std::to_string(epoch) + "-" + std::to_string(++n);
    std::string path = o.snapdir + "/" + name, out;
    std::optional<Point> zp;
    if (is_zfs(o)) {
      // zfs-fuse has no .zfs directory to read a snapshot back: the snapshot's
      // point is the live log's, read before and after it. The log only grows,
      // so when both reads agree the snapshot holds exactly those lines. In
      // between, the image is synced: through FUSE, what the node wrote may
      // still be in the kernel's cache, read back but not in the snapshot.
      for (int tries = 0; tries < 10 && !zp; ++tries) {
        auto before = image_point(live);
        if (!before) break;
        if (int fd = ::open(live.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
          (void)::fsync(fd);
          ::close(fd);
        }
        if (zfs_busy_retry({"zfs", "snapshot", o.dataset + "@" + name}, &out) != 0) break;
        auto after = image_point(live);
        if (after && after->bytes == before->bytes && after->hash == before->hash)
          zp = *before;
        else
          drop_snapshot(o, o.snapdir, name);
      }
      if (!zp) {
        say_error(
            "zfs snapshot " + o.dataset + "@" + name + ": " +
            (out.empty() ? std::string("the log moved during each of 10 tries") : first_line(out)));
        continue;
      }
    } else if (is_rsync(o)) {
      if (!copy_complete(live, snap_image(o, o.snapdir, name), &out)) {
        say_error("snapshot of " + live + ": " + out);
        continue;
      }
    } else if (run({"btrfs", "subvolume", "snapshot", "-r", o.volume, path}, &out) != 0) {
      say_error("btrfs subvolume snapshot " + o.volume + ": " + first_line(out));
      continue;
    }
    auto p = zp ? Result<Point>(*zp) : image_point(snap_image(o, o.snapdir, name));
    if (!p) {
      say_error(p.error().message);
      drop_snapshot(o, o.snapdir, name);
      continue;
    }
    p->epoch = epoch;
    p->time_ns = wall_now_ns();
    // 2. Send it, from the newest one the other site verified. A snapshot whose
    // fate is unknown (the session died before its answer: the other site may
    // have verified it, and then keeps only it and the one before) is tried
    // first; a clear refusal drops it.
    std::string parent = read_word(o.snapdir + "/peer-has");
    const std::string maybe = is_rsync(o) ? "" : read_word(o.snapdir + "/maybe-has");
    const bool have_maybe = !maybe.empty() && (is_zfs(o) ? zfs_exists(o.dataset + "@" + maybe)
                                                         : fs::exists(o.snapdir + "/" + maybe));
    if (have_maybe) parent = maybe;
    std::vector<std::string> send = {"btrfs", "send", "-q"};
    if (is_zfs(o)) {
      send = {"zfs", "send"};
      if (!parent.empty() && zfs_exists(o.dataset + "@" + parent))
        send.insert(send.end(), {"-i", o.dataset + "@" + parent});
      send.push_back(o.dataset + "@" + name);
    } else {
      if (!parent.empty() && fs::exists(o.snapdir + "/" + parent)) {
        send.push_back("-p");
        send.push_back(o.snapdir + "/" + parent);
      }
      send.push_back(path);
    }
    char expect[160];
    // One word (commas): ssh hands the remote command to a shell.
    std::snprintf(expect, sizeof expect, "%llu,%llu,%016llx,%lld,%llu",
                  static_cast<unsigned long long>(p->records),
                  static_cast<unsigned long long>(p->bytes),
                  static_cast<unsigned long long>(p->hash), static_cast<long long>(p->time_ns),
                  static_cast<unsigned long long>(epoch));
    std::vector<std::string> recv = o.remote;
    recv.insert(recv.end(), {o.peer_ship, "snap-receive", "--method", o.method, "--snapdir"});
    recv.push_back(o.peer_snapdir);
    recv.insert(recv.end(), {"--image", o.image, "--name", name, "--expect", expect});
    if (is_zfs(o)) recv.insert(recv.end(), {"--dataset", o.peer_dataset});
    int rd = -1;
    pid_t sender = -1, receiver = -1;
    if (is_rsync(o)) {
      // rsync to the other site's staging copy (its basis: only the changed
      // blocks travel), then snap-receive verifies it there.
      std::vector<std::string> prep = recv;
      prep.push_back("--prepare");
      prep.push_back("yes");
      std::string rsh;
      for (std::size_t k = 0; k + 1 < o.remote.size(); ++k) rsh += (k ? " " : "") + o.remote[k];
      std::string rout;
      if (run(prep, &rout) != 0 ||
          run({"rsync", "--inplace", "--no-whole-file", "-e", rsh, snap_image(o, o.snapdir, name),
               o.remote.back() + ":" + o.peer_snapdir + "/staging.img"},
              &rout) != 0) {
        say_error("rsync of " + name + " failed: " + first_line(rout) +
                  " (the staging copy is the next basis; nothing partial is counted)");
        drop_snapshot(o, o.snapdir, name);
        continue;
      }
      receiver = spawn(recv, -1, -1, &rd);
    } else {
      int pipefd[2];
      if (::pipe2(pipefd, O_CLOEXEC) != 0) return 2;
      sender = spawn(send, -1, pipefd[1], nullptr);
      receiver = spawn(recv, pipefd[0], -1, &rd);
      ::close(pipefd[0]);
      ::close(pipefd[1]);
    }
    bool verified = false;
    std::string line, buf(4096, '\0');
    for (;;) {
      pollfd pf{rd, POLLIN, 0};
      int r = ::poll(&pf, 1, to_ms(o.poll));
      if (r == 0) {  // the live head goes on while a long transfer runs
        report_head();
        continue;
      }
      ssize_t got = ::read(rd, buf.data(), buf.size());
      if (got <= 0) break;
      for (ssize_t i = 0; i < got; ++i) {
        if (buf[static_cast<std::size_t>(i)] != '\n') {
          if (line.size() < 4096) line += buf[static_cast<std::size_t>(i)];
          continue;
        }
        if (line.rfind("replica ", 0) == 0) verified = true;
        if (line.rfind("replica ", 0) == 0 || line.rfind("error ", 0) == 0 ||
            line.rfind("note ", 0) == 0)
          say(line);
        else if (!line.empty())
          say("note " + name + ": " + line);
        line.clear();
      }
    }
    ::close(rd);
    int send_st = sender > 0 ? wait_status(sender) : 0, recv_st = wait_status(receiver);
    if (verified && recv_st == 0 && send_st == 0) {
      // 3. The other site has it: the parent of the next send. Older ones go.
      write_word(o.snapdir + "/peer-has", name);
      write_word(o.snapdir + "/peer-has.records", std::to_string(p->records));
      ::unlink((o.snapdir + "/maybe-has").c_str());
      for (const auto& old : is_zfs(o) ? zfs_snapshots(o.dataset) : snapshots(o.snapdir)) {
        if (old == name) break;
        drop_snapshot(o, o.snapdir, old);
      }
    } else if (recv_st != 1 && !is_rsync(o)) {
      // No answer (the session died): the other site may have it. Kept, and
      // the parent of the next try; an older one of unknown fate goes.
      if (have_maybe && maybe != read_word(o.snapdir + "/peer-has"))
        drop_snapshot(o, o.snapdir, maybe);
      write_word(o.snapdir + "/maybe-has", name);
      say_error("snapshot " + name + ": no answer from the other site (send " +
                std::to_string(send_st) + ", snap-receive " + std::to_string(recv_st) +
                "); kept, the next one goes from it if the other site has it");
    } else {
      say_error("snapshot " + name + " not verified at the other site (send " +
                std::to_string(send_st) + ", snap-receive " + std::to_string(recv_st) +
                "); it is dropped and the next one goes from " +
                (parent.empty() ? std::string("scratch") : parent));
      drop_snapshot(o, o.snapdir, name);
      if (have_maybe && parent == maybe) {  // refused from it: it was not there
        if (maybe != read_word(o.snapdir + "/peer-has")) drop_snapshot(o, o.snapdir, maybe);
        ::unlink((o.snapdir + "/maybe-has").c_str());
      }
    }
  }
}

// --- the other site ---------------------------------------------------------------

namespace {
// Partial receives (no Received UUID) are removed before anything else.
void remove_partial(const std::string& snapdir, const std::string& keep_verified) {
  for (const auto& s : snapshots(snapdir)) {
    std::string path = snapdir + "/" + s;
    if (s == keep_verified) continue;
    // Our own snapshots (taken here as a source) have no Received UUID
    // either, and are read-only with a "snap-e<our epoch>" name: a partial
    // receive is writable. btrfs property get ro tells them apart.
    std::string ro;
    (void)run({"btrfs", "property", "get", "-ts", path, "ro"}, &ro);
    if (ro.find("ro=true") != std::string::npos || received_complete(path)) continue;
    (void)run({"btrfs", "subvolume", "delete", path});
    say("note removed a partial receive: " + s);
  }
}
}  // namespace

namespace {

// zfs: the stream goes into DATASET-repl (a dataset of its own beside the
// site's live one, read-only). zfs receive keeps nothing of a stream that
// does not complete; a received snapshot counts only once the image in it has
// the source's hash. Before the first receive of a failback (the replica
// dataset gone with the last promotion), the replica is seeded here from
// this site's own snapshot at the common point, whose guid the increment
// names: the WAN carries only what changed.
int zfs_receive(const SnapshotOptions& o, LogState& st, const Point& want) {
  const std::string target = o.dataset + "-repl";
  std::string out;
  if (!zfs_exists(target)) {
    std::string ph = read_word(o.snapdir + "/peer-has");
    if (!ph.empty() && zfs_exists(o.dataset + "@" + ph)) {
      if (zfs_pipe({"zfs", "send", o.dataset + "@" + ph}, {"zfs", "receive", target}, &out) != 0) {
        say_error("cannot seed " + target + " from " + o.dataset + "@" + ph + ": " +
                  first_line(out));
        return 2;
      }
      say("note seeded " + target + " from this site's " + ph + " (the common point)");
    }
  }
  const std::string before = read_word(o.snapdir + "/verified");
  int rd = -1;
  pid_t pid = spawn({"zfs", "receive", "-F", target}, 0, -1, &rd);
  if (pid < 0) return say_error("cannot run zfs receive: " + std::string(std::strerror(errno))), 2;
  char b[4096];
  for (ssize_t n; (n = ::read(rd, b, sizeof b)) > 0;) out.append(b, static_cast<std::size_t>(n));
  ::close(rd);
  const int rc = wait_status(pid);
  if (rc != 0 || !zfs_exists(target + "@" + o.name)) {
    say_error("receive of " + o.name + " failed (zfs receive " + std::to_string(rc) +
              (out.empty() ? "" : ": " + first_line(out)) + "); nothing of it is kept");
    return 1;
  }
  (void)run({"zfs", "set", "readonly=on", target});
  const std::string mp = zfs_mountpoint(target);
  auto p = scan_prefix(mp + "/" + o.image, want.bytes);
  if (mp.empty() || !p || p->bytes != want.bytes || p->hash != want.hash ||
      p->records != want.records) {
    if (!before.empty() && zfs_exists(target + "@" + before))
      (void)zfs_busy_retry({"zfs", "rollback", "-r", target + "@" + before});
    else
      (void)zfs_busy_retry({"zfs", "destroy", target + "@" + o.name});
    say_error("snapshot " + o.name + " received but its image is not the source's: " +
              (p ? std::to_string(p->records) + " records, " + std::to_string(p->bytes) + " bytes"
                 : p.error().message) +
              " here, " + std::to_string(want.records) + " records, " + std::to_string(want.bytes) +
              " bytes there; removed");
    return 1;
  }
  st.point.records = want.records;
  st.point.bytes = want.bytes;
  st.point.hash = want.hash;
  st.point.time_ns = want.time_ns;
  st.point.epoch = std::max(st.point.epoch, want.epoch);
  if (!save_state(state_key(o.snapdir), st) || !write_word(o.snapdir + "/verified", o.name)) {
    say_error("cannot record the verified point in " + o.snapdir);
    return 2;
  }
  // The next increment starts from o.name; the one before stays until then,
  // in case this answer never reaches the source.
  for (const auto& s : zfs_snapshots(target))
    if (s != o.name && s != before) (void)zfs_busy_retry({"zfs", "destroy", target + "@" + s});
  say(format_point("replica", st.point) + " name=" + o.name);
  return 0;
}

// zfs: DATASET-repl, rolled back to the verified snapshot and checked,
// becomes DATASET (writable); the old DATASET is renamed aside as
// DATASET-branch-e<EPOCH>-<UTC time>, never destroyed.
int zfs_promote(const SnapshotOptions& o, LogState& st, const std::string& name) {
  const std::string target = o.dataset + "-repl";
  std::string out;
  if (!zfs_exists(target + "@" + name) ||
      zfs_busy_retry({"zfs", "rollback", "-r", target + "@" + name}, &out) != 0) {
    std::fprintf(stderr, "clusterd-ship: %s@%s is not there to promote%s%s\n", target.c_str(),
                 name.c_str(), out.empty() ? "" : ": ", first_line(out).c_str());
    return 1;
  }
  auto p = scan_prefix(zfs_mountpoint(target) + "/" + o.image, st.point.bytes);
  if (!p || p->hash != st.point.hash || p->bytes != st.point.bytes) {
    std::fprintf(stderr, "clusterd-ship: %s is not the verified point it should be; refusing\n",
                 target.c_str());
    return 1;
  }
  if (zfs_exists(o.dataset)) {
    std::uint64_t records = 0, common = 0;
    if (auto own = image_point(o.volume + "/" + o.image); own) records = own->records;
    common = std::strtoull(read_word(o.snapdir + "/peer-has.records").c_str(), nullptr, 10);
    const std::string branch =
        o.dataset + "-branch-e" + std::to_string(st.point.epoch) + "-" + utc_stamp();
    if (zfs_rename(o.dataset, branch, &out) != 0) {
      std::fprintf(stderr, "clusterd-ship: cannot move %s aside: %s\n", o.dataset.c_str(),
                   first_line(out).c_str());
      return 2;
    }
    if (records > common)
      say("branch file=" + zfs_mountpoint(branch) + "/" + o.image +
          " records=" + std::to_string(records - common));
  }
  if (zfs_rename(target, o.dataset, &out) != 0 ||
      zfs_busy_retry({"zfs", "set", "readonly=off", o.dataset}, &out) != 0) {
    std::fprintf(stderr, "clusterd-ship: cannot make %s the volume: %s\n", target.c_str(),
                 first_line(out).c_str());
    return 2;
  }
  return 0;
}

}  // namespace

int snap_receive(const SnapshotOptions& o) {
  std::string spaced = o.expect;
  std::replace(spaced.begin(), spaced.end(), ',', ' ');
  std::istringstream ex(spaced);
  unsigned long long records = 0, bytes = 0, epoch = 0;
  long long time_ns = 0;
  std::string hash_hex;
  if (!(ex >> records >> bytes >> hash_hex >> time_ns >> epoch)) {
    say_error("snap-receive: --expect wants RECORDS,BYTES,HASH,TIME_NS,EPOCH");
    return 64;
  }
  std::uint64_t hash = std::strtoull(hash_hex.c_str(), nullptr, 16);
  std::error_code ec;
  fs::create_directories(o.snapdir, ec);
  int lock = lock_dir(o.snapdir, std::chrono::seconds(30));
  if (lock < 0) return say_error("snap-receive: " + o.snapdir + "/.lock is held"), 2;
  auto st = load_state(state_key(o.snapdir));
  if (!st) return say_error(st.error().message), 2;
  if (epoch < st->point.epoch) {
    say_error("refused snapshot " + o.name + " of epoch " + std::to_string(epoch) +
              ": this site is at epoch " + std::to_string(st->point.epoch) +
              " (the source was superseded by a promotion)");
    return 1;
  }
  if (is_zfs(o)) return zfs_receive(o, *st, Point{records, bytes, time_ns, hash, epoch});
  std::string out;
  int rc = 0;
  std::string path = o.snapdir + "/" + o.name;
  if (is_rsync(o)) {
    // The staging copy rsync wrote is checked as it is; only a verified one
    // becomes the snapshot (a cut rsync leaves a staging copy that fails).
    std::string staging = o.snapdir + "/staging.img";
    if (!o.prepare.empty()) {
      // Before rsync: a staging copy to send the changes against (the newest
      // verified snapshot, or ours the other site verified: the common point).
      if (!fs::exists(staging)) {
        std::string base = read_word(o.snapdir + "/verified");
        if (base.empty()) base = read_word(o.snapdir + "/peer-has");
        std::error_code copy_ec;
        if (!base.empty()) fs::copy_file(snap_image(o, o.snapdir, base), staging, copy_ec);
      }
      return 0;
    }
    auto p = scan_prefix(staging, bytes);
    if (!p || p->bytes != bytes || p->hash != hash || p->records != records) {
      say_error("snapshot " + o.name + ": the staging copy is not the source's (hash or length)");
      return 1;
    }
    std::string why;
    if (!copy_complete(staging, snap_image(o, o.snapdir, o.name), &why)) {
      say_error(why);
      return 2;
    }
  }
  if (!is_rsync(o)) remove_partial(o.snapdir, read_word(o.snapdir + "/verified"));
  if (!is_rsync(o)) {
    // btrfs receive reads the stream from our stdin.
    int rd = -1;
    pid_t pid = spawn({"btrfs", "receive", "-q", o.snapdir}, 0, -1, &rd);
    char b[4096];
    for (ssize_t n; (n = ::read(rd, b, sizeof b)) > 0;) out.append(b, static_cast<std::size_t>(n));
    ::close(rd);
    rc = wait_status(pid);
  }
  if (!is_rsync(o) && (rc != 0 || !received_complete(path))) {
    if (fs::exists(path)) (void)run({"btrfs", "subvolume", "delete", path});
    say_error("partial receive of " + o.name + " removed (btrfs receive " + std::to_string(rc) +
              (out.empty() ? "" : ": " + first_line(out)) + ")");
    return 1;
  }
  auto p = scan_prefix(snap_image(o, o.snapdir, o.name), bytes);
  if (!p || p->bytes != bytes || p->hash != hash || p->records != records) {
    drop_snapshot(o, o.snapdir, o.name);
    say_error("snapshot " + o.name +
              " received but its image is not the source's (hash or length)"
              "; removed");
    return 1;
  }
  // Verified: the new point, and the older received snapshots go.
  std::string before = read_word(o.snapdir + "/verified");
  st->point.records = records;
  st->point.bytes = bytes;
  st->point.hash = hash;
  st->point.time_ns = time_ns;
  st->point.epoch = std::max<std::uint64_t>(st->point.epoch, epoch);
  if (!save_state(state_key(o.snapdir), *st) || !write_word(o.snapdir + "/verified", o.name)) {
    say_error("cannot record the verified point in " + o.snapdir);
    return 2;
  }
  // The one before stays until the next is verified: if this answer never
  // reaches the source, its next send still has its parent here.
  const std::string prev = read_word(o.snapdir + "/verified.prev");
  if (!prev.empty() && prev != o.name && prev != before) drop_snapshot(o, o.snapdir, prev);
  if (before != o.name) write_word(o.snapdir + "/verified.prev", before);
  say(format_point("replica", st->point) + " name=" + o.name);
  return 0;
}

int snap_watch(const SnapshotOptions& o) {
  std::string last;
  auto said = Clock::now() - std::chrono::hours(1);
  for (;;) {
    auto st = load_state(state_key(o.snapdir));
    if (st) {
      std::string line =
          format_point("replica", st->point) + " name=" + read_word(o.snapdir + "/verified");
      if (line != last || Clock::now() - said >= std::chrono::seconds(5)) {
        say(line);
        last = line;
        said = Clock::now();
      }
    } else {
      say_error(st.error().message);
    }
    std::this_thread::sleep_for(o.poll);
  }
}

int snap_promote(const SnapshotOptions& o) {
  int lock = lock_dir(o.snapdir, std::chrono::seconds(30));
  if (lock < 0) {
    std::fprintf(stderr, "clusterd-ship: %s/.lock still held: a receive is under way\n",
                 o.snapdir.c_str());
    return 2;
  }
  auto st = load_state(state_key(o.snapdir));
  std::string name = read_word(o.snapdir + "/verified");
  // A receive cut by a dead session (its snap-receive killed with it) left a
  // partial subvolume: it goes before the promotion, never into it.
  if (!is_rsync(o) && !is_zfs(o)) remove_partial(o.snapdir, name);
  if (!st || name.empty()) {
    std::fprintf(stderr, "clusterd-ship: %s holds no verified snapshot; refusing to promote\n",
                 o.snapdir.c_str());
    return 1;
  }
  if (is_zfs(o)) {
    if (int rc = zfs_promote(o, *st, name); rc != 0) return rc;
    st->point.epoch += 1;
    st->base = st->point;
    if (!save_state(state_key(o.snapdir), *st) || !write_word(o.snapdir + "/peer-has", name) ||
        !write_word(o.snapdir + "/peer-has.records", std::to_string(st->point.records)))
      return 2;
    say(format_point("promoted", st->point));
    return 0;
  }
  std::string snap = o.snapdir + "/" + name;
  auto p = scan_prefix(snap_image(o, o.snapdir, name), st->point.bytes);
  if ((!is_rsync(o) && !received_complete(snap)) || !p || p->hash != st->point.hash) {
    std::fprintf(stderr, "clusterd-ship: %s is not the verified point it should be; refusing\n",
                 snap.c_str());
    return 1;
  }
  // What the volume held is this site's own: kept, never destroyed. Its
  // records past the last snapshot the other site verified from us (none
  // if we never were the source) are the ones the cluster lost.
  // btrfs: the volume is the subvolume; rsync: the image file in it.
  const std::string target = is_rsync(o) ? o.volume + "/" + o.image : o.volume;
  if (fs::exists(target)) {
    std::uint64_t records = 0, common = 0;
    if (auto own = image_point(o.volume + "/" + o.image); own) records = own->records;
    if (std::string ph = read_word(o.snapdir + "/peer-has"); !ph.empty()) {
      if (auto c = image_point(snap_image(o, o.snapdir, ph)); c) common = c->records;
    }
    std::string branch = target + ".branch-e" + std::to_string(st->point.epoch) + "-" + utc_stamp();
    std::error_code ec;
    fs::rename(target, branch, ec);
    if (ec) {
      std::fprintf(stderr, "clusterd-ship: cannot move %s aside: %s\n", target.c_str(),
                   ec.message().c_str());
      return 2;
    }
    if (records > common)
      say("branch file=" + branch + " records=" + std::to_string(records - common));
  }
  std::string out;
  if (is_rsync(o)) {
    if (!copy_complete(snap_image(o, o.snapdir, name), target, &out)) {
      std::fprintf(stderr, "clusterd-ship: %s\n", out.c_str());
      return 2;
    }
  } else if (run({"btrfs", "subvolume", "snapshot", snap, o.volume}, &out) != 0) {
    std::fprintf(stderr, "clusterd-ship: btrfs subvolume snapshot %s %s: %s\n", snap.c_str(),
                 o.volume.c_str(), first_line(out).c_str());
    return 2;
  }
  st->point.epoch += 1;
  st->base = st->point;
  // This site is the source now; the other site has `name`: the parent of
  // the first send back (a failback ships only what changed since).
  if (!save_state(state_key(o.snapdir), *st) || !write_word(o.snapdir + "/peer-has", name))
    return 2;
  say(format_point("promoted", st->point));
  return 0;
}

}  // namespace clusterd::repl
