// CountingProber: sent and lost counted as ReachTracker judges probes (a
// timeout via forget, a failure while waiting; an answer settles older
// probes), the rtt of the current target only, and every call and answer
// passed through unchanged. A fake inner prober plays the network.
#include "clusterd/metrics_probe.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include "clist/cluster_config.h"
#include "clusterd/ports.h"

namespace clusterd {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

// Records calls; the test delivers answers and failures through `handlers`.
class FakeProber : public probe::Prober {
 public:
  void set_handlers(probe::ProberHandlers h) override { handlers = std::move(h); }
  void set_targets(std::vector<asio::ip::address> t) override { targets_ = std::move(t); }
  const std::vector<asio::ip::address>& targets() const override { return targets_; }
  void send(std::uint16_t seq) override { sent.push_back(seq); }
  void forget(std::uint16_t seq) override { forgotten.push_back(seq); }
  void close() override { closed = true; }
  std::string describe() const override { return "fake"; }

  void answer(std::uint16_t seq, Duration rtt) {
    handlers.on_reply({seq, asio::ip::make_address("192.0.2.1"), rtt, "echo reply"});
  }
  void fail(std::uint16_t seq) { handlers.on_failed(seq, "no route"); }

  probe::ProberHandlers handlers;
  std::vector<asio::ip::address> targets_;
  std::vector<std::uint16_t> sent, forgotten;
  bool closed = false;
};

struct Counting : ::testing::Test {
  Counting() {
    auto f = std::make_unique<FakeProber>();
    fake = f.get();
    counting = std::make_unique<CountingProber>(std::move(f));
    counting->set_handlers({[this](const probe::ProbeReply& r) { replies.push_back(r.seq); },
                            [this](std::uint16_t seq, const std::string& why) {
                              failures.push_back(std::to_string(seq) + " " + why);
                            }});
  }
  FakeProber* fake;
  std::unique_ptr<CountingProber> counting;
  std::vector<std::uint16_t> replies;
  std::vector<std::string> failures;
};

TEST_F(Counting, PassesEveryCallAndAnswerThrough) {
  counting->set_targets({asio::ip::make_address("192.0.2.1")});
  counting->send(1);
  counting->forget(1);
  fake->answer(1, 2ms);
  fake->fail(1);
  counting->close();
  EXPECT_EQ(counting->targets().size(), 1u);
  EXPECT_EQ(counting->describe(), "fake");
  EXPECT_EQ(fake->sent, std::vector<std::uint16_t>{1});
  EXPECT_EQ(fake->forgotten, std::vector<std::uint16_t>{1});
  EXPECT_EQ(replies, std::vector<std::uint16_t>{1});
  EXPECT_EQ(failures, std::vector<std::string>{"1 no route"});
  EXPECT_TRUE(fake->closed);
}

TEST_F(Counting, AnsweredProbesAreNotLostAndGiveTheRtt) {
  EXPECT_EQ(counting->last_rtt(), std::nullopt);
  for (std::uint16_t seq = 1; seq <= 3; ++seq) {
    counting->send(seq);
    fake->answer(seq, seq * 1ms);
    fake->answer(seq, 9ms);  // a second address answers too: not the rtt
  }
  EXPECT_EQ(counting->sent(), 3u);
  EXPECT_EQ(counting->lost(), 0u);
  EXPECT_EQ(counting->last_rtt(), Duration(3ms));
}

TEST_F(Counting, TimeoutsAndFailuresAreLostOnce) {
  counting->send(1);
  counting->forget(1);  // timed out
  counting->send(2);
  fake->fail(2);  // failed at once
  fake->fail(2);  // reported twice: one loss
  counting->send(3);
  fake->answer(3, 1ms);
  fake->fail(3);  // a failure after the answer changes nothing
  EXPECT_EQ(counting->sent(), 3u);
  EXPECT_EQ(counting->lost(), 2u);
}

TEST_F(Counting, ALateAnswerStillCountsTheTimeout) {
  // Given an answer that arrived after the probe's timeout but before the
  // detector's timer ran, the tracker counts a miss and the detector forgets
  // the probe: it is lost, as the tracker says.
  counting->send(1);
  fake->answer(1, 1500ms);
  counting->forget(1);
  EXPECT_EQ(counting->lost(), 1u);
}

TEST_F(Counting, AnAnswerSettlesOlderProbesAsTheTrackerDoes) {
  counting->send(1);
  counting->send(2);
  fake->answer(2, 1ms);  // probe 1 is settled with it
  fake->fail(1);
  EXPECT_EQ(counting->lost(), 0u);
}

TEST_F(Counting, RetargetDropsWaitingProbesAndTheOldNodesRtt) {
  // Given a takeover while probe 2 is out, the old node's rtt is not shown
  // for the new one, and probe 2 (dropped) is neither answered nor lost.
  counting->send(1);
  fake->answer(1, 4ms);
  counting->send(2);
  counting->set_targets({asio::ip::make_address("192.0.2.2")});
  EXPECT_EQ(counting->last_rtt(), std::nullopt);
  fake->fail(2);
  EXPECT_EQ(counting->lost(), 0u);
  counting->send(3);
  fake->answer(3, 1ms);
  EXPECT_EQ(counting->last_rtt(), Duration(1ms));
  EXPECT_EQ(counting->sent(), 3u);
}

// docs/config.md, [ping]: `method = "tcp"`, `tcp_port`, `interval`,
// `timeout` and `misses` reach the daemon's real ping (clusterd/ports.cc) as
// written. On loopback: the node answers on 127.0.0.1:PORT; 127.0.0.2:PORT
// is a listener whose accept queue is full, so the kernel drops further SYNs
// and each probe times out. After the retarget, ping.down comes after
// `misses` (4) probes, one `interval` (100 ms) apart, the last one timed out
// after `timeout` (50 ms): at 350 ms, where a 1 s interval would take 3.05 s.
class Listener {
 public:
  Listener(const char* ip, std::uint16_t port, int fill) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, ip, &a.sin_addr);
    ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(fd_, 0) == 0;
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    for (int i = 0; i < fill; ++i) {  // never accepted: they fill the queue
      int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
      fillers_.push_back(c);
    }
  }
  ~Listener() {
    for (int c : fillers_) ::close(c);
    ::close(fd_);
  }
  bool ok() const { return ok_; }
  std::uint16_t port() const { return port_; }

 private:
  int fd_;
  bool ok_ = false;
  std::uint16_t port_ = 0;
  std::vector<int> fillers_;
};

