#include "sim/telnet_server.h"

#include <libtelnet.h>

#include <deque>

namespace clusterd::sim {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr unsigned char kComPort = 44;    // RFC 2217 COM-PORT-OPTION
constexpr unsigned char kSetControl = 5;  // client -> server SET-CONTROL
constexpr unsigned char kBreakOn = 5;
constexpr std::size_t kMaxQueued = 1 << 20;  // a stalled client loses output, not memory

// What we agree to: we echo and suppress go-ahead (character mode for a
// plain telnet client), binary both ways, and COM-PORT when the client asks.
const telnet_telopt_t kTelopts[] = {
    {TELNET_TELOPT_ECHO, TELNET_WILL, TELNET_DONT},
    {TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO},
    {TELNET_TELOPT_BINARY, TELNET_WILL, TELNET_DO},
    {kComPort, TELNET_WILL, TELNET_DO},
    {-1, 0, 0},
};

// The client's address as a person reads it: an IPv4 client of a dual-stack
// ("::") listener arrives as ::ffff:a.b.c.d and is named a.b.c.d. A peer
// gone before we asked (ENOTCONN) is "unknown": its session closes at once.
std::string peer_of(const tcp::socket& socket) {
  boost::system::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  auto a = ep.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

}  // namespace

class TelnetSession : public std::enable_shared_from_this<TelnetSession> {
 public:
  TelnetSession(TelnetServer& server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), peer_(peer_of(socket_)) {
    telnet_ = telnet_init(kTelopts, &TelnetSession::on_event, 0, this);
  }
  ~TelnetSession() {
    if (telnet_) telnet_free(telnet_);
  }

  void start() {
    telnet_negotiate(telnet_, TELNET_WILL, TELNET_TELOPT_ECHO);
    telnet_negotiate(telnet_, TELNET_WILL, TELNET_TELOPT_SGA);
    read();
  }

  const std::string& peer() const { return peer_; }

  void send(std::string_view bytes) {
    if (!closed_) telnet_send(telnet_, bytes.data(), bytes.size());
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    socket_.close(ec);
    server_.closed(shared_from_this());
  }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(buf_),
                            [self = shared_from_this()](auto ec, std::size_t n) {
                              if (ec || self->closed_) return self->close();
                              telnet_recv(self->telnet_, self->buf_, n);
                              self->read();
                            });
  }

  void queue(const char* data, std::size_t size) {
    if (queued_ + size > kMaxQueued) return;
    out_.emplace_back(data, size);
    queued_ += size;
    // One async_write at a time: two in flight on one socket could interleave
    // their bytes. write() takes the next chunk when the current one is out.
    if (out_.size() == 1) write();
  }

  void write() {
    asio::async_write(socket_, asio::buffer(out_.front()),
                      [self = shared_from_this()](auto ec, std::size_t) {
                        if (ec) return self->close();
                        self->queued_ -= self->out_.front().size();
                        self->out_.pop_front();
                        if (!self->out_.empty()) self->write();
                      });
  }

  static void on_event(telnet_t*, telnet_event_t* ev, void* user) {
    auto* s = static_cast<TelnetSession*>(user);
    switch (ev->type) {
      case TELNET_EV_DATA:
        s->server_.on_data_(std::string_view(ev->data.buffer, ev->data.size), s->peer_);
        break;
      case TELNET_EV_SEND:
        s->queue(ev->data.buffer, ev->data.size);
        break;
      case TELNET_EV_IAC:
        if (ev->iac.cmd == TELNET_BREAK) s->server_.on_break_(BreakVia::TelnetBrk, s->peer_);
        break;
      case TELNET_EV_SUBNEGOTIATION:
        if (ev->sub.telopt == kComPort && ev->sub.size >= 1)
          s->com_port(ev->sub.buffer, ev->sub.size);
        break;
      case TELNET_EV_ERROR:
        // A protocol error from the peer: drop it like a terminal server would.
        asio::post(s->socket_.get_executor(), [self = s->shared_from_this()] { self->close(); });
        break;
      default:
        break;
    }
  }

  void com_port(const char* sub, std::size_t size) {
    auto cmd = static_cast<unsigned char>(sub[0]);
    if (cmd == kSetControl && size >= 2 && static_cast<unsigned char>(sub[1]) == kBreakOn) {
      server_.on_break_(BreakVia::Rfc2217, peer_);
    }
    // RFC 2217: the server answers every command with its code + 100.
    if (cmd < 100) {
      std::string reply(sub, size);
      reply[0] = static_cast<char>(cmd + 100);
      telnet_subnegotiation(telnet_, kComPort, reply.data(), reply.size());
    }
  }

  TelnetServer& server_;
  tcp::socket socket_;
  std::string peer_;  // after socket_: initialised from it
  telnet_t* telnet_ = nullptr;
  char buf_[4096];
  std::deque<std::string> out_;
  std::size_t queued_ = 0;
  bool closed_ = false;
};

TelnetServer::TelnetServer(asio::io_context& io, const std::string& host, unsigned short port,
                           DataFn on_data, BreakFn on_break, bool kick_old_user, KickFn on_kick)
    : acceptor_(io, tcp::endpoint(asio::ip::make_address(host), port)),
      on_data_(std::move(on_data)),
      on_break_(std::move(on_break)),
      kick_old_user_(kick_old_user),
      on_kick_(std::move(on_kick)) {
  accept();
}

TelnetServer::~TelnetServer() {
  auto sessions = sessions_;  // close() erases the session from sessions_
  for (const auto& s : sessions) s->close();
}

void TelnetServer::accept() {
  acceptor_.async_accept([this](auto ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      auto s = std::make_shared<TelnetSession>(*this, std::move(socket));
      if (kick_old_user_) {
        // ser2net.yaml(5), ser2net 4.3: "kickolduser: true|false sets the
        // port so that the previous user will be kicked off if a new user
        // comes in. Useful if you forget to log off from someplace else a
        // lot." ser2net kicks once a port has max-connections users (default
        // 1); this port has no maximum, so every new client kicks all the
        // others, as ser2net with the default does. The kicked client sees
        // its connection closed.
        auto old = sessions_;  // close() erases the session from sessions_
        for (const auto& o : old) {
          o->close();
          if (on_kick_) on_kick_(o->peer(), s->peer());
        }
      }
      sessions_.insert(s);
      s->start();
    }
    accept();
  });
}

void TelnetServer::broadcast(std::string_view bytes) {
  auto sessions = sessions_;  // a failed send may close (and erase) a session
  for (const auto& s : sessions) s->send(bytes);
}

}  // namespace clusterd::sim
