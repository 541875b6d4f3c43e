// The alarm channels against real peers on loopback: aiosmtpd (Debian's
// python3-aiosmtpd under /usr/bin/python3, driven by smtp_sink.py) with
// STARTTLS, SMTPS, AUTH and fault modes; an HTTP sink (http_sink.py); pager
// commands as real shell scripts; a socket that accepts and never answers;
// and a clusterd stand-in (alarm_raise) killed with alarms in its spool.
// Real time: retry backoff is 100-300 ms, timeouts 1-2 s, bounds generous.
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>

#include <gtest/gtest.h>

#include "alarm/service.h"
#include "tests/support/peers.h"

namespace clusterd::alarm {
namespace {

using namespace std::chrono_literals;
using namespace clusterd::testing;

#define ASSERT_OK(s) ASSERT_TRUE((s).ok()) << message_of(s)

const std::string kDir = ALARM_TEST_DIR;
constexpr auto kWait = std::chrono::seconds(10);

std::vector<std::string> files_in(const std::string& dir, std::string_view suffix) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > suffix.size() && n.ends_with(suffix)) out.push_back(dir + "/" + n);
    }
    ::closedir(d);
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;  // 2.eml before 10.eml
  });
  return out;
}

/// The header block of a stored message as (name, value) lines, in order.
std::vector<std::pair<std::string, std::string>> headers_of(const std::string& mail) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t pos = 0;
  while (pos < mail.size()) {
    std::size_t end = mail.find('\n', pos);
    std::string line = mail.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    std::size_t colon = line.find(':');
    out.emplace_back(line.substr(0, colon),
                     colon == std::string::npos ? "" : line.substr(colon + 2));
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return out;
}
std::string header(const std::string& mail, std::string_view name) {
  for (auto& [n, v] : headers_of(mail))
    if (n == name) return v;
  return "";
}

// ---- peers -------------------------------------------------------------------

/// A self-signed certificate for 127.0.0.1 / localhost, made at test time.
struct Cert {
  std::string cert, key;
};
Result<Cert> make_cert(const TempDir& dir) {
  Cert c{dir.file("cert.pem"), dir.file("key.pem")};
  auto r =
      run_command({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                   "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                   "-keyout", c.key, "-out", c.cert});
  if (!r) return r.error();
  if (r->exit_code != 0) return Error::io("openssl req failed: " + r->output);
  return c;
}

/// smtp_sink.py on a fixed port, restartable (down, then back).
class SmtpSink {
 public:
  Result<void> start(const std::string& dir, std::vector<std::string> extra = {},
                     uint16_t port = 0) {
    dir_ = dir;
    port_ = port ? port : free_tcp_port();
    extra_ = std::move(extra);
    return run();
  }
  Result<void> run() {
    std::vector<std::string> argv = {"/usr/bin/python3", kDir + "/smtp_sink.py",
                                     "--port",           std::to_string(port_),
                                     "--maildir",        maildir()};
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    auto p = Process::spawn(argv, dir_ + "/smtp_sink.log");
    if (!p) return p.error();
    proc_ = std::move(*p);
    if (!wait_for_listen(port_, kWait))
      return Error::io("smtp_sink did not listen: " + read_file(dir_ + "/smtp_sink.log"));
    return {};
  }
  void stop() {
    proc_.stop();
    wait_for_listen(port_, kWait, false);  // aiosmtpd takes ~1 s to let go of the port
  }
  uint16_t port() const { return port_; }
  std::string url(std::string_view scheme = "smtp") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port_);
  }
  std::string maildir() const { return dir_ + "/maildir"; }
  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    for (auto& f : files_in(maildir() + "/new", ".eml")) out.push_back(read_file(f));
    return out;
  }

 private:
  std::string dir_;
  uint16_t port_ = 0;
  std::vector<std::string> extra_;
  Process proc_;
};

