// The node's console as one port of a terminal server: a telnet listener
// (libtelnet does the protocol) whose clients all see the console output and
// may all type. A BREAK arrives as IAC BRK or as RFC 2217 SET-CONTROL 5
// (BREAK ON); COM-PORT is accepted (WILL/DO 44, SB answered with cmd+100) so
// that ser2net's rfc2217 connector can sit in front. No access control: it
// binds where it is told (127.0.0.1 by default).
#pragma once

#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include <boost/asio.hpp>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "sim/node_model.h"

namespace clusterd::sim {

class TelnetSession;

class TelnetServer {
 public:
  /// `from` in every callback is a client's peer IP address as text
  /// ("198.18.200.11", "127.0.0.1"; an IPv4-mapped IPv6 peer in its IPv4
  /// form), taken when the connection was accepted.
  using DataFn = std::function<void(std::string_view bytes, const std::string& from)>;
  using BreakFn = std::function<void(BreakVia via, const std::string& from)>;
  /// The client at `from` was closed because a new one at `by` connected.
  using KickFn = std::function<void(const std::string& from, const std::string& by)>;

  /// Listens on host:port (port 0 picks one: see port()). `io` must outlive
  /// the server; the callbacks run on `io`'s thread. With `kick_old_user`
  /// each new connection first closes every other client (and calls
  /// `on_kick`, if set, once per client closed); without it all clients see
  /// the output and may all type. Throws boost::system::system_error if it
  /// cannot bind (a start-up failure).
  TelnetServer(boost::asio::io_context& io, const std::string& host, unsigned short port,
               DataFn on_data, BreakFn on_break, bool kick_old_user = false,
               KickFn on_kick = nullptr);
  ~TelnetServer();

  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  /// Sends console output to every connected client (IAC doubled by libtelnet).
  void broadcast(std::string_view bytes);
  std::size_t clients() const { return sessions_.size(); }

 private:
  friend class TelnetSession;
  void accept();
  void closed(const std::shared_ptr<TelnetSession>& s) { sessions_.erase(s); }

  boost::asio::ip::tcp::acceptor acceptor_;
  DataFn on_data_;
  BreakFn on_break_;
  bool kick_old_user_;
  KickFn on_kick_;
  std::set<std::shared_ptr<TelnetSession>> sessions_;
};

}  // namespace clusterd::sim
