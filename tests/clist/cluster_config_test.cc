// The cluster file: every error path as a table of (input, exact message),
// a complete config read back field by field, the defaults, the shipped
// sample, and the secrets file's mode check. Files live in a temp
// $CLUSTER_HOME with scripts/s.chat, stock/stock.chat and a 0600 secrets file.
#include "clist/cluster_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/diagnostic.h"
#include "tests/support/peers.h"

namespace clusterd::clist {
namespace {

using clusterd::testing::TempDir;
using namespace std::chrono_literals;

void write(const std::string& path, std::string_view text, mode_t mode = 0644) {
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  ::chmod(path.c_str(), mode);
}

std::string replace_all(std::string s, std::string_view from, const std::string& to) {
  for (auto i = s.find(from); i != std::string::npos; i = s.find(from, i + to.size()))
    s.replace(i, from.size(), to);
  return s;
}

class Home {
 public:
  Home() {
    std::filesystem::create_directories(dir_.file("scripts"));
    std::filesystem::create_directories(dir_.file("stock"));
    write(dir_.file("scripts/s.chat"), "initial state a {}\n");
    write(dir_.file("stock/stock.chat"), "initial state a {}\n");
    write(dir_.file("secrets"), "nts1 = terminal server password\nsmtp = mail password\n", 0600);
  }
  LoadOptions options(std::string name = "") const {
    return {dir_.path(), dir_.file("stock"), std::move(name)};
  }
  ConfigResult parse(std::string_view text) const {
    return parse_cluster_config(text, "t.toml", options());
  }
  std::string file(std::string_view n) const { return dir_.file(n); }
  const std::string& path() const { return dir_.path(); }

