// clusterd-ship: the log-stream shipper of a BCP cluster (docs/bcp.md).
//   clusterd-ship serve   --image IMG --listen ADDR:PORT   (the active site)
//   clusterd-ship receive --image IMG --from ADDR:PORT     (the passive site)
//   clusterd-ship promote --image IMG                      (makes the passive site writable)
//   clusterd-ship status  --image IMG
// serve and receive print `head …` / `replica …` / `error …` lines on stdout
// for clusterd (repl/tracker.h parse_ship_line). Exit: 0 done, 1 refused
// (promote), 2 cannot start (a file, a socket, a lock), 3 the logs have no
// common point, 64 usage.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/duration.h"
#include "repl/lease_keeper.h"
#include "repl/log_file.h"
#include "repl/ship_util.h"
#include "repl/snapshot.h"
#include "repl/tracker.h"

namespace {

using namespace clusterd;
using namespace clusterd::repl;
using Clock = std::chrono::steady_clock;

constexpr const char* kUsage =
    R"(usage: clusterd-ship serve   --image IMG --listen ADDR:PORT [--poll DUR]
       clusterd-ship receive --image IMG --from ADDR:PORT [--retry DUR] [--silence DUR]
       clusterd-ship promote --image IMG [--wait DUR]
       clusterd-ship status  --image IMG
       clusterd-ship snapshot [--method btrfs|rsync] --volume DIR --image NAME
                              --snapdir DIR --peer-snapdir DIR [--interval DUR]
                              [--peer-ship PATH] -- REMOTE...
       clusterd-ship snap-receive --snapdir DIR --image NAME --name SNAP --expect R,B,H,T,E
       clusterd-ship snap-watch   --snapdir DIR --image NAME
       clusterd-ship snap-promote --snapdir DIR --image NAME --volume DIR
       (zfs: --method zfs --dataset POOL/FS on each, and --peer-dataset on snapshot)
       clusterd-ship lease-keeper --file FILE --ttl DUR [--grace DUR] [--poll DUR] -- HALT...
       clusterd-ship lease-renew  --file FILE [--not-after MS]

The log-stream shipper of a BCP cluster (docs/bcp.md): ships the append-only
record log of a site's disk image to the other site, with a running hash of
the prefix, and says on stdout what it knows, a line at a time:
  head records=N bytes=B time_ns=T hash=H epoch=E      (serve: the source's log)
  replica records=N bytes=B time_ns=T hash=H epoch=E wire=W
                                                       (receive: verified here; W bytes
                                                       read from the source this session)
  branch file=F records=N bytes=B                      (a tail kept, never destroyed)
  error TEXT

  serve     the active site: waits for one receiver at a time and streams
            what is appended, reporting the head every --poll (50ms) when
            it moves and every second when it does not
  receive   the passive site: connects, verifies each piece against the
            source's hash before it counts, reconnects every --retry (1s),
            drops a connection silent for --silence (5s)
  promote   makes the passive image writable for its node: drops an
            unverified tail, raises the epoch (the old site's data is then
            refused), records the common point for a failback
  status    prints the image's replication state

Snapshot mode (btrfs; docs/bcp.md "Snapshot mode"): the disk image NAME
lives in the btrfs subvolume --volume; every --interval (30s) `snapshot`
takes a read-only snapshot into --snapdir and sends it, from the newest one
the other site verified, through `btrfs send | REMOTE clusterd-ship
snap-receive`, where REMOTE (e.g. ssh -o BatchMode=yes HOST) runs a command
at the other site (clusterd-ship there: --peer-ship, default from PATH). snap-receive counts it only when btrfs receive completed
(a Received UUID) and the image has the source's hash; a partial receive is
deleted. snap-watch says the passive site's verified point; snap-promote
makes --volume a writable snapshot of it (the volume's old contents kept as
VOLUME.branch-e<EPOCH>-<UTC time>). --method rsync (on every command of a
cluster alike): the snapshot is a copy of the image's complete lines, sent
with rsync --inplace --no-whole-file (REMOTE's last word is the host, the
rest its -e) to a staging copy at the other site, which snap-receive checks
against the hash and only then keeps; snap-promote copies it into --volume.
--method zfs: --volume is where --dataset is mounted; snapshots are
DATASET@snap-e<E>-<N>, sent with zfs send [-i] | REMOTE snap-receive, which
receives into DATASET-repl at the other site (read-only; zfs keeps nothing of
an incomplete stream) and checks the image there against the hash;
snap-promote renames DATASET aside as DATASET-branch-e<E>-<time> and
DATASET-repl to DATASET. Mountpoints must be inherited (the default).

Site isolation by lease ([bcp] site_isolation = "lease"; docs/bcp.md): at each
site, lease-keeper runs HALT (again every --ttl) when FILE has not been renewed
for --ttl (T), checking every --poll (100ms); it outlives whoever started it.
A keeper that starts gives its node what is left of the lease FILE holds (T
after FILE was last written), or --grace (default T) when there is no FILE,
whichever is shorter; HALT is killed after T.
lease-renew, which clusterd runs every T/3 (ship_renew, usually over ssh),
renews FILE and says `renewed N`; it exits 3 when no keeper runs for FILE
(nobody would halt the node; FILE is written all the same, so that a keeper
that starts later gives its node only what is left of the lease), and 4,
renewing nothing, past --not-after (wall clock, ms since the epoch: clusterd
passes when it counts the renewal as ended). HALT must stop the node's writes at once (a halt
to its firmware, e.g. uadmin 2 0): clusterd counts the node stopped 1 s
after T and fences it by lease only after 2T.

Addresses are IPv4 ADDR:PORT. Exit: 0 done, 1 refused, 2 cannot start,
3 the two logs have no common point, 64 usage.
)";

