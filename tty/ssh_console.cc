// ssh: a console reached through ssh (a console server's ssh port, a BMC's
// SSH-to-SOL, a jump host running `console NODE`). libssh in non-blocking
// mode, driven from the io_context: the handshake is stepped on socket
// readiness (and a short tick, for the write-ready steps), then a Wire reads
// and writes the channel.
//
// Host keys are pinned: the key must be in the configured known_hosts file.
// An unknown or changed key refuses the connection and the error carries the
// offered SHA256 fingerprint, so an operator can check it and add it by hand;
// clusterd never accepts a key by itself.
#include <libssh/libssh.h>
#include <libssh/server.h>  // ssh_send_keepalive (a client may send it too)
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdlib>

#include "tty/transports.h"

namespace clusterd::tty {
namespace {

namespace asio = boost::asio;

std::string home_file(const char* rel) {
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "/root") + "/" + rel;
}

/// The channel as a Wire: reads drain libssh's buffer first, then wait for the
/// socket; writes go straight to libssh (which buffers in non-blocking mode).
class SshWire : public Wire {
 public:
  SshWire(asio::io_context& io, ssh_session s, ssh_channel ch, std::function<void()> activity)
      : sock_(io, ::dup(ssh_get_fd(s))),
        retry_(io),
        session_(s),
        channel_(ch),
        activity_(std::move(activity)) {}

  void async_wait_readable(WaitHandler h) override {
    // libssh may already hold channel data it read with an earlier packet.
    int avail = ssh_channel_poll(channel_, 0);
    if (avail != 0 || ssh_channel_is_eof(channel_) || !ssh_channel_is_open(channel_)) {
      asio::post(sock_.get_executor(), [h = std::move(h)] { h({}); });
      return;
    }
    sock_.async_wait(asio::posix::stream_descriptor::wait_read,
                     [this, h = std::move(h)](const boost::system::error_code& ec) {
                       if (!ec) activity_();  // any packet counts as an answer to a keepalive
                       h(ec);
                     });
  }

  std::size_t read_some(asio::mutable_buffer buf, boost::system::error_code& ec) override {
    int n = ssh_channel_read_nonblocking(channel_, buf.data(),
                                         static_cast<std::uint32_t>(buf.size()), 0);
    if (n > 0) {
      ec = {};
      return static_cast<std::size_t>(n);
    }
    if (n == SSH_ERROR) {
      ec = asio::error::connection_reset;
    } else if (ssh_channel_is_eof(channel_) || !ssh_channel_is_open(channel_)) {
      ec = asio::error::eof;
    } else {
      ec = asio::error::would_block;
    }
    return 0;
  }

  void async_write_some(asio::const_buffer buf, Handler h) override {
    int n = ssh_channel_write(channel_, buf.data(), static_cast<std::uint32_t>(buf.size()));
    if (n == SSH_ERROR) {
      asio::post(sock_.get_executor(), [h = std::move(h)] { h(asio::error::connection_reset, 0); });
      return;
    }
    if (n > 0) {
      asio::post(sock_.get_executor(),
                 [h = std::move(h), n] { h({}, static_cast<std::size_t>(n)); });
      return;
    }
    // Remote window full: try again shortly (a window adjust arrives as a read).
    retry_.expires_after(std::chrono::milliseconds(20));
    retry_.async_wait([this, buf, h = std::move(h)](const boost::system::error_code& ec) mutable {
      if (ec) {
        h(ec, 0);
        return;
      }
      async_write_some(buf, std::move(h));
    });
  }

  std::size_t write_some(asio::const_buffer buf, boost::system::error_code& ec) override {
    int n = ssh_channel_write(channel_, buf.data(), static_cast<std::uint32_t>(buf.size()));
    if (n == SSH_ERROR) {
      ec = asio::error::connection_reset;
      return 0;
    }
    ec = n > 0 ? boost::system::error_code() : boost::system::error_code(asio::error::would_block);
    return static_cast<std::size_t>(n > 0 ? n : 0);
  }

  void close() override {
    boost::system::error_code ignored;
    retry_.cancel();
    sock_.close(ignored);  // our dup only; libssh closes its own
  }

 private:
  asio::posix::stream_descriptor sock_;
  asio::steady_timer retry_;
  ssh_session session_;
  ssh_channel channel_;
  std::function<void()> activity_;
};

class SshConsole : public LinkConsole {
 public:
  SshConsole(const Endpoint& e, ConsoleHandlers h, ConsoleContext c)
      : LinkConsole(e, std::move(h), c), tick_(io()) {}
  ~SshConsole() override { SshConsole::disconnect(); }

 protected:
  enum class Step { Connect, HostKey, Auth, Channel, Pty, Start, Done };

