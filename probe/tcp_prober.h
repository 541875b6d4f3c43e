// TcpConnectProber: the alternative to ICMP where raw and ping sockets are
// not allowed, or ICMP is filtered on the way. Each probe is a TCP connect to
// address:port, closed again at once (no byte is sent).
//
// What counts as alive: a completed connect, and also a refusal (RST). The
// RST comes from the node's own kernel, so the host is up and its network
// stack runs, which is all a ping tells us too; the port being closed (a
// service stopped for maintenance) must not look like a dead node and start a
// fence. A miss is no answer in the probe's timeout (a host that is off, a
// link pulled, a hung kernel, a firewall that drops) or an immediate "no
// route" / "host unreachable". A firewall that answers for the node with RST
// or ICMP port-unreachable would make a dead node look alive: probe a port the
// node itself answers for.
#pragma once

#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <map>
#include <memory>

#include "probe/prober.h"

namespace clusterd::probe {

class TcpConnectProber final : public Prober {
 public:
  /// Probes `port` on each target. `io` must outlive the prober.
  TcpConnectProber(boost::asio::io_context& io, std::uint16_t port);
  ~TcpConnectProber() override;

  void set_handlers(ProberHandlers handlers) override { handlers_ = std::move(handlers); }
  void set_targets(std::vector<boost::asio::ip::address> targets) override;
  const std::vector<boost::asio::ip::address>& targets() const override { return targets_; }
  /// Starts one connect per target; the first to connect or be refused answers.
  void send(std::uint16_t seq) override;
  /// Aborts the probe's connects still in progress.
  void forget(std::uint16_t seq) override { attempts_.erase(seq); }
  void close() override;
  std::string describe() const override { return "tcp port " + std::to_string(port_); }

  std::uint16_t port() const { return port_; }

 private:
  using Socket = boost::asio::ip::tcp::socket;
  // One probe: its connects (closed when erased) and how many have failed.
  struct Attempt {
    std::chrono::steady_clock::time_point at;
    std::vector<std::unique_ptr<Socket>> sockets;
    std::size_t failed = 0;
    std::string why;
  };
  void on_connect(std::uint16_t seq, std::uint64_t gen, const boost::asio::ip::address& target,
                  const boost::system::error_code& ec);

  boost::asio::io_context& io_;
  std::uint16_t port_;
  bool closed_ = false;
  ProberHandlers handlers_;
  std::vector<boost::asio::ip::address> targets_;
  std::map<std::uint16_t, std::pair<std::uint64_t, Attempt>>
      attempts_;  // seq -> (generation, attempt)
  std::uint64_t gen_ = 0;
  std::shared_ptr<int> token_ = std::make_shared<int>(0);
};

}  // namespace clusterd::probe
