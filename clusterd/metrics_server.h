// The optional HTTP endpoint for Prometheus: `GET /metrics` on a loopback
// address ([metrics] listen; off unless configured). It runs on the daemon's
// io_context and never blocks it: every read and write is asynchronous, a
// request head over 8 KiB is refused (431), a client that has not sent its
// whole head within 5 s (or does not read the reply) is dropped, and at most
// 16 clients are served at once (more are closed at once). One request per
// connection (Connection: close); 404 for any other path, 405 for any other
// method, 400 for what is not HTTP/1.0 or 1.1. No TLS, no authentication:
// that is why the config accepts loopback addresses only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include "base/result.h"

namespace clusterd {

class MetricsServer {
 public:
  /// Makes the body of a 200 reply (the exposition), on the io_context.
  using Render = std::function<std::string()>;

  /// Limits; the defaults are the ones documented above. Tests shrink them.
  struct Limits {
    std::size_t max_head = 8192;
    std::chrono::milliseconds timeout{5000};
    int max_clients = 16;
  };

  /// Listens on `address`:`port` (an IP literal; port 0 picks a free one,
  /// for tests). Error::io names the address when it cannot be bound.
  static Result<std::unique_ptr<MetricsServer>> start(boost::asio::io_context& io,
                                                      const std::string& address,
                                                      std::uint16_t port, Render render,
                                                      Limits limits);
  static Result<std::unique_ptr<MetricsServer>> start(boost::asio::io_context& io,
                                                      const std::string& address,
                                                      std::uint16_t port, Render render) {
    return start(io, address, port, std::move(render), Limits{});
  }
  /// Stops accepting. Clients still connected get no reply and are closed
  /// when their timer fires (or with the io_context).
  ~MetricsServer();

  /// Where it listens (the real port when 0 was asked for).
  boost::asio::ip::tcp::endpoint endpoint() const;

  /// What the sessions share with the server; they hold it weakly, so a
  /// session that outlives the server renders nothing.
  struct Shared {
    Render render;
    Limits limits;
    int clients = 0;
  };

 private:
  MetricsServer(boost::asio::io_context& io, Render render, Limits limits);
  void accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;  // after a failed accept
  std::shared_ptr<Shared> shared_;
};

/// The reply to one request head (up to and including its blank line):
/// status line, headers and body, ready to write. `render` is called only
/// for a good `GET /metrics`. Exposed for tests; the server uses it as is.
std::string http_reply(std::string_view head, const MetricsServer::Render& render);

}  // namespace clusterd
