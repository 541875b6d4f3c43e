// peers_test: each real-peer fixture works, checked with plain sockets and fds
// and no other project code. A missing tool makes the test FAIL with a message.
#include "tests/support/peers.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <thread>

namespace clusterd::testing {
namespace {

using namespace std::chrono_literals;

#define ASSERT_OK(expr)                                      \
  do {                                                       \
    const Result<void> s_ = (expr);                          \
    ASSERT_TRUE(s_.ok()) << #expr << ": " << message_of(s_); \
  } while (0)

std::string bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s += static_cast<char>(b);
  return s;
}

constexpr int IAC = 255, SB = 250, SE = 240, WILL = 251, DO = 253, BRK = 243;

/// True if `pid` is gone or a zombie that is not ours (reparented to init).
bool dead(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  return stat.empty() || (close != std::string::npos && stat.compare(close + 2, 1, "Z") == 0);
}

bool no_children_left() { return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD; }

// ---- Process, TempDir ---------------------------------------------------------------

TEST(Process, StopEndsTheWholeGroupAndLeavesNoChild) {
  // Given a shell that started a grandchild in a session of its own (like sshd's
  // per-connection processes),
  TempDir dir;
  std::string pidfile = dir.file("grandchild.pid");
  auto p = Process::spawn({"sh", "-c", "setsid sleep 30 & echo $! > " + pidfile + "; wait"},
                          dir.file("sh.log"));
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_TRUE(wait_until([&] { return read_file(pidfile).find('\n') != std::string::npos; }, 2s));
  pid_t grandchild = std::stoi(read_file(pidfile));
  EXPECT_TRUE(p->running());
  // when it is stopped, then both are gone and nothing is left to reap.
  EXPECT_EQ(p->stop(), 128 + SIGTERM);
  EXPECT_FALSE(p->running());
  EXPECT_TRUE(wait_until([&] { return dead(grandchild); }, 1s));
  EXPECT_TRUE(no_children_left());
}

TEST(Process, StopFallsBackToSigkillAndWaitExitReportsCodes) {
  TempDir dir;
  auto deaf_child =
      Process::spawn({"sh", "-c", "trap '' TERM; echo trapped; sleep 30"}, dir.file("a.log"));
  ASSERT_TRUE(deaf_child.ok()) << deaf_child.error().message;
  // The trap is set once it says so (a SIGTERM before that would end it).
  ASSERT_TRUE(wait_until([&] { return read_file(dir.file("a.log")) == "trapped\n"; }, 30s));
  EXPECT_EQ(deaf_child->stop(200ms), 128 + SIGKILL);

  auto quick = Process::spawn({"sh", "-c", "echo out; echo err >&2; exit 7"}, dir.file("b.log"));
  ASSERT_TRUE(quick.ok());
  EXPECT_EQ(quick->wait_exit(2s), 7);
  EXPECT_EQ(read_file(dir.file("b.log")), "out\nerr\n");

  auto env = Process::spawn({"sh", "-c", "echo $PEERS_X"}, dir.file("c.log"), {"PEERS_X=42"});
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->wait_exit(2s), 0);
  EXPECT_EQ(read_file(dir.file("c.log")), "42\n");