  void connect() override {
    session_ = ssh_new();
    if (!session_) {
      failed(LostReason::Io, "ssh_new failed");
      return;
    }
    long timeout_s = static_cast<long>(
        std::chrono::duration_cast<std::chrono::seconds>(ep_.connect_timeout).count());
    int port = ep_.port;
    int no = 0;
    std::string known = ep_.known_hosts.empty() ? home_file(".ssh/known_hosts") : ep_.known_hosts;
    ssh_options_set(session_, SSH_OPTIONS_HOST, ep_.host.c_str());
    ssh_options_set(session_, SSH_OPTIONS_PORT, &port);
    ssh_options_set(session_, SSH_OPTIONS_USER, ep_.user.c_str());
    ssh_options_set(session_, SSH_OPTIONS_TIMEOUT, &timeout_s);
    ssh_options_set(session_, SSH_OPTIONS_PROCESS_CONFIG, &no);  // never read ~/.ssh/config
    ssh_options_set(session_, SSH_OPTIONS_KNOWNHOSTS, known.c_str());
    ssh_options_set(session_, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
    ssh_set_blocking(session_, 0);
    step_ = Step::Connect;
    advance();
  }

  void disconnect() override {
    tick_.cancel();
    if (channel_) {
      ssh_channel_free(channel_);
      channel_ = nullptr;
    }
    if (key_) {
      ssh_key_free(key_);
      key_ = nullptr;
    }
    if (session_) {
      // May be called from inside a handler that still holds the session
      // through the wire: free it after the current handler returns.
      ssh_session s = session_;
      session_ = nullptr;
      asio::post(io(), [s] {
        ssh_disconnect(s);
        ssh_free(s);
      });
    }
  }

  bool transmit_break() override {
    if (!channel_ || effective_break(ep_) == BreakStyle::None) return false;
    if (effective_break(ep_) == BreakStyle::Escape) {
      send_wire(ep_.break_escape);
      return true;
    }
    auto ms = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(ep_.break_duration).count());
    return ssh_channel_request_send_break(channel_, ms) == SSH_OK;
  }

  bool send_probe() override {
    if (!session_) return false;
    // libssh keeps one global request in flight: the first call may only
    // collect the previous answer, the second then sends a new one.
    ssh_send_keepalive(session_);
    ssh_send_keepalive(session_);
    return true;
  }

  // The answer may be read and swallowed by libssh inside send_probe (on a
  // fast link it is back before the second call), leaving the socket quiet
  // for our readiness wait; the kernel still knows when data last arrived.
  bool heard_since(std::chrono::steady_clock::time_point t) override {
    if (!session_) return false;
    tcp_info info{};
    socklen_t len = sizeof info;
    if (::getsockopt(ssh_get_fd(session_), IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return false;
    auto since = std::chrono::steady_clock::now() - t;
    // Milliseconds ago, counted in jiffies: allow their rounding. Nothing
    // arrived in the idle period before the probe, so an early hit is
    // impossible but for libssh's own traffic, itself a sign of life.
    return std::chrono::milliseconds(info.tcpi_last_data_recv) <=
           since + std::chrono::milliseconds(10);
  }

 private:
  // Runs handshake steps until one must wait; then waits for the socket or
  // the tick, whichever first.
  void advance() {
    for (;;) {
      int rc = run_step();
      if (rc == SSH_AGAIN) break;
      if (rc != SSH_OK) return;  // failed() already called
      if (step_ == Step::Done) {
        auto wire =
            std::make_unique<SshWire>(io(), session_, channel_, [this] { note_activity(); });
        attach_wire(std::move(wire));
        connected();
        return;
      }
    }
    tick_.expires_after(std::chrono::milliseconds(10));
    tick_.async_wait([this, ok = guard()](const boost::system::error_code& ec) {
      if (!ec && ok() && state() == State::Connecting) advance();
    });
  }

  int fail_ssh(LostReason r, const std::string& what) {
    std::string msg = what;
    if (session_) {
      const char* e = ssh_get_error(session_);
      if (e && *e) msg += ": " + std::string(e);
    }
    failed(r, msg);
    return SSH_ERROR;
  }

  int run_step() {
    switch (step_) {
      case Step::Connect: {
        int rc = ssh_connect(session_);
        if (rc == SSH_AGAIN) return rc;
        if (rc != SSH_OK)
          return fail_ssh(LostReason::Refused, ep_.host + ":" + std::to_string(ep_.port));
        step_ = Step::HostKey;
        return SSH_OK;
      }
      case Step::HostKey:
        return check_host_key();
      case Step::Auth:
        return authenticate();
      case Step::Channel: {
        if (!channel_) channel_ = ssh_channel_new(session_);
        int rc = ssh_channel_open_session(channel_);
        if (rc == SSH_AGAIN) return rc;
        if (rc != SSH_OK) return fail_ssh(LostReason::Io, "cannot open an ssh session channel");
        step_ = Step::Pty;
        return SSH_OK;
      }
      case Step::Pty: {
        int rc = ssh_channel_request_pty_size(channel_, "vt100", 80, 24);
        if (rc == SSH_AGAIN) return rc;
        if (rc != SSH_OK) return fail_ssh(LostReason::Io, "the ssh server refused a pty");
        step_ = Step::Start;
        return SSH_OK;
      }
      case Step::Start: {
        int rc = ep_.command.empty() ? ssh_channel_request_shell(channel_)
                                     : ssh_channel_request_exec(channel_, ep_.command.c_str());
        if (rc == SSH_AGAIN) return rc;
        if (rc != SSH_OK)
          return fail_ssh(LostReason::Io, "the ssh server refused to start the console command");
        step_ = Step::Done;
        return SSH_OK;
      }
      case Step::Done:
        return SSH_OK;
    }
    return SSH_ERROR;
  }

  int check_host_key() {
    ssh_key key = nullptr;
    std::string fp = "(no key)";
    if (ssh_get_server_publickey(session_, &key) == SSH_OK) {
      unsigned char* hash = nullptr;
      std::size_t len = 0;
      if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) == 0) {
        char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
        fp = std::string(ssh_key_type_to_char(ssh_key_type(key))) + " " + (text ? text : "?");
        ssh_string_free_char(text);
        ssh_clean_pubkey_hash(&hash);
      }
      ssh_key_free(key);
    }
    std::string known = ep_.known_hosts.empty() ? home_file(".ssh/known_hosts") : ep_.known_hosts;
    switch (ssh_session_is_known_server(session_)) {
      case SSH_KNOWN_HOSTS_OK:
        step_ = Step::Auth;
        return SSH_OK;
      case SSH_KNOWN_HOSTS_CHANGED:
        failed(LostReason::HostKey,
               "host key for " + ep_.host + " CHANGED: offered " + fp + ", not the one in " +
                   known + "; refused (check the console server, then fix known_hosts)");
        return SSH_ERROR;
      case SSH_KNOWN_HOSTS_OTHER:
        failed(LostReason::HostKey, "host key for " + ep_.host + " is of another type than in " +
                                        known + ": offered " + fp + "; refused");
        return SSH_ERROR;
      case SSH_KNOWN_HOSTS_UNKNOWN:
      case SSH_KNOWN_HOSTS_NOT_FOUND:
        failed(LostReason::HostKey, "host key for " + ep_.host + " is not in " + known +
                                        ": offered " + fp +
                                        "; refused (verify it, then add it to known_hosts)");
        return SSH_ERROR;
      case SSH_KNOWN_HOSTS_ERROR:
        break;
    }
    return fail_ssh(LostReason::HostKey, "cannot check the host key against " + known);
  }