TEST(RealPing, TcpMethodPortIntervalTimeoutAndMissesReachTheDetector) {
  Listener alive("127.0.0.1", 0, 0);
  ASSERT_TRUE(alive.ok());
  Listener dropping("127.0.0.2", alive.port(), 4);
  ASSERT_TRUE(dropping.ok());
  clist::PingConfig cfg;
  cfg.method = clist::PingMethod::Tcp;
  cfg.tcp_port = alive.port();
  cfg.interval = 100ms;
  cfg.timeout = 50ms;
  cfg.misses = 4;
  asio::io_context io;
  std::vector<probe::ProbeEvent> events;
  std::unique_ptr<PingSource>* source = nullptr;
  std::uint64_t probes_at_down = 0;  // read when ping.down is reported, not later
  auto ports = real_ports(io);
  auto ping = ports.make_ping(cfg, [&](probe::ProbeEvent e, const std::string&) {
    events.push_back(e);
    if (e == probe::ProbeEvent::PingDown && source) probes_at_down = (*source)->reading().probes;
  });
  ASSERT_TRUE(ping.ok()) << ping.error().message;
  source = &ping.value();
  auto run_until = [&](auto done) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(10ms);
    return done();
  };
  (*ping)->start({asio::ip::make_address("127.0.0.1")}, {});
  ASSERT_TRUE(run_until([&] { return !events.empty(); }));
  EXPECT_EQ(events[0], probe::ProbeEvent::PingUp);
  auto before = (*ping)->reading().probes;
  auto at = std::chrono::steady_clock::now();
  events.clear();
  (*ping)->retarget({asio::ip::make_address("127.0.0.2")});
  ASSERT_TRUE(run_until([&] {
    return std::find(events.begin(), events.end(), probe::ProbeEvent::PingDown) != events.end();
  }));
  auto took = std::chrono::steady_clock::now() - at;
  EXPECT_EQ(probes_at_down - before, 4u);
  EXPECT_GE(took, 340ms);
  EXPECT_LT(took, 2500ms) << "the configured interval and timeout were not used";
  (*ping)->stop();
}

}  // namespace
}  // namespace clusterd
