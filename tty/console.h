// tty::Console: one node's console held open for months, whatever carries it
// (serial line, terminal-server telnet/RFC 2217, ssh, a local command under a
// pty, a raw TCP port). It delivers every byte, sends a BREAK that reaches the
// node, notices a link that has silently died and reconnects by itself with
// backoff. Runtime trouble becomes an `on_lost(reason)` call, never an
// exception. It knows nothing of chat scripts, roles or clusters.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/secrets.h"
#include "tty/endpoint.h"

namespace boost::asio {
class io_context;
}

namespace clusterd::tty {

class TranscriptSink;

/// Why a console link went down. The daemon turns each into a
/// `console.lost NODE` event; the reason goes to the log and the transcript.
enum class LostReason {
  Refused,        ///< connection refused, no route, name not found
  Timeout,        ///< connect did not finish in connect_timeout
  Closed,         ///< the peer closed the link (EOF, reset)
  Kicked,         ///< another client took the terminal-server port (ser2net kickolduser)
  DeviceMissing,  ///< the terminal server could not open its device, or the local device is gone
  Silent,         ///< no answer to the idle probe within probe_timeout
  WriteBlocked,   ///< a write made no progress for write_timeout
  AuthFailed,     ///< ssh or terminal-server login refused
  HostKey,        ///< ssh host key unknown or changed: refused, never accepted
  ChildExited,    ///< the exec command ended
  Io,             ///< any other I/O error
};

/// "refused", "kicked", "host-key", ...: one word for logs and transcripts.
const char* lost_reason_name(LostReason r);

/// What the owner hears from a console. Every callback runs on the console's
/// io_context thread; none runs after close().
struct ConsoleHandlers {
  std::function<void(std::string_view bytes)> on_bytes;  ///< node output, protocol removed
  std::function<void()> on_up;                           ///< link (re)established
  /// The link is down; the next attempt comes in `retry_in` (the backoff cap
  /// straight away after a refused host key or login, which need an operator).
  std::function<void(LostReason reason, const std::string& detail, Duration retry_in)> on_lost;
};

class Console {
 public:
  virtual ~Console() = default;

  /// Starts connecting; from now on the console reconnects by itself until
  /// close(). Calls on_up or on_lost later, never from inside open(). After
  /// close(), open() starts again with a fresh backoff (a fleet's former
  /// owner reopens its consoles when it may act again).
  virtual void open() = 0;

  /// Queues `bytes` for the node. Returns false (and sends nothing) when the
  /// link is down or the pending output is over its bound: console input is
  /// never saved up for a later link, where it would arrive out of context.
  virtual bool write(std::string_view bytes) = 0;

  /// Like write(), but the transcript and logs show `<secret NAME>` instead
  /// of the bytes (a password typed at a login prompt).
  virtual bool write_secret(std::string_view bytes, std::string_view name) = 0;

  /// Sends a BREAK in the endpoint's configured way. Returns false when the
  /// link is down or the transport has no BREAK; the transcript records it.
  virtual bool send_break() = 0;

  /// Stops for good: cancels timers, closes the link, kills an exec child.
  /// No callback runs afterwards. The object may be destroyed right after.
  virtual void close() = 0;

  virtual bool is_up() const = 0;
  virtual const Endpoint& endpoint() const = 0;

  /// How BREAK is delivered, one line for the start-up log (describe_break).
  std::string break_method() const { return describe_break(endpoint()); }
};

/// Everything a console needs besides its endpoint.
struct ConsoleContext {
  boost::asio::io_context* io = nullptr;  ///< required; must outlive the console
  TranscriptSink* transcript = nullptr;   ///< optional; must outlive the console
  const SecretSource* secrets = nullptr;  ///< optional; must outlive the console
};

/// Makes the console for `endpoint`. The console is not open yet.
std::unique_ptr<Console> make_console(const Endpoint& endpoint, ConsoleHandlers handlers,
                                      ConsoleContext context);

}  // namespace clusterd::tty
