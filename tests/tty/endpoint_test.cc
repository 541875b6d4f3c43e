// Console URIs: every scheme's forms, defaults, and an error that names the
// wrong part for each kind of mistake an operator makes in a config.
#include "tty/endpoint.h"

#include <gtest/gtest.h>

namespace clusterd::tty {
namespace {

using namespace std::chrono_literals;

Endpoint ok(const std::string& uri) {
  auto r = parse_endpoint(uri);
  EXPECT_TRUE(r.ok()) << uri << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : Endpoint{};
}

std::string err(const std::string& uri) {
  auto r = parse_endpoint(uri);
  EXPECT_FALSE(r.ok()) << uri << " parsed";
  return r.ok() ? "" : r.error().message;
}

TEST(Endpoint, SerialWithLineSettings) {
  auto e = ok("serial:/dev/ttyS0?baud=19200&parity=even&flow=rtscts&data=7&stop=2");
  EXPECT_EQ(e.scheme, Scheme::Serial);
  EXPECT_EQ(e.path, "/dev/ttyS0");
  EXPECT_EQ(e.serial.baud, 19200u);
  EXPECT_EQ(e.serial.parity, Parity::Even);
  EXPECT_EQ(e.serial.flow, Flow::RtsCts);
  EXPECT_EQ(e.serial.data_bits, 7u);
  EXPECT_EQ(e.serial.stop_bits, 2u);
  EXPECT_EQ(effective_break(e), BreakStyle::Line);
}

TEST(Endpoint, SerialDefaultsAre9600N81NoFlow) {
  auto e = ok("serial:/dev/ttyUSB3");
  EXPECT_EQ(e.serial.baud, 9600u);
  EXPECT_EQ(e.serial.parity, Parity::None);
  EXPECT_EQ(e.serial.flow, Flow::None);
  EXPECT_EQ(e.break_duration, 250ms);
  EXPECT_EQ(e.retry, 500ms);
  EXPECT_EQ(e.retry_max, 30s);
}

TEST(Endpoint, TelnetPlainBreaksWithIacBrk) {
  auto e = ok("telnet://nts1.example:7001");
  EXPECT_EQ(e.scheme, Scheme::Telnet);
  EXPECT_EQ(e.host, "nts1.example");
  EXPECT_EQ(e.port, 7001);
  EXPECT_FALSE(e.rfc2217);
  EXPECT_EQ(effective_break(e), BreakStyle::Iac);
  EXPECT_EQ(describe_break(e), "telnet IAC BRK");
}

TEST(Endpoint, TelnetRfc2217BreaksWithSetControlUnlessTold) {
  auto e = ok("telnet://10.0.0.5:2001?rfc2217=1&break_duration=500ms");
  EXPECT_TRUE(e.rfc2217);
  EXPECT_EQ(effective_break(e), BreakStyle::Rfc2217);
  EXPECT_EQ(describe_break(e), "RFC 2217 SET-CONTROL break on, 500ms, break off");
  EXPECT_EQ(effective_break(ok("telnet://h:1?rfc2217=1&break=iac")), BreakStyle::Iac);
}

TEST(Endpoint, TelnetLoginUserAndSecretName) {
  auto e = ok("telnet://admin@nts1:7001?secret=nts1");
  EXPECT_EQ(e.user, "admin");
  EXPECT_EQ(e.secret, "nts1");
}

TEST(Endpoint, SshWithCommandAndFiles) {
  auto e =
      ok("ssh://op@cons.example:2222/console%20node1?identity=/etc/clusterd/id&known_hosts=/etc/"
         "clusterd/kh");
  EXPECT_EQ(e.scheme, Scheme::Ssh);
  EXPECT_EQ(e.user, "op");
  EXPECT_EQ(e.host, "cons.example");
  EXPECT_EQ(e.port, 2222);
  EXPECT_EQ(e.command, "console node1");
  EXPECT_EQ(e.identity, "/etc/clusterd/id");
  EXPECT_EQ(e.known_hosts, "/etc/clusterd/kh");
  EXPECT_EQ(effective_break(e), BreakStyle::SshRequest);
}

TEST(Endpoint, SshPortDefaultsTo22AndIpv6InBrackets) {
  EXPECT_EQ(ok("ssh://op@host").port, 22);
  auto e = ok("ssh://op@[fd00::5]:2200");
  EXPECT_EQ(e.host, "fd00::5");
  EXPECT_EQ(e.port, 2200);
}

TEST(Endpoint, ExecSplitsWordsWithoutAShell) {
  auto e =
      ok("exec:ipmitool -I lanplus -H bmc1 -U admin -f '/etc/clusterd/bmc 1.pass' sol "
         "activate?break=~B");
  ASSERT_EQ(e.argv.size(), 11u);
  EXPECT_EQ(e.argv[0], "ipmitool");
  EXPECT_EQ(e.argv[8], "/etc/clusterd/bmc 1.pass");
  EXPECT_EQ(e.argv[10], "activate");
  EXPECT_EQ(effective_break(e), BreakStyle::Escape);
  EXPECT_EQ(e.break_escape, "~B");
}

TEST(Endpoint, ExecShellMetacharactersAreJustBytes) {
  auto e = ok("exec:echo $(reboot);ls");
  ASSERT_EQ(e.argv.size(), 2u);
  EXPECT_EQ(e.argv[1], "$(reboot);ls");
}

TEST(Endpoint, AlternateBreakAsEscapes) {
  auto e = ok("pty:/tmp/node1?break=\\r~\\x02");
  EXPECT_EQ(e.break_escape, std::string("\r~\x02"));
  EXPECT_EQ(describe_break(e), "escape sequence \"\\r~\\x02\" written to the console");
}

TEST(Endpoint, RawTcpHasNoBreak) {
  auto e = ok("tcp://127.0.0.1:9000");
  EXPECT_EQ(effective_break(e), BreakStyle::None);
  EXPECT_NE(describe_break(e).find("cannot send BREAK"), std::string::npos);
}

TEST(Endpoint, TimingKeysEverywhere) {
  auto e =
      ok("tcp://"
         "h:1?retry=1s&retry_max=2m&probe=0s&probe_timeout=3s&write_timeout=5s&connect_timeout=4s");
  EXPECT_EQ(e.retry, 1s);
  EXPECT_EQ(e.retry_max, 120s);
  EXPECT_EQ(e.probe, 0s);
  EXPECT_EQ(e.probe_timeout, 3s);
  EXPECT_EQ(e.write_timeout, 5s);
  EXPECT_EQ(e.connect_timeout, 4s);
}

// Given a config line with a mistake, the message names the part that is wrong.
TEST(Endpoint, PtyTakesTheLineSettingsItCanKeep) {
  auto e = ok("pty:/tmp/n1?baud=19200&data=8&parity=none&stop=2&flow=rtscts");
  EXPECT_EQ(e.serial.baud, 19200u);
  EXPECT_EQ(e.serial.data_bits, 8u);
  EXPECT_EQ(e.serial.parity, Parity::None);
  EXPECT_EQ(e.serial.stop_bits, 2u);
  EXPECT_EQ(e.serial.flow, Flow::RtsCts);
}

TEST(Endpoint, ErrorsNameTheWrongPart) {
  struct Case {
    std::string uri, message;
  };
  const Case cases[] = {
      {"nts1:7001",
       "nts1:7001: unknown scheme 'nts1' (known: serial, telnet, ssh, exec, pty, tcp)"},
      {"/dev/ttyS0",
       "/dev/ttyS0: no scheme: write serial:, telnet://, ssh://, exec:, pty: or tcp://"},
      {"telnet://nts1:70x1", "telnet://nts1:70x1: port '70x1' is not a number 1-65535"},
      {"telnet://nts1:0", "telnet://nts1:0: port '0' is not a number 1-65535"},
      {"telnet://nts1", "telnet://nts1: no port: write telnet://nts1:PORT"},
      {"telnet:nts1:7001", "telnet:nts1:7001: expected '//' after 'telnet:'"},
      {"telnet://nts1:7001?rfc=1",
       "telnet://nts1:7001?rfc=1: unknown key 'rfc' for telnet (known: rfc2217, secret, break, "
       "break_duration, "
       "connect_timeout, retry, retry_max, probe, probe_timeout, write_timeout)"},
      {"telnet://nts1:7001?break=rfc2217",
       "telnet://nts1:7001?break=rfc2217: break=rfc2217 needs rfc2217=1"},
      {"serial:/dev/ttyS0?baud=fast", "serial:/dev/ttyS0?baud=fast: baud 'fast' is not a rate"},
      {"serial:/dev/ttyS0?parity=mark",
       "serial:/dev/ttyS0?parity=mark: parity 'mark' is not none, odd or even"},
      {"serial:ttyS0", "serial:ttyS0: path 'ttyS0' must be absolute, e.g. serial:/dev/ttyS0"},
      {"serial:/dev/ttyS0?break=iac", "serial:/dev/ttyS0?break=iac: break=iac is only for telnet"},
      {"ssh://host/console",
       "ssh://host/console: ssh needs a user: ssh://user@host[:port][/command]"},
      {"ssh://op:pw@host",
       "ssh://op:***@host: user must not carry a password; put it in the secrets file and name it "
       "with ?secret=NAME"},
      {"exec:", "exec:: exec: needs a command, e.g. exec:ipmitool -I lanplus -H bmc1 sol activate"},
      {"exec:sh -c 'x", "exec:sh -c 'x: command: unterminated ' quote"},
      {"tcp://h:1?retry=soon",
       "tcp://h:1?retry=soon: retry='soon' is not a duration (e.g. 250ms, 1s, 30s)"},
      {"tcp://h:1?retry=5s&retry_max=1s",
       "tcp://h:1?retry=5s&retry_max=1s: retry_max is shorter than retry"},
      {"tcp://h:1?probe=1s&probe=2s", "tcp://h:1?probe=1s&probe=2s: key 'probe' given twice"},
      {"pty:/tmp/a%2", "pty:/tmp/a%2: '%' at offset 6 needs two hex digits"},
      // A Linux pty keeps 8N whatever it is told: refused, not silently ignored.
      {"pty:/tmp/a?data=7",
       "pty:/tmp/a?data=7: a pty is always 8 data bits without parity (the kernel's pty driver "
       "ignores data and parity); they apply to serial: only"},
      {"pty:/tmp/a?parity=even",
       "pty:/tmp/a?parity=even: a pty is always 8 data bits without parity (the kernel's pty "
       "driver ignores data and parity); they apply to serial: only"},
      {"pty:/tmp/a?break=\\q",
       "pty:/tmp/a?break=\\q: break='\\q' is neither iac, rfc2217, ssh, line, none nor an "
       "escape sequence (e.g. ~B, or \\r~\\x02 for the Solaris alternate break)"},
  };
  for (const auto& c : cases) EXPECT_EQ(err(c.uri), c.message);
}

}  // namespace
}  // namespace clusterd::tty
