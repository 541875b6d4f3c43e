// The node's network side. With a namespace (--netns), the node's interface
// inside it is up only while the OS runs and the cable is in, and the faults
// (cable pull, ICMP ignore, random ICMP loss, IP change) are applied with
// `ip`, `sysctl` and `nft` inside that namespace. Without one (the loopback
// fallback) only the TCP "service" port, open while RUNNING and cabled,
// stands for the node's reachability. The namespaces themselves are made by
// tools/testnet.sh, not here.
#pragma once

#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include <boost/asio.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace clusterd::sim {

struct NetOptions {
  std::string netns;                       ///< node namespace (empty: loopback fallback)
  std::string netif;                       ///< the node's end of its veth, inside netns
  std::string service_addr = "127.0.0.1";  ///< bind address in the fallback
  unsigned short service_port = 0;         ///< 0: no service port
};

/// Runs argv (no shell) and waits; returns its exit status or an Error::io
/// with its stderr's first line. For short `ip`/`nft` calls only.
Result<int> run_command(const std::vector<std::string>& argv);

class NetHooks {
 public:
  /// `io` must outlive the hooks. `node` names the service banner.
  NetHooks(boost::asio::io_context& io, NetOptions opt, std::string node);
  ~NetHooks();

  /// The OS wants its interface up (RUNNING) or down.
  void os_up(bool up);
  /// Handles a network control command ("cable-pull", "icmp-loss 30", …);
  /// nullopt if `line` is not one of them.
  std::optional<std::string> control(const std::string& cmd, const std::string& arg);
  /// "net=up cable=in netns=cdt-n1 …" for `status`.
  std::string status() const;
  unsigned short service_port() const;

 private:
  void apply();
  std::string link(bool up);
  void open_service();
  void close_service();
  std::vector<std::string> in_ns(std::vector<std::string> argv) const;

  boost::asio::io_context& io_;
  NetOptions opt_;
  std::string node_;
  bool os_up_ = false;
  bool cable_ = true;
  bool applied_ = false;
  bool have_applied_ = false;
  int icmp_loss_ = 0;
  bool icmp_ignore_ = false;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> service_;
};

}  // namespace clusterd::sim
