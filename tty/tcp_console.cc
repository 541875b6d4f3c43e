// Consoles over TCP: a raw port (tcp://) and a terminal-server port speaking
// telnet, optionally with RFC 2217 (telnet://). Both use TCP keepalive and a
// user timeout, so a link whose far end vanished is noticed even when the
// node is silent; telnet adds an idle probe (DO TIMING-MARK) that a peer which
// accepted and then froze cannot answer.
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <chrono>
#include <deque>

#include "base/escape.h"
#include "tty/transports.h"

extern "C" {
#include <libtelnet.h>
}

namespace clusterd::tty {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

int seconds_at_least_1(Duration d) {
  return static_cast<int>(
      std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(d).count()));
}

// Kernel-level liveness: keepalive after `probe` of silence (30 s when the
// idle probe is off), 3 probes 5 s apart; unacknowledged data fails the
// connection after write_timeout (TCP_USER_TIMEOUT).
void set_liveness(tcp::socket& s, const Endpoint& e) {
  int fd = s.native_handle();
  int on = 1;
  int idle = seconds_at_least_1(e.probe == Duration::zero() ? std::chrono::seconds(30) : e.probe);
  int intvl = 5, cnt = 3;
  auto user_timeout = static_cast<unsigned>(
      std::chrono::duration_cast<std::chrono::milliseconds>(e.write_timeout).count());
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
  ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

class TcpConsole : public LinkConsole {
 public:
  TcpConsole(const Endpoint& e, ConsoleHandlers h, ConsoleContext c)
      : LinkConsole(e, std::move(h), c), resolver_(io()) {}
  ~TcpConsole() override { TcpConsole::disconnect(); }

 protected:
  void connect() override {
    resolver_.async_resolve(
        ep_.host, std::to_string(ep_.port),
        [this, ok = guard()](const boost::system::error_code& ec, tcp::resolver::results_type r) {
          if (!ok()) return;
          if (ec) {
            failed(LostReason::Refused, "cannot resolve " + ep_.host + ": " + ec.message());
            return;
          }
          socket_ = std::make_unique<tcp::socket>(io());
          asio::async_connect(
              *socket_, r,
              [this, ok2 = guard()](const boost::system::error_code& ec2, const tcp::endpoint&) {
                if (!ok2()) return;
                if (ec2) {
                  failed(classify(ec2),
                         ep_.host + ":" + std::to_string(ep_.port) + ": " + ec2.message());
                  return;
                }
                set_liveness(*socket_, ep_);
                attach_wire(std::make_unique<StreamWire<tcp::socket>>(std::move(*socket_)));
                socket_.reset();
                on_tcp_up();
              });
        });
  }

  void disconnect() override {
    resolver_.cancel();
    if (socket_) {
      boost::system::error_code ignored;
      socket_->close(ignored);
      socket_.reset();
    }
  }

  bool transmit_break() override {
    if (effective_break(ep_) != BreakStyle::Escape) return false;
    send_wire(ep_.break_escape);
    return true;
  }

  virtual void on_tcp_up() { connected(); }

 private:
  tcp::resolver resolver_;
  std::unique_ptr<tcp::socket> socket_;  // only while connecting
};

// What ser2net says before it closes a port it cannot serve, and what it
// says to a client it drops for a newer one (its kickolduser option).
constexpr std::string_view kDeviceFailure = "Device open failure";
constexpr std::string_view kKicked = "kicked off, new user is coming";
constexpr std::chrono::seconds kKickWindow{60};

constexpr int kComPort = 44;              // RFC 2217 COM-PORT-OPTION
constexpr unsigned char kSetControl = 5;  // RFC 2217 SET-CONTROL
constexpr unsigned char kBreakOn = 5, kBreakOff = 6;

class TelnetConsole : public TcpConsole {
 public:
  TelnetConsole(const Endpoint& e, ConsoleHandlers h, ConsoleContext c)
      : TcpConsole(e, std::move(h), c), break_timer_(io()) {}
  ~TelnetConsole() override { free_telnet(); }

 protected:
  void on_tcp_up() override {
    // We ask for binary both ways (0xFF, NUL and CR pass untouched), the
    // server's echo suppressed-go-ahead, and COM-PORT when RFC 2217 is on.
    static const telnet_telopt_t kPlain[] = {{TELNET_TELOPT_BINARY, TELNET_WILL, TELNET_DO},
                                             {TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO},
                                             {TELNET_TELOPT_ECHO, TELNET_WONT, TELNET_DO},
                                             {-1, 0, 0}};
    static const telnet_telopt_t kRfc2217[] = {{TELNET_TELOPT_BINARY, TELNET_WILL, TELNET_DO},
                                               {TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO},
                                               {TELNET_TELOPT_ECHO, TELNET_WONT, TELNET_DO},
                                               {kComPort, TELNET_WILL, TELNET_DONT},
                                               {-1, 0, 0}};
    free_telnet();
    tn_ = telnet_init(ep_.rfc2217 ? kRfc2217 : kPlain, &TelnetConsole::on_event, 0, this);
    head_.clear();
    tail_.clear();
    sniffing_ = true;
    login_ = ep_.user.empty() ? Login::Done : Login::WantUser;
    login_tail_.clear();
    telnet_negotiate(tn_, TELNET_WILL, TELNET_TELOPT_BINARY);
    telnet_negotiate(tn_, TELNET_DO, TELNET_TELOPT_BINARY);
    telnet_negotiate(tn_, TELNET_DO, TELNET_TELOPT_SGA);
    if (ep_.rfc2217) telnet_negotiate(tn_, TELNET_WILL, kComPort);
    connected();
  }

  void disconnect() override {
    TcpConsole::disconnect();
    break_timer_.cancel();
    free_telnet();
  }

  void transmit(std::string_view data) override {
    if (tn_) telnet_send(tn_, data.data(), data.size());
  }

  void on_wire_bytes(std::string_view raw) override {
    if (tn_) telnet_recv(tn_, raw.data(), raw.size());
  }

  void on_wire_error(const boost::system::error_code& ec) override {
    if (ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::error::broken_pipe) {
      if (tail_.find(kKicked) != std::string::npos) {
        failed(LostReason::Kicked, "another client took the terminal-server port");
        return;
      }
      if (head_.starts_with(kDeviceFailure)) {
        failed(LostReason::DeviceMissing, "terminal server said: " + escape(head_));
        return;
      }
      // ser2net 4 drops the old client of a kickolduser port without a word,
      // so a single close cannot be told from a restart. Two closes of a
      // working link within a minute, each after a successful reconnect, are
      // another client taking the port back: say so, and back off.
      auto now = std::chrono::steady_clock::now();
      while (!peer_closes_.empty() && now - peer_closes_.front() > kKickWindow)
        peer_closes_.pop_front();
      peer_closes_.push_back(now);
      if (peer_closes_.size() >= 2) {
        failed(LostReason::Kicked, "the port was taken by another client " +
                                       std::to_string(peer_closes_.size()) + " times within " +
                                       format_duration(kKickWindow) +
                                       " (terminal server kickolduser)");
        return;
      }
      failed(LostReason::Closed,
             "the terminal server closed the port (it restarted, or another client took it)");
      return;
    }
    TcpConsole::on_wire_error(ec);
  }

  bool transmit_break() override {
    if (!tn_) return false;
    switch (effective_break(ep_)) {
      case BreakStyle::Iac:
        telnet_iac(tn_, TELNET_BREAK);
        return true;
      case BreakStyle::Rfc2217: {
        const char on[] = {static_cast<char>(kSetControl), static_cast<char>(kBreakOn)};
        telnet_subnegotiation(tn_, kComPort, on, sizeof on);
        break_timer_.expires_after(ep_.break_duration);
        break_timer_.async_wait([this, ok = guard()](const boost::system::error_code& ec) {
          if (ec || !ok() || !tn_) return;
          const char off[] = {static_cast<char>(kSetControl), static_cast<char>(kBreakOff)};
          telnet_subnegotiation(tn_, kComPort, off, sizeof off);
        });
        return true;
      }
      case BreakStyle::Escape:
        telnet_send(tn_, ep_.break_escape.data(), ep_.break_escape.size());
        return true;
      default:
        return false;
    }
  }

  // RFC 860: a peer answers DO TIMING-MARK with WILL or WONT, whatever it
  // supports. Written raw: libtelnet's option state would swallow a repeat.
  bool send_probe() override {
    if (!tn_) return false;
    static const char kDoTimingMark[] = {'\xff', '\xfd', '\x06'};
    send_wire(std::string_view(kDoTimingMark, sizeof kDoTimingMark));
    return true;
  }

 private:
  // Verifying: the password went out; the server's answer may still be
  // "Login incorrect" (then a close, or the prompt again) — that is a refused
  // login, not a link that closed, and must be reported as such (it needs an
  // operator, and raises clusterd's critical alarm). Watched for the first
  // kVerifyBytes of output, then the bytes are the node's.
  enum class Login { WantUser, WantPassword, Verifying, Done };
  static constexpr std::size_t kVerifyBytes = 256;

  void free_telnet() {
    if (!tn_) return;
    // May run inside telnet_recv (an event led to a disconnect): free later.
    telnet_t* t = tn_;
    tn_ = nullptr;
    asio::post(io(), [t] { telnet_free(t); });
  }

  static void on_event(telnet_t* t, telnet_event_t* ev, void* user) {
    auto* self = static_cast<TelnetConsole*>(user);
    if (t != self->tn_) return;  // a freed session still draining its buffer
    switch (ev->type) {
      case TELNET_EV_DATA:
        self->on_data(std::string_view(ev->data.buffer, ev->data.size));
        break;
      case TELNET_EV_SEND:
        self->send_wire(std::string_view(ev->data.buffer, ev->data.size));
        break;
      case TELNET_EV_ERROR:
        self->failed(LostReason::Io, std::string("telnet: ") + ev->error.msg);
        break;
      default:
        break;  // negotiation is libtelnet's; COM-PORT replies need no action
    }
  }

  void on_data(std::string_view data) {
    tail_.append(data);
    if (tail_.size() > 256) tail_.erase(0, tail_.size() - 128);
    if (login_ != Login::Done) login_step(data);
    if (!sniffing_) {
      deliver(data);
      return;
    }
    // Hold the first bytes while they may be ser2net's "Device open failure"
    // notice: that is the terminal server talking, not the node.
    head_.append(data);
    std::size_t n = std::min(head_.size(), kDeviceFailure.size());
    if (head_.compare(0, n, kDeviceFailure.substr(0, n)) == 0) return;
    sniffing_ = false;
    std::string held;
    held.swap(head_);
    deliver(held);
  }

  void login_step(std::string_view data) {
    for (char c : data)
      login_tail_ += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (login_tail_.size() > 256) login_tail_.erase(0, login_tail_.size() - 128);
    auto ends_with_prompt = [&](std::string_view word) {
      auto end = login_tail_.find_last_not_of(' ');
      if (end == std::string::npos || login_tail_[end] != ':') return false;
      auto start = end >= word.size() ? end - word.size() : 0;
      return login_tail_.compare(start, word.size(), word) == 0;
    };
    if (login_tail_.find("incorrect") != std::string::npos ||
        login_tail_.find("denied") != std::string::npos) {
      failed(LostReason::AuthFailed, "terminal server refused the login for " + ep_.user);
      return;
    }
    if (login_ == Login::Verifying) {
      // Asked again for the user or the password: the last one was refused.
      // (Not "login:": a node's own console prompt may follow a good login.)
      if (ends_with_prompt("username") || ends_with_prompt("password")) {
        failed(LostReason::AuthFailed,
               "terminal server asked again after the password: login refused for " + ep_.user);
        return;
      }
      verified_bytes_ += data.size();
      if (verified_bytes_ >= kVerifyBytes) login_ = Login::Done;
      return;
    }
    if (login_ == Login::WantUser && (ends_with_prompt("login") || ends_with_prompt("username"))) {
      write(ep_.user + "\r\n");  // NVT end of line: the server's own login reader, not the node
      login_ = Login::WantPassword;
      login_tail_.clear();
    } else if (login_ == Login::WantPassword && ends_with_prompt("password")) {
      login_tail_.clear();
      login_ = Login::Verifying;
      verified_bytes_ = 0;
      if (!secrets() || ep_.secret.empty()) {
        failed(LostReason::AuthFailed,
               "the terminal server asks for a password and no ?secret=NAME is set");
        return;
      }
      auto pw = secrets()->secret(ep_.secret);
      if (!pw.ok()) {
        failed(LostReason::AuthFailed, pw.error().message);
        return;
      }
      write_secret(*pw + "\r\n", ep_.secret);
    }
  }

  telnet_t* tn_ = nullptr;
  asio::steady_timer break_timer_;
  std::string head_, tail_, login_tail_;
  bool sniffing_ = true;
  Login login_ = Login::Done;
  std::size_t verified_bytes_ = 0;
  std::deque<std::chrono::steady_clock::time_point> peer_closes_;
};

}  // namespace

std::unique_ptr<Console> make_tcp_console(const Endpoint& e, ConsoleHandlers h, ConsoleContext c) {
  return std::make_unique<TcpConsole>(e, std::move(h), c);
}

std::unique_ptr<Console> make_telnet_console(const Endpoint& e, ConsoleHandlers h,
                                             ConsoleContext c) {
  return std::make_unique<TelnetConsole>(e, std::move(h), c);
}

}  // namespace clusterd::tty
