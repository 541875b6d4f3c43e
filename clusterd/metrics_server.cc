#include "clusterd/metrics_server.h"

#include <fcntl.h>

#include <array>
#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <ctime>
#include <string_view>
#include <vector>

namespace clusterd {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

using HeadIter = asio::buffers_iterator<asio::streambuf::const_buffers_type>;

// The blank line that ends a request head: "\r\n\r\n", or "\n\n" from a
// hand-typed request (printf ... | nc), which would otherwise wait for the
// timeout.
std::pair<HeadIter, bool> end_of_head(HeadIter begin, HeadIter end) {
  int newlines = 0;
  for (HeadIter i = begin; i != end; ++i) {
    if (*i == '\n') {
      if (++newlines == 2) return {i + 1, true};
    } else if (*i != '\r') {
      newlines = 0;
    }
  }
  return {begin, false};
}

// RFC 9110 IMF-fixdate, built by hand: strftime's names follow the locale.
std::string http_date() {
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string response(std::string_view version, std::string_view status,
                     std::string_view content_type, const std::string& body,
                     std::string_view extra = {}) {
  std::string r = std::string(version) + " " + std::string(status) + "\r\n";
  r += "Date: " + http_date() + "\r\n";
  r += "Content-Type: " + std::string(content_type) + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  r += extra;
  r += "Connection: close\r\n\r\n";
  return r + body;
}

constexpr std::string_view kText = "text/plain; charset=utf-8";
constexpr std::string_view kExposition = "text/plain; version=0.0.4; charset=utf-8";

void set_cloexec(int fd) {
  // Asio does not open sockets close-on-exec, and the daemon spawns power
  // and `exec` commands: a long-running child must not inherit the listening
  // socket and keep the port from the next clusterd.
  int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

// One client: read the head (bounded), reply, close. Kept alive by its
// handlers; the timer bounds the whole exchange.
struct Session : std::enable_shared_from_this<Session> {
  Session(tcp::socket s, std::shared_ptr<MetricsServer::Shared>& shared)
      : sock(std::move(s)),
        timer(sock.get_executor()),
        buf(shared->limits.max_head),
        server(shared),
        timeout(shared->limits.timeout) {
    ++shared->clients;
  }
  ~Session() {
    if (auto s = server.lock()) --s->clients;
  }

  void run() {
    auto self = shared_from_this();
    timer.expires_after(timeout);
    timer.async_wait([self](const boost::system::error_code& ec) {
      if (ec) return;
      boost::system::error_code ignored;
      self->sock.close(ignored);  // a stalled client: its pending read or write ends
    });
    asio::async_read_until(
        sock, buf, end_of_head, [self](const boost::system::error_code& ec, std::size_t n) {
          if (ec == asio::error::not_found) {  // the buffer filled up without a blank line
            self->reply = response("HTTP/1.1", "431 Request Header Fields Too Large", kText,
                                   "request head too large\n");
            self->send();
            return;
          }
          auto shared = self->server.lock();
          if (ec || !shared) {
            self->finish();
            return;
          }
          std::string head(asio::buffers_begin(self->buf.data()),
                           asio::buffers_begin(self->buf.data()) + static_cast<std::ptrdiff_t>(n));
          self->reply = http_reply(head, shared->render);
          self->send();
        });
  }

  void send() {
    auto self = shared_from_this();
    timer.expires_after(timeout);  // a fresh bound for the write and the linger
    timer.async_wait([self](const boost::system::error_code& ec) {
      if (ec) return;
      boost::system::error_code ignored;
      self->sock.close(ignored);
    });
    asio::async_write(sock, asio::buffer(reply),
                      [self](const boost::system::error_code& ec, std::size_t) {
                        if (ec) {
                          self->finish();
                          return;
                        }
                        boost::system::error_code ignored;
                        self->sock.shutdown(tcp::socket::shutdown_send, ignored);
                        self->linger();
                      });
  }

  // Reads and drops what the client still sends until it closes its side.
  // Closing with unread bytes would make the kernel reset the connection,
  // and a reset can destroy the reply before the client read it (the 431
  // to an oversized head always leaves bytes unread).
  void linger() {
    auto self = shared_from_this();
    sock.async_read_some(asio::buffer(drain),
                         [self](const boost::system::error_code& ec, std::size_t) {
                           if (ec) {
                             self->finish();
                             return;
                           }
                           self->linger();
                         });
  }

  void finish() {
    timer.cancel();
    boost::system::error_code ignored;
    sock.close(ignored);
  }

  tcp::socket sock;
  asio::steady_timer timer;
  asio::streambuf buf;
  std::weak_ptr<MetricsServer::Shared> server;
  std::chrono::milliseconds timeout;
  std::string reply;
  std::array<char, 1024> drain;
};

}  // namespace

std::string http_reply(std::string_view head, const MetricsServer::Render& render) {
  std::string_view line = head.substr(0, head.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // request-line = method SP request-target SP HTTP-version, nothing else.
  std::vector<std::string_view> parts;
  while (!line.empty() && parts.size() < 4) {
    auto sp = line.find(' ');
    parts.push_back(line.substr(0, sp));
    line.remove_prefix(sp == std::string_view::npos ? line.size() : sp + 1);
  }
  bool http1 = parts.size() == 3 && (parts[2] == "HTTP/1.0" || parts[2] == "HTTP/1.1");
  if (!http1 || parts[0].empty() || parts[1].empty()) {
    return response("HTTP/1.1", "400 Bad Request", kText,
                    "bad request: expected GET /metrics HTTP/1.1\n");
  }
  std::string_view version = parts[2];
  std::string_view path = parts[1].substr(0, parts[1].find('?'));  // Prometheus may add ?params
  if (path != "/metrics")
    return response(version, "404 Not Found", kText, "not found: try /metrics\n");
  if (parts[0] != "GET") {
    return response(version, "405 Method Not Allowed", kText, "method not allowed: GET only\n",
                    "Allow: GET\r\n");
  }
  return response(version, "200 OK", kExposition, render());
}

MetricsServer::MetricsServer(asio::io_context& io, Render render, Limits limits)
    : acceptor_(io),
      retry_(io),
      shared_(std::make_shared<Shared>(Shared{std::move(render), limits, 0})) {}

MetricsServer::~MetricsServer() {
  shared_.reset();  // sessions still running render nothing
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  retry_.cancel();
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(asio::io_context& io,
                                                            const std::string& address,
                                                            std::uint16_t port, Render render,
                                                            Limits limits) {
  std::string where = (address.find(':') != std::string::npos ? "[" + address + "]" : address) +
                      ":" + std::to_string(port);
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(address, ec);
  if (ec) return Error::invalid("metrics: " + where + ": not an IP address");
  std::unique_ptr<MetricsServer> s(new MetricsServer(io, std::move(render), limits));
  tcp::endpoint ep(addr, port);
  s->acceptor_.open(ep.protocol(), ec);
  if (!ec) {
    set_cloexec(s->acceptor_.native_handle());
    // A restarted clusterd (reload, systemd) must get its port back while
    // the old connections sit in TIME_WAIT.
    s->acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) s->acceptor_.bind(ep, ec);
  if (!ec) s->acceptor_.listen(16, ec);
  if (ec) return Error::io("metrics: cannot listen on " + where + ": " + ec.message());
  s->accept();
  return s;
}

tcp::endpoint MetricsServer::endpoint() const {
  boost::system::error_code ignored;
  return acceptor_.local_endpoint(ignored);
}

void MetricsServer::accept() {
  acceptor_.async_accept([this, alive = std::weak_ptr<Shared>(shared_)](
                             const boost::system::error_code& ec, tcp::socket sock) {
    auto shared = alive.lock();
    if (!shared || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors (EMFILE) fails every accept at once: try again a
      // little later instead of spinning on the daemon's only thread.
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([this, alive](const boost::system::error_code& e) {
        if (!e && !alive.expired()) accept();
      });
      return;
    }
    set_cloexec(sock.native_handle());
    if (shared->clients >= shared->limits.max_clients) {
      boost::system::error_code ignored;
      sock.close(ignored);  // a scrape storm must not use up the daemon's descriptors
    } else {
      std::make_shared<Session>(std::move(sock), shared)->run();
    }
    accept();
  });
}

}  // namespace clusterd