struct Options {
  std::string cmd, image, listen, from;
  SnapshotOptions snap;
  Duration poll = std::chrono::milliseconds(50);
  Duration retry = std::chrono::seconds(1);
  Duration silence = std::chrono::seconds(5);
  Duration wait = std::chrono::seconds(10);
  LeaseOptions lease;
  bool grace_given = false, poll_given = false;
};

std::string kv(const std::string& text, const std::string& key) {
  auto at = (" " + text).find(" " + key + "=");
  if (at == std::string::npos) return "";
  auto start = at + key.size() + 1;
  auto end = text.find(' ', start);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::uint64_t kv_u64(const std::string& text, const std::string& key, int base = 10) {
  return std::strtoull(kv(text, key).c_str(), nullptr, base);
}

std::optional<sockaddr_in> parse_addr(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  if (::inet_pton(AF_INET, s.substr(0, colon).c_str(), &a.sin_addr) != 1) return std::nullopt;
  char* end = nullptr;
  long port = std::strtol(s.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port <= 0 || port > 65535) return std::nullopt;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  return a;
}

std::string point_frame_hash(std::uint64_t h) {
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(h));
  return b;
}

/// Holds IMAGE.repl.lock: one receiver or promotion per image at a time.
int lock_image(const std::string& image, Duration wait) {
  std::string path = image + ".repl.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  auto until = Clock::now() + wait;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (Clock::now() >= until) {
      ::close(fd);
      errno = EWOULDBLOCK;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fd;
}

/// The log's prefix up to its last newline, and the length of what follows.
Result<Point> complete_prefix(const std::string& image, std::uint64_t* partial) {
  auto size = log_size(image);
  if (!size) return size.error();
  std::uint64_t from = *size > 65536 ? *size - 65536 : 0;
  auto tail = read_lines(image, from, static_cast<std::size_t>(*size - from));
  if (!tail) return tail.error();
  std::uint64_t end = from + tail->size();
  if (partial) *partial = *size - end;
  return scan_prefix(image, end);
}

// ---------------------------------------------------------------- serve

struct Client {
  int fd = -1;
  std::string in, out;
  bool streaming = false;
  std::uint64_t sent_to = 0;
  std::uint64_t hash = kHashSeed;
  Clock::time_point last_tick{};
};

void drop(Client& c) {
  if (c.fd >= 0) ::close(c.fd);
  c = Client{};
}