  auto missing = Process::spawn({"clusterd-no-such-tool"}, dir.file("d.log"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("clusterd-no-such-tool"), std::string::npos);
  EXPECT_TRUE(no_children_left());
}

TEST(TempDir, IsRemovedWithItsContents) {
  std::string path;
  {
    TempDir dir;
    path = dir.path();
    std::ofstream(dir.file("x")) << "x";
    EXPECT_EQ(read_file(dir.file("x")), "x");
  }
  if (std::getenv("CLUSTERD_KEEP_TMP") == nullptr) {
    EXPECT_NE(::access(path.c_str(), F_OK), 0);
  }
}

// ---- socat ---------------------------------------------------------------------------------

TEST(SocatPair, PassesBytesBothWaysAndSurvivesRestart) {
  TempDir dir;
  SocatPair pair;
  ASSERT_OK(pair.start(dir.path(), "n1"));
  const std::string binary = bytes({0, 0xff, 0x03, 0x11, 0x13, '\r', '\n'});
  for (int round = 0; round < 2; ++round) {
    UniqueFd node(open_raw(pair.node_path())), console(open_raw(pair.console_path()));
    ASSERT_TRUE(node.valid() && console.valid()) << pair.node_path();
    ASSERT_TRUE(write_all(node.get(), "ok boot> " + binary));
    std::string got;
    EXPECT_TRUE(read_until(console.get(), binary, 2s, &got)) << got;
    EXPECT_EQ(got, "ok boot> " + binary);
    ASSERT_TRUE(write_all(console.get(), "boot -s\r" + binary));
    EXPECT_TRUE(read_until(node.get(), binary, 2s, &got));
    EXPECT_EQ(got, "boot -s\r" + binary);
    if (round == 0) ASSERT_OK(pair.restart());  // same link paths, new /dev/pts
  }
}

// ---- ser2net ---------------------------------------------------------------------------------

// What ser2net 4.3.11 sends first on a telnet(rfc2217) accepter: WILL SGA, DO SGA,
// WILL ECHO, DONT ECHO, DO BINARY, WILL BINARY, DO COM-PORT.
const std::string kRfc2217Hello = bytes(
    {IAC, WILL, 3, IAC, DO, 3, IAC, WILL, 1, IAC, 254, 1, IAC, DO, 0, IAC, WILL, 0, IAC, DO, 44});

TEST(Ser2net, PassesBytesBetweenPtyAndRawTcpClientAcrossRestart) {
  TempDir dir;
  SocatPair pair;
  ASSERT_OK(pair.start(dir.path(), "n1"));
  Ser2net s2n;
  ASSERT_OK(s2n.start(dir.path(), {.serial_device = pair.console_path()}));
  UniqueFd node(open_raw(pair.node_path()));
  ASSERT_TRUE(node.valid());
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    UniqueFd client = connect_tcp(s2n.port());
    ASSERT_TRUE(client.valid());
    // A raw client that never answers the negotiation still gets data both ways.
    std::string hello;
    EXPECT_TRUE(read_until(client.get(), bytes({IAC, DO, 44}), 2s, &hello));
    EXPECT_EQ(hello, kRfc2217Hello);
    ASSERT_TRUE(write_all(node.get(), "hello from node\r\n"));
    std::string got;
    EXPECT_TRUE(read_until(client.get(), "hello from node\r\n", 2s, &got)) << got;
    ASSERT_TRUE(write_all(client.get(), "ping\r\n"));
    EXPECT_TRUE(read_until(node.get(), "ping\r\n", 2s, &got)) << got;
    client.reset();
    if (round == 0) ASSERT_OK(s2n.restart());
    if (round == 1) {
      s2n.kill9();
      ASSERT_OK(s2n.restart());
    }
  }
  EXPECT_TRUE(s2n.process().running());
}

TEST(Ser2net, PlainTelnetAccepterPassesData) {
  TempDir dir;
  SocatPair pair;
  ASSERT_OK(pair.start(dir.path(), "n1"));
  Ser2net s2n;
  ASSERT_OK(s2n.start(dir.path(),
                      {.accepter = Ser2netAccepter::Telnet, .serial_device = pair.console_path()}));
  UniqueFd node(open_raw(pair.node_path()));
  UniqueFd client = connect_tcp(s2n.port());
  ASSERT_TRUE(client.valid() && node.valid());
  // Plain telnet: the same offers without DO COM-PORT.
  std::string hello;
  EXPECT_TRUE(read_until(client.get(), bytes({IAC, WILL, 0}), 2s, &hello));
  EXPECT_EQ(hello, kRfc2217Hello.substr(0, kRfc2217Hello.size() - 3));
  ASSERT_TRUE(write_all(node.get(), "login: "));
  std::string got;
  EXPECT_TRUE(read_until(client.get(), "login: ", 2s, &got)) << got;
}

