// repl/: the tracker and its failover gate (virtual time), the shipper
// protocol's status lines, and the record log's sidecar, branches and
// prefixes (files in a temporary folder).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "repl/lease.h"
#include "repl/log_file.h"
#include "repl/tracker.h"

namespace clusterd::repl {
namespace {

using namespace std::chrono_literals;
const TimePoint t0 = TimePoint{} + 1000s;

Point at(std::uint64_t records, std::uint64_t epoch = 1) {
  Point p;
  p.records = records;
  p.bytes = records * 60;  // nodesim's record lines are about 60 bytes
  p.time_ns = 1'700'000'000'000'000'000 + static_cast<std::int64_t>(records) * 200'000'000;
  p.epoch = epoch;
  return p;
}

/// A source writing `rate` records/s from t0, reported every 250 ms, with the
/// replica `behind` records behind.
Tracker fed(double rate, std::uint64_t behind, Duration span, GateConfig cfg = {}) {
  Tracker t(cfg);
  for (auto d = 0ms; d <= span; d += 250ms) {
    auto n = static_cast<std::uint64_t>(rate * std::chrono::duration<double>(d).count());
    t.on_head(at(n), t0 + d);
    t.on_replica(at(n > behind ? n - behind : 0), t0 + d);
  }
  return t;
}

TEST(Tracker, PeakRateIsTheFastestSecondInTheWindow) {
  Tracker t;
  // 5 records/s for 10 s, then 20 records/s for 2 s, then idle.
  std::uint64_t n = 0;
  TimePoint now = t0;
  for (int i = 0; i < 40; ++i, now += 250ms) t.on_head(at(n += (i % 4 == 0) ? 2 : 1), now);
  for (int i = 0; i < 8; ++i, now += 250ms) t.on_head(at(n += 5), now);
  for (int i = 0; i < 20; ++i, now += 250ms) t.on_head(at(n), now);
  EXPECT_NEAR(t.peak_rate(now), 20.0, 0.5);
  // Five minutes later the burst has left the window.
  for (int i = 0; i < 1300; ++i, now += 250ms) t.on_head(at(n), now);
  EXPECT_NEAR(t.peak_rate(now), 0.0, 1e-9);
}

TEST(Tracker, LossRangeIsKnownTailPlusPeakRateOverTheUnseenWindow) {
  auto t = fed(5, 3, 20s);
  TimePoint last = t0 + 20s;
  // Stopped at the last report: only the known tail (slack 0.5 s adds 3 at most).
  auto r = t.expected_loss(last);
  EXPECT_EQ(r.lo, 3u);
  EXPECT_LE(r.hi, 3u + 3u);
  EXPECT_GE(r.hi, r.lo);
  // Stopped 4 s after the last report: up to 5/s × 4.5 s more.
  r = t.expected_loss(last + 4s);
  EXPECT_EQ(r.lo, 3u);
  EXPECT_EQ(r.hi, 3u + 23u);
  EXPECT_NEAR(r.unseen_s, 4.5, 1e-9);
  EXPECT_EQ(r.bytes_lo, 3u * 60);
  EXPECT_GE(r.bytes_hi, r.bytes_lo + 22u * 60);
}

TEST(Tracker, GatePromotesWithinMaxLossHoldsAboveAndTimesOut) {
  GateConfig cfg;
  cfg.max_loss = 10;
  cfg.gate_timeout = 60s;
  auto t = fed(5, 2, 20s, cfg);
  TimePoint last = t0 + 20s;
  auto a = t.gate(last + 1s, last + 1s, last + 1s, false);
  EXPECT_EQ(a.gate, Gate::Promote) << a.text;
  // Stopped 10 s after the last head: up to 2 + 53 > 10.
  a = t.gate(last + 10s, last + 10s, last + 10s, false);
  EXPECT_EQ(a.gate, Gate::Hold) << a.text;
  EXPECT_NE(a.text.find("expected loss 2..55 records"), std::string::npos) << a.text;
  a = t.gate(last + 10s, last + 10s, last + 69s, false);
  EXPECT_EQ(a.gate, Gate::Hold);
  a = t.gate(last + 10s, last + 10s, last + 70s, false);
  EXPECT_EQ(a.gate, Gate::TimedOut);
  a = t.gate(last + 10s, last + 10s, last + 11s, true);
  EXPECT_EQ(a.gate, Gate::Accepted);
  // gate_timeout 0: only an operator opens it.
  cfg.gate_timeout = 0s;
  auto u = fed(5, 2, 20s, cfg);
  EXPECT_EQ(u.gate(last + 10s, last + 10s, last + 10000s, false).gate, Gate::Hold);
}

TEST(Tracker, AStaleHeadDoesNotFreezeTheGateForever) {
  // The source died under load: its last head stays 100 records ahead of a
  // replica that will never catch up. The timeout still opens the gate.
  GateConfig cfg;
  cfg.max_loss = 10;
  cfg.gate_timeout = 30s;
  auto t = fed(50, 100, 10s, cfg);
  TimePoint last = t0 + 10s;
  EXPECT_EQ(t.gate(last + 5s, last + 5s, last + 34s, false).gate, Gate::Hold);
  EXPECT_EQ(t.gate(last + 5s, last + 5s, last + 35s, false).gate, Gate::TimedOut);
}

TEST(Tracker, UnknownPaceMeansAnUnknownUpperBound) {
  Tracker t;
  t.on_head(at(7), t0);
  t.on_replica(at(7), t0);
  auto r = t.expected_loss(t0 + 5s);
  EXPECT_EQ(r.lo, 0u);
  EXPECT_EQ(r.hi, std::numeric_limits<std::uint64_t>::max());
  auto a = t.gate(t0 + 5s, t0 + 5s, t0 + 5s, false);
  EXPECT_EQ(a.gate, Gate::Hold);
  EXPECT_NE(a.text.find("0..unknown"), std::string::npos) << a.text;
}

TEST(Tracker, NoReplicaMeansNothingToPromote) {
  Tracker t;
  t.on_head(at(7), t0);
  EXPECT_EQ(t.gate(t0, t0, t0, true).gate, Gate::NoReplica);
}

TEST(Tracker, OlderEpochAndBackwardPointsAreRefused) {
  Tracker t;
  EXPECT_TRUE(t.on_replica(at(10, 1), t0));
  EXPECT_EQ(t.promote(), 2u);
  EXPECT_FALSE(t.on_replica(at(12, 1), t0 + 1s));
  EXPECT_NE(t.status(t0 + 1s, 0).last_error.find("epoch 1"), std::string::npos);
  EXPECT_TRUE(t.on_replica(at(12, 2), t0 + 2s));
  EXPECT_FALSE(t.on_replica(at(11, 2), t0 + 3s));
  EXPECT_EQ(t.status(t0 + 3s, 0).replica.records, 12u);
}

TEST(Tracker, AHeadGoingBackInTheSameEpochIsRefused) {
  Tracker t;
  t.on_head(at(100), t0);
  t.on_head(at(0), t0 + 1s);  // a restarted source that read nothing
  auto s = t.status(t0 + 1s, 0);
  EXPECT_EQ(s.head.records, 100u);
  EXPECT_NE(s.last_error.find("refused a head behind the one seen (0 < 100"), std::string::npos);
  t.on_head(at(5, 2), t0 + 2s);  // a new epoch starts its own count
  EXPECT_EQ(t.status(t0 + 2s, 0).head.records, 5u);
}

TEST(Tracker, StatusLagAgeAndAFutureReplica) {
  Tracker t;
  Point h = at(100), r = at(90);
  t.on_head(h, t0);
  t.on_replica(r, t0);
  auto s = t.status(t0 + 1s, r.time_ns + 7'000'000'000);
  EXPECT_EQ(s.lag_records, 10u);
  EXPECT_EQ(s.lag_bytes, 600u);
  EXPECT_NEAR(s.lag_s, 2.0, 1e-9);
  EXPECT_NEAR(s.replica_age_s, 7.0, 1e-9);
  EXPECT_NEAR(s.head_report_age_s, 1.0, 1e-9);
  EXPECT_FALSE(s.replica_in_future);
  // The passive site's clock, or a forged point, ahead of ours by 3 s.
  s = t.status(t0 + 1s, r.time_ns - 3'000'000'000);
  EXPECT_TRUE(s.replica_in_future);
  EXPECT_NE(s.json().find("\"replica_in_future\":true"), std::string::npos) << s.json();
}

TEST(Tracker, DivergenceIsSeenWhenTheHashesDifferAtTheSameLength) {
  Tracker t;
  Point r = at(10);
  r.hash = 42;
  t.on_replica(r, t0);
  t.on_source_hash(r.bytes, 42);
  EXPECT_FALSE(t.status(t0, r.time_ns).diverged);
  t.on_source_hash(r.bytes, 43);
  EXPECT_TRUE(t.status(t0, r.time_ns).diverged);
}

// Site isolation by lease (repl/lease.h): the keeper halts after T without a
// renewal, again every T; a renewal after a halt re-arms it.
TEST(LeaseKeeper, HaltsAfterTheLeaseWithoutARenewalAndAgainEveryLease) {
  LeaseKeeper k(10s, 15s, t0);
  EXPECT_FALSE(k.due(t0 + 14s));  // the starting grace
  EXPECT_TRUE(k.due(t0 + 15s));
  EXPECT_TRUE(k.halted());
  EXPECT_FALSE(k.due(t0 + 20s));
  EXPECT_TRUE(k.due(t0 + 25s));      // still no renewal: halted again
  EXPECT_TRUE(k.renewed(t0 + 26s));  // after a halt
  EXPECT_FALSE(k.halted());
  EXPECT_FALSE(k.renewed(t0 + 30s));
  EXPECT_FALSE(k.due(t0 + 39s));
  EXPECT_TRUE(k.due(t0 + 40s));  // 10 s after the last renewal
}

// The monitor may fence by lease only 2T after the last moment a renewal
// could have reached the keeper: the end of any renewal, ok or failed; never
// while one runs; never before a renewal ever said the keeper holds it.
TEST(LeaseWatch, ExpiresTwiceTheLeaseAfterTheLastPossibleContact) {
  LeaseWatch w(10s, t0);
  EXPECT_FALSE(w.expired(t0 + 100s));  // no keeper ever confirmed
  w.started(t0 + 1s, t0 + 1500ms);
  w.ended(t0 + 2s, RenewResult::Ok);
  EXPECT_TRUE(w.kept());
  EXPECT_FALSE(w.expired(t0 + 21s));
  EXPECT_TRUE(w.expired(t0 + 22s));
  // A failed renewal may still have arrived: it moves the contact.
  w.started(t0 + 5s, t0 + 8s);
  w.ended(t0 + 6s, RenewResult::Failed);  // it may land until its deadline (8 s)
  EXPECT_FALSE(w.expired(t0 + 27s));
  EXPECT_TRUE(w.expired(t0 + 28s));
  EXPECT_EQ(w.halted_by(), t0 + 19s);  // T + 1 s after the contact
  // One running: not expired, however long.
  w.started(t0 + 9s, t0 + 10s);
  EXPECT_FALSE(w.expired(t0 + 100s));
  // The site answered, but no keeper runs there: nobody halts the node.
  w.ended(t0 + 10s, RenewResult::NoKeeper);
  EXPECT_FALSE(w.kept());
  EXPECT_FALSE(w.expired(t0 + 100s));
  EXPECT_EQ(renew_result(0), RenewResult::Ok);
  EXPECT_EQ(renew_result(3), RenewResult::NoKeeper);
  EXPECT_EQ(renew_result(255), RenewResult::Failed);  // ssh: the site unreachable
  EXPECT_EQ(renew_result(4), RenewResult::Failed);    // too late (--not-after)
}

// A keeper that (re)starts gives its node only what is left of the lease the
// file holds; the grace only when there is no file, and never more.
TEST(LeaseKeeper, AStartingKeeperGivesOnlyWhatIsLeftOfTheLease) {
  EXPECT_EQ(lease_first_term(10s, 10s, std::nullopt), 10s);
  EXPECT_EQ(lease_first_term(10s, 60s, std::nullopt), 60s);
  EXPECT_EQ(lease_first_term(10s, 60s, 4s), 6s);    // renewed 4 s ago
  EXPECT_EQ(lease_first_term(10s, 3s, 4s), 3s);     // the grace is shorter
  EXPECT_EQ(lease_first_term(10s, 60s, 30s), 0s);   // long gone: halt at once
  EXPECT_EQ(lease_first_term(10s, 60s, -5s), 10s);  // a file from the future: one lease
}

TEST(ShipLine, ParsesWhatTheShipperPrintsAndNothingElse) {
  Point p = at(12, 3);
  p.hash = 0xabcdef0123456789ULL;
  auto l = parse_ship_line(format_point("replica", p) + "\r\n");
  ASSERT_EQ(l.kind, ShipLine::Replica);
  EXPECT_EQ(l.point.records, 12u);
  EXPECT_EQ(l.point.bytes, 720u);
  EXPECT_EQ(l.point.time_ns, p.time_ns);
  EXPECT_EQ(l.point.hash, p.hash);
  EXPECT_EQ(l.point.epoch, 3u);
  EXPECT_EQ(parse_ship_line("head records=1 bytes=60 newkey=x").kind, ShipLine::Head);
  EXPECT_EQ(parse_ship_line("error cannot reach the source").text, "cannot reach the source");
  EXPECT_EQ(parse_ship_line("head records=1").kind, ShipLine::Other);          // no bytes
  EXPECT_EQ(parse_ship_line("head records=x bytes=1").kind, ShipLine::Other);  // not a number
  EXPECT_EQ(parse_ship_line("replica records=1 bytes=2 junk").kind, ShipLine::Other);
  EXPECT_EQ(parse_ship_line("branch file=x").kind, ShipLine::Other);
}

class LogFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/repl_test.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    image_ = dir_ + "/disk.img";
    std::ofstream(image_) << std::string(kLogStart, '\0');
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void append(const std::string& s) { std::ofstream(image_, std::ios::app) << s; }
  std::string dir_, image_;
};

TEST_F(LogFile, AMissingSidecarIsEpochOneAtTheStart) {
  auto s = load_state(image_);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->point.epoch, 1u);
  EXPECT_EQ(s->point.bytes, 0u);
  EXPECT_EQ(s->point.hash, kHashSeed);
}

TEST_F(LogFile, TheSidecarRoundTripsAndABadOneSaysWhere) {
  LogState s;
  s.point = at(5, 2);
  s.point.hash = 77;
  s.base = at(3, 2);
  s.inflight = 400;
  ASSERT_TRUE(save_state(image_, s));
  auto r = load_state(image_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text(), s.text());
  std::ofstream(image_ + ".repl") << "epoch=2 bytes=12x\n";
  auto bad = load_state(image_);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find(".repl:1: cannot read 'bytes=12x'"), std::string::npos)
      << bad.error().message;
}

TEST_F(LogFile, PrefixHashAndLinesAreWhatWasWritten) {
  append("{\"seq\":1}\n{\"seq\":2}\n{\"seq\":3");  // the last line is incomplete
  auto size = log_size(image_);
  ASSERT_TRUE(size);
  EXPECT_EQ(*size, 28u);
  auto lines = read_lines(image_, 0, 1000);
  ASSERT_TRUE(lines);
  EXPECT_EQ(*lines, "{\"seq\":1}\n{\"seq\":2}\n");
  auto p = scan_prefix(image_, 20);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->records, 2u);
  EXPECT_EQ(p->hash, hash_extend(kHashSeed, *lines));
  // The running hash extends: prefix then suffix = the whole.
  EXPECT_EQ(hash_extend(hash_extend(kHashSeed, "{\"seq\":1}\n"), "{\"seq\":2}\n"), p->hash);
}

TEST_F(LogFile, ABranchKeepsTheTailAndIsNeverOverwritten) {
  append("a\nb\nc\n");
  std::uint64_t records = 0;
  auto b1 = save_branch(image_, 2, 1, &records);
  ASSERT_TRUE(b1) << b1.error().message;
  EXPECT_EQ(records, 2u);
  auto b2 = save_branch(image_, 4, 1, &records);
  ASSERT_TRUE(b2);
  EXPECT_NE(*b1, *b2);
  std::ifstream f(*b1);
  std::string head, l1, l2;
  std::getline(f, head);
  std::getline(f, l1);
  std::getline(f, l2);
  EXPECT_NE(head.find("log bytes 2..6"), std::string::npos) << head;
  EXPECT_EQ(l1 + l2, "bc");
  ASSERT_TRUE(truncate_log(image_, 2));
  EXPECT_EQ(*log_size(image_), 2u);
}

}  // namespace
}  // namespace clusterd::repl