/// The source answers a receiver's hello (docs/bcp.md "The shipper protocol").
void answer_hello(Client& c, const std::string& hello, const std::string& image, const Point& head,
                  std::int64_t time_ns) {
  auto st = load_state(image);
  if (!st) {
    c.out += "refuse " + st.error().message + "\n";
    return;
  }
  std::uint64_t epoch = st->point.epoch;
  std::uint64_t bytes = kv_u64(hello, "bytes"), hash = kv_u64(hello, "hash", 16);
  std::uint64_t their_epoch = kv_u64(hello, "epoch");
  if (their_epoch > epoch) {
    std::string why = "the receiver is at epoch " + std::to_string(their_epoch) +
                      ", this source at " + std::to_string(epoch) +
                      ": this site was superseded by a promotion";
    say_error("refused a receiver: " + why);
    c.out += "refuse " + why + "\n";
    return;
  }
  if (bytes <= head.bytes) {
    auto mine = scan_prefix(image, bytes);
    if (mine && mine->hash == hash) {
      c.out += "ok epoch=" + std::to_string(epoch) + " time_ns=" + std::to_string(time_ns) + "\n";
      c.streaming = true;
      c.sent_to = bytes;
      c.hash = hash;
      return;
    }
  }
  if (st->base.bytes > 0 || st->base.epoch > 0) {
    c.out += "diverged base_bytes=" + std::to_string(st->base.bytes) +
             " base_records=" + std::to_string(st->base.records) +
             " base_hash=" + point_frame_hash(st->base.hash) + " epoch=" + std::to_string(epoch) +
             "\n";
    return;
  }
  std::string why = "the receiver's log (" + std::to_string(bytes) +
                    " bytes) is not a prefix of this one and this site was never promoted";
  say_error("refused a receiver: " + why);
  c.out += "refuse " + why + "\n";
}

