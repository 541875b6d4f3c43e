// Real-peer fixtures for transport tests: a temp dir, child processes that are
// always reaped, socat pty pairs, ser2net, a private sshd, and the telnet
// recorder (tests/peers/telnet_recorder.py, a fake terminal-server port / fake
// RFC 2217 node). Everything listens on 127.0.0.1 and is started and stopped by
// PID. No GoogleTest here and no project code beyond base/result.h: a fixture
// that cannot start returns an Error naming what is missing, so the test FAILS.
// Not for production code; nothing here is thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"

namespace clusterd::testing {

/// The error message of `s`, or "" when it is ok (for `ASSERT_TRUE(s.ok()) << message_of(s)`).
std::string message_of(const Result<void>& s);

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents by the
/// destructor unless the environment variable CLUSTERD_KEEP_TMP is set.
/// Aborts the test program if mkdtemp fails (nothing sensible can follow).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  /// path() + "/" + name.
  std::string file(std::string_view name) const;

 private:
  std::string path_;
};

/// An owned file descriptor, closed by the destructor. -1 means none.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release();
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

/// One child process in its own process group, with stdin from /dev/null and
/// stdout+stderr appended to a log file. Move-only; the destructor stop()s it.
/// stop() and kill9() end the whole tree below the child (found in /proc, so
/// sshd's per-connection processes that called setsid() go too), and make this
/// process a child subreaper (PR_SET_CHILD_SUBREAPER) while they run, so the
/// orphans they create come back to us and are reaped.
class Process {
 public:
  Process() = default;
  ~Process();
  Process(Process&& o) noexcept;
  Process& operator=(Process&& o) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// Starts argv[0] (searched in PATH) with `extra_env` ("NAME=value", added to or
  /// overriding the environment). Error if the program is missing or cannot start.
  static Result<Process> spawn(const std::vector<std::string>& argv, const std::string& log_path,
                               const std::vector<std::string>& extra_env = {});

  pid_t pid() const { return pid_; }
  /// True while the child has not exited. Reaps it if it has.
  bool running();
  /// Sends `sig` to the child only (not its group). False if it is not running.
  bool signal(int sig);
  /// SIGTERM to the group, up to `grace` for the child to exit, then SIGKILL;
  /// always reaps, and SIGKILLs whatever is left in the group. Returns what
  /// wait_exit would; nullopt if there was no child.
  std::optional<int> stop(std::chrono::milliseconds grace = std::chrono::seconds(3));
  /// SIGKILL to the group at once, then reaps.
  void kill9();
  /// Waits up to `timeout` for the child to exit on its own and reaps it.
  /// Returns the exit code, 128 + signal number if it was killed, or nullopt on
  /// timeout (the child keeps running).
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  /// The code from the last reap, if the child has been reaped.
  std::optional<int> exit_code() const { return exit_code_; }

 private:
  bool try_reap(bool block);
  pid_t pid_ = -1;
  bool reaped_ = true;
  std::optional<int> exit_code_;
};

/// What run_command() saw.
struct CommandResult {
  int exit_code = -1;  ///< as Process::wait_exit(); -1 if it timed out and was killed
  std::string output;  ///< stdout and stderr interleaved
};
/// Runs argv to completion with stdin from /dev/null, capturing its output.
/// Kills it (group) after `timeout`. Error only if it could not start.
Result<CommandResult> run_command(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10));

// ---- waiting and sockets ------------------------------------------------------

/// A TCP port on 127.0.0.1 that was free a moment ago (bind :0, read, close).
uint16_t free_tcp_port();
/// Connects to 127.0.0.1:port repeatedly until it accepts. This makes a real
/// connection, which ser2net and the recorder treat as a client: to wait for a
/// peer without side effects use wait_for_listen().
bool wait_for_tcp(uint16_t port, std::chrono::milliseconds timeout);
/// True if /proc/net/tcp shows a socket listening on 127.0.0.1:port or *:port.
bool is_listening(uint16_t port);
/// Polls is_listening(port) (or its negation) without connecting.
bool wait_for_listen(uint16_t port, std::chrono::milliseconds timeout, bool listening = true);
bool wait_for_path(const std::string& path, std::chrono::milliseconds timeout);
/// Calls `pred` every 10 ms until it returns true or `timeout` passes; true if it did.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

