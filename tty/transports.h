// The transports behind make_console(), one factory a file. Internal to tty/:
// everything outside uses tty::make_console(endpoint, ...).
#pragma once

#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include <boost/asio/posix/stream_descriptor.hpp>
#include <memory>

#include "tty/link_console.h"

namespace clusterd::tty {

/// A Wire over any Asio stream (tcp::socket, posix::stream_descriptor).
template <typename Stream>
class StreamWire : public Wire {
 public:
  explicit StreamWire(Stream s) : s_(std::move(s)) {
    boost::system::error_code ignored;
    s_.non_blocking(true, ignored);
  }
  void async_wait_readable(WaitHandler h) override {
    s_.async_wait(Stream::wait_read, std::move(h));
  }
  std::size_t read_some(boost::asio::mutable_buffer buf, boost::system::error_code& ec) override {
    return s_.read_some(buf, ec);
  }
  void async_write_some(boost::asio::const_buffer buf, Handler h) override {
    s_.async_write_some(buf, std::move(h));
  }
  std::size_t write_some(boost::asio::const_buffer buf, boost::system::error_code& ec) override {
    return s_.write_some(buf, ec);
  }
  void close() override {
    boost::system::error_code ignored;
    s_.close(ignored);
  }
  Stream& stream() { return s_; }

 private:
  Stream s_;
};

using FdWire = StreamWire<boost::asio::posix::stream_descriptor>;

std::unique_ptr<Console> make_tcp_console(const Endpoint& e, ConsoleHandlers h, ConsoleContext c);
std::unique_ptr<Console> make_telnet_console(const Endpoint& e, ConsoleHandlers h,
                                             ConsoleContext c);
std::unique_ptr<Console> make_pty_console(const Endpoint& e, ConsoleHandlers h, ConsoleContext c);
std::unique_ptr<Console> make_serial_console(const Endpoint& e, ConsoleHandlers h,
                                             ConsoleContext c);
std::unique_ptr<Console> make_exec_console(const Endpoint& e, ConsoleHandlers h, ConsoleContext c);
std::unique_ptr<Console> make_ssh_console(const Endpoint& e, ConsoleHandlers h, ConsoleContext c);

/// Applies the line settings to a terminal fd (raw mode, speed, parity,
/// flow). Used for local ptys and the exec child's pty.
Result<void> configure_termios(int fd, const SerialSettings& s);

}  // namespace clusterd::tty