/// http_sink.py: POST bodies as DIR/N.json (accepted) or N.refused.json.
class HttpSink {
 public:
  Result<void> start(const std::string& dir, const std::string& statuses = "200",
                     std::vector<std::string> extra = {}) {
    dir_ = dir + "/http";
    port_ = free_tcp_port();
    std::vector<std::string> argv = {"/usr/bin/python3",
                                     kDir + "/http_sink.py",
                                     "--port",
                                     std::to_string(port_),
                                     "--dir",
                                     dir_,
                                     "--statuses",
                                     statuses};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto p = Process::spawn(argv, dir + "/http_sink.log");
    if (!p) return p.error();
    proc_ = std::move(*p);
    if (!wait_for_listen(port_, kWait)) return Error::io("http_sink did not listen");
    return {};
  }
  std::string url(std::string_view scheme = "http") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port_) + "/hook";
  }
  std::vector<std::string> accepted() const {
    std::vector<std::string> out;
    for (auto& f : files_in(dir_, ".json"))
      if (f.find(".refused.") == std::string::npos) out.push_back(read_file(f));
    return out;
  }
  std::vector<std::string> requests() const { return files_in(dir_, ".headers"); }

 private:
  std::string dir_;
  uint16_t port_ = 0;
  Process proc_;
};

/// Listens and never accepts: the kernel completes the handshake, nobody speaks.
struct SilentServer {
  UniqueFd fd;
  uint16_t port = 0;
  bool start() {
    fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return false;
    socklen_t len = sizeof a;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return ::listen(fd.get(), 16) == 0;
  }
};

/// Collects delivery events from the worker threads.
struct Events {
  std::mutex mu;
  std::vector<DeliveryEvent> all;
  EventFn fn() {
    return [this](const DeliveryEvent& e) {
      std::lock_guard lk(mu);
      all.push_back(e);
    };
  }
  std::vector<DeliveryEvent> on(std::string_view channel) {
    std::lock_guard lk(mu);
    std::vector<DeliveryEvent> out;
    for (auto& e : all)
      if (e.channel == channel) out.push_back(e);
    return out;
  }
};

AlarmConfig email_config(const SmtpSink& sink) {
  AlarmConfig c;
  c.cluster = "c1";
  c.email = {"oncall@test.invalid", "second@test.invalid"};
  c.from = "clusterd@test.invalid";
  c.smtp = sink.url();
  c.starttls = StartTls::Off;
  c.timeout = 2s;
  c.retry_first = 100ms;
  c.retry_cap = 300ms;
  return c;
}

Alarm fencing(std::string text = "fencing alpha: panic") {
  return {.node = "alpha",
          .severity = Severity::Critical,
          .text = std::move(text),
          .state = "fence",
          .trigger = "on active /panic/",
          .timeline = "01:02:03 active: panic[cpu0]: zero\n01:02:04 clusterd: BREAK to alpha"};
}

Notification test_note(std::string text = "hello") {
  Notification n;
  n.message_id = "20261122-010203-0001.raised.1@c1.clusterd";
  n.alarm = sanitized({.id = "20261122-010203-0001",
                       .cluster = "c1",
                       .node = "alpha",
                       .severity = Severity::Critical,
                       .text = std::move(text),
                       .time_ns = 1'795'309'323'000'000'000});
  n.time_ns = n.alarm.time_ns;
  return n;
}

std::unique_ptr<AlarmService> service(const AlarmConfig& cfg, const std::string& spool, Events& ev,
                                      const SecretSource& secrets = SecretMap{}) {
  ServiceOptions o;
  o.spool_dir = spool;
  o.on_event = ev.fn();
  auto s = AlarmService::create(cfg, secrets, o, std::chrono::steady_clock::now());
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  if (!s.ok()) return nullptr;
  auto svc = std::move(*s);
  EXPECT_TRUE(svc->start().empty());
  return svc;
}

// ---- SMTP ----------------------------------------------------------------------