/// A blocking TCP connection to 127.0.0.1:port; invalid on failure (errno set).
UniqueFd connect_tcp(uint16_t port);
/// Opens a tty (a socat link) O_RDWR|O_NOCTTY|O_NONBLOCK and makes it raw
/// (cfmakeraw). Returns -1 with errno set on failure; the caller closes it.
int open_raw(const std::string& path);
/// Everything readable from `fd` during `d` (stops early at EOF or error).
std::string read_for(int fd, std::chrono::milliseconds d);
/// Reads from `fd` until what was read contains `needle`, EOF, or `timeout`.
/// Everything read is stored in *got (if given). True if the needle was seen.
bool read_until(int fd, std::string_view needle, std::chrono::milliseconds timeout,
                std::string* got = nullptr);
/// Writes all of `bytes` (blocking or not), waiting up to `timeout` for room.
bool write_all(int fd, std::string_view bytes,
               std::chrono::milliseconds timeout = std::chrono::seconds(5));
/// Reads a whole file; "" if it cannot be read.
std::string read_file(const std::string& path);

// ---- socat ----------------------------------------------------------------------

/// A pty pair from socat: DIR/NAME.node is the node's side (the test writes
/// console output there), DIR/NAME.console is the side clusterd or ser2net opens.
/// The links are stable across restart(); the /dev/pts numbers are not.
class SocatPair {
 public:
  /// Runs socat (log DIR/NAME.socat.log) and waits up to 5 s for both links.
  Result<void> start(const std::string& dir, const std::string& name);
  const std::string& node_path() const { return node_; }
  const std::string& console_path() const { return console_; }
  /// Kills socat; the links disappear, and anyone holding an end sees EOF/EIO.
  void stop();
  Result<void> restart();
  Process& process() { return proc_; }

 private:
  std::string dir_, name_, node_, console_;
  Process proc_;
};

// ---- ser2net --------------------------------------------------------------------

enum class Ser2netAccepter {
  Telnet,   ///< telnet,tcp,127.0.0.1,PORT
  Rfc2217,  ///< telnet(rfc2217),tcp,127.0.0.1,PORT
  Raw,      ///< tcp,127.0.0.1,PORT (no telnet at all)
};

struct Ser2netOptions {
  std::string name = "ser2net";  ///< file names in the dir: NAME.yaml, NAME.log, NAME.pid
  Ser2netAccepter accepter = Ser2netAccepter::Rfc2217;
  uint16_t port = 0;               ///< 0: free_tcp_port()
  std::string serial_device{};     ///< connector serialdev,PATH,115200n81,local, or
  uint16_t rfc2217_node_port = 0;  ///< connector telnet(rfc2217),tcp,127.0.0.1,PORT (if set)
};

/// ser2net 4 in the foreground (-n -d -u), one connection with kickolduser and
/// telnet-brk-on-sync. Config DIR/NAME.yaml, log DIR/NAME.log.
/// ser2net opens the device only while a client is connected.
class Ser2net {
 public:
  /// Writes the config, runs ser2net and waits up to 5 s for it to listen.
  Result<void> start(const std::string& dir, const Ser2netOptions& options);
  uint16_t port() const { return options_.port; }
  const std::string& config_path() const { return config_; }
  std::string log() const { return read_file(log_); }
  void stop();
  /// Same port and config; waits for the port to listen again.
  Result<void> restart();
  /// SIGKILL, as if it crashed; restart() works after this too.
  void kill9();
  Process& process() { return proc_; }

 private:
  Result<void> run();
  std::string dir_, config_, log_, pidfile_;
  Ser2netOptions options_;
  Process proc_;
};

// ---- sshd -----------------------------------------------------------------------

