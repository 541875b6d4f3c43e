// Consoles on a local terminal device: a pseudo-terminal (pty:, what
// simulators and socat serve) through plain termios, and a real serial port
// (serial:) through libserialport, which also sends the line BREAK. Both read
// and write the device's descriptor through Asio.
//
// libserialport 0.1.1 refuses pseudo-terminals (it looks the port up under
// /sys/class/tty and calls TIOCMGET, which ptys lack), so pty: does not go
// through it; what only real hardware can show is listed in docs/config.md.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>

#include "tty/transports.h"

extern "C" {
#include <libserialport.h>
}

namespace clusterd::tty {
namespace {

namespace asio = boost::asio;

speed_t speed_of(unsigned baud) {
  switch (baud) {
    case 1200:
      return B1200;
    case 2400:
      return B2400;
    case 4800:
      return B4800;
    case 9600:
      return B9600;
    case 19200:
      return B19200;
    case 38400:
      return B38400;
    case 57600:
      return B57600;
    case 115200:
      return B115200;
    case 230400:
      return B230400;
    default:
      return B0;
  }
}

}  // namespace

Result<void> configure_termios(int fd, const SerialSettings& s) {
  termios t{};
  if (::tcgetattr(fd, &t) != 0) return Error::io(std::string("tcgetattr: ") + std::strerror(errno));
  ::cfmakeraw(&t);
  t.c_cflag |= CLOCAL | CREAD;
  t.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
  t.c_cflag |= s.data_bits == 5 ? CS5 : s.data_bits == 6 ? CS6 : s.data_bits == 7 ? CS7 : CS8;
  if (s.parity != Parity::None) t.c_cflag |= PARENB | (s.parity == Parity::Odd ? PARODD : 0);
  if (s.stop_bits == 2) t.c_cflag |= CSTOPB;
  if (s.flow == Flow::RtsCts) t.c_cflag |= CRTSCTS;
  if (s.flow == Flow::XonXoff) t.c_iflag |= IXON | IXOFF;
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  speed_t sp = speed_of(s.baud);
  if (sp == B0) return Error::invalid("baud " + std::to_string(s.baud) + " has no termios speed");
  ::cfsetispeed(&t, sp);
  ::cfsetospeed(&t, sp);
  if (::tcsetattr(fd, TCSANOW, &t) != 0)
    return Error::io(std::string("tcsetattr: ") + std::strerror(errno));
  return {};
}

namespace {

/// pty:/path — a local pseudo-terminal (the slave side, or a socat link).
class PtyConsole : public LinkConsole {
 public:
  PtyConsole(const Endpoint& e, ConsoleHandlers h, ConsoleContext c)
      : LinkConsole(e, std::move(h), c), break_timer_(io()) {}

 protected:
  void connect() override {
    int fd = ::open(ep_.path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      failed(err == ENOENT ? LostReason::DeviceMissing : LostReason::Io,
             ep_.path + ": " + std::strerror(err));
      return;
    }
    if (auto r = configure_termios(fd, ep_.serial); !r.ok()) {
      ::close(fd);
      failed(LostReason::Io, ep_.path + ": " + r.error().message);
      return;
    }
    fd_ = fd;
    attach_wire(std::make_unique<FdWire>(asio::posix::stream_descriptor(io(), fd)));
    connected();
  }

  void disconnect() override {
    break_timer_.cancel();
    fd_ = -1;  // closed by the wire
  }

  bool transmit_break() override {
    switch (effective_break(ep_)) {
      case BreakStyle::Escape:
        send_wire(ep_.break_escape);
        return true;
      case BreakStyle::Line:
        if (fd_ < 0 || ::ioctl(fd_, TIOCSBRK) != 0) return false;
        break_timer_.expires_after(ep_.break_duration);
        break_timer_.async_wait([this, ok = guard()](const boost::system::error_code& ec) {
          if (!ec && ok() && fd_ >= 0) ::ioctl(fd_, TIOCCBRK);
        });
        return true;
      default:
        return false;
    }
  }

