// The ledger line format: what LedgerRecord writes, what the parser reads
// back, and what every line a node writes contains.
#include <gtest/gtest.h>

#include <set>

#include "sim_fixture.h"

namespace clusterd::sim::testing {
namespace {

using namespace std::literals;

TEST(LedgerRecord, WritesOneFlatJsonObjectWithTimeNodeAndEventFirst) {
  TimePoint t = TimePoint{} + 1234567890ns;
  std::string l = LedgerRecord(t, "alpha", "state")
                      .add("from", "OK")
                      .add("n", std::int64_t{-3})
                      .add("b", true)
                      .add("ms", 2.5)
                      .line();
  EXPECT_EQ(
      l,
      R"({"t_ns":1234567890,"node":"alpha","ev":"state","from":"OK","n":-3,"b":true,"ms":2.500})");
}

TEST(LedgerRecord, EscapesQuotesAndControlBytesSoALineStaysOneLine) {
  std::string l = LedgerRecord(TimePoint{}, "a", "command").add("line", "x\"\\\r\n\x1b\xff").line();
  EXPECT_EQ(l, R"({"t_ns":0,"node":"a","ev":"command","line":"x\"\\\u000d\u000a\u001b\u00ff"})");
  auto r = parse_ledger_line(l);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->get("line"), "x\"\\\r\n\x1b\xff");
}

TEST(LedgerParser, ReadsBackEveryField) {
  auto r = parse_ledger_line(R"({"t_ns":42,"node":"beta","ev":"write","seq":7})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->t_ns, 42);
  EXPECT_EQ(r->node, "beta");
  EXPECT_EQ(r->ev, "write");
  EXPECT_EQ(r->get("seq"), "7");
}

TEST(LedgerParser, RejectsBrokenLinesWithAnOffset) {
  EXPECT_EQ(parse_ledger_line("not json").error().message, "expected '{' at offset 0");
  EXPECT_EQ(parse_ledger_line(R"({"node":"a"})").error().message, "record without t_ns or ev");
  EXPECT_FALSE(parse_ledger_line(R"({"t_ns":1,"ev":"x")").ok());
  CheckReport rep = check_ledger({"{", R"({"t_ns":1,"node":"a","ev":"x"})"});
  ASSERT_EQ(rep.errors.size(), 1u);
  EXPECT_EQ(rep.errors[0], "line 1: expected a quoted key at offset 1");
}

TEST(LedgerParser, RejectsBadNumbersAndEscapesAsErrorsNotExceptions) {
  // A hand-edited or torn ledger must come out of `nodesim check` as an
  // error line, not abort it.
  EXPECT_EQ(parse_ledger_line(R"({"t_ns":12x,"node":"a","ev":"x"})").error().message,
            "t_ns is not a number: 12x");
  EXPECT_EQ(parse_ledger_line(R"({"t_ns":1,"node":"a","ev":"x","l":"\uzzzz"})").error().message,
            "expected a string value at offset 37");
  auto ok = parse_ledger_line(R"({"t_ns":1,"node":"a","ev":"x","l":"\u0041"})");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->get("l"), "A");
}

class LedgerFormatTest : public SimTest {};

TEST_F(LedgerFormatTest, EveryLineParsesInTimeOrderAndStateChangesChain) {
  // A whole life: POST, boot, BREAK, go, panic, reboot, power-off.
  auto n = make("alpha", true);
  run_for(6s, {n.get()});
  n->m->on_break(BreakVia::Rfc2217, now);
  n->m->on_input("go\r", now);
  n->m->control("panic", now);
  run_for(9s, {n.get()});
  n->m->control("power-off", now);

  std::int64_t last = 0;
  std::string state = "OFF";
  std::set<std::string> seen;
  for (const auto& l : n->fx.lines) {
    auto r = parse_ledger_line(l);
    ASSERT_TRUE(r.ok()) << l;
    EXPECT_EQ(r->node, "alpha");
    EXPECT_GE(r->t_ns, last);
    last = r->t_ns;
    seen.insert(r->ev);
    if (r->ev == "state") {
      EXPECT_EQ(r->get("from"), state) << l;
      state = r->get("to");
      EXPECT_FALSE(r->get("why").empty());
    }
  }
  EXPECT_EQ(state, "OFF");
  for (const char* ev : {"start", "state", "lease_acquire", "lease_release", "break", "command",
                         "write", "control"}) {
    EXPECT_TRUE(seen.count(ev)) << ev;
  }
  auto acq = n->fx.events("lease_acquire");
  auto rel = n->fx.events("lease_release");
  EXPECT_EQ(acq.size(), 3u);  // mount, resume after go, mount after the panic reboot
  EXPECT_EQ(rel.size(), 3u);  // break, panic, power-off
  EXPECT_EQ(rel[0].get("why"), "break");
  EXPECT_EQ(rel[1].get("why"), "panic");
  EXPECT_EQ(rel[2].get("why"), "power-off");
}

