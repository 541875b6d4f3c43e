#include "tty/link_console.h"

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <cerrno>

namespace clusterd::tty {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {
// A link that stayed up this long was a real connection: the next failure
// starts the backoff from the beginning. A peer that accepts and drops at once
// (ser2net with its device missing) keeps backing off instead.
constexpr auto kStableLink = std::chrono::seconds(10);
}  // namespace

const char* lost_reason_name(LostReason r) {
  switch (r) {
    case LostReason::Refused:
      return "refused";
    case LostReason::Timeout:
      return "timeout";
    case LostReason::Closed:
      return "closed";
    case LostReason::Kicked:
      return "kicked";
    case LostReason::DeviceMissing:
      return "device-missing";
    case LostReason::Silent:
      return "silent";
    case LostReason::WriteBlocked:
      return "write-blocked";
    case LostReason::AuthFailed:
      return "auth-failed";
    case LostReason::HostKey:
      return "host-key";
    case LostReason::ChildExited:
      return "child-exited";
    case LostReason::Io:
      return "io";
  }
  return "?";
}

LostReason classify(const boost::system::error_code& ec) {
  namespace e = asio::error;
  if (ec == e::eof || ec == e::connection_reset || ec == e::broken_pipe ||
      ec == e::connection_aborted) {
    return LostReason::Closed;
  }
  if (ec == e::connection_refused || ec == e::host_unreachable || ec == e::network_unreachable ||
      ec == e::host_not_found || ec == e::host_not_found_try_again) {
    return LostReason::Refused;
  }
  if (ec == e::timed_out) return LostReason::Timeout;
  if (ec.category() == boost::system::system_category()) {
    switch (ec.value()) {
      case EIO:
        return LostReason::Closed;  // pty whose other side closed (hangup)
      case ENODEV:
      case ENXIO:
      case ENOENT:
        return LostReason::DeviceMissing;
      default:
        break;
    }
  }
  return LostReason::Io;
}

LinkConsole::LinkConsole(const Endpoint& endpoint, ConsoleHandlers handlers, ConsoleContext context)
    : ep_(endpoint),
      handlers_(std::move(handlers)),
      ctx_(context),
      backoff_(endpoint.retry, endpoint.retry_max),
      retry_timer_(*context.io),
      connect_timer_(*context.io),
      probe_timer_(*context.io),
      write_timer_(*context.io) {}

LinkConsole::~LinkConsole() {
  // Derived parts are already gone: only our own timers and wire remain.
  token_.reset();
  if (wire_) wire_->close();
}

std::function<bool()> LinkConsole::guard() {
  return [w = std::weak_ptr<int>(token_), this, g = gen_] {
    return !w.expired() && g == gen_ && state_ != State::Closed;
  };
}

void LinkConsole::post(std::function<void()> f) {
  asio::post(*ctx_.io, [w = std::weak_ptr<int>(token_), this, f = std::move(f)] {
    if (!w.expired() && state_ != State::Closed) f();
  });
}

void LinkConsole::note(const std::string& text) {
  if (ctx_.transcript) ctx_.transcript->record(Direction::Note, text);
}

void LinkConsole::open() {
  if (state_ != State::Idle && state_ != State::Closed) return;
  if (state_ == State::Closed) {
    ++gen_;  // nothing of the closed link's may run now
    backoff_.reset();
  }
  state_ = State::Waiting;
  schedule_retry(Duration::zero());
}

void LinkConsole::schedule_retry(Duration d) {
  retry_timer_.expires_after(d);
  retry_timer_.async_wait([this, ok = guard()](const boost::system::error_code& ec) {
    if (ec || !ok() || state_ != State::Waiting) return;
    ++gen_;
    state_ = State::Connecting;
    connect_timer_.expires_after(ep_.connect_timeout);
    connect_timer_.async_wait([this, ok2 = guard()](const boost::system::error_code& ec2) {
      if (ec2 || !ok2() || state_ != State::Connecting) return;
      failed(LostReason::Timeout, "no connection within " + format_duration(ep_.connect_timeout));
    });
    connect();
  });
}

void LinkConsole::connected() {
  if (state_ != State::Connecting) return;
  state_ = State::Up;
  connect_timer_.cancel();
  up_since_ = last_activity_ = Clock::now();
  probing_ = false;
  note("up");
  arm_probe();
  if (handlers_.on_up) handlers_.on_up();
}

void LinkConsole::drop(const std::string& why) {
  ++gen_;  // every handler of the old link is now stale
  connect_timer_.cancel();
  probe_timer_.cancel();
  write_timer_.cancel();
  if (wire_) {
    wire_->close();
    wire_.reset();
  }
  disconnect();
  pending_.clear();
  inflight_.clear();
  writing_ = false;
  note(why);
}

void LinkConsole::failed(LostReason reason, const std::string& detail) {
  if (state_ != State::Connecting && state_ != State::Up) return;
  bool was_up = state_ == State::Up;
  if (was_up && Clock::now() - up_since_ >= kStableLink) backoff_.reset();
  if (reason == LostReason::HostKey || reason == LostReason::AuthFailed ||
      reason == LostReason::Kicked) {
    backoff_.saturate();  // an operator must act, or another client wants the port: do not fight
  }
  drop(std::string("lost ") + lost_reason_name(reason) + (detail.empty() ? "" : ": " + detail));
  state_ = State::Waiting;
  Duration delay = backoff_.next();
  schedule_retry(delay);
  if (handlers_.on_lost) handlers_.on_lost(reason, detail, delay);
}

void LinkConsole::close() {
  if (state_ == State::Closed) return;
  bool had_link = state_ == State::Up || state_ == State::Connecting;
  retry_timer_.cancel();
  if (had_link) {
    drop("closed");
  } else {
    disconnect();
  }
  state_ = State::Closed;
}

void LinkConsole::deliver(std::string_view bytes) {
  if (state_ != State::Up || bytes.empty()) return;
  if (ctx_.transcript) ctx_.transcript->record(Direction::In, bytes);
  if (handlers_.on_bytes) handlers_.on_bytes(bytes);
}

bool LinkConsole::write(std::string_view bytes) {
  if (state_ != State::Up || pending_.size() + inflight_.size() + bytes.size() > kMaxPending)
    return false;
  if (ctx_.transcript) ctx_.transcript->record(Direction::Out, bytes);
  transmit(bytes);
  return true;
}

bool LinkConsole::write_secret(std::string_view bytes, std::string_view name) {
  if (state_ != State::Up || pending_.size() + inflight_.size() + bytes.size() > kMaxPending)
    return false;
  note("sent secret " + std::string(name));
  transmit(bytes);
  return true;
}

bool LinkConsole::send_break() {
  if (state_ != State::Up) {
    note("break not sent: console down");
    return false;
  }
  if (!transmit_break()) {
    note("break not sent: " + describe_break(ep_));
    return false;
  }
  if (ctx_.transcript) ctx_.transcript->record(Direction::Break, break_word(ep_));
  return true;
}

// --- idle probe -------------------------------------------------------------

void LinkConsole::arm_probe() {
  if (ep_.probe == Duration::zero() || state_ != State::Up) return;
  auto at = probing_ ? probe_sent_ + ep_.probe_timeout : last_activity_ + ep_.probe;
  probe_timer_.expires_at(std::chrono::time_point_cast<Clock::duration>(at));
  probe_timer_.async_wait([this, ok = guard()](const boost::system::error_code& ec) {
    if (!ec && ok()) on_probe_timer();
  });
}

void LinkConsole::on_probe_timer() {
  if (state_ != State::Up) return;
  auto now = Clock::now();
  if (probing_) {
    if (last_activity_ >= probe_sent_ || heard_since(probe_sent_)) {
      probing_ = false;  // answered (anything at all counts)
      last_activity_ = std::max(last_activity_, probe_sent_);
    } else if (now - probe_sent_ >= ep_.probe_timeout) {
      failed(LostReason::Silent,
             "no answer to the idle probe within " + format_duration(ep_.probe_timeout));
      return;
    }
  } else if (now - last_activity_ >= ep_.probe) {
    if (send_probe()) {
      probing_ = true;
      probe_sent_ = now;
    } else {
      last_activity_ = now;  // no probe here: TCP keepalive watches the link
    }
  }
  arm_probe();
}

// --- stream I/O ---------------------------------------------------------------

void LinkConsole::attach_wire(std::unique_ptr<Wire> wire) {
  wire_ = std::move(wire);
  start_read();
  start_write();
}

void LinkConsole::start_read() {
  wire_->async_wait_readable([this, ok = guard()](const boost::system::error_code& ec) {
    if (!ok() || ec == asio::error::operation_aborted) return;
    if (ec) {
      on_wire_error(ec);
      return;
    }
    // One buffer for every console on this thread: a console that waits
    // holds none. Drain a little, then wait again, so that one console in a
    // 1 MB burst cannot starve the others on the loop.
    static thread_local std::array<char, 64 * 1024> buf;
    for (int i = 0; i < 16; ++i) {
      boost::system::error_code rec;
      std::size_t n = wire_->read_some(asio::buffer(buf), rec);
      if (rec == asio::error::would_block || rec == asio::error::try_again) break;
      if (rec) {
        on_wire_error(rec);
        return;
      }
      note_activity();
      on_wire_bytes(std::string_view(buf.data(), n));
      if (!ok() || !wire_) return;
      if (n < buf.size()) break;
    }
    start_read();
  });
}

void LinkConsole::on_wire_error(const boost::system::error_code& ec) {
  // With bytes in flight, ETIMEDOUT is the kernel's TCP_USER_TIMEOUT (set to
  // write_timeout): the same stall our write watchdog looks for, and whichever
  // of the two fires first, it is one condition with one name.
  if (ec == asio::error::timed_out && !inflight_.empty()) {
    failed(LostReason::WriteBlocked, "no write progress for " + format_duration(ep_.write_timeout) +
                                         " with " +
                                         std::to_string(inflight_.size() + pending_.size()) +
                                         " bytes queued (the kernel's user timeout)");
    return;
  }
  failed(classify(ec), ec.message());
}

void LinkConsole::send_wire(std::string_view bytes) {
  // Nothing queued: write now, in this call. What a caller hands over right
  // after an fsync'd journal record (the standby's boot) is then on the wire
  // microseconds later, not after the next turn of the loop, so a crash in
  // between cannot lose bytes the journal says were sent. The rest, if the
  // link is slow, goes the asynchronous way with its stall watchdog.
  if (wire_ && !writing_ && inflight_.empty() && pending_.empty()) {
    boost::system::error_code ec;
    std::size_t n = wire_->write_some(asio::buffer(bytes.data(), bytes.size()), ec);
    if (!ec) bytes.remove_prefix(std::min(n, bytes.size()));
    // An error is left to the asynchronous write, which reports it as a loss.
  }
  if (bytes.empty()) return;
  pending_.append(bytes);
  start_write();
}

void LinkConsole::start_write() {
  if (writing_ || !wire_) return;
  if (inflight_.empty()) {
    if (pending_.empty()) return;
    inflight_.swap(pending_);
  }
  writing_ = true;
  write_timer_.expires_after(ep_.write_timeout);
  write_timer_.async_wait([this, ok = guard()](const boost::system::error_code& ec) {
    if (ec || !ok() || !writing_) return;
    failed(LostReason::WriteBlocked,
           "no write progress for " + format_duration(ep_.write_timeout) + " with " +
               std::to_string(inflight_.size() + pending_.size()) + " bytes queued");
  });
  wire_->async_write_some(asio::buffer(inflight_),
                          [this, ok = guard()](const boost::system::error_code& ec, std::size_t n) {
                            if (!ok() || ec == asio::error::operation_aborted) return;
                            writing_ = false;
                            write_timer_.cancel();
                            if (ec) {
                              // The peer may have said its last words (ser2net's "Device open
                              // failure") before closing: read them before reporting the loss.
                              static thread_local std::array<char, 4096> last;
                              for (int i = 0; i < 16 && wire_; ++i) {
                                boost::system::error_code rec;
                                std::size_t got = wire_->read_some(asio::buffer(last), rec);
                                if (rec || got == 0) break;
                                on_wire_bytes(std::string_view(last.data(), got));
                                if (!ok()) return;
                              }
                              on_wire_error(ec);
                              return;
                            }
                            inflight_.erase(0, n);
                            start_write();
                          });
}

}  // namespace clusterd::tty
