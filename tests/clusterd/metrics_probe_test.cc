// CountingProber: sent and lost counted as ReachTracker judges probes (a
// timeout via forget, a failure while waiting; an answer settles older
// probes), the rtt of the current target only, and every call and answer
// passed through unchanged. A fake inner prober plays the network.
#include "clusterd/metrics_probe.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace clusterd
