#include "probe/icmp_prober.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

namespace clusterd::probe {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr unsigned char kEchoRequest = 8;
constexpr unsigned char kEchoReply = 0;
// <linux/icmp.h> clashes with <netinet/ip_icmp.h>; these two are all we need.
constexpr int kIcmpFilter = 1;  // ICMP_FILTER, level SOL_RAW
struct IcmpFilter {
  std::uint32_t data;  // bit n set: type n is dropped
};

std::string ping_group_range() {
  std::ifstream in("/proc/sys/net/ipv4/ping_group_range");
  std::string lo, hi;
  if (!(in >> lo >> hi)) return "?";
  return lo + " " + hi;
}

std::string self_path() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "/path/to/clusterd";
  return std::string(buf, static_cast<std::size_t>(n));
}

std::uint16_t random_identifier() {
  std::random_device rd;
  return static_cast<std::uint16_t>(rd());
}

}  // namespace

std::uint16_t icmp_checksum(const unsigned char* data, std::size_t size) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < size; i += 2)
    sum += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
  if (size % 2) sum += static_cast<std::uint32_t>(data[size - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

Result<std::unique_ptr<IcmpProber>> IcmpProber::open(asio::io_context& io, Want want) {
  std::string dgram_err, raw_err;
  if (want != Want::Raw) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (fd >= 0) return std::unique_ptr<IcmpProber>(new IcmpProber(io, Mode::Datagram, fd));
    dgram_err = std::strerror(errno);
    dgram_err += ", net.ipv4.ping_group_range = \"" + ping_group_range() + "\"";
  }
  if (want != Want::Datagram) {
    int fd = ::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (fd >= 0) return std::unique_ptr<IcmpProber>(new IcmpProber(io, Mode::Raw, fd));
    raw_err = std::strerror(errno);
  }
  std::string tried;
  if (!dgram_err.empty()) tried += "ping socket: " + dgram_err;
  if (!raw_err.empty())
    tried += (tried.empty() ? "" : "; ") + std::string("raw socket: ") + raw_err;
  return Error::unsupported(
      "cannot open an ICMP socket (" + tried + "): ICMP needs CAP_NET_RAW (setcap cap_net_raw+ep " +
      self_path() +
      ", or systemd AmbientCapabilities=CAP_NET_RAW) or net.ipv4.ping_group_range to include gid " +
      std::to_string(::getegid()) + "; or use [ping] method = \"tcp\"");
}

IcmpProber::IcmpProber(asio::io_context& io, Mode mode, int fd)
    : io_(io), mode_(mode), socket_(io), id_(random_identifier()) {
  socket_.assign(asio::generic::raw_protocol(AF_INET, IPPROTO_ICMP), fd);
  if (mode_ == Mode::Raw) {
    // A raw ICMP socket sees every ICMP packet the host receives; let the
    // kernel drop all but echo replies before they wake us.
    IcmpFilter f{~(1u << kEchoReply)};
    ::setsockopt(fd, SOL_RAW, kIcmpFilter, &f, sizeof f);
  }
  start_receive();
}

IcmpProber::~IcmpProber() { close(); }

void IcmpProber::close() {
  if (closed_) return;
  closed_ = true;
  token_.reset();  // pending handlers see it expired and return untouched
  boost::system::error_code ec;
  socket_.close(ec);
  sent_.clear();
}

std::string IcmpProber::describe() const {
  return mode_ == Mode::Raw ? "icmp raw socket" : "icmp ping socket";
}

void IcmpProber::set_targets(std::vector<asio::ip::address> targets) {
  targets_ = std::move(targets);
  sent_.clear();
}

void IcmpProber::send(std::uint16_t seq) {
  if (closed_) return;
  std::array<unsigned char, 32> pkt{};
  pkt[0] = kEchoRequest;
  pkt[4] = static_cast<unsigned char>(id_ >> 8);
  pkt[5] = static_cast<unsigned char>(id_ & 0xff);
  pkt[6] = static_cast<unsigned char>(seq >> 8);
  pkt[7] = static_cast<unsigned char>(seq & 0xff);
  std::memcpy(pkt.data() + 8, "clusterd probe", 14);
  std::uint16_t sum = icmp_checksum(pkt.data(), pkt.size());
  pkt[2] = static_cast<unsigned char>(sum >> 8);
  pkt[3] = static_cast<unsigned char>(sum & 0xff);

  sent_[seq] = Sent{SteadyClock::now()};
  std::size_t failed = 0;
  std::string why;
  for (const auto& a : targets_) {
    boost::system::error_code ec;
    if (!a.is_v4()) {
      ec = asio::error::address_family_not_supported;
    } else {
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      auto bytes = a.to_v4().to_bytes();
      std::memcpy(&sa.sin_addr, bytes.data(), bytes.size());
      asio::generic::raw_protocol::endpoint ep(&sa, sizeof sa, IPPROTO_ICMP);
      socket_.send_to(asio::buffer(pkt), ep, 0, ec);
    }
    if (ec) {
      ++failed;
      why += (why.empty() ? "" : "; ") + a.to_string() + ": " + ec.message();
    }
  }
  // No route (the unreachable route, a link down on our side) fails here at
  // once; a silent target is only noticed by the tracker's timeout.
  if (targets_.empty()) why = "no target address";
  if (failed == targets_.size()) {
    sent_.erase(seq);
    fail_later(seq, why);
  }
}

void IcmpProber::fail_later(std::uint16_t seq, std::string why) {
  asio::post(io_, [w = std::weak_ptr<int>(token_), this, seq, why = std::move(why)] {
    if (w.expired() || closed_ || !handlers_.on_failed) return;
    handlers_.on_failed(seq, why);
  });
}

void IcmpProber::start_receive() {
  socket_.async_wait(Socket::wait_read,
                     [w = std::weak_ptr<int>(token_), this](const boost::system::error_code& ec) {
                       if (w.expired() || closed_ || ec == asio::error::operation_aborted) return;
                       receive_all();
                       if (!w.expired() && !closed_) start_receive();
                     });
}

void IcmpProber::receive_all() {
  std::weak_ptr<int> alive = token_;
  for (int i = 0; i < 64 && !alive.expired() && !closed_; ++i) {
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    ssize_t n = ::recvfrom(socket_.native_handle(), buf_.data(), buf_.size(), MSG_DONTWAIT,
                           reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) {
      if (errno == EINTR) continue;
      // EAGAIN: drained. Anything else is an ICMP error queued on the
      // socket (a ping socket reports "host unreachable" this way); reading
      // cleared it, and the tracker's timeout will count the probe.
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      continue;
    }
    if (from.ss_family != AF_INET) continue;
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&from);
    asio::ip::address_v4::bytes_type b;
    std::memcpy(b.data(), &sin->sin_addr, b.size());
    on_packet(buf_.data(), static_cast<std::size_t>(n), asio::ip::address_v4(b));
  }
}