TEST(SmtpChannel, DeliversToSeveralRecipientsWithDateMessageIdAndSubject) {
  TempDir dir;
  SmtpSink sink;
  ASSERT_OK(sink.start(dir.path()));
  auto ch = make_smtp_channel("email", {.url = sink.url(),
                                        .starttls = StartTls::Off,
                                        .from = "clusterd@test.invalid",
                                        .to = {"a@test.invalid", "b@test.invalid"},
                                        .timeout = 5s});
  Delivery d = ch->send(test_note("fencing alpha: panic"));
  EXPECT_EQ(d.outcome, Outcome::Accepted) << d.detail;
  EXPECT_NE(d.detail.find("250"), std::string::npos) << d.detail;
  auto mails = sink.messages();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(header(mails[0], "X-RcptTo"), "a@test.invalid, b@test.invalid");
  EXPECT_EQ(header(mails[0], "Subject"), "[clusterd c1] CRITICAL: fencing alpha: panic");
  EXPECT_EQ(header(mails[0], "Message-ID"), "<20261122-010203-0001.raised.1@c1.clusterd>");
  EXPECT_EQ(header(mails[0], "Date"), "Sun, 22 Nov 2026 01:02:03 +0000");
}

TEST(SmtpChannel, ConsoleLineCraftedToInjectAHeaderIsEscaped) {
  // Given console text that ends the Subject line and starts a Bcc header,
  TempDir dir;
  SmtpSink sink;
  ASSERT_OK(sink.start(dir.path()));
  Events ev;
  auto svc = service(email_config(sink), dir.file("spool"), ev);
  ASSERT_TRUE(svc);
  svc->raise(fencing("login: \r\nBcc: evil@x\r\n\r\ninjected body"),
             std::chrono::steady_clock::now());
  ASSERT_TRUE(svc->deliverer().wait_idle(kWait));
  // then the mail went to the configured recipients only and has no Bcc header.
  auto mails = sink.messages();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(header(mails[0], "X-RcptTo"), "oncall@test.invalid, second@test.invalid");
  for (auto& [name, value] : headers_of(mails[0])) EXPECT_NE(name, "Bcc") << value;
  EXPECT_EQ(header(mails[0], "Subject"),
            "[clusterd c1] CRITICAL: login: \\r\\nBcc: evil@x\\r\\n\\r\\ninjected body");
  EXPECT_NE(mails[0].find("01:02:03 active: panic[cpu0]: zero"), std::string::npos)
      << "timeline in body";
}

TEST(SmtpDelivery, ServerDownThenBackDeliversExactlyOnce) {
  TempDir dir;
  SmtpSink sink;
  ASSERT_OK(sink.start(dir.path()));
  sink.stop();  // the port is known; the server is down
  Events ev;
  auto svc = service(email_config(sink), dir.file("spool"), ev);
  ASSERT_TRUE(svc);
  svc->raise(fencing(), std::chrono::steady_clock::now());
  ASSERT_TRUE(wait_until([&] { return ev.on("email").size() >= 2; }, kWait));
  EXPECT_EQ(ev.on("email")[0].outcome, Outcome::Temporary);
  EXPECT_EQ(files_in(dir.file("spool"), ".alarm").size(), 1u) << "spooled while the server is down";
  ASSERT_OK(sink.run());
  ASSERT_TRUE(svc->deliverer().wait_idle(kWait));
  std::this_thread::sleep_for(500ms);  // room for a wrong second delivery
  EXPECT_EQ(sink.messages().size(), 1u);
  EXPECT_EQ(ev.on("email").back().outcome, Outcome::Accepted);
  EXPECT_TRUE(files_in(dir.file("spool"), ".alarm").empty()) << "removed after the accept";
}