 private:
  int fd_ = -1;
  asio::steady_timer break_timer_;
};

std::string sp_message(const char* what) {
  char* m = sp_last_error_message();
  std::string out = std::string(what) + ": " + (m ? m : "unknown error");
  if (m) sp_free_error_message(m);
  return out;
}

/// serial:/dev/ttyS0 — a real port through libserialport.
class SerialConsole : public LinkConsole {
 public:
  SerialConsole(const Endpoint& e, ConsoleHandlers h, ConsoleContext c)
      : LinkConsole(e, std::move(h), c), break_timer_(io()) {}
  ~SerialConsole() override { SerialConsole::disconnect(); }

 protected:
  void connect() override {
    auto r = open_port();
    if (!r.ok()) {
      failed(LostReason::DeviceMissing, r.error().message);
      return;
    }
    // Asio gets its own descriptor so closing the wire and sp_close() never
    // close the same number twice.
    int fd = -1;
    if (sp_get_port_handle(port_, &fd) != SP_OK || (fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
      disconnect();
      failed(LostReason::Io, ep_.path + ": cannot get the port's descriptor");
      return;
    }
    int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    attach_wire(std::make_unique<FdWire>(asio::posix::stream_descriptor(io(), fd)));
    connected();
  }

  void disconnect() override {
    break_timer_.cancel();
    if (port_) {
      sp_close(port_);
      sp_free_port(port_);
      port_ = nullptr;
    }
  }

  bool transmit_break() override {
    switch (effective_break(ep_)) {
      case BreakStyle::Escape:
        send_wire(ep_.break_escape);
        return true;
      case BreakStyle::Line:
        if (!port_ || sp_start_break(port_) != SP_OK) return false;
        break_timer_.expires_after(ep_.break_duration);
        break_timer_.async_wait([this, ok = guard()](const boost::system::error_code& ec) {
          if (!ec && ok() && port_) sp_end_break(port_);
        });
        return true;
      default:
        return false;
    }
  }

 private:
  Result<void> open_port() {
    if (sp_get_port_by_name(ep_.path.c_str(), &port_) != SP_OK) {
      port_ = nullptr;
      return Error::not_found(sp_message(("libserialport does not know " + ep_.path).c_str()));
    }
    if (sp_open(port_, SP_MODE_READ_WRITE) != SP_OK) {
      auto e = Error::io(sp_message(("cannot open " + ep_.path).c_str()));
      sp_free_port(port_);
      port_ = nullptr;
      return e;
    }
    const auto& s = ep_.serial;
    sp_parity parity = s.parity == Parity::None  ? SP_PARITY_NONE
                       : s.parity == Parity::Odd ? SP_PARITY_ODD
                                                 : SP_PARITY_EVEN;
    sp_flowcontrol flow = s.flow == Flow::None      ? SP_FLOWCONTROL_NONE
                          : s.flow == Flow::XonXoff ? SP_FLOWCONTROL_XONXOFF
                                                    : SP_FLOWCONTROL_RTSCTS;
    if (sp_set_baudrate(port_, static_cast<int>(s.baud)) != SP_OK ||
        sp_set_bits(port_, static_cast<int>(s.data_bits)) != SP_OK ||
        sp_set_parity(port_, parity) != SP_OK ||
        sp_set_stopbits(port_, static_cast<int>(s.stop_bits)) != SP_OK ||
        sp_set_flowcontrol(port_, flow) != SP_OK) {
      auto e = Error::io(sp_message(("cannot set the line of " + ep_.path).c_str()));
      disconnect();
      return e;
    }
    return {};
  }

  sp_port* port_ = nullptr;
  asio::steady_timer break_timer_;
};

}  // namespace

std::unique_ptr<Console> make_pty_console(const Endpoint& e, ConsoleHandlers h, ConsoleContext c) {
  return std::make_unique<PtyConsole>(e, std::move(h), c);
}

std::unique_ptr<Console> make_serial_console(const Endpoint& e, ConsoleHandlers h,
                                             ConsoleContext c) {
  return std::make_unique<SerialConsole>(e, std::move(h), c);
}

}  // namespace clusterd::tty
