// A real 3-member etcd cluster on 127.0.0.1 for the fleet's gtests: members
// m1..m3 as child processes (tests/support/peers.h Process), data in a temp
// dir. Ports: client base+1..3, peer base+11..13, base chosen free.
#pragma once

#include <array>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "fleet/etcd_client.h"
#include "tests/support/peers.h"

namespace clusterd::testing {

class EtcdCluster {
 public:
  /// Starts the three members and waits (up to 20 s) until a put works.
  Result<void> start() {
    for (int attempt = 0; attempt < 20; ++attempt) {
      base_ = static_cast<int>(20000 + (free_tcp_port() % 20000) / 20 * 20);
      bool free = true;
      for (int i = 1; i <= 3; ++i)
        free = free && !is_listening(static_cast<uint16_t>(base_ + i)) &&
               !is_listening(static_cast<uint16_t>(base_ + 10 + i));
      if (free) break;
    }
    for (int i = 1; i <= 3; ++i)
      if (auto r = start_member(i); !r) return r;
    fleet::EtcdClient c({endpoints()});
    for (int i = 0; i < 200; ++i) {
      if (c.put("/probe", "y")) return {};
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return Error::io("etcd not writable within 20 s (logs in " + dir_.path() + ")");
  }
  Result<void> start_member(int i) {
    std::string initial;
    for (int j = 1; j <= 3; ++j)
      initial +=
          (j > 1 ? "," : "") + std::string("m") + std::to_string(j) + "=" + url(base_ + 10 + j);
    auto p = Process::spawn(
        {"etcd", "--name", "m" + std::to_string(i), "--data-dir",
         dir_.file("m" + std::to_string(i)), "--listen-client-urls", url(base_ + i),
         "--advertise-client-urls", url(base_ + i), "--listen-peer-urls", url(base_ + 10 + i),
         "--initial-advertise-peer-urls", url(base_ + 10 + i), "--initial-cluster", initial,
         "--initial-cluster-state", started_[static_cast<std::size_t>(i - 1)] ? "existing" : "new"},
        dir_.file("m" + std::to_string(i) + ".log"));
    if (!p) return p.error();
    members_[static_cast<std::size_t>(i - 1)] = std::move(*p);
    started_[static_cast<std::size_t>(i - 1)] = true;
    return {};
  }
  void kill(int i) { members_[static_cast<std::size_t>(i - 1)].kill9(); }
  std::string endpoint(int i) const { return url(base_ + i); }
  std::vector<std::string> endpoints() const { return {endpoint(1), endpoint(2), endpoint(3)}; }
  /// The member (1-3) that leads now; 0 when none answers as leader.
  int leader() const {
    for (int i = 1; i <= 3; ++i) {
      fleet::EtcdClient c({{endpoint(i)}});
      auto s = c.call("/v3/maintenance/status", "{}");
      if (s && (*s)["leader"].text() == (*s)["header"]["member_id"].text()) return i;
    }
    return 0;
  }

 private:
  static std::string url(int port) { return "http://127.0.0.1:" + std::to_string(port); }
  TempDir dir_;
  int base_ = 0;
  std::array<Process, 3> members_;
  std::array<bool, 3> started_{};
};

}  // namespace clusterd::testing