TEST(SmtpDelivery, TemporaryFailures451And421AreRetried) {
  for (const char* code : {"451", "421"}) {
    SCOPED_TRACE(code);
    TempDir dir;
    SmtpSink sink;
    ASSERT_OK(sink.start(dir.path(), {"--fail", code, "--fail-count", "2"}));
    Events ev;
    auto svc = service(email_config(sink), dir.file("spool"), ev);
    ASSERT_TRUE(svc);
    svc->raise(fencing(), std::chrono::steady_clock::now());
    ASSERT_TRUE(svc->deliverer().wait_idle(kWait));
    auto e = ev.on("email");
    ASSERT_EQ(e.size(), 3u);
    EXPECT_EQ(e[0].outcome, Outcome::Temporary);
    EXPECT_NE(e[0].detail.find(code), std::string::npos) << e[0].detail;
    EXPECT_EQ(e[1].outcome, Outcome::Temporary);
    EXPECT_EQ(e[2].outcome, Outcome::Accepted);
    EXPECT_EQ(sink.messages().size(), 1u);
  }
}

TEST(SmtpDelivery, PermanentRefusalIsLoggedAndReportedThroughTheWebhook) {
  TempDir dir;
  SmtpSink sink;
  ASSERT_OK(sink.start(dir.path(), {"--fail", "550", "--fail-count", "100"}));
  HttpSink hook;
  ASSERT_OK(hook.start(dir.path()));
  AlarmConfig cfg = email_config(sink);
  cfg.page = {{.url = hook.url()}};
  Events ev;
  auto svc = service(cfg, dir.file("spool"), ev);
  ASSERT_TRUE(svc);
  svc->raise(fencing(), std::chrono::steady_clock::now());
  ASSERT_TRUE(svc->deliverer().wait_idle(kWait));
  auto e = ev.on("email");
  ASSERT_EQ(e.size(), 1u) << "a 550 is not retried";
  EXPECT_EQ(e[0].outcome, Outcome::Permanent);
  EXPECT_NE(e[0].detail.find("550"), std::string::npos) << e[0].detail;
  auto posts = hook.accepted();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_NE(posts[0].find(R"("kind":"raised")"), std::string::npos) << posts[0];
  EXPECT_NE(posts[1].find(R"("kind":"delivery-failed")"), std::string::npos) << posts[1];
  EXPECT_NE(posts[1].find("email refused raised notification"), std::string::npos) << posts[1];
  EXPECT_EQ(svc->list()[0].delivery.rfind("failed: email: ", 0), 0u) << svc->list()[0].delivery;
}

TEST(SmtpDelivery, ServerThatNeverAnswersTimesOutAndIsRetried) {
  SilentServer silent;
  ASSERT_TRUE(silent.start());
  TempDir dir;
  SmtpSink dummy;  // only for its URL shape
  AlarmConfig cfg = email_config(dummy);
  cfg.smtp = "smtp://127.0.0.1:" + std::to_string(silent.port);
  cfg.timeout = 1s;
  Events ev;
  auto svc = service(cfg, dir.file("spool"), ev);
  ASSERT_TRUE(svc);
  auto t = std::chrono::steady_clock::now();
  svc->raise(fencing(), t);
  // No attempt has ended yet (each takes the whole 1 s timeout): raise()
  // did not wait for one.
  EXPECT_TRUE(ev.on("email").empty()) << "raise() waited for the mail server";
  ASSERT_TRUE(wait_until([&] { return ev.on("email").size() >= 2; }, kWait));
  auto e = ev.on("email");
  EXPECT_EQ(e[0].outcome, Outcome::Temporary);
  EXPECT_NE(e[0].detail.find("timed out"), std::string::npos) << e[0].detail;
  EXPECT_GE(std::chrono::steady_clock::now() - t, 2s) << "two attempts of 1 s each";
  svc->stop();
  EXPECT_EQ(files_in(dir.file("spool"), ".alarm").size(), 1u) << "still spooled";
}

