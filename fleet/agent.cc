#include "fleet/agent.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

#include "base/diagnostic.h"
#include "base/escape.h"
#include "base/timestamp.h"
#include "clist/clist.h"
#include "clist/cluster_config.h"
#include "clusterd/control.h"
#include "fleet/placement.h"

namespace clusterd::fleet {

namespace {
std::int64_t ns(Duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}
std::int64_t wall_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
double parse_weight(const std::string& value) {
  // The host key's value: "weight=W pid=P".
  auto w = value.find("weight=");
  if (w == std::string::npos) return 1.0;
  try {
    return std::stod(value.substr(w + 7));
  } catch (const std::exception&) {
    return 1.0;
  }
}
}  // namespace

Agent::Agent(AgentOptions o) : opt_(std::move(o)), keys_{opt_.prefix} {
  etcd_ = std::make_unique<EtcdClient>(EtcdOptions{opt_.endpoints, opt_.request_timeout});
}

Agent::~Agent() = default;

void Agent::log(const std::string& line) const {
  std::fprintf(stderr, "%s clusterd-fleet %s: %s\n", format_utc(wall_now_ns()).c_str(),
               opt_.host.c_str(), line.c_str());
  std::fflush(stderr);
}

bool Agent::may_act() const { return lease_ != 0 && fence_clock_ns() < deadline_ns_; }

void Agent::publish() {
  HostFile h;
  h.host = opt_.host;
  h.prefix = opt_.prefix;
  h.endpoints = opt_.endpoints;
  h.lease = lease_;
  h.ttl = granted_ttl_;
  h.deadline_ns = deadline_ns_;
  if (auto r = write_host_file(host_file(), h); !r)
    log("cannot write the host file: " + r.error().message);
}

bool Agent::acquire_lease() {
  const std::int64_t sent = fence_clock_ns();
  std::int64_t granted = 0;
  auto id = etcd_->grant(opt_.ttl_s, &granted);
  if (!id) {
    if (id.error().message != last_error_) log("no lease yet: " + id.error().message);
    last_error_ = id.error().message;
    return false;
  }
  // Our name on the lease, only if no live agent holds it (our own last run's
  // lease holds it until it expires).
  const std::string value =
      "weight=" + std::to_string(opt_.weight) + " pid=" + std::to_string(::getpid());
  auto t = etcd_->txn({{keys_.host(opt_.host), Compare::Target::Create, Compare::Op::Equal, 0, {}}},
                      {TxnOp::put(keys_.host(opt_.host), value, *id)},
                      {TxnOp::get(keys_.host(opt_.host))});
  if (!t || !t->succeeded) {
    std::string why = !t ? t.error().message
                         : "held by lease " +
                               (t->ranges.empty() || t->ranges[0].empty()
                                    ? std::string("?")
                                    : std::to_string(t->ranges[0][0].lease)) +
                               " (another agent named " + opt_.host +
                               ", or our last run's lease until it expires)";
    if (why != last_error_) log("host key " + keys_.host(opt_.host) + " not taken: " + why);
    last_error_ = why;
    (void)etcd_->revoke(*id);  // best effort: it expires anyway
    return false;
  }
  lease_ = *id;
  lease_since_ns_ = sent;
  granted_ttl_ = granted;
  deadline_ns_ = sent + granted * 1000000000 - ns(opt_.margin);
  next_keepalive_ns_ = sent + ns(opt_.keepalive);
  fenced_logged_ = false;
  last_error_.clear();
  publish();
  log("lease " + std::to_string(lease_) + " granted (TTL " + std::to_string(granted) +
      " s), etcd " + etcd_->endpoint());
  return true;
}

void Agent::keepalive() {
  const std::int64_t sent = fence_clock_ns();
  auto ttl = etcd_->keepalive(lease_);
  if (ttl && *ttl > 0) {
    deadline_ns_ = std::max(deadline_ns_, sent + *ttl * 1000000000 - ns(opt_.margin));
    next_keepalive_ns_ = sent + ns(opt_.keepalive);
    if (fenced_logged_) log("keepalive answered again: acting again");
    fenced_logged_ = false;
    last_error_.clear();
    publish();
    return;
  }
  if (ttl) return lose_lease("etcd says lease " + std::to_string(lease_) + " is gone");
  if (ttl.error().message != last_error_) log("keepalive failed: " + ttl.error().message);
  last_error_ = ttl.error().message;
  next_keepalive_ns_ = sent + ns(opt_.keepalive) / 4;  // try sooner
}

void Agent::lose_lease(const std::string& why) {
  log(why + ": stopping every clusterd of this host");
  deadline_ns_ = 0;
  publish();  // the clusterds may not act from now on
  while (!children_.empty()) stop_child(children_.begin()->first, true);
  lease_ = 0;
}

bool Agent::start_child(const std::string& cluster, std::int64_t token) {
  std::vector<std::string> args = {opt_.clusterd,
                                   "--cluster",
                                   cluster,
                                   "--home",
                                   opt_.home,
                                   "--fleet",
                                   host_file(),
                                   "--fleet-token",
                                   std::to_string(token),
                                   "--fleet-lease",
                                   std::to_string(lease_)};
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    log("cannot start clusterd for " + cluster + ": fork failed");
    return false;
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);  // the agent died before prctl
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::close_range(3, ~0U, 0);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    std::perror("clusterd-fleet: exec clusterd");
    ::_exit(127);
  }
  children_[cluster] = Child{pid, token, false, fence_clock_ns()};
  log("started clusterd for " + cluster + " (pid " + std::to_string(pid) + ", token " +
      std::to_string(token) + ")");
  return true;
}

