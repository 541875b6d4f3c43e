// IcmpProber: ICMP echo (ping) to the targets, IPv4. Opens a ping socket
// (SOCK_DGRAM/IPPROTO_ICMP) where net.ipv4.ping_group_range allows this
// process's group, else a raw socket (needs CAP_NET_RAW); when neither opens,
// open() says what to grant. Does not decide what a lost echo means: that is
// the trackers' job.
#pragma once

#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include <array>
#include <boost/asio/generic/raw_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <map>
#include <memory>

#include "base/result.h"
#include "probe/prober.h"

namespace clusterd::probe {

class IcmpProber final : public Prober {
 public:
  /// Datagram: a kernel ping socket (the kernel picks the echo identifier
  /// and hands this socket only its own replies). Raw: a raw ICMP socket; we
  /// pick the identifier and filter replies by it.
  enum class Mode { Datagram, Raw };
  enum class Want { Auto, Datagram, Raw };  // Auto: Datagram, then Raw

  /// Opens the socket. Errors (Code::Unsupported) name the missing
  /// permission, e.g. "cannot open an ICMP socket (ping socket: Permission
  /// denied, net.ipv4.ping_group_range = "1 0"; raw socket: Operation not
  /// permitted): ICMP needs CAP_NET_RAW (setcap cap_net_raw+ep …, or systemd
  /// AmbientCapabilities=CAP_NET_RAW) or net.ipv4.ping_group_range to include
  /// gid N; or use [ping] method = "tcp"". `io` must outlive the prober.
  static Result<std::unique_ptr<IcmpProber>> open(boost::asio::io_context& io,
                                                  Want want = Want::Auto);
  ~IcmpProber() override;

  void set_handlers(ProberHandlers handlers) override { handlers_ = std::move(handlers); }
  /// IPv6 targets are not supported yet: probes to them fail at once.
  void set_targets(std::vector<boost::asio::ip::address> targets) override;
  const std::vector<boost::asio::ip::address>& targets() const override { return targets_; }
  void send(std::uint16_t seq) override;
  void forget(std::uint16_t seq) override { sent_.erase(seq); }
  void close() override;
  std::string describe() const override;

  Mode mode() const { return mode_; }
  /// The echo identifier in our requests (raw mode; in datagram mode the
  /// kernel replaces it with the socket's local "port").
  std::uint16_t identifier() const { return id_; }

 private:
  using Socket = boost::asio::generic::raw_protocol::socket;
  IcmpProber(boost::asio::io_context& io, Mode mode, int fd);
  void start_receive();
  void receive_all();
  void on_packet(const unsigned char* data, std::size_t size, const boost::asio::ip::address& from);
  void fail_later(std::uint16_t seq, std::string why);

  struct Sent {
    std::chrono::steady_clock::time_point at;
  };

  boost::asio::io_context& io_;
  Mode mode_;
  Socket socket_;
  std::uint16_t id_;
  bool closed_ = false;
  ProberHandlers handlers_;
  std::vector<boost::asio::ip::address> targets_;
  std::map<std::uint16_t, Sent> sent_;  // probes waiting for their first reply
  std::shared_ptr<int> token_ = std::make_shared<int>(0);
  std::array<unsigned char, 2048> buf_{};
};

/// The ICMP checksum (RFC 1071) of `size` bytes.
std::uint16_t icmp_checksum(const unsigned char* data, std::size_t size);

}  // namespace clusterd::probe