  int authenticate() {
    if (!key_) {
      std::string passphrase;
      if (!ep_.secret.empty()) {
        if (!secrets()) {
          failed(LostReason::AuthFailed, "?secret=" + ep_.secret + " given but no secrets file");
          return SSH_ERROR;
        }
        auto s = secrets()->secret(ep_.secret);
        if (!s.ok()) {
          failed(LostReason::AuthFailed, s.error().message);
          return SSH_ERROR;
        }
        passphrase = std::move(s.value());
      }
      std::vector<std::string> candidates;
      if (!ep_.identity.empty()) {
        candidates.push_back(ep_.identity);
      } else {
        candidates = {home_file(".ssh/id_ed25519"), home_file(".ssh/id_rsa")};
      }
      std::string tried;
      for (const auto& file : candidates) {
        int rc = ssh_pki_import_privkey_file(file.c_str(),
                                             passphrase.empty() ? nullptr : passphrase.c_str(),
                                             nullptr, nullptr, &key_);
        if (rc == SSH_OK) break;
        key_ = nullptr;
        tried += (tried.empty() ? "" : ", ") + file +
                 (rc == SSH_EOF ? " (missing)" : " (unreadable or wrong passphrase)");
      }
      std::fill(passphrase.begin(), passphrase.end(), '\0');
      if (!key_) {
        failed(LostReason::AuthFailed, "no usable private key: " + tried);
        return SSH_ERROR;
      }
    }
    int rc = ssh_userauth_publickey(session_, nullptr, key_);
    if (rc == SSH_AUTH_AGAIN) return SSH_AGAIN;
    if (rc != SSH_AUTH_SUCCESS) {
      return fail_ssh(LostReason::AuthFailed, "key authentication as " + ep_.user + " refused");
    }
    ssh_key_free(key_);
    key_ = nullptr;
    step_ = Step::Channel;
    return SSH_OK;
  }

  asio::steady_timer tick_;
  ssh_session session_ = nullptr;
  ssh_channel channel_ = nullptr;
  ssh_key key_ = nullptr;
  Step step_ = Step::Connect;
};

}  // namespace

std::unique_ptr<Console> make_ssh_console(const Endpoint& e, ConsoleHandlers h, ConsoleContext c) {
  return std::make_unique<SshConsole>(e, std::move(h), c);
}

}  // namespace clusterd::tty
