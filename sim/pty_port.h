// The node's console on a pseudo-terminal, so the real ser2net (or socat,
// or minicom) can open it like a serial device. nodesim holds the master and
// keeps one slave fd open itself, so the master never reads EIO while nobody
// has the device open. The slave's /dev/pts path is published as a symlink.
// A pty carries no BREAK (the kernel's pty driver has no break_ctl): use the
// alternate break "\r~^B" in-band. Output nobody reads is discarded after
// about half a second, as a UART with nothing attached would lose it.
#pragma once

#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include <boost/asio.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace clusterd::sim {

class PtyPort {
 public:
  using DataFn = std::function<void(std::string_view)>;

  /// Opens a pty pair and links `link_path` to its slave. `io` must outlive
  /// the port. Returns an Error::io naming the step that failed.
  static Result<std::unique_ptr<PtyPort>> open(boost::asio::io_context& io,
                                               const std::string& link_path, DataFn on_data);
  ~PtyPort();

  /// Writes console output. Like a UART with nobody listening, output that
  /// does not fit in the pty's buffer is dropped (and counted), never queued.
  void write(std::string_view bytes);
  const std::string& slave_path() const { return slave_path_; }
  std::size_t dropped() const { return dropped_; }

 private:
  PtyPort(boost::asio::io_context& io, int master, int slave, std::string slave_path,
          std::string link, DataFn on_data);
  void read();
  void drain_unread();

  boost::asio::posix::stream_descriptor master_;
  int slave_fd_;
  std::string slave_path_;
  std::string link_;
  DataFn on_data_;
  char buf_[4096];
  std::size_t dropped_ = 0;
  boost::asio::steady_timer retry_;
  boost::asio::steady_timer drain_;
  int last_pending_ = 0;
};

}  // namespace clusterd::sim
