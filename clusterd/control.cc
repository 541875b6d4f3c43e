#include "clusterd/control.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>

namespace clusterd {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;

namespace {

// One client: read a line (bounded), answer, close. Kept alive by its handlers.
struct Session : std::enable_shared_from_this<Session> {
  Session(local::socket s, ControlServer::Handler& h, std::weak_ptr<int> token)
      : sock(std::move(s)), timer(sock.get_executor()), handler(h), alive(std::move(token)) {}

  void run() {
    auto self = shared_from_this();
    timer.expires_after(std::chrono::seconds(5));
    timer.async_wait([self](const boost::system::error_code& ec) {
      if (!ec) self->sock.close();
    });
    asio::async_read_until(
        sock, buf, '\n', [self](const boost::system::error_code& ec, std::size_t n) {
          if (ec || self->alive.expired()) return;
          std::string line(asio::buffers_begin(self->buf.data()),
                           asio::buffers_begin(self->buf.data()) + static_cast<long>(n) - 1);
          self->reply = self->handler(line);
          asio::async_write(self->sock, asio::buffer(self->reply),
                            [self](const boost::system::error_code&, std::size_t) {
                              self->timer.cancel();
                              boost::system::error_code ignored;
                              self->sock.shutdown(local::socket::shutdown_both, ignored);
                              self->sock.close(ignored);
                            });
        });
  }

  local::socket sock;
  asio::steady_timer timer;
  asio::streambuf buf{4096};
  ControlServer::Handler& handler;
  std::weak_ptr<int> alive;
  std::string reply;
};

bool socket_is_live(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return live;
}

}  // namespace

ControlServer::ControlServer(asio::io_context& io, std::string path, Handler handler)
    : acceptor_(io), path_(std::move(path)), handler_(std::move(handler)) {}

ControlServer::~ControlServer() {
  token_.reset();
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  ::unlink(path_.c_str());
}

Result<std::unique_ptr<ControlServer>> ControlServer::start(asio::io_context& io,
                                                            const std::string& path,
                                                            Handler handler) {
  if (path.size() >= sizeof(sockaddr_un{}.sun_path))
    return Error::invalid(path + ": socket path too long");
  if (socket_is_live(path))
    return Error::invalid(path + ": another clusterd is already running on this socket");
  ::unlink(path.c_str());  // left by a dead clusterd
  std::unique_ptr<ControlServer> s(new ControlServer(io, path, std::move(handler)));
  boost::system::error_code ec;
  s->acceptor_.open(local(), ec);
  if (!ec) s->acceptor_.bind(local::endpoint(path), ec);
  if (!ec) s->acceptor_.listen(16, ec);
  if (ec) return Error::io(path + ": " + ec.message());
  ::chmod(path.c_str(), 0660);
  s->accept();
  return s;
}

void ControlServer::accept() {
  acceptor_.async_accept([this, alive = std::weak_ptr<int>(token_)](
                             const boost::system::error_code& ec, local::socket sock) {
    if (alive.expired()) return;
    if (!ec) std::make_shared<Session>(std::move(sock), handler_, alive)->run();
    if (ec != asio::error::operation_aborted) accept();
  });
}

Result<std::string> control_request(const std::string& path, const std::string& request,
                                    Duration timeout) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::io(std::string("socket: ") + std::strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd);
    if (err == ENOENT || err == ECONNREFUSED)
      return Error::not_found(path + ": clusterd is not running");
    return Error::io(path + ": " + std::strerror(err));
  }
  std::string line = request + "\n";
  if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    ::close(fd);
    return Error::io(path + ": cannot send the request");
  }
  std::string reply;
  auto ms =
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count());
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, ms);
    if (r <= 0) {
      ::close(fd);
      return Error::io(path + ": no reply from clusterd within " + format_duration(timeout));
    }
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return reply;
}

}  // namespace clusterd