// A cluster already split when the monitor starts: the overlap that began
// before `since` is reported apart and not counted; one that begins after it
// is; a write by a halted node counts whenever it happens.
TEST(LedgerCheck, OverlapFromBeforeSinceIsReportedApartNotCounted) {
  std::vector<std::string> lines = {
      R"({"t_ns":100,"node":"a","ev":"lease_acquire"})",
      R"({"t_ns":200,"node":"b","ev":"lease_acquire"})",
      R"({"t_ns":1000,"node":"b","ev":"break","effect":"halted"})",
      R"({"t_ns":1500,"node":"b","ev":"write","seq":"9"})",
  };
  CheckReport rep = check_ledger(lines, {}, 500);
  EXPECT_TRUE(rep.overlaps.empty());
  ASSERT_EQ(rep.before.size(), 1u);
  EXPECT_EQ(rep.before[0].start_ns, 200);
  EXPECT_TRUE(rep.before[0].open);
  EXPECT_EQ(rep.overlap_ms(), 0.0);
  ASSERT_EQ(rep.late_writes.size(), 1u);
  EXPECT_EQ(rep.late_writes[0].seq, "9");
  EXPECT_NE(rep.summary().find("before-since: a and b"), std::string::npos) << rep.summary();

  // Without `since` the same ledger is a split-brain; with `since` before
  // the second acquire it is one too.
  EXPECT_EQ(check_ledger(lines).overlaps.size(), 1u);
  EXPECT_EQ(check_ledger(lines, {}, 150).overlaps.size(), 1u);
  EXPECT_TRUE(check_ledger(lines, {}, 150).before.empty());
}

// BCP: each site has its own disk. The records a failover lost are the
// old site's writes the promoted image does not have; both sites writing is
// the split; the RTO is the gap at each change of writer.
std::string write_at(std::int64_t ms, const char* node, int seq) {
  return R"({"t_ns":)" + std::to_string(ms * 1'000'000) + R"(,"node":")" + node +
         R"(","ev":"write","seq":)" + std::to_string(seq) + "}";
}
std::string record(const char* node, int seq) {
  return R"({"t_ns":1,"node":")" + std::string(node) + R"(","ev":"record","seq":)" +
         std::to_string(seq) + "}";
}

TEST(BcpCheck, CountsLostRecordsTheRtoAndNoBothWriting) {
  std::vector<std::string> ledgers, image;
  for (int i = 1; i <= 50; ++i) ledgers.push_back(write_at(i * 200, "alpha", i));  // to 10 s
  for (int i = 1; i <= 20; ++i) ledgers.push_back(write_at(16000 + i * 200, "beta", i));
  for (int i = 1; i <= 48; ++i) image.push_back(record("alpha", i));  // 49, 50 not shipped
  for (int i = 1; i <= 20; ++i) image.push_back(record("beta", i));
  BcpReport r = check_bcp(ledgers, image);
  EXPECT_EQ(r.writes["alpha"], 50u);
  EXPECT_EQ(r.lost_total(), 2u);
  EXPECT_EQ(r.lost["alpha"], 2u);
  EXPECT_EQ(r.lost_examples, (std::vector<std::string>{"alpha#49", "alpha#50"}));
  EXPECT_EQ(r.both_writing_ms, 0.0);
  ASSERT_EQ(r.rto_ms.size(), 1u);
  EXPECT_DOUBLE_EQ(r.rto_ms[0], 6200.0);
  EXPECT_TRUE(r.clean());
  EXPECT_NE(r.summary().find("bcp-lost: 2\nbcp-both-writing: 0.0 ms\nbcp-rto: 6200.0 ms"),
            std::string::npos)
      << r.summary();
}

TEST(BcpCheck, BothSitesWritingIsFoundEvenForOneWrite) {
  std::vector<std::string> ledgers;
  for (int i = 1; i <= 50; ++i) ledgers.push_back(write_at(i * 200, "alpha", i));
  ledgers.push_back(write_at(5000, "beta", 1));  // one write inside alpha's spell
  BcpReport r = check_bcp(ledgers, {});
  EXPECT_GT(r.both_writing_ms, 0.0);
  EXPECT_FALSE(r.clean());
  // Two long spells overlapping by 2 s.
  std::vector<std::string> two;
  for (int i = 0; i <= 10; ++i) two.push_back(write_at(i * 500, "alpha", i));        // 0..5 s
  for (int i = 0; i <= 10; ++i) two.push_back(write_at(3000 + i * 500, "beta", i));  // 3..8 s
  EXPECT_DOUBLE_EQ(check_bcp(two, {}).both_writing_ms, 2000.0);
}

TEST(BcpCheck, ABrokenImageLineIsAnErrorNotALoss) {
  BcpReport r = check_bcp({write_at(1, "alpha", 1)}, {record("alpha", 1), "{\"t_ns\":"});
  EXPECT_EQ(r.lost_total(), 0u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("image line 2"), std::string::npos) << r.errors[0];
}

}  // namespace
}  // namespace clusterd::sim::testing
