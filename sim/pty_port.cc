#include "sim/pty_port.h"

#include <fcntl.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace clusterd::sim {

namespace asio = boost::asio;

Result<std::unique_ptr<PtyPort>> PtyPort::open(asio::io_context& io, const std::string& link_path,
                                               DataFn on_data) {
  int master = -1, slave = -1;
  if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0)
    return Error::io(std::string("openpty: ") + std::strerror(errno));
  // Raw both ways: no echo, no CR/LF mapping, every byte (NUL, ^B) passes.
  termios tio{};
  ::tcgetattr(slave, &tio);
  ::cfmakeraw(&tio);
  ::cfsetspeed(&tio, B115200);
  ::tcsetattr(slave, TCSANOW, &tio);
  ::fcntl(master, F_SETFD, FD_CLOEXEC);
  ::fcntl(slave, F_SETFD, FD_CLOEXEC);
  std::string slave_path = ::ttyname(slave) ? ::ttyname(slave) : "";
  ::unlink(link_path.c_str());
  if (::symlink(slave_path.c_str(), link_path.c_str()) != 0) {
    std::string why = std::strerror(errno);
    ::close(master);
    ::close(slave);
    return Error::io("symlink " + link_path + " -> " + slave_path + ": " + why);
  }
  return std::unique_ptr<PtyPort>(
      new PtyPort(io, master, slave, slave_path, link_path, std::move(on_data)));
}

PtyPort::PtyPort(asio::io_context& io, int master, int slave, std::string slave_path,
                 std::string link, DataFn on_data)
    : master_(io, master),
      slave_fd_(slave),
      slave_path_(std::move(slave_path)),
      link_(std::move(link)),
      on_data_(std::move(on_data)),
      retry_(io),
      drain_(io) {
  // write() is synchronous on this fd: non-blocking, so a full pty buffer
  // (nobody reading the console) drops output instead of stalling the loop.
  master_.non_blocking(true);
  read();
  drain_unread();
}

PtyPort::~PtyPort() {
  // Remove the link only if it is still ours (a new nodesim may have taken it).
  char target[256] = {};
  if (::readlink(link_.c_str(), target, sizeof target - 1) > 0 && slave_path_ == target)
    ::unlink(link_.c_str());
  ::close(slave_fd_);
}

void PtyPort::read() {
  master_.async_read_some(asio::buffer(buf_), [this](auto ec, std::size_t n) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      // EIO cannot come while we hold the slave, but if it does, do not spin.
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([this](auto wec) {
        if (!wec) read();
      });
      return;
    }
    on_data_(std::string_view(buf_, n));
    read();
  });
}

void PtyPort::drain_unread() {
  // Without this, whatever the node printed while nobody had the device open
  // (minutes of chatter, an old `ok` prompt) would reach the next reader as if
  // it were new: ser2net opens the device only when a client connects. Bytes
  // that sat unread for two samples in a row have no reader, so drop them; an
  // attached reader empties the queue within microseconds.
  int pending = 0;
  ::ioctl(slave_fd_, FIONREAD, &pending);
  if (pending > 0 && last_pending_ > 0 && pending >= last_pending_) {
    ::tcflush(slave_fd_, TCIFLUSH);
    dropped_ += static_cast<std::size_t>(pending);
    pending = 0;
  }
  last_pending_ = pending;
  drain_.expires_after(std::chrono::milliseconds(250));
  drain_.async_wait([this](auto ec) {
    if (!ec) drain_unread();
  });
}

void PtyPort::write(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(master_.native_handle(), bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      dropped_ += bytes.size();
      return;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace clusterd::sim
