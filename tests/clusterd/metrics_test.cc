// The Prometheus text format (escaping, values, families, the merge of
// several clusters) and the HTTP endpoint's replies: status lines, headers
// and limits, first as text (http_reply), then over a loopback socket.
#include "clusterd/metrics.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <limits>
#include <set>
#include <thread>

#include "clusterd/metrics_server.h"

namespace clusterd::metrics {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t from = 0;
  while (from < text.size()) {
    auto nl = text.find('\n', from);
    out.push_back(text.substr(from, nl - from));
    from = nl == std::string::npos ? text.size() : nl + 1;
  }
  return out;
}

ClusterMetrics healthy() {
  ClusterMetrics m;
  m.cluster = "prod";
  m.state = "watch";
  m.nodes = {NodeMetrics{"alpha", true, true}, NodeMetrics{"beta", false, false}};
  m.ping_up = true;
  m.ping_rtt_seconds = 0.000125;
  m.ping_probes = 42;
  m.ping_lost = 3;
  m.failovers = 1;
  m.alarms_pending = 2;
  m.alarms_raised = 5;
  m.last_takeover_duration_seconds = 12.5;
  return m;
}

TEST(MetricsText, EscapesBackslashQuoteAndNewlineInLabelValues) {
  EXPECT_EQ(escape_label_value("plain-name.1"), "plain-name.1");
  EXPECT_EQ(escape_label_value("a\\b"), "a\\\\b");
  EXPECT_EQ(escape_label_value("say \"hi\""), "say \\\"hi\\\"");
  EXPECT_EQ(escape_label_value("two\nlines"), "two\\nlines");
  EXPECT_EQ(escape_label_value("tab\tstays"), "tab\tstays");
  EXPECT_EQ(escape_label_value("\\\"\n"), "\\\\\\\"\\n");
}

TEST(MetricsText, EscapesBackslashAndNewlineInHelpButNotQuotes) {
  EXPECT_EQ(escape_help("a \"quoted\" c:\\dir\nnext"), "a \"quoted\" c:\\\\dir\\nnext");
}

TEST(MetricsText, FormatsIntegersExactlyAndOtherValuesShortest) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(1), "1");
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(1e15), "1000000000000000");
  EXPECT_EQ(format_value(12.5), "12.5");
  EXPECT_EQ(format_value(0.1), "0.1");
  EXPECT_EQ(std::stod(format_value(0.000125)), 0.000125);
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(MetricsText, ChecksMetricAndLabelNames) {
  EXPECT_TRUE(is_metric_name("clusterd_up"));
  EXPECT_TRUE(is_metric_name("a:b_c9"));
  EXPECT_FALSE(is_metric_name(""));
  EXPECT_FALSE(is_metric_name("9lives"));
  EXPECT_FALSE(is_metric_name("has-dash"));
  EXPECT_TRUE(is_label_name("cluster"));
  EXPECT_FALSE(is_label_name("a:b"));       // colons are for metric names only
  EXPECT_FALSE(is_label_name("__name__"));  // reserved
  EXPECT_FALSE(is_label_name("1st"));
}

TEST(MetricsText, WriterPutsHelpAndTypeBeforeItsSamples) {
  Writer w;
  w.family("x_total", Type::Counter, "Things.\nCounted.");
  w.sample({}, 3);
  w.sample({{"a", "1"}, {"b", "q\"x"}}, 0.5);
  w.family("y", Type::Gauge, "Y");
  EXPECT_EQ(w.text(),
            "# HELP x_total Things.\\nCounted.\n"
            "# TYPE x_total counter\n"
            "x_total 3\n"
            "x_total{a=\"1\",b=\"q\\\"x\"} 0.5\n"
            "# HELP y Y\n"
            "# TYPE y gauge\n");
}