int serve(const Options& o) {
  auto addr = parse_addr(o.listen);
  if (!addr)
    return std::fprintf(stderr, "clusterd-ship: bad --listen '%s'\n", o.listen.c_str()), 64;
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&*addr), sizeof *addr) != 0 ||
      ::listen(lfd, 4) != 0) {
    std::fprintf(stderr, "clusterd-ship: cannot listen on %s: %s\n", o.listen.c_str(),
                 std::strerror(errno));
    return 2;
  }
  auto st = load_state(o.image);
  if (!st) return std::fprintf(stderr, "clusterd-ship: %s\n", st.error().message.c_str()), 2;
  Point head;
  head.hash = kHashSeed;
  head.epoch = st->point.epoch;
  auto advance = [&]() -> bool {
    bool moved = false;
    for (;;) {
      auto chunk = read_lines(o.image, head.bytes, 1 << 20);
      if (!chunk) {
        say_error(chunk.error().message);
        return moved;
      }
      if (chunk->empty()) return moved;
      head.hash = hash_extend(head.hash, *chunk);
      head.records += count_lines(*chunk);
      head.bytes += chunk->size();
      moved = true;
    }
  };
  // When each length of the log was first seen, so a frame carries the
  // source time of its newest record (bounded: the oldest is forgotten).
  std::deque<std::pair<std::uint64_t, std::int64_t>> seen;
  auto seen_at = [&](std::uint64_t end) {
    auto it = std::lower_bound(seen.begin(), seen.end(), std::make_pair(end, std::int64_t{0}));
    return it == seen.end() ? head.time_ns : it->second;
  };
  // A source that cannot read its log says so and stops: a head of 0 from
  // an unreadable disk would tell the gate that nothing is missing.
  if (auto size = log_size(o.image); !size) {
    std::fprintf(stderr, "clusterd-ship: %s\n", size.error().message.c_str());
    return 2;
  }
  advance();
  head.time_ns = wall_now_ns();
  seen.emplace_back(head.bytes, head.time_ns);
  say(format_point("head", head));
  Client c;
  auto last_report = Clock::now();
  for (;;) {
    std::vector<pollfd> fds{{lfd, POLLIN, 0}};
    if (c.fd >= 0)
      fds.push_back({c.fd, static_cast<short>(POLLIN | (c.out.empty() ? 0 : POLLOUT)), 0});
    ::poll(fds.data(), fds.size(), to_ms(o.poll));
    if (fds[0].revents & POLLIN) {
      int nfd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (nfd >= 0) {
        drop(c);  // one receiver at a time: the newest wins
        c.fd = nfd;
        ::setsockopt(nfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      }
    }
    if (c.fd >= 0 && fds.size() > 1 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      char buf[4096];
      ssize_t n = ::read(c.fd, buf, sizeof buf);
      if (n <= 0 && !(n < 0 && errno == EAGAIN)) {
        drop(c);
      } else if (n > 0 && !c.streaming) {
        c.in.append(buf, static_cast<std::size_t>(n));
        auto nl = c.in.find('\n');
        if (nl != std::string::npos && c.in.rfind("hello ", 0) == 0) {
          std::uint64_t at = kv_u64(c.in.substr(0, nl), "bytes");
          answer_hello(c, c.in.substr(0, nl), o.image, head, at <= head.bytes ? seen_at(at) : 0);
          c.in.clear();
        } else if (nl != std::string::npos || c.in.size() > 4096) {
          drop(c);  // not our protocol
        }
      }
    }
    if (advance()) {
      head.time_ns = wall_now_ns();
      seen.emplace_back(head.bytes, head.time_ns);
      if (seen.size() > 100000) seen.pop_front();
      say(format_point("head", head));
      last_report = Clock::now();
    } else if (Clock::now() - last_report >= std::chrono::seconds(1) && log_size(o.image)) {
      // (not when the image cannot be read: a source that lost its disk looks gone)
      say(format_point("head", head));
      last_report = Clock::now();
    }
    if (c.fd >= 0 && c.streaming && c.out.size() < (256u << 10)) {
      if (c.sent_to < head.bytes) {
        auto data = read_lines(
            o.image, c.sent_to,
            static_cast<std::size_t>(std::min<std::uint64_t>(64u << 10, head.bytes - c.sent_to)));
        if (data && !data->empty()) {
          c.hash = hash_extend(c.hash, *data);
          c.sent_to += data->size();
          c.out += "data len=" + std::to_string(data->size()) +
                   " end=" + std::to_string(c.sent_to) + " hash=" + point_frame_hash(c.hash) +
                   " time_ns=" + std::to_string(seen_at(c.sent_to)) + "\n" + *data;
        }
      } else if (Clock::now() - c.last_tick >= std::chrono::seconds(1) && c.out.empty()) {
        c.out += "tick bytes=" + std::to_string(head.bytes) +
                 " time_ns=" + std::to_string(head.time_ns) + "\n";
        c.last_tick = Clock::now();
      }
    }
    if (c.fd >= 0 && !c.out.empty()) {
      ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n > 0)
        c.out.erase(0, static_cast<std::size_t>(n));
      else if (n < 0 && errno != EAGAIN)
        drop(c);
    }
  }
}

// ---------------------------------------------------------------- receive

class Conn {
 public:
  explicit Conn(int fd) : fd_(fd) {}
  ~Conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool send_all(const std::string& s) {
    return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  /// Waits up to `silence` for `n` more bytes (n = 0: a line).
  bool fill(std::size_t n, Duration silence) {
    for (;;) {
      if (n == 0 ? buf_.find('\n') != std::string::npos : buf_.size() >= n) return true;
      if (n == 0 && buf_.size() > 4096) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, to_ms(silence)) <= 0) return false;
      char b[65536];
      ssize_t r = ::read(fd_, b, sizeof b);
      if (r <= 0) return false;
      buf_.append(b, static_cast<std::size_t>(r));
      wire_ += static_cast<std::uint64_t>(r);
    }
  }
  /// Bytes read from the source in this session (frames and data).
  std::uint64_t wire() const { return wire_; }
  std::optional<std::string> line(Duration silence) {
    if (!fill(0, silence)) return std::nullopt;
    auto nl = buf_.find('\n');
    std::string l = buf_.substr(0, nl);
    buf_.erase(0, nl + 1);
    return l;
  }
  std::optional<std::string> bytes(std::size_t n, Duration silence) {
    if (!fill(n, silence)) return std::nullopt;
    std::string d = buf_.substr(0, n);
    buf_.erase(0, n);
    return d;
  }

 private:
  int fd_;
  std::string buf_;
  std::uint64_t wire_ = 0;
};

