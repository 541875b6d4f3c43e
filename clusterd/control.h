// The control socket (run/NAME.sock, mode 0660): how clusterctl talks to a
// running clusterd. One request line in, a reply out, then the connection
// closes. The reply's first line is "ok" or "error: MESSAGE"; the rest is the
// payload (a status table, JSON, a timeline). Requests longer than 4 KiB are
// refused; a client that stalls for 5 s is dropped, so a stuck clusterctl
// never blocks the daemon.
#pragma once

#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <functional>
#include <memory>
#include <string>

#include "base/duration.h"
#include "base/result.h"

namespace clusterd {

class ControlServer {
 public:
  /// Gets the request line (without "\n"), returns the whole reply.
  using Handler = std::function<std::string(const std::string& request)>;

  /// Binds `path` (an old socket file left by a dead clusterd is replaced;
  /// a live one is refused) with mode 0660 and starts accepting.
  static Result<std::unique_ptr<ControlServer>> start(boost::asio::io_context& io,
                                                      const std::string& path, Handler handler);
  ~ControlServer();

 private:
  ControlServer(boost::asio::io_context& io, std::string path, Handler handler);
  void accept();

  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::string path_;
  Handler handler_;
  std::shared_ptr<int> token_ = std::make_shared<int>(0);
};

/// Sends one request to the daemon at `path` and returns its reply; an error
/// names the socket and says whether the daemon is not running.
Result<std::string> control_request(const std::string& path, const std::string& request,
                                    Duration timeout = std::chrono::seconds(10));

}  // namespace clusterd