TEST(SmtpDelivery, ClusterdKilledWithAlarmsInSpoolDeliversAfterRestartWithoutDuplicates) {
  // Given a clusterd stand-in that raised three alarms while the mail server
  // was down and was killed with SIGKILL with them in its spool,
  TempDir dir;
  SmtpSink sink;
  ASSERT_OK(sink.start(dir.path()));
  sink.stop();
  std::string spool = dir.file("spool");
  auto p = Process::spawn({ALARM_RAISE, spool, sink.url(), "3"}, dir.file("raise.log"));
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_TRUE(wait_until(
      [&] { return read_file(dir.file("raise.log")).find("ready") != std::string::npos; }, kWait));
  p->kill9();
  std::string log = read_file(dir.file("raise.log"));
  std::vector<std::string> ids;
  for (std::size_t pos = 0; (pos = log.find("raised ", pos)) != std::string::npos;) {
    std::size_t end = log.find('\n', pos);
    ids.push_back("<" + log.substr(pos + 7, end - pos - 7) + ">");
    pos = end;
  }
  ASSERT_EQ(ids.size(), 3u) << log;
  ASSERT_EQ(files_in(spool, ".alarm").size(), 3u);
  // when the server is back and clusterd starts again over the same spool,
  ASSERT_OK(sink.run());
  Events ev;
  AlarmConfig cfg = email_config(sink);
  auto svc = service(cfg, spool, ev);
  ASSERT_TRUE(svc);
  ASSERT_TRUE(svc->deliverer().wait_idle(kWait));
  // then every alarm arrived, each at most twice and always with the same Message-ID.
  std::map<std::string, int> seen;
  for (const auto& m : sink.messages()) ++seen[header(m, "Message-ID")];
  for (const auto& id : ids) {
    EXPECT_GE(seen[id], 1) << id << " lost";
    EXPECT_LE(seen[id], 2) << id << " duplicated beyond one resend";
  }
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_TRUE(files_in(spool, ".alarm").empty());
}

// ---- TLS and AUTH ----------------------------------------------------------------

TEST(SmtpTls, StartTlsWithAuthFromTheSecretsFile) {
  TempDir dir;
  auto cert = make_cert(dir);
  ASSERT_TRUE(cert.ok()) << cert.error().message;
  SmtpSink sink;
  ASSERT_OK(
      sink.start(dir.path(), {"--starttls", cert->cert, cert->key, "--auth", "clusterd:s3cret"}));
  AlarmConfig cfg = email_config(sink);
  cfg.starttls = StartTls::Require;
  cfg.ca_file = cert->cert;
  cfg.smtp_user = "clusterd";
  cfg.smtp_secret = "smtp";
  auto chans = make_channels(
      cfg, SecretMap(std::map<std::string, std::string, std::less<>>{{"smtp", "s3cret"}}));
  ASSERT_TRUE(chans.ok()) << chans.error().message;
  Delivery d = (*chans)[0]->send(test_note());
  EXPECT_EQ(d.outcome, Outcome::Accepted) << d.detail;
  auto mails = sink.messages();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(header(mails[0], "X-Tls"), "yes");
  EXPECT_EQ(header(mails[0], "X-Auth"), "yes");
  // A wrong password is a permanent failure (535), not something to retry.
  auto bad = make_channels(
      cfg, SecretMap(std::map<std::string, std::string, std::less<>>{{"smtp", "wrong"}}));
  Delivery refused = (*bad)[0]->send(test_note());
  EXPECT_EQ(refused.outcome, Outcome::Permanent) << refused.detail;
  EXPECT_NE(refused.detail.find("535"), std::string::npos) << refused.detail;
  EXPECT_EQ(refused.detail.find("wrong"), std::string::npos) << "no password in the detail";
}

TEST(SmtpTls, ImplicitTlsSmtps) {
  TempDir dir;
  auto cert = make_cert(dir);
  ASSERT_TRUE(cert.ok()) << cert.error().message;
  SmtpSink sink;
  ASSERT_OK(sink.start(dir.path(), {"--smtps", cert->cert, cert->key}));
  auto ch = make_smtp_channel("email", {.url = sink.url("smtps"),
                                        .from = "clusterd@test.invalid",
                                        .to = {"a@test.invalid"},
                                        .ca_file = cert->cert,
                                        .timeout = 5s});
  Delivery d = ch->send(test_note());
  EXPECT_EQ(d.outcome, Outcome::Accepted) << d.detail;
  auto mails = sink.messages();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(header(mails[0], "X-Tls"), "yes");
}