TEST(MetricsRender, ReportsEveryFamilyWithTheClusterLabel) {
  std::string text = render(healthy());
  const std::vector<std::string> expected_samples = {
      "clusterd_up{cluster=\"prod\"} 1",
      "clusterd_state{cluster=\"prod\",state=\"watch\"} 1",
      "clusterd_role{cluster=\"prod\",node=\"alpha\",role=\"active\"} 1",
      "clusterd_role{cluster=\"prod\",node=\"beta\",role=\"standby\"} 1",
      "clusterd_console_up{cluster=\"prod\",node=\"alpha\"} 1",
      "clusterd_console_up{cluster=\"prod\",node=\"beta\"} 0",
      "clusterd_ping_up{cluster=\"prod\"} 1",
      "clusterd_ping_rtt_seconds{cluster=\"prod\"} 0.000125",
      "clusterd_ping_probes_total{cluster=\"prod\"} 42",
      "clusterd_ping_lost_total{cluster=\"prod\"} 3",
      "clusterd_failovers_total{cluster=\"prod\"} 1",
      "clusterd_alarms_pending{cluster=\"prod\"} 2",
      "clusterd_alarms_raised_total{cluster=\"prod\"} 5",
      "clusterd_last_takeover_duration_seconds{cluster=\"prod\"} 12.5",
  };
  std::vector<std::string> samples;
  std::set<std::string> typed;
  for (const std::string& l : lines_of(text)) {
    if (l.rfind("# TYPE ", 0) == 0) {
      std::string name = l.substr(7, l.find(' ', 7) - 7);
      std::string type = l.substr(l.rfind(' ') + 1);
      EXPECT_TRUE(is_metric_name(name)) << l;
      EXPECT_EQ(type, name.size() > 6 && name.ends_with("_total") ? "counter" : "gauge") << l;
      EXPECT_TRUE(typed.insert(name).second) << "TYPE twice: " << l;
    } else if (l[0] != '#') {
      samples.push_back(l);
      std::string name = l.substr(0, l.find('{'));
      EXPECT_TRUE(typed.count(name)) << "sample before its TYPE: " << l;
    }
  }
  EXPECT_EQ(samples, expected_samples);
  EXPECT_EQ(typed.size(), 12u);
}

TEST(MetricsRender, LeavesOutValuesNotKnownYet) {
  // Given a daemon whose active node never answered and that saw no takeover,
  // the rtt and takeover-duration families have HELP and TYPE but no sample.
  ClusterMetrics m = healthy();
  m.ping_rtt_seconds.reset();
  m.last_takeover_duration_seconds.reset();
  std::string text = render(m);
  EXPECT_NE(text.find("# TYPE clusterd_ping_rtt_seconds gauge\n"), std::string::npos);
  EXPECT_EQ(text.find("clusterd_ping_rtt_seconds{"), std::string::npos);
  EXPECT_EQ(text.find("clusterd_last_takeover_duration_seconds{"), std::string::npos);
}

