#include "probe/tcp_prober.h"

#include <boost/asio/post.hpp>

namespace clusterd::probe {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

TcpConnectProber::TcpConnectProber(asio::io_context& io, std::uint16_t port)
    : io_(io), port_(port) {}

TcpConnectProber::~TcpConnectProber() { close(); }

void TcpConnectProber::close() {
  if (closed_) return;
  closed_ = true;
  token_.reset();
  attempts_.clear();  // closing the sockets aborts their connects
}

void TcpConnectProber::set_targets(std::vector<asio::ip::address> targets) {
  targets_ = std::move(targets);
  attempts_.clear();
}

void TcpConnectProber::send(std::uint16_t seq) {
  if (closed_) return;
  std::uint64_t gen = ++gen_;
  auto& [g, attempt] = attempts_[seq];
  g = gen;
  attempt = Attempt{};
  attempt.at = SteadyClock::now();
  for (const auto& a : targets_) {
    auto s = std::make_unique<Socket>(io_);
    boost::system::error_code ec;
    s->open(a.is_v4() ? asio::ip::tcp::v4() : asio::ip::tcp::v6(), ec);
    if (ec) {
      ++attempt.failed;
      attempt.why += (attempt.why.empty() ? "" : "; ") + a.to_string() + ": " + ec.message();
      continue;
    }
    // The handler holds no socket: erasing the attempt closes the socket and
    // the connect completes with operation_aborted, which is ignored.
    s->async_connect(
        asio::ip::tcp::endpoint(a, port_),
        [w = std::weak_ptr<int>(token_), this, seq, gen, a](const boost::system::error_code& e) {
          if (w.expired() || closed_ || e == asio::error::operation_aborted) return;
          on_connect(seq, gen, a, e);
        });
    attempt.sockets.push_back(std::move(s));
  }
  if (targets_.empty()) attempt.why = "no target address";
  if (attempt.failed == targets_.size()) {
    std::string why = attempt.why;
    attempts_.erase(seq);
    asio::post(io_, [w = std::weak_ptr<int>(token_), this, seq, why] {
      if (!w.expired() && !closed_ && handlers_.on_failed) handlers_.on_failed(seq, why);
    });
  }
}

void TcpConnectProber::on_connect(std::uint16_t seq, std::uint64_t gen,
                                  const asio::ip::address& target,
                                  const boost::system::error_code& ec) {
  auto it = attempts_.find(seq);
  if (it == attempts_.end() || it->second.first != gen)
    return;  // forgotten, or an older use of seq
  Attempt& attempt = it->second.second;
  // Connected, or refused by the node's own kernel: either way it answered.
  if (!ec || ec == asio::error::connection_refused) {
    auto rtt = SteadyClock::now() - attempt.at;
    attempts_.erase(it);  // closes every socket of this probe: nothing is sent
    if (handlers_.on_reply)
      handlers_.on_reply(ProbeReply{seq, target, rtt, ec ? "refused" : "connected"});
    return;
  }
  ++attempt.failed;
  attempt.why += (attempt.why.empty() ? "" : "; ") + target.to_string() + ": " + ec.message();
  if (attempt.failed < targets_.size()) return;
  std::string why = attempt.why;
  attempts_.erase(it);
  if (handlers_.on_failed) handlers_.on_failed(seq, why);
}

}  // namespace clusterd::probe