void IcmpProber::on_packet(const unsigned char* data, std::size_t size,
                           const asio::ip::address& from) {
  if (mode_ == Mode::Raw) {
    // A raw socket gets the IP header too.
    if (size < 20 || (data[0] >> 4) != 4) return;
    std::size_t ihl = static_cast<std::size_t>(data[0] & 0x0f) * 4;
    if (size < ihl + 8) return;
    data += ihl;
    size -= ihl;
  } else if (size < 8) {
    return;
  }
  if (data[0] != kEchoReply || data[1] != 0) return;
  auto id = static_cast<std::uint16_t>(data[4] << 8 | data[5]);
  auto seq = static_cast<std::uint16_t>(data[6] << 8 | data[7]);
  // Every raw ICMP socket on the host sees every echo reply: other pings'
  // replies differ in identifier. A ping socket only gets its own, with the
  // identifier the kernel chose.
  if (mode_ == Mode::Raw && id != id_) return;
  if (std::find(targets_.begin(), targets_.end(), from) == targets_.end()) return;
  auto it = sent_.find(seq);
  if (it == sent_.end()) return;  // late (forgotten) or already answered
  auto rtt = SteadyClock::now() - it->second.at;
  sent_.erase(it);
  if (handlers_.on_reply) handlers_.on_reply(ProbeReply{seq, from, rtt, "echo reply"});
}

}  // namespace clusterd::probe