// BCP families appear for a BCP cluster only (docs/bcp.md).
TEST(MetricsRender, BcpFamiliesOnlyForABcpCluster) {
  EXPECT_EQ(render(healthy()).find("clusterd_bcp_"), std::string::npos);
  ClusterMetrics m = healthy();
  BcpMetrics b;
  b.lag_seconds = 2.5;
  b.lag_records = 12;
  b.lag_bytes = 744;
  b.epoch = 2;
  b.gate_held = true;
  m.bcp = b;
  std::string text = render(m);
  EXPECT_NE(text.find("clusterd_bcp_lag_seconds{cluster=\"prod\"} 2.5\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("clusterd_bcp_lag_records{cluster=\"prod\"} 12\n"), std::string::npos);
  EXPECT_NE(text.find("clusterd_bcp_epoch{cluster=\"prod\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("clusterd_bcp_gate_held{cluster=\"prod\"} 1\n"), std::string::npos);
  // No verified point yet: the age family has no sample.
  EXPECT_EQ(text.find("clusterd_bcp_replica_age_seconds{"), std::string::npos);
}

TEST(MetricsRender, EscapesHostileStateAndNodeNames) {
  ClusterMetrics m = healthy();
  m.state = "a\"b\\c\nd";
  std::string text = render(m);
  EXPECT_NE(text.find("clusterd_state{cluster=\"prod\",state=\"a\\\"b\\\\c\\nd\"} 1\n"),
            std::string::npos)
      << text;
}

TEST(MetricsMerge, GivesEachFamilyOneHelpAndTypeAndGroupsTheSamples) {
  ClusterMetrics east = healthy(), west = healthy();
  east.cluster = "east";
  west.cluster = "west";
  west.ping_rtt_seconds.reset();
  std::string merged = merge({"# a comment\n" + render(east), render(west)});
  auto ls = lines_of(merged);
  EXPECT_EQ(ls.front(), "# a comment");
  std::map<std::string, int> helps, types;
  std::string last_family;
  std::set<std::string> closed;  // families whose group has ended
  for (const std::string& l : ls) {
    if (l.rfind("# HELP ", 0) == 0) ++helps[l.substr(7, l.find(' ', 7) - 7)];
    if (l.rfind("# TYPE ", 0) == 0) ++types[l.substr(7, l.find(' ', 7) - 7)];
    if (l[0] == '#') continue;
    std::string name = l.substr(0, l.find('{'));
    if (name != last_family) {
      EXPECT_FALSE(closed.count(name)) << "family " << name << " split into two groups";
      if (!last_family.empty()) closed.insert(last_family);
      last_family = name;
    }
  }
  EXPECT_EQ(helps.size(), 12u);
  for (const auto& [name, n] : helps) EXPECT_EQ(n, 1) << name;
  for (const auto& [name, n] : types) EXPECT_EQ(n, 1) << name;
  EXPECT_NE(merged.find("clusterd_up{cluster=\"east\"} 1\nclusterd_up{cluster=\"west\"} 1\n"),
            std::string::npos)
      << merged;
  EXPECT_NE(merged.find("clusterd_ping_rtt_seconds{cluster=\"east\"} 0.000125\n# HELP "
                        "clusterd_ping_probes_total"),
            std::string::npos)
      << merged;
}

TEST(MetricsMerge, OfNothingIsEmpty) { EXPECT_EQ(merge({}), ""); }

}  // namespace
}  // namespace clusterd::metrics