 private:
  TempDir dir_;
};

std::vector<std::string> lines(const Diagnostics& ds) {
  std::vector<std::string> out;
  for (const Diagnostic& d : ds) out.push_back(format_line(d));
  return out;
}

// Lines 1-2, 3-5 and 6-8 of most cases below.
const std::string kHead = "script = \"s.chat\"\nsecrets = \"secrets\"\n";
const std::string kAlpha =
    "[nodes.alpha]\nconsole = \"telnet://nts1:7001\"\naddress = \"192.0.2.10\"\n";
const std::string kBeta =
    "[nodes.beta]\nconsole = \"telnet://nts1:7002\"\naddress = \"192.0.2.11\"\n";
const std::string kBase = kHead + kAlpha + kBeta;  // 8 lines; appended text starts at line 9
const std::string kKnownTop =
    "script, secrets, params, nodes, ping, alarms, policy, timeouts, metrics, bcp";
const std::string kDurationHint = "(e.g. \"250ms\", \"20s\", \"10m\", \"1h30m\")";
const std::string kNameRuleText =
    "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit";

struct Case {
  const char* claim;  // the test's name
  std::string input;
  std::string message;  // $HOME: the temp $CLUSTER_HOME
};

// gtest prints a failing case by its claim, not as bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.claim; }

class Rejects : public ::testing::TestWithParam<Case> {};

TEST_P(Rejects, WithOneExactMessage) {
  Home home;
  auto r = home.parse(GetParam().input);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(lines(r.diagnostics),
            std::vector<std::string>{replace_all(GetParam().message, "$HOME", home.path())})
      << format_text(r.diagnostics);
}

const Case kCases[] = {
    // Syntax: toml++'s own message at its position.
    {"SyntaxError", kBase + "[ping]\ninterval = \n",
     "t.toml:10:12: error: Error while parsing key-value pair: expected value, saw '\\n'"},
    {"DuplicateKey", kHead + kAlpha + "address = \"192.0.2.12\"\n" + kBeta,
     "t.toml:6:11: error: Error while parsing key-value pair: cannot redefine existing string "
     "'address'"},

    // Top level.
    {"UnknownTopLevelKeyListsKnownKeys", "scrpit = \"s.chat\"\n" + kBase,
     "t.toml:1:1: error: scrpit: unknown key (known: " + kKnownTop + ")"},
    {"MissingScript", "secrets = \"secrets\"\n" + kAlpha + kBeta,
     "t.toml:1:1: error: script: missing; name the chat script to run, e.g. script = "
     "\"sparc-obp.chat\""},
    {"ScriptNotAString", "script = 3\n" + kAlpha + kBeta,
     "t.toml:1:10: error: script: expected a string, got an integer"},
    {"EmptyScript", "script = \"\"\n" + kAlpha + kBeta,
     "t.toml:1:10: error: script: empty; name the chat script to run, e.g. \"sparc-obp.chat\""},
    {"ScriptNotFound", "script = \"nope.chat\"\n" + kAlpha + kBeta,
     "t.toml:1:10: error: script: 'nope.chat' is neither in $HOME/scripts nor in the stock scripts "
     "($HOME/stock)"},
    {"AbsoluteScriptNotFound", "script = \"/nonexistent/x.chat\"\n" + kAlpha + kBeta,
     "t.toml:1:10: error: script: /nonexistent/x.chat does not exist"},
    {"SectionNotATable", "ping = 3\n" + kBase,
     "t.toml:1:8: error: ping: expected a table ([ping]), got an integer"},

    // Secrets.
    {"SecretsFileMissing", "script = \"s.chat\"\nsecrets = \"nofile\"\n" + kAlpha + kBeta,
     "t.toml:2:11: error: secrets: secrets file $HOME/nofile: No such file or directory"},
    {"EmptySecretsPath", "script = \"s.chat\"\nsecrets = \"\"\n" + kAlpha + kBeta,
     "t.toml:2:11: error: secrets: empty; give the secrets file's path or leave the key out"},
    {"SecretNamedWithoutSecretsFile",
     "script = \"s.chat\"\n[nodes.alpha]\nconsole = \"telnet://op@nts1:7001?secret=nts1\"\naddress "
     "= \"192.0.2.10\"\n" +
         kBeta,
     "t.toml:3:11: error: nodes.alpha.console: names secret 'nts1' but the config has no secrets = "
     "\"PATH\" (a file of "
     "mode 0600)"},
    {"SecretNotInSecretsFile",
     kHead +
         "[nodes.alpha]\nconsole = \"telnet://op@nts1:7001?secret=nope\"\naddress = "
         "\"192.0.2.10\"\n" +
         kBeta,
     "t.toml:4:11: error: nodes.alpha.console: no secret named 'nope' in $HOME/secrets"},

    // Params.
    {"ParamOfWrongType", kBase + "[params]\nfast = true\n",
     "t.toml:10:8: error: params.fast: expected a string, an integer or a duration string such as "
     "\"10m\", got a boolean"},
    {"ParamFloat", kBase + "[params]\nratio = 0.5\n",
     "t.toml:10:9: error: params.ratio: expected a string, an integer or a duration string such as "
     "\"10m\", got a float"},
    {"ParamBadName", kBase + "[params]\n\"boot-device\" = \"disk\"\n",
     "t.toml:10:1: error: params.boot-device: not a param name (letters, digits and '_', not "
     "starting "
     "with a digit)"},

    // Nodes.
    {"NoNodes", kHead,
     "t.toml:1:1: error: nodes: missing; a cluster has exactly two [nodes.NAME] tables"},
    {"OneNode", kHead + kAlpha,
     "t.toml:3:1: error: nodes: a cluster has exactly two nodes, found 1 (alpha)"},
    {"ThreeNodes",
     kBase + "[nodes.gamma]\nconsole = \"telnet://nts1:7003\"\naddress = \"192.0.2.12\"\n",
     "t.toml:9:8: error: nodes.gamma: a cluster has exactly two nodes (alpha and beta come first)"},
    {"NodeNotATable", kHead + "[nodes]\nalpha = \"x\"\n" + kBeta,
     "t.toml:4:9: error: nodes.alpha: expected a table ([nodes.alpha]), got a string"},
    {"BadNodeName",
     kHead + kAlpha +
         "[nodes.\"b b\"]\nconsole = \"telnet://nts1:7002\"\naddress = \"192.0.2.11\"\n",
     "t.toml:6:8: error: nodes.b b: node name 'b b' is not valid: " + kNameRuleText},
    {"UnknownNodeKeyListsKnownKeys", kHead + kAlpha + "consle = \"x\"\n" + kBeta,
     "t.toml:6:1: error: nodes.alpha.consle: unknown key (known: console, address, addresses, "
     "role, power_off, power_on, power_status, power_status_off, power_status_on, ship_serve, "
     "ship_receive, ship_promote, ship_renew)"},
    {"ShipCommandWithoutBcp", kHead + kAlpha + "ship_serve = [\"clusterd-ship\"]\n" + kBeta,
     "t.toml:6:14: error: nodes.alpha.ship_serve: only used in BCP mode; add a [bcp] table "
     "(docs/bcp.md) or remove it"},
    {"MissingConsole", kHead + "[nodes.alpha]\naddress = \"192.0.2.10\"\n" + kBeta,
     "t.toml:3:1: error: nodes.alpha.console: missing; give the console URI, e.g. console = "
     "\"telnet://nts1.example:7001\" "
     "(docs/config.md, Console endpoints)"},
    {"ConsoleNotAString",
     kHead + "[nodes.alpha]\nconsole = 7001\naddress = \"192.0.2.10\"\n" + kBeta,
     "t.toml:4:11: error: nodes.alpha.console: expected a string, got an integer"},
    {"ConsolePortNotANumber",
     kHead + "[nodes.alpha]\nconsole = \"telnet://nts1:70x1\"\naddress = \"192.0.2.10\"\n" + kBeta,
     "t.toml:4:11: error: nodes.alpha.console: telnet://nts1:70x1: port '70x1' is not a number "
     "1-65535"},
    {"ConsoleUnknownUriKey",
     kHead +
         "[nodes.alpha]\nconsole = \"serial:/dev/ttyS0?speed=9600\"\naddress = "
         "\"192.0.2.10\"\n" +
         kBeta,
     "t.toml:4:11: error: nodes.alpha.console: serial:/dev/ttyS0?speed=9600: unknown key 'speed' "
     "for "
     "serial (known: baud, "
     "data, parity, stop, flow, break, break_duration, connect_timeout, retry, retry_max, probe, "
     "probe_timeout, "
     "write_timeout)"},
    {"MissingAddress", kHead + "[nodes.alpha]\nconsole = \"telnet://nts1:7001\"\n" + kBeta,
     "t.toml:3:1: error: nodes.alpha.address: missing; give the node's address for ping, e.g. "
     "address = "
     "\"192.0.2.10\" (or "
     "addresses = [...])"},
    {"AddressAndAddresses", kHead + kAlpha + "addresses = [\"192.0.2.20\"]\n" + kBeta,
     "t.toml:6:13: error: nodes.alpha.addresses: give address or addresses, not both"},
    {"EmptyAddresses",
     kHead + "[nodes.alpha]\nconsole = \"telnet://nts1:7001\"\naddresses = []\n" + kBeta,
     "t.toml:5:13: error: nodes.alpha.addresses: empty; give at least one address"},
    {"BadAddress",
     kHead + "[nodes.alpha]\nconsole = \"telnet://nts1:7001\"\naddress = \"192.0.2.300\"\n" + kBeta,
     "t.toml:5:11: error: nodes.alpha.address: '192.0.2.300' is not an IPv4 address (ping probes "
     "IPv4 "
     "addresses only: no host names, no IPv6 yet)"},
    {"AddressHostNameRefused",
     kHead + "[nodes.alpha]\nconsole = \"telnet://nts1:7001\"\naddress = \"alpha.example\"\n" +
         kBeta,
     "t.toml:5:11: error: nodes.alpha.address: 'alpha.example' is not an IPv4 address (ping probes "
     "IPv4 "
     "addresses only: no host names, no IPv6 yet)"},
    {"AddressIpv6Refused",
     kHead +
         "[nodes.alpha]\nconsole = \"telnet://nts1:7001\"\naddresses = [\"192.0.2.10\", "
         "\"2001:db8::10\"]\n" +
         kBeta,
     "t.toml:5:28: error: nodes.alpha.addresses[1]: '2001:db8::10' is not an IPv4 address (ping "
     "probes "
     "IPv4 addresses only: no host names, no IPv6 yet)"},
    {"AddressesElementNotAString",
     kHead + "[nodes.alpha]\nconsole = \"telnet://nts1:7001\"\naddresses = [\"192.0.2.10\", 5]\n" +
         kBeta,
     "t.toml:5:28: error: nodes.alpha.addresses[1]: expected a string, got an integer"},
    {"BadRole", kHead + kAlpha + "role = \"primary\"\n" + kBeta,
     "t.toml:6:8: error: nodes.alpha.role: 'primary' is not active or standby"},
    {"TwoActiveNodes", kHead + kAlpha + "role = \"active\"\n" + kBeta + "role = \"active\"\n",
     "t.toml:10:8: error: nodes.beta.role: nodes.alpha is already active; one node is active, the "
     "other "
     "standby"},
    {"PowerCommandAsShellString", kHead + kAlpha + "power_off = \"ipmitool power off\"\n" + kBeta,
     "t.toml:6:13: error: nodes.alpha.power_off: expected a command as a list of words such as "
     "[\"prog\", "
     "\"arg\"] (no "
     "shell is used), got a string"},
    {"PowerOffWithoutPowerStatus",
     kHead + kAlpha + "power_off = [\"ipmitool\", \"power\", \"off\"]\n" + kBeta,
     "t.toml:6:13: error: nodes.alpha.power_off: needs nodes.alpha.power_status too: a power "
     "action counts only when read back"},
    {"PowerOnWithoutPowerStatus",
     kHead + kAlpha + "power_on = [\"ipmitool\", \"power\", \"on\"]\n" + kBeta,
     "t.toml:6:12: error: nodes.alpha.power_on: needs nodes.alpha.power_status too: a power "
     "action counts only when read back"},
    {"PowerStatusOffNotARegex",
     kHead + kAlpha + "power_status = [\"st\"]\npower_status_off = \"(off\"\n" + kBeta,
     "t.toml:7:20: error: nodes.alpha.power_status_off: not a valid RE2 pattern: missing ): (off"},
    {"PowerStatusOnMatchesEmpty",
     kHead + kAlpha + "power_status = [\"st\"]\npower_status_on = \"x*\"\n" + kBeta,
     "t.toml:7:19: error: nodes.alpha.power_status_on: matches the empty string, so any output "
     "would match"},
    {"PowerStatusPatternWithoutCommand", kHead + kAlpha + "power_status_off = \"is off\"\n" + kBeta,
     "t.toml:6:20: error: nodes.alpha.power_status_off: needs nodes.alpha.power_status"},
    {"EmptyPowerCommand", kHead + kAlpha + "power_on = []\n" + kBeta,
     "t.toml:6:12: error: nodes.alpha.power_on: empty command; the first word is the program to "
     "run"},
    {"BothNodesOnOneConsole",
     kHead + kAlpha + "[nodes.beta]\nconsole = \"telnet://nts1:7001\"\naddress = \"192.0.2.11\"\n",
     "t.toml:7:11: error: nodes.beta.console: the same console as nodes.alpha"},
    {"BothNodesOnOneAddress",
     kHead + kAlpha + "[nodes.beta]\nconsole = \"telnet://nts1:7002\"\naddress = \"192.0.2.10\"\n",
     "t.toml:8:11: error: nodes.beta.address: 192.0.2.10 is also an address of nodes.alpha"},

    // [ping]
    {"UnknownPingKeyListsKnownKeys", kBase + "[ping]\nintervall = \"1s\"\n",
     "t.toml:10:1: error: ping.intervall: unknown key (known: interval, timeout, misses, "
     "reference, "
     "method, tcp_port)"},
    {"PingIntervalNotADuration", kBase + "[ping]\ninterval = \"1x\"\n",
     "t.toml:10:12: error: ping.interval: '1x' is not a duration " + kDurationHint},
    {"PingIntervalZero", kBase + "[ping]\ninterval = \"0s\"\n",
     "t.toml:10:12: error: ping.interval: must be longer than 0s"},
    {"PingIntervalAsInteger", kBase + "[ping]\ninterval = 1\n",
     "t.toml:10:12: error: ping.interval: expected a duration string such as \"1s\" or \"250ms\", "
     "got an "
     "integer"},
    {"PingMissesZero", kBase + "[ping]\nmisses = 0\n",
     "t.toml:10:10: error: ping.misses: 0 is not 1-1000"},
    {"PingMissesAsString", kBase + "[ping]\nmisses = \"3\"\n",
     "t.toml:10:10: error: ping.misses: expected an integer 1-1000, got a string"},
    {"PingBadReference", kBase + "[ping]\nreference = \"not an address\"\n",
     "t.toml:10:13: error: ping.reference: 'not an address' is not an IPv4 address (ping probes "
     "IPv4 "
     "addresses only: no host names, no IPv6 yet)"},
    {"PingTimeoutLongerThanInterval", kBase + "[ping]\ninterval = \"1s\"\ntimeout = \"2s\"\n",
     "t.toml:11:11: error: ping.timeout: 2s is longer than ping.interval (1s)"},
    {"PingBadMethod", kBase + "[ping]\nmethod = \"udp\"\n",
     "t.toml:10:10: error: ping.method: 'udp' is not icmp or tcp"},
    {"PingTcpWithoutPort", kBase + "[ping]\nmethod = \"tcp\"\n",
     "t.toml:10:10: error: ping.method: \"tcp\" needs ping.tcp_port, the port to connect to (e.g. "
     "tcp_port = 22)"},
    {"PingPortWithoutTcp", kBase + "[ping]\ntcp_port = 22\n",
     "t.toml:10:12: error: ping.tcp_port: only used with method = \"tcp\""},
    {"PingPortOutOfRange", kBase + "[ping]\nmethod = \"tcp\"\ntcp_port = 70000\n",
     "t.toml:11:12: error: ping.tcp_port: 70000 is not 1-65535"},

    // [policy] and [timeouts]
    {"BadUnconfirmedFence", kBase + "[policy]\nunconfirmed_fence = \"maybe\"\n",
     "t.toml:10:21: error: policy.unconfirmed_fence: 'maybe' is not takeover or wait"},
    {"NetworkLossNotAString", kBase + "[policy]\non_network_loss = true\n",
     "t.toml:10:19: error: policy.on_network_loss: expected takeover or alarm (a string), got a "
     "boolean"},
    {"UnknownPolicyKey", kBase + "[policy]\nfence = \"x\"\n",
     "t.toml:10:1: error: policy.fence: unknown key (known: unconfirmed_fence, on_network_loss)"},
    {"BadTimeout", kBase + "[timeouts]\npower = \"soon\"\n",
     "t.toml:10:9: error: timeouts.power: 'soon' is not a duration " + kDurationHint},
    {"UnknownTimeout", kBase + "[timeouts]\nboot = \"10m\"\n",
     "t.toml:10:1: error: timeouts.boot: unknown key (known: confirm_window, power, exec)"},

    // [alarms]
    {"UnknownAlarmKeyListsKnownKeys", kBase + "[alarms]\nsms = [\"x\"]\n",
     "t.toml:10:1: error: alarms.sms: unknown key (known: email, smtp, starttls, from, smtp_user, "
     "smtp_secret, ca_file, "
     "page, timeout, retry_first, retry_cap, retry_for, reminder, escalate_after, escalate_to, "
     "rate_limit, "
     "rate_window, heartbeat_url, heartbeat_command, heartbeat_interval)"},
    {"EmailNotAList", kBase + "[alarms]\nemail = \"oncall@example.com\"\n",
     "t.toml:10:9: error: alarms.email: expected a list of strings, got a string"},
    {"EmailNotAnAddress", kBase + "[alarms]\nemail = [\"oncall\"]\n",
     "t.toml:10:10: error: alarms.email[0]: 'oncall' is not an email address (user@domain)"},
    {"EmailElementNotAString", kBase + "[alarms]\nemail = [\"a@b\", 3]\n",
     "t.toml:10:17: error: alarms.email[1]: expected a string, got an integer"},
    {"EscalateToNotAnAddress", kBase + "[alarms]\nescalate_to = [\"duty\"]\n",
     "t.toml:10:16: error: alarms.escalate_to[0]: 'duty' is not an email address (user@domain)"},
    {"SmtpNotAnSmtpUrl", kBase + "[alarms]\nsmtp = \"mail:25\"\n",
     "t.toml:10:8: error: alarms.smtp: 'mail:25' must start with smtp:// or smtps:// (e.g. "
     "smtp://mail.example:25)"},
    {"BadStartTls", kBase + "[alarms]\nstarttls = \"yes\"\n",
     "t.toml:10:12: error: alarms.starttls: 'yes' is not try, require or off"},
    {"FromNotAnAddress", kBase + "[alarms]\nfrom = \"clusterd\"\n",
     "t.toml:10:8: error: alarms.from: 'clusterd' is not an email address (user@domain)"},
    {"SmtpUserWithoutSecret", kBase + "[alarms]\nsmtp_user = \"u\"\n",
     "t.toml:10:13: error: alarms.smtp_user: needs alarms.smtp_secret, the name of the SMTP "
     "password in "
     "the secrets file"},
    {"SmtpSecretWithoutUser", kBase + "[alarms]\nsmtp_secret = \"smtp\"\n",
     "t.toml:10:15: error: alarms.smtp_secret: only used with alarms.smtp_user"},
    {"SmtpSecretNotInSecretsFile", kBase + "[alarms]\nsmtp_user = \"u\"\nsmtp_secret = \"nope\"\n",
     "t.toml:11:15: error: alarms.smtp_secret: no secret named 'nope' in $HOME/secrets"},
    {"BadPageTarget", kBase + "[alarms]\npage = [\"mailto:x\"]\n",
     "t.toml:10:9: error: alarms.page[0]: page target 'mailto:x' is neither http(s)://URL nor "
     "exec:COMMAND"},
    {"ZeroAlarmTimeout", kBase + "[alarms]\ntimeout = \"0s\"\n",
     "t.toml:10:11: error: alarms.timeout: must be longer than 0s"},
    {"RetryCapShorterThanFirstRetry",
     kBase + "[alarms]\nretry_first = \"20m\"\nretry_cap = \"5m\"\n",
     "t.toml:11:13: error: alarms.retry_cap: 5m is shorter than alarms.retry_first (20m)"},
    {"FirstRetryLongerThanDefaultCap", kBase + "[alarms]\nretry_first = \"20m\"\n",
     "t.toml:10:15: error: alarms.retry_first: 20m is longer than alarms.retry_cap (10m, the "
     "default)"},
    {"NegativeRateLimit", kBase + "[alarms]\nrate_limit = -1\n",
     "t.toml:10:14: error: alarms.rate_limit: -1 is not 0-1000000"},
    {"HeartbeatUrlNotHttp", kBase + "[alarms]\nheartbeat_url = \"hc.example\"\n",
     "t.toml:10:17: error: alarms.heartbeat_url: 'hc.example' must start with http:// or https://"},
    {"HeartbeatCommandAsShellString", kBase + "[alarms]\nheartbeat_command = \"/bin/beat\"\n",
     "t.toml:10:21: error: alarms.heartbeat_command: expected a command as a list of words such as "
     "[\"prog\", \"arg\"] (no "
     "shell is used), got a string"},

    // [metrics]: loopback only, ADDRESS:PORT.
    {"MetricsNotATable", "metrics = \"127.0.0.1:9100\"\n" + kBase,
     "t.toml:1:11: error: metrics: expected a table ([metrics]), got a string"},
    {"UnknownMetricsKey", kBase + "[metrics]\nport = 9100\n",
     "t.toml:10:1: error: metrics.port: unknown key (known: listen)"},
    {"MetricsListenNotAString", kBase + "[metrics]\nlisten = 9100\n",
     "t.toml:10:10: error: metrics.listen: expected a string, got an integer"},
    {"MetricsListenEmpty", kBase + "[metrics]\nlisten = \"\"\n",
     "t.toml:10:10: error: metrics.listen: empty; give ADDRESS:PORT (e.g. listen = "
     "\"127.0.0.1:9100\"), "
     "or leave [metrics] "
     "out for no endpoint"},
    {"MetricsListenOnEveryAddress", kBase + "[metrics]\nlisten = \"0.0.0.0:9100\"\n",
     "t.toml:10:10: error: metrics.listen: 0.0.0.0 is not a loopback address; the endpoint has no "
     "TLS and "
     "no "
     "authentication, so it listens on 127.0.0.1 (127.0.0.0/8) or [::1] only"},
    {"MetricsListenOnALanAddress", kBase + "[metrics]\nlisten = \"192.0.2.5:9100\"\n",
     "t.toml:10:10: error: metrics.listen: 192.0.2.5 is not a loopback address; the endpoint has "
     "no TLS "
     "and no "
     "authentication, so it listens on 127.0.0.1 (127.0.0.0/8) or [::1] only"},
    {"MetricsListenOnANonLoopbackIpv6", kBase + "[metrics]\nlisten = \"[2001:db8::1]:9100\"\n",
     "t.toml:10:10: error: metrics.listen: 2001:db8::1 is not a loopback address; the endpoint has "
     "no TLS "
     "and no "
     "authentication, so it listens on 127.0.0.1 (127.0.0.0/8) or [::1] only"},
    {"MetricsListenOnAHostName", kBase + "[metrics]\nlisten = \"localhost:9100\"\n",
     "t.toml:10:10: error: metrics.listen: 'localhost' is not an IP address; give a loopback "
     "address, not "
     "a host name "
     "(e.g. listen = \"127.0.0.1:9100\")"},
    {"MetricsListenWithoutPort", kBase + "[metrics]\nlisten = \"127.0.0.1\"\n",
     "t.toml:10:10: error: metrics.listen: '127.0.0.1' has no port; write ADDRESS:PORT (e.g. "
     "listen = "
     "\"127.0.0.1:9100\")"},
    {"MetricsListenPortNotANumber", kBase + "[metrics]\nlisten = \"127.0.0.1:http\"\n",
     "t.toml:10:10: error: metrics.listen: port 'http' is not a number 1-65535"},
    {"MetricsListenPortZero", kBase + "[metrics]\nlisten = \"127.0.0.1:0\"\n",
     "t.toml:10:10: error: metrics.listen: port '0' is not a number 1-65535"},
    {"MetricsListenPortTooLarge", kBase + "[metrics]\nlisten = \"127.0.0.1:65536\"\n",
     "t.toml:10:10: error: metrics.listen: port '65536' is not a number 1-65535"},
    {"MetricsListenIpv6WithoutBrackets", kBase + "[metrics]\nlisten = \"::1:9100\"\n",
     "t.toml:10:10: error: metrics.listen: '::1:9100': an IPv6 address goes in brackets, as in "
     "\"[::1]:9100\""},
    {"MetricsListenUnclosedBracket", kBase + "[metrics]\nlisten = \"[::1:9100\"\n",
     "t.toml:10:10: error: metrics.listen: '[::1:9100' is not [IPv6]:PORT (e.g. listen = "
     "\"127.0.0.1:9100\")"},
};

INSTANTIATE_TEST_SUITE_P(ClusterConfig, Rejects, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& c) { return c.param.claim; });

TEST(ClusterConfig, CollectsEveryErrorInFileOrder) {
  // Given errors in three sections whose keys sort differently from the file,
  // when the file is read, then each is reported, top to bottom.
  Home home;
  auto r = home.parse(kHead + kAlpha + "role = \"primary\"\n" + kBeta +
                      "[ping]\nmisses = 0\n[alarms]\nstarttls = \"yes\"\n[policy]\nwat = 1\n");
  EXPECT_EQ(
      lines(r.diagnostics),
      (std::vector<std::string>{
          "t.toml:6:8: error: nodes.alpha.role: 'primary' is not active or standby",
          "t.toml:11:10: error: ping.misses: 0 is not 1-1000",
          "t.toml:13:12: error: alarms.starttls: 'yes' is not try, require or off",
          "t.toml:15:1: error: policy.wat: unknown key (known: unconfirmed_fence, on_network_loss)",
      }));
}

TEST(ClusterConfig, PrintsSourceLineAndCaretUnderTheValue) {
  Home home;
  auto r = home.parse(
      kHead + "[nodes.alpha]\nconsole = \"telnet://nts1:70x1\"\naddress = \"192.0.2.10\"\n" +
      kBeta);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(format_text(r.diagnostics[0]),
            "t.toml:4:11: error: nodes.alpha.console: telnet://nts1:70x1: port '70x1' is not a "
            "number 1-65535\n"
            "    console = \"telnet://nts1:70x1\"\n"
            "              ^\n");
}

// A password typed into a console URI is refused, and neither the message
// nor the source line under it repeats it.
TEST(ClusterConfig, PasswordInAConsoleUriIsNotEchoed) {
  Home home;
  auto r = home.parse(
      kHead +
      "[nodes.alpha]\nconsole = \"telnet://op:hunter2@nts1:7001\"\naddress = \"192.0.2.10\"\n" +
      kBeta);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  std::string text = format_text(r.diagnostics[0]);
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_NE(
      text.find("t.toml:4:11: error: nodes.alpha.console: telnet://op:***@nts1:7001: user must not "
                "carry a password"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("    console = \"telnet://op:***@nts1:7001\""), std::string::npos) << text;
}

// Hostile bytes in the input (an ESC sequence written as \u001b, a raw NUL)
// come out escaped in the message and the source line, never raw.
TEST(ClusterConfig, HostileBytesAreEscapedInMessagesAndSourceLines) {
  Home home;
  auto r = home.parse(kBase + "[ping]\ninterval = \"1\\u001b[2Js\"\n");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  std::string text = format_text(r.diagnostics[0]);
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_NE(text.find("ping.interval: '1\\x1b[2Js' is not a duration"), std::string::npos) << text;
  auto nul = home.parse(std::string("script = \"a\0b\"\n", 15) + kAlpha + kBeta);
  ASSERT_FALSE(nul.ok());
  std::string nul_text = format_text(nul.diagnostics);
  EXPECT_EQ(nul_text.find('\0'), std::string::npos);
  EXPECT_NE(nul_text.find("script = \"a\\x00b\""), std::string::npos) << nul_text;
}

TEST(ClusterConfig, RefusesSecretsFileReadableByOthers) {
  Home home;
  ::chmod(home.file("secrets").c_str(), 0644);
  auto r = home.parse(kBase);
  EXPECT_EQ(lines(r.diagnostics),
            std::vector<std::string>{
                "t.toml:2:11: error: secrets: secrets file " + home.file("secrets") +
                " is mode 0644; it must be 0600 (chmod 600 " + home.file("secrets") + ")"});
}

TEST(ClusterConfig, AppliesDefaultsToAMinimalConfig) {
  // Given only a script and two nodes, every other key has its documented default.
  Home home;
  auto r = home.parse("script = \"s.chat\"\n" + kAlpha + kBeta);
  ASSERT_TRUE(r.ok()) << format_text(r.diagnostics);
  const ClusterConfig& c = *r.config;
  EXPECT_EQ(c.name, "t");
  EXPECT_EQ(c.script, home.file("scripts/s.chat"));
  EXPECT_TRUE(c.params.empty());
  EXPECT_EQ(c.nodes[0].role, Role::Active);
  EXPECT_EQ(c.nodes[1].role, Role::Standby);
  EXPECT_TRUE(c.nodes[0].power_off.empty());
  EXPECT_EQ(c.ping.interval, 1s);
  EXPECT_EQ(c.ping.timeout, 1s);
  EXPECT_EQ(c.ping.misses, 3);
  EXPECT_EQ(c.ping.reference, "");
  EXPECT_EQ(c.ping.method, PingMethod::Icmp);
  EXPECT_EQ(c.policy.unconfirmed_fence, UnconfirmedFence::Takeover);
  EXPECT_EQ(c.policy.on_network_loss, OnNetworkLoss::Takeover);
  EXPECT_EQ(c.timeouts.confirm_window, 20s);
  EXPECT_EQ(c.timeouts.power, 60s);
  EXPECT_EQ(c.timeouts.exec, 5min);
  EXPECT_EQ(c.alarms.cluster, "t");
  EXPECT_EQ(c.alarms.smtp, "smtp://localhost:25");
  EXPECT_EQ(c.alarms.starttls, alarm::StartTls::Try);
  EXPECT_EQ(c.alarms.rate_limit, 20u);
  EXPECT_EQ(c.secrets_path, "");
  EXPECT_FALSE(c.secrets.has_value());
  EXPECT_FALSE(c.metrics.enabled());
}

TEST(ClusterConfig, MetricsListenTakesLoopbackAddresses) {
  Home home;
  struct {
    std::string listen, address;
    std::uint16_t port;
  } cases[] = {{"127.0.0.1:9100", "127.0.0.1", 9100},
               {"127.4.5.6:1", "127.4.5.6", 1},
               {"[::1]:65535", "::1", 65535}};
  for (const auto& c : cases) {
    auto r = home.parse(kBase + "[metrics]\nlisten = \"" + c.listen + "\"\n");
    ASSERT_TRUE(r.ok()) << c.listen << ": " << format_text(r.diagnostics);
    EXPECT_TRUE(r.config->metrics.enabled());
    EXPECT_EQ(r.config->metrics.listen, c.listen);
    EXPECT_EQ(r.config->metrics.address, c.address);
    EXPECT_EQ(r.config->metrics.port, c.port);
  }
  auto empty_table = home.parse(kBase + "[metrics]\n");
  ASSERT_TRUE(empty_table.ok());
  EXPECT_FALSE(empty_table.config->metrics.enabled());
}

// BCP mode (docs/bcp.md): the table's keys and defaults, and the three
// shipper commands each node needs.
TEST(ClusterConfig, BcpTakesItsKeysAndNeedsTheShipperCommandsOnBothNodes) {
  Home home;
  const std::string ship =
      "ship_serve = [\"clusterd-ship\", \"serve\"]\nship_receive = [\"clusterd-ship\", "
      "\"receive\"]\nship_promote = [\"clusterd-ship\", \"promote\"]\n";
  auto ok = home.parse(kHead + kAlpha + ship + kBeta + ship + "[bcp]\n");
  ASSERT_TRUE(ok.ok()) << format_text(ok.diagnostics);
  EXPECT_TRUE(ok.config->bcp.enabled);
  EXPECT_FALSE(ok.config->bcp.observe);
  EXPECT_EQ(ok.config->bcp.max_loss, 50u);
  EXPECT_EQ(ok.config->bcp.gate_timeout, 5min);
  EXPECT_EQ(ok.config->nodes[1].ship_promote,
            (std::vector<std::string>{"clusterd-ship", "promote"}));
  auto set = home.parse(kHead + kAlpha + ship + kBeta + ship +
                        "[bcp]\nmode = \"observe\"\nmax_loss = 0\ngate_timeout = \"0s\"\n"
                        "drain = \"30s\"\n");
  ASSERT_TRUE(set.ok()) << format_text(set.diagnostics);
  EXPECT_TRUE(set.config->bcp.observe);
  EXPECT_EQ(set.config->bcp.max_loss, 0u);
  EXPECT_EQ(set.config->bcp.gate_timeout, 0s);
  EXPECT_EQ(set.config->bcp.drain, 30s);
  auto none = home.parse(kBase + "[bcp]\n");
  ASSERT_FALSE(none.ok());
  auto l = lines(none.diagnostics);
  ASSERT_EQ(l.size(), 6u) << format_text(none.diagnostics);
  EXPECT_EQ(l[0],
            "t.toml:3:1: error: nodes.alpha.ship_serve: missing; BCP mode ([bcp]) needs "
            "ship_serve, ship_receive and ship_promote on both nodes (docs/bcp.md)");
  auto bad = home.parse(kHead + kAlpha + ship + kBeta + ship + "[bcp]\nmode = \"acts\"\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(format_text(bad.diagnostics).find("bcp.mode"), std::string::npos)
      << format_text(bad.diagnostics);
}

// site_isolation = "lease": the lease T (at least 3 s) and each node's
// renewal command, refused where they would be ignored.
TEST(ClusterConfig, BcpSiteIsolationByLeaseNeedsTheRenewalCommands) {
  Home home;
  const std::string ship =
      "ship_serve = [\"clusterd-ship\", \"serve\"]\nship_receive = [\"clusterd-ship\", "
      "\"receive\"]\nship_promote = [\"clusterd-ship\", \"promote\"]\n";
  const std::string renew =
      "ship_renew = [\"ssh\", \"site\", \"clusterd-ship\", \"lease-renew\"]\n";
  auto def = home.parse(kHead + kAlpha + ship + kBeta + ship + "[bcp]\n");
  ASSERT_TRUE(def.ok()) << format_text(def.diagnostics);
  EXPECT_FALSE(def.config->bcp.site_isolation_lease);  // wait
  auto ok = home.parse(kHead + kAlpha + ship + renew + kBeta + ship + renew +
                       "[bcp]\nsite_isolation = \"lease\"\nlease = \"10s\"\n");
  ASSERT_TRUE(ok.ok()) << format_text(ok.diagnostics);
  EXPECT_TRUE(ok.config->bcp.site_isolation_lease);
  EXPECT_EQ(ok.config->bcp.lease, 10s);
  EXPECT_EQ(ok.config->nodes[0].ship_renew[3], "lease-renew");
  auto missing = home.parse(kHead + kAlpha + ship + renew + kBeta + ship +
                            "[bcp]\nsite_isolation = \"lease\"\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(format_text(missing.diagnostics)
                .find("nodes.beta.ship_renew: missing; site_isolation = \"lease\" needs"),
            std::string::npos)
      << format_text(missing.diagnostics);
  auto unused = home.parse(kHead + kAlpha + ship + renew + kBeta + ship + "[bcp]\n");
  ASSERT_FALSE(unused.ok());
  EXPECT_NE(format_text(unused.diagnostics).find("nodes.alpha.ship_renew: only used with"),
            std::string::npos)
      << format_text(unused.diagnostics);
  auto short_lease = home.parse(kHead + kAlpha + ship + renew + kBeta + ship + renew +
                                "[bcp]\nsite_isolation = \"lease\"\nlease = \"1s\"\n");
  ASSERT_FALSE(short_lease.ok());
  EXPECT_NE(format_text(short_lease.diagnostics).find("bcp.lease: at least 3s"), std::string::npos)
      << format_text(short_lease.diagnostics);
  auto lease_alone = home.parse(kHead + kAlpha + ship + kBeta + ship + "[bcp]\nlease = \"30s\"\n");
  ASSERT_FALSE(lease_alone.ok());
  EXPECT_NE(format_text(lease_alone.diagnostics).find("bcp.lease: only used with site_isolation"),
            std::string::npos)
      << format_text(lease_alone.diagnostics);
}

TEST(ClusterConfig, PingTimeoutFollowsTheInterval) {
  Home home;
  auto r = home.parse(kBase + "[ping]\ninterval = \"3s\"\n");
  ASSERT_TRUE(r.ok()) << format_text(r.diagnostics);
  EXPECT_EQ(r.config->ping.timeout, 3s);
}

TEST(ClusterConfig, FirstNodeInTheFileIsActiveByDefault) {
  // Given [nodes.zeta] before [nodes.alpha] (toml++ iterates alphabetically).
  Home home;
  auto r = home.parse(
      "script = \"s.chat\"\n[nodes.zeta]\nconsole = \"telnet://nts1:7001\"\naddress = "
      "\"192.0.2.10\"\n"
      "[nodes.alpha]\nconsole = \"telnet://nts1:7002\"\naddress = \"192.0.2.11\"\n");
  ASSERT_TRUE(r.ok()) << format_text(r.diagnostics);
  EXPECT_EQ(r.config->nodes[0].name, "zeta");
  EXPECT_EQ(r.config->active().name, "zeta");
  EXPECT_EQ(r.config->standby().name, "alpha");
}

TEST(ClusterConfig, OneGivenRoleDecidesTheOther) {
  Home home;
  auto r = home.parse(kHead + kAlpha + kBeta + "role = \"active\"\n");
  ASSERT_TRUE(r.ok()) << format_text(r.diagnostics);
  EXPECT_EQ(r.config->active().name, "beta");
  EXPECT_EQ(r.config->standby().name, "alpha");
}

TEST(ClusterConfig, ResolvesScriptFromHomeThenStockThenAbsolute) {
  Home home;
  write(home.file("scripts/stock.chat"), "");  // a site copy overrides the stock script
  auto local = home.parse("script = \"stock.chat\"\n" + kAlpha + kBeta);
  ASSERT_TRUE(local.ok()) << format_text(local.diagnostics);
  EXPECT_EQ(local.config->script, home.file("scripts/stock.chat"));

  std::filesystem::remove(home.file("scripts/stock.chat"));
  auto stock = home.parse("script = \"stock.chat\"\n" + kAlpha + kBeta);
  ASSERT_TRUE(stock.ok()) << format_text(stock.diagnostics);
  EXPECT_EQ(stock.config->script, home.file("stock/stock.chat"));

  auto absolute =
      home.parse("script = \"" + home.file("stock/stock.chat") + "\"\n" + kAlpha + kBeta);
  ASSERT_TRUE(absolute.ok()) << format_text(absolute.diagnostics);
  EXPECT_EQ(absolute.config->script, home.file("stock/stock.chat"));
}

TEST(ClusterConfig, ReadsACompleteConfigBackFieldByField) {
  Home home;
  const std::string text = R"(script = "s.chat"
secrets = "secrets"

[nodes.alpha]
console = "telnet://op@nts1.example:7001?rfc2217=1&secret=nts1"
addresses = ["192.0.2.10", "198.51.100.10"]
role = "standby"
power_off = ["ipmitool", "-H", "bmc-a", "power", "off"]
power_on = ["ipmitool", "-H", "bmc-a", "power", "on"]
power_status = ["ipmitool", "-H", "bmc-a", "power", "status"]

[nodes.beta]
console = "serial:/dev/ttyS1?baud=19200"
address = "192.0.2.11"

[ping]
interval = "500ms"
timeout = "400ms"
misses = 5
reference = "192.0.2.1"
method = "tcp"
tcp_port = 22

[alarms]
email = ["oncall@example.com", "ops@example.com"]
smtp = "smtps://mail.example:465"
starttls = "require"
from = "clusterd@mon1.example"
smtp_user = "clusterd"
smtp_secret = "smtp"
ca_file = "ca.pem"
page = ["exec:/usr/local/bin/page-oncall --team ops", "https://hooks.example/alert"]
timeout = "20s"
retry_first = "5s"
retry_cap = "5m"
retry_for = "0s"
reminder = "30m"
escalate_after = "10m"
escalate_to = ["duty@example.com"]
rate_limit = 0
rate_window = "1h"
heartbeat_url = "https://hc.example/ping/1"
heartbeat_command = ["/usr/local/bin/beat", "c1"]
heartbeat_interval = "1m"

[params]
boot_device = "disk1"
boot_timeout = "15m"
retries = 4

[policy]
unconfirmed_fence = "wait"
on_network_loss = "alarm"

[timeouts]
confirm_window = "30s"
power = "2m"
exec = "90s"
)";
  write(home.file("c1.toml"), text);
  auto r = load_cluster_config(home.file("c1.toml"), home.options("prod"));
  ASSERT_TRUE(r.ok()) << format_text(r.diagnostics);
  const ClusterConfig& c = *r.config;
  EXPECT_EQ(c.name, "prod");
  EXPECT_EQ(c.path, home.file("c1.toml"));
  EXPECT_EQ(c.home, home.path());
  EXPECT_EQ(c.script, home.file("scripts/s.chat"));
  EXPECT_EQ(c.secrets_path, home.file("secrets"));
  ASSERT_TRUE(c.secrets.has_value());
  EXPECT_EQ(c.secrets->secret("nts1").value(), "terminal server password");

  const Node& a = c.nodes[0];
  EXPECT_EQ(a.name, "alpha");
  EXPECT_EQ(a.console_uri, "telnet://op@nts1.example:7001?rfc2217=1&secret=nts1");
  EXPECT_EQ(a.console.scheme, tty::Scheme::Telnet);
  EXPECT_EQ(a.console.host, "nts1.example");
  EXPECT_EQ(a.console.port, 7001);
  EXPECT_EQ(a.console.secret, "nts1");
  EXPECT_TRUE(a.console.rfc2217);
  EXPECT_EQ(a.addresses, (std::vector<std::string>{"192.0.2.10", "198.51.100.10"}));
  EXPECT_EQ(a.role, Role::Standby);
  EXPECT_EQ(a.power_off, (std::vector<std::string>{"ipmitool", "-H", "bmc-a", "power", "off"}));
  EXPECT_EQ(a.power_on, (std::vector<std::string>{"ipmitool", "-H", "bmc-a", "power", "on"}));
  EXPECT_EQ(a.power_status,
            (std::vector<std::string>{"ipmitool", "-H", "bmc-a", "power", "status"}));
  const Node& b = c.nodes[1];
  EXPECT_EQ(b.name, "beta");
  EXPECT_EQ(b.console.scheme, tty::Scheme::Serial);
  EXPECT_EQ(b.console.path, "/dev/ttyS1");
  EXPECT_EQ(b.console.serial.baud, 19200u);
  EXPECT_EQ(b.addresses, std::vector<std::string>{"192.0.2.11"});
  EXPECT_EQ(b.role, Role::Active);
  EXPECT_EQ(c.active().name, "beta");

  EXPECT_EQ(c.ping.interval, 500ms);
  EXPECT_EQ(c.ping.timeout, 400ms);
  EXPECT_EQ(c.ping.misses, 5);
  EXPECT_EQ(c.ping.reference, "192.0.2.1");
  EXPECT_EQ(c.ping.method, PingMethod::Tcp);
  EXPECT_EQ(c.ping.tcp_port, 22);

  const alarm::AlarmConfig& al = c.alarms;
  EXPECT_EQ(al.cluster, "prod");
  EXPECT_EQ(al.email, (std::vector<std::string>{"oncall@example.com", "ops@example.com"}));
  EXPECT_EQ(al.smtp, "smtps://mail.example:465");
  EXPECT_EQ(al.starttls, alarm::StartTls::Require);
  EXPECT_EQ(al.from, "clusterd@mon1.example");
  EXPECT_EQ(al.smtp_user, "clusterd");
  EXPECT_EQ(al.smtp_secret, "smtp");
  EXPECT_EQ(al.ca_file, home.file("ca.pem"));
  ASSERT_EQ(al.page.size(), 2u);
  EXPECT_EQ(al.page[0].argv,
            (std::vector<std::string>{"/usr/local/bin/page-oncall", "--team", "ops"}));
  EXPECT_EQ(al.page[1].url, "https://hooks.example/alert");
  EXPECT_EQ(al.timeout, 20s);
  EXPECT_EQ(al.retry_first, 5s);
  EXPECT_EQ(al.retry_cap, 5min);
  EXPECT_EQ(al.retry_for, 0s);
  EXPECT_EQ(al.reminder, 30min);
  EXPECT_EQ(al.escalate_after, 10min);
  EXPECT_EQ(al.escalate_to, std::vector<std::string>{"duty@example.com"});
  EXPECT_EQ(al.rate_limit, 0u);
  EXPECT_EQ(al.rate_window, 1h);
  EXPECT_EQ(al.heartbeat_url, "https://hc.example/ping/1");
  EXPECT_EQ(al.heartbeat_command, (std::vector<std::string>{"/usr/local/bin/beat", "c1"}));
  EXPECT_EQ(al.heartbeat_interval, 1min);

  EXPECT_EQ(c.params, (std::map<std::string, std::string>{
                          {"boot_device", "disk1"}, {"boot_timeout", "15m"}, {"retries", "4"}}));
  EXPECT_EQ(c.param_locs.at("retries").line, 49);
  EXPECT_EQ(c.param_locs.at("retries").col, 11);

  EXPECT_EQ(c.policy.unconfirmed_fence, UnconfirmedFence::Wait);
  EXPECT_EQ(c.policy.on_network_loss, OnNetworkLoss::Alarm);
  EXPECT_EQ(c.timeouts.confirm_window, 30s);
  EXPECT_EQ(c.timeouts.power, 2min);
  EXPECT_EQ(c.timeouts.exec, 90s);
}

TEST(ClusterConfig, ShippedSampleLoadsWithoutDiagnostics) {
  // Given the secrets the sample names, and the stock scripts of this tree.
  Home home;
  write(home.file("secrets"), "nts1 = x\nsmtp-password = y\n", 0600);
  LoadOptions o{home.path(), std::string(CLUSTERD_SOURCE_DIR) + "/scripts", "demo"};
  auto r =
      load_cluster_config(std::string(CLUSTERD_SOURCE_DIR) + "/etc/clusters/demo.toml.sample", o);
  ASSERT_TRUE(r.ok()) << format_text(r.diagnostics);
  EXPECT_EQ(r.config->script, std::string(CLUSTERD_SOURCE_DIR) + "/scripts/sparc-obp.chat");
  EXPECT_EQ(r.config->active().name, "alpha");
}

TEST(ClusterConfig, DocsExampleLoadsWithoutDiagnostics) {
  // Given the ```toml block under "### Example" in docs/config.md.
  std::ifstream in(std::string(CLUSTERD_SOURCE_DIR) + "/docs/config.md");
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string doc = buf.str();
  auto start = doc.find("### Example\n\n```toml\n");
  ASSERT_NE(start, std::string::npos);
  start = doc.find('\n', doc.find("```toml", start)) + 1;
  auto end = doc.find("```", start);
  Home home;
  write(home.file("secrets"), "nts1 = x\nsmtp-password = y\n", 0600);
  LoadOptions o{home.path(), std::string(CLUSTERD_SOURCE_DIR) + "/scripts", "prod"};
  auto r = parse_cluster_config(doc.substr(start, end - start), "example.toml", o);
  ASSERT_TRUE(r.ok()) << format_text(r.diagnostics);
  EXPECT_EQ(r.config->policy.unconfirmed_fence, UnconfirmedFence::Wait);
}

TEST(ClusterConfig, ReportsAMissingFileWithoutALine) {
  Home home;
  auto r = load_cluster_config(home.file("nope.toml"), home.options());
  EXPECT_EQ(lines(r.diagnostics),
            std::vector<std::string>{home.file("nope.toml") + ": error: no such cluster file"});
}

}  // namespace
}  // namespace clusterd::clist