TEST(SmtpTls, UntrustedCertificateIsAPermanentFailure) {
  TempDir dir;
  auto cert = make_cert(dir);
  ASSERT_TRUE(cert.ok()) << cert.error().message;
  SmtpSink sink;
  ASSERT_OK(sink.start(dir.path(), {"--starttls", cert->cert, cert->key}));
  auto ch =
      make_smtp_channel("email", {.url = sink.url(),
                                  .starttls = StartTls::Require,
                                  .from = "clusterd@test.invalid",
                                  .to = {"a@test.invalid"},
                                  .timeout = 5s});  // no ca_file: the system CAs do not know it
  Delivery d = ch->send(test_note());
  EXPECT_EQ(d.outcome, Outcome::Permanent) << d.detail;
  EXPECT_TRUE(sink.messages().empty());
}

// ---- webhook ----------------------------------------------------------------------

TEST(WebhookChannel, PostsJsonAndRetriesA503) {
  TempDir dir;
  HttpSink hook;
  ASSERT_OK(hook.start(dir.path(), "503,200"));
  AlarmConfig cfg;
  cfg.cluster = "c1";
  cfg.page = {{.url = hook.url()}};
  cfg.timeout = 2s;
  cfg.retry_first = 100ms;
  Events ev;
  auto svc = service(cfg, dir.file("spool"), ev);
  ASSERT_TRUE(svc);
  std::string id = svc->raise(fencing("fencing \"alpha\"\r\n"), std::chrono::steady_clock::now());
  ASSERT_TRUE(svc->deliverer().wait_idle(kWait));
  auto e = ev.on("webhook-1");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].outcome, Outcome::Temporary);
  EXPECT_EQ(e[0].detail, "HTTP 503: ok");
  EXPECT_EQ(e[1].outcome, Outcome::Accepted);
  auto posts = hook.accepted();
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_NE(posts[0].find(R"("id":")" + id + "\""), std::string::npos) << posts[0];
  EXPECT_NE(posts[0].find(R"("text":"fencing \"alpha\"\\r\\n")"), std::string::npos) << posts[0];
  std::string headers = read_file(hook.requests()[1]);
  EXPECT_NE(headers.find("Content-Type: application/json"), std::string::npos) << headers;
  EXPECT_NE(headers.find("X-Clusterd-Message-Id: " + id + ".raised.1@c1.clusterd"),
            std::string::npos);
}

TEST(WebhookChannel, ClientErrorIsPermanentAndHttpsVerifiesTheCa) {
  TempDir dir;
  HttpSink refusing;
  ASSERT_OK(refusing.start(dir.path(), "400"));
  auto ch = make_webhook_channel("webhook-1", {.url = refusing.url(), .timeout = 2s});
  EXPECT_EQ(ch->send(test_note()).outcome, Outcome::Permanent);

  TempDir tls_dir;
  auto cert = make_cert(tls_dir);
  ASSERT_TRUE(cert.ok()) << cert.error().message;
  HttpSink secure;
  ASSERT_OK(secure.start(tls_dir.path(), "200", {"--tls", cert->cert, cert->key}));
  auto good = make_webhook_channel(
      "webhook-1", {.url = secure.url("https"), .ca_file = cert->cert, .timeout = 2s});
  Delivery d = good->send(test_note());
  EXPECT_EQ(d.outcome, Outcome::Accepted) << d.detail;
  auto unknown_ca = make_webhook_channel("webhook-2", {.url = secure.url("https"), .timeout = 2s});
  EXPECT_EQ(unknown_ca->send(test_note()).outcome, Outcome::Permanent);
  EXPECT_EQ(secure.accepted().size(), 1u);
}

// ---- command ----------------------------------------------------------------------

std::string write_script(const TempDir& dir, const std::string& name, const std::string& body) {
  std::string path = dir.file(name);
  std::ofstream(path) << "#!/bin/sh\n" << body;
  ::chmod(path.c_str(), 0755);
  return path;
}