namespace clusterd {
namespace {

std::string reply_to(std::string_view head) {
  return http_reply(head, [] { return std::string("m 1\n"); });
}

std::string status_line(const std::string& reply) { return reply.substr(0, reply.find("\r\n")); }

TEST(MetricsHttp, AnswersGetMetricsWithTheExpositionContentType) {
  std::string r = reply_to("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_line(r), "HTTP/1.1 200 OK");
  EXPECT_NE(r.find("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
            std::string::npos);
  EXPECT_NE(r.find("\r\nContent-Length: 4\r\n"), std::string::npos);
  EXPECT_NE(r.find("\r\nConnection: close\r\n\r\nm 1\n"), std::string::npos);
  EXPECT_TRUE(r.ends_with("\r\n\r\nm 1\n"));
}

TEST(MetricsHttp, AnswersHttp10InKindAndAcceptsAQueryString) {
  EXPECT_EQ(status_line(reply_to("GET /metrics HTTP/1.0\r\n\r\n")), "HTTP/1.0 200 OK");
  EXPECT_EQ(status_line(reply_to("GET /metrics?name[]=up HTTP/1.1\r\n\r\n")), "HTTP/1.1 200 OK");
}

TEST(MetricsHttp, RefusesOtherPathsMethodsAndMalformedRequests) {
  EXPECT_EQ(status_line(reply_to("GET / HTTP/1.1\r\n\r\n")), "HTTP/1.1 404 Not Found");
  EXPECT_EQ(status_line(reply_to("GET /metricsx HTTP/1.1\r\n\r\n")), "HTTP/1.1 404 Not Found");
  std::string post = reply_to("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(status_line(post), "HTTP/1.1 405 Method Not Allowed");
  EXPECT_NE(post.find("\r\nAllow: GET\r\n"), std::string::npos);
  EXPECT_EQ(status_line(reply_to("HEAD /metrics HTTP/1.1\r\n\r\n")),
            "HTTP/1.1 405 Method Not Allowed");
  EXPECT_EQ(status_line(reply_to("GET /metrics\r\n\r\n")), "HTTP/1.1 400 Bad Request");  // HTTP/0.9
  EXPECT_EQ(status_line(reply_to("GET /metrics HTTP/2.0\r\n\r\n")), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status_line(reply_to("GET  /metrics HTTP/1.1\r\n\r\n")), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status_line(reply_to("\x16\x03\x01 tls hello\r\n\r\n")), "HTTP/1.1 400 Bad Request");
}

TEST(MetricsHttp, RendersOnlyForAGoodRequest) {
  int calls = 0;
  auto render = [&] {
    ++calls;
    return std::string();
  };
  http_reply("GET / HTTP/1.1\r\n\r\n", render);
  http_reply("PUT /metrics HTTP/1.1\r\n\r\n", render);
  EXPECT_EQ(calls, 0);
  http_reply("GET /metrics HTTP/1.1\r\n\r\n", render);
  EXPECT_EQ(calls, 1);
}

// A blocking loopback client: sends `request`, reads to EOF.
std::string http_exchange(std::uint16_t port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return "connect failed";
  }
  std::size_t off = 0;
  while (off < request.size()) {
    ssize_t n = ::write(fd, request.data() + off, request.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

TEST(MetricsServer, ServesOverLoopbackAndBoundsHeadAndTime) {
  boost::asio::io_context io;
  MetricsServer::Limits limits;
  limits.max_head = 256;
  limits.timeout = std::chrono::milliseconds(300);
  auto server = MetricsServer::start(
      io, "127.0.0.1", 0, [] { return std::string("clusterd_up 1\n"); }, limits);
  ASSERT_TRUE(server.ok()) << server.error().message;
  std::uint16_t port = (*server)->endpoint().port();
  auto work = boost::asio::make_work_guard(io);
  std::thread loop([&] { io.run(); });

  std::string ok =
      http_exchange(port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: test\r\n\r\n");
  std::string bare = http_exchange(port, "GET /metrics HTTP/1.0\n\n");  // hand-typed: bare newlines
  std::string big =
      http_exchange(port, "GET /metrics HTTP/1.1\r\nX-Pad: " + std::string(1000, 'x') + "\r\n\r\n");
  auto t0 = std::chrono::steady_clock::now();
  std::string stalled = http_exchange(port, "GET /metrics HTTP/1.1\r\n");  // never ends its head
  auto waited = std::chrono::steady_clock::now() - t0;

  work.reset();
  boost::asio::post(io, [&] { server.value().reset(); });
  loop.join();

  EXPECT_EQ(status_line(ok), "HTTP/1.1 200 OK");
  EXPECT_TRUE(ok.ends_with("\r\n\r\nclusterd_up 1\n")) << ok;
  EXPECT_EQ(status_line(bare), "HTTP/1.0 200 OK");
  EXPECT_EQ(status_line(big), "HTTP/1.1 431 Request Header Fields Too Large");
  EXPECT_EQ(stalled, "");  // dropped without a reply
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_LT(waited, std::chrono::seconds(3));
}

TEST(MetricsServer, NamesTheAddressItCannotBind) {
  boost::asio::io_context io;
  auto first = MetricsServer::start(io, "127.0.0.1", 0, [] { return std::string(); });
  ASSERT_TRUE(first.ok());
  std::uint16_t port = (*first)->endpoint().port();
  auto second = MetricsServer::start(io, "127.0.0.1", port, [] { return std::string(); });
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message, "metrics: cannot listen on 127.0.0.1:" + std::to_string(port) +
                                        ": Address already in use");
}

}  // namespace
}  // namespace clusterd