TEST(Ser2net, ChainedToRecorderDeliversBreaksAndComPortCommands) {
  // Given client -> ser2net (rfc2217) -> recorder (fake RFC 2217 node),
  TempDir dir;
  TelnetRecorder node;
  ASSERT_OK(node.start(dir.path()));
  Ser2net s2n;
  ASSERT_OK(s2n.start(dir.path(), {.rfc2217_node_port = node.port()}));
  UniqueFd client = connect_tcp(s2n.port());
  ASSERT_TRUE(client.valid());
  std::string hello;
  ASSERT_TRUE(read_until(client.get(), bytes({IAC, DO, 44}), 2s, &hello)) << hello;
  // when the client agrees to COM-PORT and sends IAC BRK, data, and BREAK on/off,
  ASSERT_TRUE(write_all(client.get(), bytes({IAC, WILL, 44})));
  ASSERT_TRUE(write_all(client.get(), bytes({IAC, BRK}) + "abc" + bytes({IAC, IAC})));
  ASSERT_TRUE(write_all(client.get(), bytes({IAC, SB, 44, 5, 5, IAC, SE})));
  ASSERT_TRUE(write_all(client.get(), bytes({IAC, SB, 44, 5, 6, IAC, SE})));
  // then the recorder logs each of them.
  auto has_sb = [&](int value) {
    for (const auto& e : node.events()) {
      if (e.ev == "sb" && e.opt == 44 && e.bytes == bytes({5, value})) return true;
    }
    return false;
  };
  EXPECT_TRUE(wait_until([&] { return has_sb(6); }, 3s));
  EXPECT_TRUE(has_sb(5));
  bool brk = false;
  for (const auto& e : node.events()) brk = brk || (e.ev == "cmd" && e.cmd == BRK);
  EXPECT_TRUE(brk);
  EXPECT_EQ(node.data(), "abc\xff");
}

// ---- telnet recorder ------------------------------------------------------------------------

TEST(TelnetRecorder, NegotiatesLogsAndAnswersComPort) {
  TempDir dir;
  TelnetRecorder rec;
  ASSERT_OK(rec.start(dir.path(), {.echo = true, .greeting = "hi\\r\\n"}));
  UniqueFd c = connect_tcp(rec.port());
  ASSERT_TRUE(c.valid());
  std::string got;
  // Offers WILL ECHO, WILL SGA, DO BINARY, WILL BINARY, then the greeting.
  EXPECT_TRUE(read_until(c.get(), "hi\r\n", 2s, &got));
  EXPECT_EQ(got, bytes({IAC, WILL, 1, IAC, WILL, 3, IAC, DO, 0, IAC, WILL, 0}) + "hi\r\n");
  // WILL COM-PORT -> DO; DO TIMING-MARK -> WILL (twice); DO ECHO already offered -> silence;
  // SB 44 1 <baud> -> SB 44 101 <baud>; data with IAC IAC is echoed escaped.
  ASSERT_TRUE(write_all(c.get(), bytes({IAC, WILL, 44, IAC, DO, 6, IAC, DO, 6, IAC, DO, 1}) +
                                     bytes({IAC, SB, 44, 1, 0, 0, 0x25, 0x80, IAC, SE}) + "x" +
                                     bytes({IAC, IAC, IAC, 241})));
  const std::string want = bytes({IAC, DO, 44, IAC, WILL, 6, IAC, WILL, 6}) +
                           bytes({IAC, SB, 44, 101, 0, 0, 0x25, 0x80, IAC, SE}) + "x" +
                           bytes({IAC, IAC});
  EXPECT_TRUE(read_until(c.get(), want, 2s, &got));
  EXPECT_EQ(got, want);
  c.reset();
  ASSERT_TRUE(
      wait_until([&] { return !rec.events().empty() && rec.events().back().ev == "close"; }, 2s));
  auto ev = rec.events();
  std::vector<std::string> kinds;
  for (const auto& e : ev) kinds.push_back(e.ev + (e.verb.empty() ? "" : ":" + e.verb));
  EXPECT_EQ(kinds, (std::vector<std::string>{"open", "opt:WILL", "opt:DO", "opt:DO", "opt:DO", "sb",
                                             "data", "cmd", "close"}));
  EXPECT_EQ(ev[5].opt, 44);
  EXPECT_EQ(ev[5].bytes, bytes({1, 0, 0, 0x25, 0x80}));
  EXPECT_EQ(ev[7].cmd, 241);
  EXPECT_EQ(rec.data(1), "x\xff");
}