int connect_to(const sockaddr_in& a, Duration timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int err = 0;
  socklen_t len = sizeof err;
  if (::poll(&p, 1, to_ms(timeout)) <= 0 ||
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    ::close(fd);
    errno = err ? err : ETIMEDOUT;
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/// Keeps the part of the log past `from` as a branch file and says so.
bool keep_branch(const std::string& image, std::uint64_t from, std::uint64_t epoch) {
  std::uint64_t records = 0;
  auto size = log_size(image);
  auto path = save_branch(image, from, epoch, &records);
  if (!path) {
    say_error(path.error().message);
    return false;
  }
  say("branch file=" + *path + " records=" + std::to_string(records) +
      " bytes=" + std::to_string(size ? *size - from : 0));
  return true;
}

/// One session with the source. Returns 3 when the logs have no common
/// point (retrying cannot help), 0 to reconnect.
int receive_session(const Options& o, int fd, LogState& st) {
  Conn conn(fd);
  std::uint64_t partial = 0;
  auto own = complete_prefix(o.image, &partial);
  if (!own) return say_error(own.error().message), 0;
  if (!conn.send_all("hello bytes=" + std::to_string(own->bytes) +
                     " hash=" + point_frame_hash(own->hash) +
                     " epoch=" + std::to_string(st.point.epoch) + "\n"))
    return 0;
  auto answer = conn.line(o.silence);
  if (!answer) return say_error("no answer from the source " + o.from), 0;
  if (answer->rfind("refuse ", 0) == 0) {
    say_error("the source refused: " + answer->substr(7));
    std::this_thread::sleep_for(std::chrono::seconds(5));
    return 0;
  }
  if (answer->rfind("diverged ", 0) == 0) {
    Point base;
    base.bytes = kv_u64(*answer, "base_bytes");
    base.records = kv_u64(*answer, "base_records");
    base.hash = kv_u64(*answer, "base_hash", 16);
    base.epoch = kv_u64(*answer, "epoch");
    auto mine = scan_prefix(o.image, base.bytes);
    if (!mine || mine->bytes != base.bytes || mine->hash != base.hash) {
      say_error("no common point: this log's first " + std::to_string(base.bytes) +
                " bytes are not the source's base (a different cluster's disk?)");
      return 3;
    }
    if (!keep_branch(o.image, base.bytes, st.point.epoch)) return 0;
    if (auto t = truncate_log(o.image, base.bytes); !t) return say_error(t.error().message), 0;
    st.point = base;
    st.point.time_ns = 0;
    st.inflight = 0;
    if (auto s = save_state(o.image, st); !s) say_error(s.error().message);
    return 0;  // reconnect from the common point
  }
  if (answer->rfind("ok ", 0) != 0) return say_error("unexpected answer: " + *answer), 0;
  if (partial > 0) {  // an incomplete last line the site wrote itself
    if (!keep_branch(o.image, own->bytes, st.point.epoch)) return 0;
    if (auto t = truncate_log(o.image, own->bytes); !t) return say_error(t.error().message), 0;
  }
  std::int64_t t_ok = static_cast<std::int64_t>(kv_u64(*answer, "time_ns"));
  if (st.point.bytes != own->bytes || t_ok != 0) st.point.time_ns = t_ok;
  st.point.bytes = own->bytes;
  st.point.records = own->records;
  st.point.hash = own->hash;
  st.point.epoch = std::max<std::uint64_t>(st.point.epoch, kv_u64(*answer, "epoch"));
  if (auto s = save_state(o.image, st); !s) return say_error(s.error().message), 0;
  // wire=: what this session has read from the source so far (docs/bcp.md:
  // failback traffic against the bytes that changed).
  auto replica_line = [&] {
    return format_point("replica", st.point) + " wire=" + std::to_string(conn.wire());
  };
  say(replica_line());
  auto last_said = Clock::now();
  for (;;) {
    auto frame = conn.line(o.silence);
    if (!frame) return say_error("the source " + o.from + " went silent"), 0;
    if (frame->rfind("tick ", 0) == 0) {
      if (kv_u64(*frame, "bytes") == st.point.bytes) {
        st.point.time_ns = static_cast<std::int64_t>(kv_u64(*frame, "time_ns"));
        if (Clock::now() - last_said >= std::chrono::seconds(1)) {
          say(replica_line());
          last_said = Clock::now();
        }
      }
      continue;
    }
    if (frame->rfind("data ", 0) != 0) return say_error("unexpected frame: " + *frame), 0;
    std::uint64_t len = kv_u64(*frame, "len"), end = kv_u64(*frame, "end");
    if (len > (16u << 20) || end != st.point.bytes + len)
      return say_error("bad frame: " + *frame), 0;
    auto data = conn.bytes(static_cast<std::size_t>(len), o.silence);
    if (!data) return say_error("transfer cut mid-way at " + std::to_string(st.point.bytes)), 0;
    st.inflight = end;
    if (auto s = save_state(o.image, st); !s) return say_error(s.error().message), 0;
    if (auto w = write_log(o.image, st.point.bytes, *data); !w)
      return say_error(w.error().message), 0;
    std::uint64_t h = hash_extend(st.point.hash, *data);
    if (h != kv_u64(*frame, "hash", 16) || count_lines(*data) == 0 || data->back() != '\n') {
      say_error("hash mismatch at " + std::to_string(end) + ": the piece is dropped");
      (void)truncate_log(o.image, st.point.bytes);
      st.inflight = 0;
      (void)save_state(o.image, st);
      return 0;
    }
    st.point.bytes = end;
    st.point.records += count_lines(*data);
    st.point.hash = h;
    st.point.time_ns = static_cast<std::int64_t>(kv_u64(*frame, "time_ns"));
    st.inflight = 0;
    if (auto s = save_state(o.image, st); !s) return say_error(s.error().message), 0;
    say(replica_line());
    last_said = Clock::now();
  }
}

int receive(const Options& o) {
  auto addr = parse_addr(o.from);
  if (!addr) return std::fprintf(stderr, "clusterd-ship: bad --from '%s'\n", o.from.c_str()), 64;
  if (::access(o.image.c_str(), W_OK) != 0) {
    std::fprintf(stderr, "clusterd-ship: %s: %s (make the passive site's disk first)\n",
                 o.image.c_str(), std::strerror(errno));
    return 2;
  }
  int lock = lock_image(o.image, std::chrono::seconds(0));
  if (lock < 0) {
    std::fprintf(stderr, "clusterd-ship: %s.repl.lock is held: another receiver or a promotion\n",
                 o.image.c_str());
    return 2;
  }
  auto st = load_state(o.image);
  if (!st) return std::fprintf(stderr, "clusterd-ship: %s\n", st.error().message.c_str()), 2;
  // A tail no longer than the last in-flight piece is a partial transfer:
  // removed before anything else. A longer one is the site's own: kept.
  auto size = log_size(o.image);
  if (size && *size > st->point.bytes && *size <= st->inflight) {
    say("note removed a partial transfer of " + std::to_string(*size - st->point.bytes) + " bytes");
    (void)truncate_log(o.image, st->point.bytes);
  }
  st->inflight = 0;
  (void)save_state(o.image, *st);
  say(format_point("replica", st->point));
  std::string last_err;
  for (;;) {
    int fd = connect_to(*addr, o.retry + std::chrono::seconds(2));
    if (fd < 0) {
      std::string e =
          std::string("cannot reach the source ") + o.from + ": " + std::strerror(errno);
      if (e != last_err) say_error(e);
      last_err = e;
      std::this_thread::sleep_for(o.retry);
      continue;
    }
    last_err.clear();
    if (receive_session(o, fd, *st) == 3) return 3;
    std::this_thread::sleep_for(o.retry);
  }
}

// ---------------------------------------------------------------- promote, status

int promote(const Options& o) {
  int lock = lock_image(o.image, o.wait);
  if (lock < 0) {
    std::fprintf(stderr,
                 "clusterd-ship: %s.repl.lock still held after %s: stop the receiver first\n",
                 o.image.c_str(), format_duration(o.wait).c_str());
    return 2;
  }
  if (::access((o.image + ".repl").c_str(), F_OK) != 0) {
    std::fprintf(stderr,
                 "clusterd-ship: %s.repl is missing: this image never held a verified replica "
                 "point; refusing to promote\n",
                 o.image.c_str());
    return 1;
  }
  auto st = load_state(o.image);
  if (!st) return std::fprintf(stderr, "clusterd-ship: %s\n", st.error().message.c_str()), 2;
  auto mine = scan_prefix(o.image, st->point.bytes);
  if (!mine || mine->bytes != st->point.bytes || mine->hash != st->point.hash) {
    std::fprintf(stderr,
                 "clusterd-ship: %s: the image's first %llu bytes do not match the verified point; "
                 "refusing to promote\n",
                 o.image.c_str(), static_cast<unsigned long long>(st->point.bytes));
    return 1;
  }
  auto size = log_size(o.image);
  if (size && *size > st->point.bytes) {
    if (*size > st->inflight && !keep_branch(o.image, st->point.bytes, st->point.epoch)) return 2;
    if (auto t = truncate_log(o.image, st->point.bytes); !t)
      return std::fprintf(stderr, "clusterd-ship: %s\n", t.error().message.c_str()), 2;
  }
  st->point.epoch += 1;
  st->base = st->point;
  st->inflight = 0;
  if (auto s = save_state(o.image, *st); !s)
    return std::fprintf(stderr, "clusterd-ship: %s\n", s.error().message.c_str()), 2;
  say(format_point("promoted", st->point));
  return 0;
}

int status(const Options& o) {
  auto st = load_state(o.image);
  if (!st) return std::fprintf(stderr, "clusterd-ship: %s\n", st.error().message.c_str()), 2;
  auto size = log_size(o.image);
  if (!size) return std::fprintf(stderr, "clusterd-ship: %s\n", size.error().message.c_str()), 2;
  std::printf("%s", st->text().c_str());
  std::printf(
      "log_bytes=%llu unverified_tail=%llu\n", static_cast<unsigned long long>(*size),
      static_cast<unsigned long long>(*size > st->point.bytes ? *size - st->point.bytes : 0));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  die_with_parent();
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 64 : 0;
  }
  o.cmd = args[0];
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") return std::fputs(kUsage, stdout), 0;
    if (a == "--") {  // snapshot: the rest runs a command at the other site
      o.snap.remote.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (i + 1 >= args.size()) {
      std::fprintf(stderr, "clusterd-ship: %s needs a value (try --help)\n", a.c_str());
      return 64;
    }
    const std::string& v = args[++i];
    auto dur = [&](Duration& d) {
      auto r = parse_duration(v);
      if (!r || r->count() <= 0) {
        std::fprintf(stderr, "clusterd-ship: %s: bad duration '%s'\n", a.c_str(), v.c_str());
        return false;
      }
      d = *r;
      return true;
    };
    if (a == "--image")
      o.image = v;
    else if (a == "--listen")
      o.listen = v;
    else if (a == "--from")
      o.from = v;
    else if (a == "--poll") {
      if (!dur(o.poll)) return 64;
      o.poll_given = true;
    } else if (a == "--retry") {
      if (!dur(o.retry)) return 64;
    } else if (a == "--silence") {
      if (!dur(o.silence)) return 64;
    } else if (a == "--wait") {
      if (!dur(o.wait)) return 64;
    } else if (a == "--volume") {
      o.snap.volume = v;
    } else if (a == "--snapdir") {
      o.snap.snapdir = v;
    } else if (a == "--peer-snapdir") {
      o.snap.peer_snapdir = v;
    } else if (a == "--name") {
      o.snap.name = v;
    } else if (a == "--expect") {
      o.snap.expect = v;
    } else if (a == "--method") {
      if (v != "btrfs" && v != "rsync" && v != "zfs") {
        std::fprintf(stderr, "clusterd-ship: --method is btrfs, rsync or zfs, not '%s'\n",
                     v.c_str());
        return 64;
      }
      o.snap.method = v;
    } else if (a == "--prepare") {
      o.snap.prepare = v;
    } else if (a == "--dataset") {
      o.snap.dataset = v;
    } else if (a == "--peer-dataset") {
      o.snap.peer_dataset = v;
    } else if (a == "--peer-ship") {
      o.snap.peer_ship = v;
    } else if (a == "--interval") {
      if (!dur(o.snap.interval)) return 64;
    } else if (a == "--not-after") {
      char* end = nullptr;
      long long ms = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || ms <= 0) {
        std::fprintf(stderr, "clusterd-ship: --not-after wants ms since the epoch, not '%s'\n",
                     v.c_str());
        return 64;
      }
      o.lease.not_after_ms = ms;
    } else if (a == "--file") {
      o.lease.file = v;
    } else if (a == "--ttl") {
      if (!dur(o.lease.ttl)) return 64;
    } else if (a == "--grace") {
      if (!dur(o.lease.grace)) return 64;
      o.grace_given = true;

    } else {
      std::fprintf(stderr, "clusterd-ship: unknown option '%s' (try --help)\n", a.c_str());
      return 64;
    }
  }
  if (o.cmd == "lease-keeper" || o.cmd == "lease-renew") {
    if (o.lease.file.empty())
      return std::fprintf(stderr, "clusterd-ship: %s needs --file\n", o.cmd.c_str()), 64;
    if (o.cmd == "lease-renew") return lease_renew(o.lease);
    o.lease.halt = o.snap.remote;
    if (o.lease.halt.empty())
      return std::fputs(
                 "clusterd-ship: lease-keeper needs -- HALT... (the command that halts "
                 "the node)\n",
                 stderr),
             64;
    if (!o.grace_given) o.lease.grace = o.lease.ttl;
    o.lease.poll = std::min(o.poll_given ? o.poll : o.lease.poll, o.lease.ttl / 10);
    return lease_keeper(o.lease);
  }
  if (o.image.empty()) return std::fputs("clusterd-ship: --image is required\n", stderr), 64;
  o.snap.image = o.image;
  if (o.cmd.rfind("snap", 0) == 0) {
    // These reach the other site through its shell (ssh): plain words only.
    for (const std::string* w :
         {&o.snap.image, &o.snap.peer_snapdir, &o.snap.peer_ship, &o.snap.peer_dataset}) {
      if (w->find_first_not_of(
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/-+") !=
          std::string::npos) {
        std::fprintf(stderr,
                     "clusterd-ship: '%s': paths sent to the other site may hold only letters, "
                     "digits and ._/-+ (its shell reads them)\n",
                     w->c_str());
        return 64;
      }
    }
    if (o.snap.snapdir.empty())
      return std::fputs("clusterd-ship: snapshot mode needs --snapdir\n", stderr), 64;
    if (o.snap.method == "zfs" && o.cmd != "snap-watch" &&
        (o.snap.dataset.empty() || (o.cmd == "snapshot" && o.snap.peer_dataset.empty())))
      return std::fputs(
                 "clusterd-ship: --method zfs needs --dataset (and, for snapshot, "
                 "--peer-dataset)\n",
                 stderr),
             64;
    if (o.cmd == "snapshot") {
      if (o.snap.volume.empty() || o.snap.peer_snapdir.empty() || o.snap.remote.empty())
        return std::fputs(
                   "clusterd-ship: snapshot needs --volume, --peer-snapdir and -- REMOTE...\n",
                   stderr),
               64;
      return snapshot_loop(o.snap);
    }
    if (o.cmd == "snap-receive") {
      if (o.snap.name.empty() || o.snap.expect.empty())
        return std::fputs("clusterd-ship: snap-receive needs --name and --expect\n", stderr), 64;
      return snap_receive(o.snap);
    }
    if (o.cmd == "snap-watch") return snap_watch(o.snap);
    if (o.cmd == "snap-promote") {
      if (o.snap.volume.empty())
        return std::fputs("clusterd-ship: snap-promote needs --volume\n", stderr), 64;
      return snap_promote(o.snap);
    }
  }
  if (o.cmd == "serve") {
    if (o.listen.empty()) return std::fputs("clusterd-ship: serve needs --listen\n", stderr), 64;
    return serve(o);
  }
  if (o.cmd == "receive") {
    if (o.from.empty()) return std::fputs("clusterd-ship: receive needs --from\n", stderr), 64;
    return receive(o);
  }
  if (o.cmd == "promote") return promote(o);
  if (o.cmd == "status") return status(o);
  std::fprintf(stderr, "clusterd-ship: unknown command '%s' (try --help)\n", o.cmd.c_str());
  return 64;
}