/// A private OpenSSH server on 127.0.0.1 with its own keys and config. It runs at
/// LogLevel DEBUG1 so channel requests show up in log(); an RFC 4335 break is
///   debug1: server_input_channel_req: channel 0 request break reply 0
///   debug1: session_input_channel_req: session 0 req break
/// It logs with -E to DIR/sshd.log: with -e the session child's debug lines went
/// to the channel's stderr, i.e. into every client's output.
/// Needs root or a writable /run/sshd (it creates it with mode 0755).
class Sshd {
 public:
  /// Generates keys (ed25519) and known_hosts files under `dir`, writes the config,
  /// checks it with `sshd -t` and runs `sshd -D -e`; waits up to 5 s for the port.
  /// `port` 0 picks a free one. `passphrase` protects client_key_with_passphrase().
  Result<void> start(const std::string& dir, const std::string& passphrase, uint16_t port = 0);
  uint16_t port() const { return port_; }
  /// The user to log in as: the current user (keys go to its authorized_keys file here).
  const std::string& user() const { return user_; }
  const std::string& host_key() const { return host_key_; }  ///< private; .pub beside it
  const std::string& other_host_key() const { return other_host_key_; }  ///< never served
  const std::string& client_key() const { return client_key_; }          ///< no passphrase
  const std::string& client_key_with_passphrase() const { return client_key_pass_; }
  const std::string& authorized_keys() const { return authorized_keys_; }
  const std::string& known_hosts() const { return known_hosts_; }  ///< [127.0.0.1]:PORT host key
  const std::string& known_hosts_changed() const { return known_hosts_changed_; }  ///< other key
  const std::string& known_hosts_empty() const { return known_hosts_empty_; }
  const std::string& config_path() const { return config_; }
  const std::string& log_path() const { return log_; }
  std::string log() const { return read_file(log_); }
  /// Arguments for OpenSSH's client against this server, before the command:
  /// ssh -F /dev/null -p PORT -i KEY -o IdentitiesOnly=yes -o UserKnownHostsFile=KH
  /// -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes USER@127.0.0.1
  std::vector<std::string> ssh_argv(const std::string& known_hosts_file) const;
  void stop();
  /// Same keys, config and port.
  Result<void> restart();
  Process& process() { return proc_; }

 private:
  Result<void> run();
  std::string dir_, user_, host_key_, other_host_key_, client_key_, client_key_pass_;
  std::string authorized_keys_, known_hosts_, known_hosts_changed_, known_hosts_empty_;
  std::string config_, log_;
  uint16_t port_ = 0;
  Process proc_;
};

// ---- telnet recorder -------------------------------------------------------------

struct RecorderOptions {
  std::string name = "recorder";  ///< file names in the dir: NAME.log, NAME.out
  uint16_t port = 0;              ///< 0: the recorder picks one and reports it
  bool echo = false;              ///< echo received data back
  std::string greeting{};         ///< data sent on connect (Python escapes like \r\n)
  std::string send_file{};        ///< file sent right after connect
  bool silent = false;            ///< send and answer nothing (still reads and logs)
  bool no_read = false;           ///< never read, so the client's writes block
  bool no_timing_mark = false;    ///< answer DO TIMING-MARK with WONT
};

/// One line of the recorder's log. Fields a kind does not have stay -1 / "".
struct TelnetEvent {
  double t = 0;       ///< CLOCK_MONOTONIC seconds in the recorder
  int conn = 0;       ///< connection number, from 1; not reused across restart()
  std::string ev;     ///< open, close, data, cmd, opt, sb
  int cmd = -1;       ///< cmd: the byte after IAC (243 = BRK, 241 = NOP)
  std::string verb;   ///< opt: WILL, WONT, DO or DONT
  int opt = -1;       ///< opt and sb: the option (44 = COM-PORT)
  std::string bytes;  ///< data: the bytes (IAC IAC undone); sb: the payload after the option
};

/// tests/peers/telnet_recorder.py under /usr/bin/python3: a telnet server that
/// logs everything it receives (see the script for the negotiation it does).
/// Log DIR/NAME.log (JSON lines; emptied by start(), kept across restart()),
/// the script's own output in DIR/NAME.out.
class TelnetRecorder {
 public:
  /// Starts the recorder and waits up to 5 s for "listening PORT".
  Result<void> start(const std::string& dir, const RecorderOptions& options = {});
  uint16_t port() const { return options_.port; }
  const std::string& log_path() const { return log_; }
  /// Everything logged so far, in order; unparseable lines are skipped.
  std::vector<TelnetEvent> events() const;
  /// All data bytes received on connection `conn` (0: on every connection).
  std::string data(int conn = 0) const;
  void stop();
  /// Same port and options; connection numbers continue after the last one seen.
  Result<void> restart();
  Process& process() { return proc_; }

 private:
  Result<void> run(int first_conn);
  std::string dir_, log_, out_;
  RecorderOptions options_;
  Process proc_;
};

/// Parses one recorder log line; nullopt if it is not one.
std::optional<TelnetEvent> parse_telnet_event(std::string_view line);

}  // namespace clusterd::testing