TEST(TelnetRecorder, SendsFilesEscapedStaysSilentAndRestartsOnSamePort) {
  TempDir dir;
  std::string blob;
  for (int i = 0; i < 256 * 64; ++i) blob += static_cast<char>(i & 0xff);
  std::ofstream(dir.file("blob"), std::ios::binary) << blob;
  std::string escaped;
  for (char ch : blob) escaped += (ch == '\xff') ? std::string("\xff\xff") : std::string(1, ch);

  TelnetRecorder rec;
  ASSERT_OK(rec.start(dir.path(), {.send_file = dir.file("blob")}));
  {
    UniqueFd c = connect_tcp(rec.port());
    std::string got;
    EXPECT_TRUE(read_until(c.get(), escaped, 3s, &got));
    EXPECT_EQ(got.substr(12), escaped);  // after the 4 offers
  }
  uint16_t port = rec.port();
  rec.stop();
  EXPECT_FALSE(is_listening(port));
  ASSERT_OK(rec.restart());
  EXPECT_EQ(rec.port(), port);
  {
    UniqueFd c = connect_tcp(rec.port());
    ASSERT_TRUE(c.valid());
    ASSERT_TRUE(write_all(c.get(), "after restart"));
    EXPECT_TRUE(wait_until([&] { return rec.data(2) == "after restart"; }, 2s))
        << "connection numbers continue after restart";
  }
  rec.stop();

  TelnetRecorder silent;
  ASSERT_OK(silent.start(dir.path(), {.name = "silent", .silent = true}));
  UniqueFd c = connect_tcp(silent.port());
  ASSERT_TRUE(write_all(c.get(), bytes({IAC, DO, 6, IAC, WILL, 44}) + "q"));
  EXPECT_EQ(read_for(c.get(), 300ms), "");
  EXPECT_EQ(silent.data(), "q");
}

TEST(TelnetRecorder, NoReadMakesTheClientsWritesBlock) {
  TempDir dir;
  TelnetRecorder rec;
  ASSERT_OK(rec.start(dir.path(), {.no_read = true}));
  UniqueFd c = connect_tcp(rec.port());
  ASSERT_TRUE(c.valid());
  ::fcntl(c.get(), F_SETFL, O_NONBLOCK);
  const std::string chunk(65536, 'x');
  size_t sent = 0;
  while (sent < (64u << 20)) {
    ssize_t w = ::write(c.get(), chunk.data(), chunk.size());
    if (w < 0) break;
    sent += static_cast<size_t>(w);
  }
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_LT(sent, 16u << 20);  // about 2.8 MB here, nearly all in our own send buffer
  EXPECT_EQ(rec.data(), "");
}

