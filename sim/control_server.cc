#include "sim/control_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace clusterd::sim {
namespace {

namespace asio = boost::asio;
using asio::local::stream_protocol;

class ControlSession : public std::enable_shared_from_this<ControlSession> {
 public:
  ControlSession(stream_protocol::socket s, ControlServer::Handler& h)
      : socket_(std::move(s)), handler_(h) {}

  void read() {
    asio::async_read_until(socket_, asio::dynamic_buffer(in_, 64 * 1024), '\n',
                           [self = shared_from_this()](auto ec, std::size_t n) {
                             if (ec) return;  // EOF or a too-long line: hang up
                             std::string line = self->in_.substr(0, n - 1);
                             self->in_.erase(0, n);
                             if (!line.empty() && line.back() == '\r') line.pop_back();
                             self->out_ = self->handler_(line) + "\n";
                             asio::async_write(self->socket_, asio::buffer(self->out_),
                                               [self](auto wec, std::size_t) {
                                                 if (!wec) self->read();
                                               });
                           });
  }

 private:
  stream_protocol::socket socket_;
  ControlServer::Handler& handler_;
  std::string in_, out_;
};

stream_protocol::acceptor bind_socket(asio::io_context& io, const std::string& path) {
  // A nodesim killed with SIGKILL leaves its socket file behind, and bind()
  // refuses an existing path; the node being started now owns the name.
  ::unlink(path.c_str());
  stream_protocol::acceptor a(io, stream_protocol::endpoint(path));
  ::chmod(path.c_str(), 0600);  // it powers nodes off and types at their consoles
  return a;
}

}  // namespace

ControlServer::ControlServer(asio::io_context& io, std::string path, Handler handler)
    : path_(std::move(path)), acceptor_(bind_socket(io, path_)), handler_(std::move(handler)) {
  accept();
}

ControlServer::~ControlServer() { ::unlink(path_.c_str()); }

void ControlServer::accept() {
  acceptor_.async_accept([this](auto ec, stream_protocol::socket s) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) std::make_shared<ControlSession>(std::move(s), handler_)->read();
    accept();
  });
}

Result<std::string> control_request(const std::string& path, const std::string& line) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::io(std::string("socket: ") + std::strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    ::close(fd);
    return Error::invalid("control socket path too long: " + path);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    return Error::io("cannot reach " + path + ": " + why);
  }
  std::string msg = line + "\n";
  std::string reply;
  bool ok = ::write(fd, msg.data(), msg.size()) == static_cast<ssize_t>(msg.size());
  char c;
  while (ok && ::read(fd, &c, 1) == 1 && c != '\n') reply += c;
  ::close(fd);
  if (!ok) return Error::io("cannot write to " + path);
  return reply;
}

}  // namespace clusterd::sim