void Agent::stop_child(const std::string& cluster, bool kill_now) {
  auto it = children_.find(cluster);
  if (it == children_.end()) return;
  if (it->second.pid <= 0) {
    children_.erase(it);
    return;
  }
  ::kill(it->second.pid, kill_now ? SIGKILL : SIGTERM);
  it->second.stopping = true;
  if (!kill_now) {
    // A clean stop sends nothing to the nodes and takes milliseconds; wait
    // for it (bounded), so the owner key is deleted only after.
    for (int i = 0; i < 60; ++i) {
      int st = 0;
      if (::waitpid(it->second.pid, &st, WNOHANG) == it->second.pid) {
        children_.erase(it);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(it->second.pid, SIGKILL);
  }
  int st = 0;
  ::waitpid(it->second.pid, &st, 0);
  children_.erase(it);
}

void Agent::reap() {
  // One waitpid for whatever ended (not one per child: 300 children at 20
  // loops a second would be 6,000 system calls a second for nothing).
  int st = 0;
  pid_t r;
  while ((r = ::waitpid(-1, &st, WNOHANG)) > 0) {
    auto it = std::find_if(children_.begin(), children_.end(),
                           [r](const auto& c) { return c.second.pid == r; });
    if (it == children_.end()) continue;
    auto& seen = seen_[it->first];
    if (fence_clock_ns() - it->second.started_ns >= 60'000'000'000)
      seen.restarts = 0;  // it had run
    ++seen.restarts;
    const std::int64_t delay =
        std::min<std::int64_t>(30, 1LL << std::min(seen.restarts - 1, 5)) * 1000000000;
    seen.restart_at = fence_clock_ns() + delay;
    log("clusterd for " + it->first + " exited (" +
        (WIFEXITED(st) ? "status " + std::to_string(WEXITSTATUS(st))
                       : "signal " + std::to_string(WTERMSIG(st))) +
        "); restarted in " + std::to_string(delay / 1000000000) + " s while this host owns it");
    children_.erase(it);
  }
}

bool Agent::child_idle(const std::string& cluster) const {
  auto r =
      control_request(opt_.home + "/run/" + cluster + ".sock", "idle", std::chrono::seconds(1));
  return r && r->find("idle yes") != std::string::npos;
}

bool Agent::placement_ok(const std::string& cluster, const std::string& config_path,
                         const std::vector<std::string>& hosts) {
  struct stat st {};
  auto& k = console_kind_[cluster];
  const std::int64_t mtime =
      ::stat(config_path.c_str(), &st) == 0
          ? static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec
          : 0;
  if (mtime != k.mtime_ns) {
    k = {};
    k.mtime_ns = mtime;
    auto cfg = clist::load_cluster_config(config_path, {opt_.home, opt_.stock_scripts, cluster});
    // A config that does not load is its clusterd's to report (file:line);
    // only a config that loads says where its consoles are.
    if (cfg.ok()) {
      for (const auto& n : cfg.config->nodes)
        k.local = k.local || n.console.scheme == tty::Scheme::Serial ||
                  n.console.scheme == tty::Scheme::Pty;
    }
  }
  if (!k.local || hosts.size() == 1) return true;
  if (!k.warned) {
    log(cluster + " has a serial or pty console: only the host it is wired to can watch it; " +
        "name that one host in the CList (" + cluster + " CONFIG hosts=HOST). Not claimed");
    k.warned = true;
  }
  return false;
}

bool Agent::claim(const std::string& cluster) {
  auto t = etcd_->txn(
      {{keys_.owner(cluster), Compare::Target::Create, Compare::Op::Equal, 0, {}}},
      {TxnOp::put(keys_.owner(cluster), opt_.host, lease_), TxnOp::get(keys_.owner(cluster))}, {});
  if (!t) {
    log("claim of " + cluster + " failed: " + t.error().message);
    last_error_ = t.error().message;
    return false;
  }
  last_error_.clear();
  if (!t->succeeded || t->ranges.empty() || t->ranges[0].empty())
    return false;  // another host was first
  const std::int64_t token = t->ranges[0][0].create_revision;
  log("owns " + cluster + " (token " + std::to_string(token) + ")");
  (void)etcd_->txn(
      {{keys_.move(cluster), Compare::Target::Value, Compare::Op::Equal, 0, opt_.host}},
      {TxnOp::del(keys_.move(cluster))});  // a move to us is done
  seen_[cluster] = {};
  return start_child(cluster, token);
}

void Agent::release(const std::string& cluster, std::int64_t token) {
  log("handing " + cluster + " over (idle): stopping its clusterd, then releasing token " +
      std::to_string(token));
  stop_child(cluster, false);
  auto t =
      etcd_->txn({{keys_.owner(cluster), Compare::Target::Create, Compare::Op::Equal, token, {}}},
                 {TxnOp::del(keys_.owner(cluster))});
  if (!t) log("release of " + cluster + " failed (the lease will free it): " + t.error().message);
  last_handover_ns_ = fence_clock_ns();
}

void Agent::poll() {
  const std::int64_t started = fence_clock_ns();
  auto rev = etcd_->revision(keys_.prefix + "revision");
  if (!rev) {
    if (rev.error().message != last_error_) log("poll failed: " + rev.error().message);
    last_error_ = rev.error().message;
    return;
  }
  const bool full = *rev != view_revision_ || started - view_at_ns_ >= ns(opt_.full_read_every);
  if (full) {
    auto t = etcd_->txn(
        {}, {TxnOp{TxnOp::Kind::Range, keys_.hosts(), {}, prefix_end(keys_.hosts()), 0},
             TxnOp{TxnOp::Kind::Range, keys_.owners(), {}, prefix_end(keys_.owners()), 0},
             TxnOp{TxnOp::Kind::Range, keys_.moves(), {}, prefix_end(keys_.moves()), 0}});
    if (!t || t->ranges.size() != 3) {
      if (!t && t.error().message != last_error_) log("poll failed: " + t.error().message);
      if (!t) last_error_ = t.error().message;
      return;
    }
    view_ = std::move(*t);
    view_revision_ = view_.revision;
    view_at_ns_ = started;
  }
  struct stat cst {};
  const std::string clist_path = opt_.home + "/CList";
  const std::int64_t stamp = ::stat(clist_path.c_str(), &cst) == 0
                                 ? static_cast<std::int64_t>(cst.st_mtim.tv_sec) * 1000000000 +
                                       cst.st_mtim.tv_nsec + static_cast<std::int64_t>(cst.st_size)
                                 : 0;
  if (stamp != clist_stamp_ || full) {  // full: a config file may have appeared
    clist_ = clist::read_clist(opt_.home);
    if (stamp != clist_stamp_)
      for (const auto& d : clist_.diagnostics) log("CList: " + format_line(d));
    clist_stamp_ = stamp;
  }
  const auto& cl = clist_;
  const TxnReply* t = &view_;
  std::vector<LiveHost> live;
  for (const auto& kv : t->ranges[0])
    live.push_back({kv.key.substr(keys_.hosts().size()), parse_weight(kv.value)});
  std::map<std::string, KeyValue> owners, moves;
  for (auto& kv : t->ranges[1]) owners[kv.key.substr(keys_.owners().size())] = kv;
  for (auto& kv : t->ranges[2]) moves[kv.key.substr(keys_.moves().size())] = kv;
  const std::int64_t now = fence_clock_ns();
  const bool act = may_act();
  bool etcd_trouble = false;  // a claim failed on I/O: no more this round
  for (const auto& e : cl.clist.clusters) {
    // Claims and handovers take round trips: the keepalive must not wait for them.
    if (fence_clock_ns() >= next_keepalive_ns_) {
      keepalive();
      if (lease_ == 0) return;
    }
    auto& seen = seen_[e.name];
    auto rank = rank_hosts(e.name, live, e.hosts);
    if (auto m = moves.find(e.name); m != moves.end()) {
      auto at = std::find(rank.begin(), rank.end(), m->second.value);
      if (at != rank.end()) std::rotate(rank.begin(), at, at + 1);  // the move's host first
    }
    auto own = owners.find(e.name);
    if (own != owners.end() && own->second.lease == lease_) {
      seen.ownerless_since = 0;
      const std::int64_t token = own->second.create_revision;
      auto c = children_.find(e.name);
      if (c != children_.end() && c->second.token != token) stop_child(e.name, true);
      if (act && !children_.count(e.name) && now >= seen.restart_at) start_child(e.name, token);
      // Handover: a move, or a better host that has been live a while.
      const bool moved = moves.count(e.name) && !rank.empty() && rank[0] != opt_.host;
      if (!rank.empty() && rank[0] != opt_.host && (moved || opt_.rebalance)) {
        if (seen.other_best_since == 0) seen.other_best_since = now;
      } else {
        seen.other_best_since = 0;
      }
      if (act && seen.other_best_since != 0 &&
          (moved || now - seen.other_best_since >= ns(opt_.handover_stable)) &&
          now - last_handover_ns_ >= ns(opt_.handover_every) && children_.count(e.name) &&
          child_idle(e.name)) {
        release(e.name, token);
      }
      continue;
    }
    seen.other_best_since = 0;
    if (own != owners.end()) {
      seen.ownerless_since = 0;
      if (children_.count(e.name)) {
        log(e.name + " is owned by " + own->second.value + " (token " +
            std::to_string(own->second.create_revision) + "): stopping our stale clusterd");
        stop_child(e.name, true);
      }
      continue;
    }
    // Nobody owns it.
    if (children_.count(e.name)) stop_child(e.name, true);
    if (seen.ownerless_since == 0) seen.ownerless_since = now;
    auto pos = std::find(rank.begin(), rank.end(), opt_.host);
    if (pos == rank.end() || !act || now - lease_since_ns_ < ns(opt_.startup_grace)) continue;
    if (!placement_ok(e.name, e.config_path, e.hosts)) continue;
    const auto i = static_cast<std::int64_t>(pos - rank.begin());
    if (!etcd_trouble && (i == 0 || now - seen.ownerless_since >= i * ns(opt_.claim_step)))
      etcd_trouble = !claim(e.name) && !last_error_.empty();
  }
  // Clusters no longer listed: stop their clusterd and release them.
  for (auto it = children_.begin(); it != children_.end();) {
    if (cl.clist.find(it->first) || !cl.ok()) {
      ++it;
      continue;
    }
    std::string c = it->first;
    std::int64_t token = it->second.token;
    ++it;
    // As a handover: only while idle (a failover is finished first), one at a time.
    if (now - last_handover_ns_ < ns(opt_.handover_every) || !child_idle(c)) continue;
    log(c + " is no longer in the CList");
    release(c, token);
  }
}

int Agent::run(volatile const int* stop) {
  log("starting: etcd " +
      [&] {
        std::string s;
        for (const auto& e : opt_.endpoints) s += (s.empty() ? "" : ",") + e;
        return s;
      }() +
      ", prefix " + opt_.prefix + ", weight " + std::to_string(opt_.weight));
  ::mkdir((opt_.home + "/run").c_str(), 0750);  // exists already on an installed host
  publish();                                    // no lease yet: deadline 0, nothing may act
  while (!*stop) {
    const std::int64_t now = fence_clock_ns();
    reap();
    if (lease_ == 0) {
      if (!acquire_lease()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        continue;
      }
      next_poll_ns_ = 0;
    }
    if (now >= next_keepalive_ns_) keepalive();
    if (lease_ != 0 && !may_act() && !fenced_logged_) {
      log("lease deadline passed without a keepalive answered: acting on nothing (clusters stay "
          "watched, failovers wait)");
      fenced_logged_ = true;
    }
    if (lease_ != 0 && fence_clock_ns() >= next_poll_ns_) {
      poll();
      next_poll_ns_ = fence_clock_ns() + ns(opt_.poll);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  log("stopping: every clusterd, then the lease (its clusters move at once)");
  while (!children_.empty()) stop_child(children_.begin()->first, false);
  if (lease_ != 0) {
    if (auto r = etcd_->revoke(lease_); !r)
      log("revoke failed (the lease expires): " + r.error().message);
  }
  deadline_ns_ = 0;
  publish();
  return 0;
}

}  // namespace clusterd::fleet