TEST(CommandChannel, AlarmComesOnStdinAndInEnvironmentNeverInArgv) {
  TempDir dir;
  std::string out = dir.file("out");
  std::string script = write_script(dir, "page.sh",
                                    "cat > " + out +
                                        ".stdin\n"
                                        "env > " +
                                        out +
                                        ".env\n"
                                        "echo \"$@\" > " +
                                        out +
                                        ".argv\n"
                                        "echo paged\n");
  auto ch = make_command_channel("command-1", {.argv = {script, "--team", "ops"}, .timeout = 5s});
  Delivery d = ch->send(test_note("fencing alpha; rm -rf / $(reboot)"));
  EXPECT_EQ(d.outcome, Outcome::Accepted) << d.detail;
  EXPECT_NE(d.detail.find("paged"), std::string::npos) << d.detail;
  EXPECT_EQ(read_file(out + ".argv"), "--team ops\n");
  EXPECT_EQ(read_file(out + ".stdin").rfind("fencing alpha; rm -rf / $(reboot)\n", 0), 0u);
  std::string env = read_file(out + ".env");
  EXPECT_NE(env.find("CLUSTERD_ALARM_ID=20261122-010203-0001\n"), std::string::npos) << env;
  EXPECT_NE(env.find("CLUSTERD_SEVERITY=critical\n"), std::string::npos);
  EXPECT_EQ(env.find("GTEST"), std::string::npos) << "clean environment, not the test's";
}

TEST(CommandChannel, APageCommandInheritsNoDescriptorOfClusterd) {
  // Asio's sockets in clusterd (a console's connection, ping's) are not
  // close-on-exec: stand-in for them, a descriptor without FD_CLOEXEC.
  TempDir dir;
  int fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 3);
  auto ch = make_command_channel(
      "command-1",
      {.argv = {write_script(dir, "p.sh",
                             "cat >/dev/null\nif [ -e /proc/$$/fd/" + std::to_string(fd) +
                                 " ]; then echo inherited; else echo clean; fi\n")},
       .timeout = 5s});
  Delivery d = ch->send(test_note());
  ::close(fd);
  EXPECT_EQ(d.outcome, Outcome::Accepted) << d.detail;
  EXPECT_NE(d.detail.find("clean"), std::string::npos) << d.detail;
}

TEST(CommandChannel, FailureIsTemporaryMissingCommandPermanentHangTimesOut) {
  TempDir dir;
  auto failing = make_command_channel(
      "command-1", {.argv = {write_script(dir, "f.sh", "cat >/dev/null; exit 3\n")}});
  Delivery d = failing->send(test_note());
  EXPECT_EQ(d.outcome, Outcome::Temporary);
  EXPECT_NE(d.detail.find("exit 3"), std::string::npos) << d.detail;
  auto missing = make_command_channel("command-2", {.argv = {dir.file("no-such-pager")}});
  EXPECT_EQ(missing->send(test_note()).outcome, Outcome::Permanent);
  // A command that never reads stdin and hangs: killed at the timeout, no SIGPIPE for us.
  auto hang = make_command_channel(
      "command-3", {.argv = {write_script(dir, "h.sh", "exec sleep 30\n")}, .timeout = 500ms});
  auto t = std::chrono::steady_clock::now();
  Delivery h = hang->send(test_note(std::string(1 << 20, 'x')));
  EXPECT_EQ(h.outcome, Outcome::Temporary);
  EXPECT_NE(h.detail.find("timed out"), std::string::npos) << h.detail;
  EXPECT_LT(std::chrono::steady_clock::now() - t, 3s);
}

// ---- heartbeat, escalation, test alarm --------------------------------------------