TEST(TelnetRecorder, ParsesLogLines) {
  auto e =
      parse_telnet_event(R"({"t": 12.5, "conn": 3, "ev": "sb", "opt": 44, "hex": "05 ff 00"})");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->conn, 3);
  EXPECT_EQ(e->ev, "sb");
  EXPECT_EQ(e->opt, 44);
  EXPECT_EQ(e->bytes, bytes({5, 0xff, 0}));
  EXPECT_DOUBLE_EQ(e->t, 12.5);
  EXPECT_FALSE(parse_telnet_event(R"({"t": 1, "conn": 1, "ev": "da)").has_value());
  EXPECT_FALSE(parse_telnet_event("").has_value());
}

// ---- sshd ------------------------------------------------------------------------------------

TEST(Sshd, OpenSshClientTrustsKnownHostsRejectsChangedAndSurvivesRestart) {
  TempDir dir;
  Sshd sshd;
  ASSERT_OK(sshd.start(dir.path(), "s3cret"));
  auto ssh = [&](const std::string& known_hosts) {
    auto argv = sshd.ssh_argv(known_hosts);
    argv.push_back("echo hi");
    auto r = run_command(argv, 10s);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : CommandResult{};
  };
  auto good = ssh(sshd.known_hosts());
  EXPECT_EQ(good.exit_code, 0) << good.output << sshd.log();
  EXPECT_EQ(good.output, "hi\n");  // nothing else: sshd's debug lines stay in its log

  auto changed = ssh(sshd.known_hosts_changed());
  EXPECT_EQ(changed.exit_code, 255);
  EXPECT_NE(changed.output.find("REMOTE HOST IDENTIFICATION HAS CHANGED"), std::string::npos)
      << changed.output;
  auto unknown = ssh(sshd.known_hosts_empty());
  EXPECT_EQ(unknown.exit_code, 255);
  EXPECT_NE(unknown.output.find("Host key verification failed"), std::string::npos)
      << unknown.output;

  // The passphrase key really has that passphrase.
  auto pub =
      run_command({"ssh-keygen", "-y", "-P", "s3cret", "-f", sshd.client_key_with_passphrase()});
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->exit_code, 0) << pub->output;

  ASSERT_OK(sshd.restart());
  auto again = ssh(sshd.known_hosts());
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(sshd.log().find("Accepted publickey for " + sshd.user()), std::string::npos);
  sshd.stop();
  EXPECT_TRUE(no_children_left());
}

TEST(Sshd, LogsTheBreakRequestOfOpenSshEscapeB) {
  // Given an interactive ssh session under expect (escapes need a tty),
  TempDir dir;
  Sshd sshd;
  ASSERT_OK(sshd.start(dir.path(), "pw"));
  auto argv = sshd.ssh_argv(sshd.known_hosts());
  argv.insert(argv.begin() + 1, {"-tt", "-o", "EscapeChar=~"});
  // A plain interactive sh, not root's login shell: the machine's rc files
  // (a `pyenv rehash` waiting 60 s on a stale lock was seen) stay out.
  argv.push_back("exec /bin/sh -i");
  std::string spawn;
  for (const auto& a : argv) spawn += " {" + a + "}";
  std::string script = dir.file("break.exp");
  std::ofstream(script) << "set timeout 5\n"
                        << "spawn" << spawn << "\n"
                        << "expect {# } {} {$ } {} timeout {exit 2}\n"
                        << "send \"\\r~B\"\n"  // when the user types <CR>~B,
                        << "send \"exit\\r\"\n"
                        << "expect eof\n"
                        << "wait\n";  // reap ssh, or it is left to init as a zombie
  auto r = run_command({"expect", script}, 10s);
  ASSERT_TRUE(r.ok()) << r.error().message << " (is the 'expect' package installed?)";
  EXPECT_EQ(r->exit_code, 0) << r->output;
  // then sshd logs an RFC 4335 "break" channel request.
  EXPECT_TRUE(wait_until(
      [&] {
        return sshd.log().find("session_input_channel_req: session 0 req break") !=
               std::string::npos;
      },
      2s))
      << sshd.log();
}

}  // namespace
}  // namespace clusterd::testing
