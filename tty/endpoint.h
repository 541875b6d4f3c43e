// Console endpoints as URIs: where a node's console is and how to reach it.
//
//   serial:/dev/ttyS0?baud=9600&parity=none&flow=none
//   telnet://[user@]host:port?rfc2217=1&break=iac|rfc2217
//   ssh://user@host[:port][/command]?identity=FILE&known_hosts=FILE
//   exec:COMMAND ARGS...?break=ESCAPE
//   pty:/path            tcp://host:port
//
// Parsing only: nothing here opens a file or a socket. Secrets never appear in
// a URI; `secret=NAME` names an entry of the secrets file (base/secrets.h).
// The reference, with every key and its default, is docs/config.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/duration.h"
#include "base/result.h"

namespace clusterd::tty {

enum class Scheme { Serial, Telnet, Ssh, Exec, Pty, Tcp };

/// "serial", "telnet", ...: the URI scheme word.
const char* scheme_name(Scheme s);

enum class Parity { None, Odd, Even };
enum class Flow { None, XonXoff, RtsCts };

/// Line settings of a serial port (or of the pty a simulator serves).
struct SerialSettings {
  unsigned baud = 9600;
  unsigned data_bits = 8;
  Parity parity = Parity::None;
  unsigned stop_bits = 1;
  Flow flow = Flow::None;
};

/// How BREAK is put on the wire. Default picks the transport's natural way:
/// a line break for serial, IAC BRK for telnet (RFC 2217 SET-CONTROL when
/// `rfc2217=1`), the RFC 4335 request for ssh; exec and raw tcp have none
/// unless an escape sequence is configured.
enum class BreakStyle { Default, Line, Iac, Rfc2217, SshRequest, Escape, None };

/// A parsed endpoint. Every field has its default when the URI leaves it out.
struct Endpoint {
  Scheme scheme = Scheme::Tcp;
  std::string uri;  ///< as written (it holds no secret), for messages

  // tcp, telnet, ssh
  std::string host;
  std::uint16_t port = 0;
  std::string user;    ///< ssh login; telnet: terminal-server login (optional)
  std::string secret;  ///< name in the secrets file: ssh key passphrase or telnet password

  // serial, pty
  std::string path;
  SerialSettings serial;

  // ssh
  std::string command;      ///< remote command; empty: a login shell
  std::string identity;     ///< private key file; empty: ~/.ssh/id_ed25519, then id_rsa
  std::string known_hosts;  ///< pinned host keys; empty: ~/.ssh/known_hosts

  // exec
  std::vector<std::string> argv;

  // BREAK
  BreakStyle break_style = BreakStyle::Default;
  std::string break_escape;  ///< bytes written for Escape (exec `?break=~B`)
  Duration break_duration = std::chrono::milliseconds(250);

  // telnet
  bool rfc2217 = false;

  // every transport
  Duration connect_timeout = std::chrono::seconds(10);
  Duration retry = std::chrono::milliseconds(500);  ///< first reconnect delay
  Duration retry_max = std::chrono::seconds(30);    ///< backoff cap
  /// Receive silence after which the link is probed (telnet TIMING-MARK, ssh
  /// keepalive); 0 turns the probe off. TCP keepalive runs whatever this is.
  Duration probe = std::chrono::seconds(30);
  Duration probe_timeout = std::chrono::seconds(10);
  /// A write that makes no progress for this long means the link is stuck.
  Duration write_timeout = std::chrono::seconds(30);
};

/// Parses `uri`. The error names the part that is wrong and the accepted
/// forms, e.g. "telnet://nts1:70x1: port '70x1' is not a number 1-65535".
Result<Endpoint> parse_endpoint(std::string_view uri);

/// `uri` with the password of a "scheme://user:password@host" written as
/// "***" (such a URI is refused, and its error must not repeat the password).
std::string redact_uri(std::string_view uri);

/// The resolved BREAK style for `e` (Default replaced by the transport's own).
BreakStyle effective_break(const Endpoint& e);

/// One line for people: how BREAK reaches the node on this endpoint, e.g.
/// "telnet IAC BRK" or "RFC 2217 SET-CONTROL break on, 250ms, break off" or
/// "none: raw tcp cannot send BREAK (configure ?break=ESCAPE)".
std::string describe_break(const Endpoint& e);

/// The short word a transcript's `!` record carries: "iac", "rfc2217 250ms",
/// "line 250ms", "ssh 250ms", "escape" or "none".
std::string break_word(const Endpoint& e);

/// Decodes %XX sequences; nullopt-like empty Result on a bad sequence.
Result<std::string> percent_decode(std::string_view s);

}  // namespace clusterd::tty
