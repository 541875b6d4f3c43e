// The control socket: a unix stream socket where each line is one command
// ("panic", "type boot\r", "cable-pull") and each answer is one line
// ("ok …" / "error: …"). Several commands may share one connection. No
// authentication beyond the socket file's permissions (0600).
#pragma once

#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include <boost/asio.hpp>
#include <functional>
#include <string>

#include "base/result.h"

namespace clusterd::sim {

class ControlServer {
 public:
  using Handler = std::function<std::string(const std::string& line)>;

  /// Binds `path` (replacing a stale socket file). `io` must outlive the
  /// server. Throws boost::system::system_error if it cannot bind.
  ControlServer(boost::asio::io_context& io, std::string path, Handler handler);
  ~ControlServer();

 private:
  void accept();
  std::string path_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  Handler handler_;
};

/// The client side for `nodesim ctl`: sends one line, returns the reply line
/// (without its newline), or an Error::io if the socket cannot be reached.
Result<std::string> control_request(const std::string& path, const std::string& line);

}  // namespace clusterd::sim
