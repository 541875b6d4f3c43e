// LinkConsole: the part every transport shares — the connect / up / lost /
// retry cycle with backoff, the connect timeout, the idle probe, the write
// queue with its stall watchdog, and the transcript. A transport supplies how
// to connect, how to encode data and BREAK, and (optionally) a probe.
//
//            open()
//              |
//              v        connected()                    failed(reason)
//   +-----> Connecting ------------> Up ----------------------------+
//   |          | failed(reason) or connect_timeout                 |
//   |          v                                                   v
//   +------ Waiting <------------------------------------------------+
//   retry timer (Backoff: retry, doubling up to retry_max)
//
//   close() from any state -> Closed (no callback ever again)
//
// Everything runs on one io_context thread. Pending Asio handlers hold only a
// weak token, so destroying the console with operations in flight is safe.
#pragma once

#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/backoff.h"
#include "tty/console.h"
#include "tty/transcript_writer.h"

namespace clusterd::tty {

/// A byte stream a transport reads and writes (a TCP socket, a file
/// descriptor — pty, serial port, exec master — or an ssh channel). One per
/// connection. Reading is readiness-based: an idle console holds no read
/// buffer, only a wait; the bytes go through one buffer shared by every
/// console on the thread (100 idle consoles must cost next to nothing).
class Wire {
 public:
  using WaitHandler = std::function<void(const boost::system::error_code&)>;
  using Handler = std::function<void(const boost::system::error_code&, std::size_t)>;
  virtual ~Wire() = default;
  /// Calls `h` once there may be something to read (or an error).
  virtual void async_wait_readable(WaitHandler h) = 0;
  /// Reads what is there now, never blocking; `would_block` when nothing is.
  virtual std::size_t read_some(boost::asio::mutable_buffer buf, boost::system::error_code& ec) = 0;
  virtual void async_write_some(boost::asio::const_buffer buf, Handler h) = 0;
  /// Writes what fits now, never blocking; `would_block` when nothing does.
  virtual std::size_t write_some(boost::asio::const_buffer buf, boost::system::error_code& ec) = 0;
  /// Closes the stream; pending operations complete with operation_aborted.
  virtual void close() = 0;
};

class LinkConsole : public Console {
 public:
  /// `endpoint` is copied; the context's pointers must outlive the console.
  LinkConsole(const Endpoint& endpoint, ConsoleHandlers handlers, ConsoleContext context);
  ~LinkConsole() override;

  void open() override;
  bool write(std::string_view bytes) override;
  bool write_secret(std::string_view bytes, std::string_view name) override;
  bool send_break() override;
  void close() override;
  bool is_up() const override { return state_ == State::Up; }
  const Endpoint& endpoint() const override { return ep_; }

  /// Largest amount of output queued for a slow link before write() refuses.
  static constexpr std::size_t kMaxPending = 256 * 1024;

 protected:
  enum class State { Idle, Connecting, Up, Waiting, Closed };

  // --- what a transport implements ----------------------------------------
  /// Starts one connection attempt; calls connected() or failed(), now or later.
  virtual void connect() = 0;
  /// Drops the link at once (close sockets, kill a child). Calls nothing back.
  virtual void disconnect() = 0;
  /// Encodes console data for the wire (telnet doubles 0xFF); default as is.
  virtual void transmit(std::string_view data) { send_wire(data); }
  /// Puts a BREAK on the link; false when this transport cannot.
  virtual bool transmit_break() = 0;
  /// Sends something the peer must answer; false: this transport has none.
  virtual bool send_probe() { return false; }
  /// Whether the peer sent anything since `t` that the transport consumed
  /// without passing it through the wire (libssh can read a keepalive's
  /// answer inside send_probe); default: no such path.
  virtual bool heard_since(std::chrono::steady_clock::time_point /*t*/) { return false; }
  /// Wire bytes arrived on a stream link; default: they are console data.
  virtual void on_wire_bytes(std::string_view raw) { deliver(raw); }
  /// The stream failed or ended; default classifies the error code.
  virtual void on_wire_error(const boost::system::error_code& ec);

  // --- what a transport calls ---------------------------------------------
  void connected();
  void failed(LostReason reason, const std::string& detail);
  void deliver(std::string_view bytes);
  void note_activity() { last_activity_ = std::chrono::steady_clock::now(); }
  /// Starts reading and writing `wire` (the link's stream) for this connection.
  void attach_wire(std::unique_ptr<Wire> wire);
  /// Queues raw bytes for the wire, or for a transport's own writer.
  void send_wire(std::string_view bytes);
  void note(const std::string& text);

  boost::asio::io_context& io() { return *ctx_.io; }
  State state() const { return state_; }
  const SecretSource* secrets() const { return ctx_.secrets; }
  /// Runs `f` later on the io_context unless the console is gone or closed.
  void post(std::function<void()> f);
  /// A handler guard: true while the console exists and `gen` is the current
  /// connection attempt.
  std::function<bool()> guard();

  Endpoint ep_;

 private:
  void schedule_retry(Duration d);
  void arm_probe();
  void on_probe_timer();
  void start_read();
  void start_write();
  void drop(const std::string& why);

  ConsoleHandlers handlers_;
  ConsoleContext ctx_;
  State state_ = State::Idle;
  std::shared_ptr<int> token_ = std::make_shared<int>(0);
  std::uint64_t gen_ = 0;  // bumped on each attempt; stale handlers check it
  Backoff backoff_;
  boost::asio::steady_timer retry_timer_, connect_timer_, probe_timer_, write_timer_;
  std::chrono::steady_clock::time_point up_since_, last_activity_, probe_sent_;
  bool probing_ = false;

  std::unique_ptr<Wire> wire_;
  std::string pending_;   // queued, not yet handed to the wire
  std::string inflight_;  // handed to async_write_some
  bool writing_ = false;
};

/// Maps an Asio/system error to a reason: EOF and resets are Closed, refusals
/// Refused, timeouts Timeout, a vanished device DeviceMissing, the rest Io.
LostReason classify(const boost::system::error_code& ec);

}  // namespace clusterd::tty