TEST(Heartbeat, MonitorAliveGoesToTheUrlAndTheCommandEveryInterval) {
  TempDir dir;
  HttpSink hook;
  ASSERT_OK(hook.start(dir.path()));
  AlarmConfig cfg;
  cfg.cluster = "c1";
  cfg.heartbeat_url = hook.url();
  cfg.heartbeat_command = {
      write_script(dir, "hb.sh", "echo \"$CLUSTERD_KIND\" >> " + dir.file("beats") + "\n")};
  cfg.heartbeat_interval = 1min;
  Events ev;
  const TimePoint t0 = std::chrono::steady_clock::now();
  ServiceOptions o;
  o.on_event = ev.fn();
  auto svc = AlarmService::create(cfg, SecretMap{}, o, t0);
  ASSERT_TRUE(svc.ok());
  (*svc)->start();
  EXPECT_EQ((*svc)->next_deadline(), t0);
  (*svc)->tick(t0);
  (*svc)->tick(t0 + 30s);  // not due
  (*svc)->tick(t0 + 1min);
  ASSERT_TRUE((*svc)->deliverer().wait_idle(kWait));
  auto posts = hook.accepted();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_NE(posts[0].find(R"("kind":"heartbeat")"), std::string::npos) << posts[0];
  EXPECT_EQ(read_file(dir.file("beats")), "heartbeat\nheartbeat\n");
}

TEST(Escalation, UnacknowledgedCriticalIsMailedToTheEscalationList) {
  TempDir dir;
  SmtpSink sink;
  ASSERT_OK(sink.start(dir.path()));
  AlarmConfig cfg = email_config(sink);
  cfg.escalate_to = {"boss@test.invalid"};
  cfg.escalate_after = 15min;
  Events ev;
  auto svc = service(cfg, dir.file("spool"), ev);
  ASSERT_TRUE(svc);
  const TimePoint t0 = std::chrono::steady_clock::now();
  std::string acked = svc->raise(fencing("fencing alpha"), t0);
  svc->raise(fencing("fencing beta"), t0);
  EXPECT_TRUE(svc->ack(acked, t0 + 1min));
  svc->tick(t0 + 15min);
  ASSERT_TRUE(svc->deliverer().wait_idle(kWait));
  auto mails = sink.messages();
  ASSERT_EQ(mails.size(), 3u);
  EXPECT_EQ(header(mails[2], "X-RcptTo"), "boss@test.invalid");
  EXPECT_EQ(header(mails[2], "Subject"), "[clusterd c1] ESCALATION CRITICAL: fencing beta");
  auto listing = svc->list();
  ASSERT_EQ(listing.size(), 2u);
  EXPECT_EQ(listing[0].status.state, AlarmState::Acknowledged);
  EXPECT_TRUE(listing[1].status.escalated);
  EXPECT_EQ(listing[1].delivery, "delivered");
}

TEST(TestAlarm, ReportsTheResultOfEveryChannel) {
  TempDir dir;
  SmtpSink sink;
  ASSERT_OK(sink.start(dir.path()));
  AlarmConfig cfg = email_config(sink);
  cfg.page = {{.url = "http://127.0.0.1:" + std::to_string(free_tcp_port()) + "/down"},
              {.argv = {"/bin/true"}}};
  Events ev;
  auto svc = service(cfg, dir.file("spool"), ev);
  ASSERT_TRUE(svc);
  auto results = svc->test_alarm();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].channel, "email");
  EXPECT_EQ(results[0].delivery.outcome, Outcome::Accepted) << results[0].delivery.detail;
  EXPECT_EQ(results[1].channel, "webhook-1");
  EXPECT_EQ(results[1].delivery.outcome, Outcome::Temporary);
  EXPECT_EQ(results[2].channel, "command-1");
  EXPECT_EQ(results[2].delivery.outcome, Outcome::Accepted);
  ASSERT_EQ(sink.messages().size(), 1u);
  EXPECT_EQ(header(sink.messages()[0], "Subject").rfind("[clusterd c1] TEST: ", 0), 0u);
  EXPECT_TRUE(files_in(dir.file("spool"), ".alarm").empty()) << "test alarms are not spooled";
}

}  // namespace
}  // namespace clusterd::alarm
