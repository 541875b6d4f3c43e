// The fleet's pure parts: the JSON reader and base64 (etcd's wire format),
// placement by weighted rendezvous hashing, the host file and its deadline.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "base/json_reader.h"
#include "fleet/host_file.h"
#include "fleet/placement.h"
#include "tests/support/peers.h"

namespace clusterd::fleet {
namespace {

TEST(JsonReader, ReadsWhatEtcdSends) {
  // A range reply as etcd 3.4's gateway gives it (int64 as strings).
  auto v = parse_json(
      R"({"header":{"cluster_id":"14841639068965178418","revision":"12","raft_term":"2"},)"
      R"("kvs":[{"key":"Zm9v","create_revision":"5","mod_revision":"12","version":"3","value":"YmFy","lease":"7587"}],"count":"1"})");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ((*v)["header"]["revision"].as_int(), 12);
  ASSERT_EQ((*v)["kvs"].items().size(), 1u);
  EXPECT_EQ(base64_decode((*v)["kvs"].items()[0]["key"].text()), "foo");
  EXPECT_EQ((*v)["kvs"].items()[0]["lease"].as_int(), 7587);
  EXPECT_FALSE((*v)["succeeded"].as_bool()) << "absent is false (a failed txn has no field)";
  EXPECT_TRUE((*v)["nope"]["deeper"].is_null());
}

TEST(JsonReader, DecodesEscapesAndRejectsBadText) {
  auto v =
      parse_json(R"({"s":"a\"b\\c\n\u00e9\ud83d\ude00","n":-12,"t":true,"z":null,"a":[1,[2]]})");
  ASSERT_TRUE(v);
  EXPECT_EQ((*v)["s"].text(), "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ((*v)["n"].as_int(), -12);
  EXPECT_TRUE((*v)["t"].as_bool());
  EXPECT_EQ((*v)["a"].items()[1].items()[0].as_int(), 2);
  for (const char* bad : {"", "{", "{\"a\"}", "{\"a\":1,}", "[1 2]", "\"\x01\"", "{\"a\":1} x",
                          "\"\\q\"", "\"\\u12\""}) {
    EXPECT_FALSE(parse_json(bad)) << bad;
  }
  std::string deep(100, '[');
  auto d = parse_json(deep + std::string(100, ']'));
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("deeper than 64"), std::string::npos);
}

TEST(Base64, RoundTripsEveryLengthAndRejectsNonsense) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes) << i;
    bytes += static_cast<char>(i * 37 + 200);
  }
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  for (const char* bad : {"Zm9", "Zm9v!", "Z===", "Zg=a", "=Zg="})
    EXPECT_FALSE(base64_decode(bad)) << bad;
}

std::vector<LiveHost> hosts(int n) {
  std::vector<LiveHost> out;
  for (int i = 1; i <= n; ++i) out.push_back({"mon" + std::to_string(i), 1.0});
  return out;
}

TEST(Placement, SpreadsEvenlyAndEveryHostAgrees) {
  std::map<std::string, int> count;
  for (int c = 0; c < 3000; ++c) {
    auto r = rank_hosts("cluster" + std::to_string(c), hosts(3), {});
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r, rank_hosts("cluster" + std::to_string(c), hosts(3), {}));
    ++count[r[0]];
  }
  for (const auto& [h, n] : count) EXPECT_NEAR(n, 1000, 120) << h;
}

TEST(Placement, AHostThatLeavesMovesOnlyItsOwnClusters) {
  auto three = hosts(3), two = hosts(3);
  two.erase(two.begin() + 1);  // mon2 gone
  int moved = 0;
  for (int c = 0; c < 2000; ++c) {
    std::string name = "c" + std::to_string(c);
    auto before = rank_hosts(name, three, {})[0], after = rank_hosts(name, two, {})[0];
    if (before != "mon2") {
      EXPECT_EQ(before, after) << name;
    } else {
      ++moved;
      EXPECT_EQ(after, rank_hosts(name, three, {})[1]) << "its second choice takes it";
    }
  }
  EXPECT_GT(moved, 500);
}

TEST(Placement, WeightsAndAllowedHostsAreKept) {
  auto hs = hosts(2);
  hs[1].weight = 3.0;
  int heavy = 0;
  for (int c = 0; c < 4000; ++c)
    heavy += rank_hosts("x" + std::to_string(c), hs, {})[0] == "mon2" ? 1 : 0;
  EXPECT_NEAR(heavy, 3000, 150);  // weight 3 of 4
  auto r = rank_hosts("pinned", hosts(3), {"mon3"});
  ASSERT_EQ(r, std::vector<std::string>{"mon3"});
  EXPECT_TRUE(rank_hosts("pinned", hosts(2), {"mon3"}).empty()) << "its host is not live";
}

TEST(HostFile, RoundTripsAndTheDeadlineDecides) {
  testing::TempDir dir;
  HostFile h{"mon1", "/clusterd/", {"http://a:1", "http://b:2"},
             42,     10,           fence_clock_ns() + 60'000'000'000};
  ASSERT_TRUE(write_host_file(dir.file("fleet.host"), h));
  auto back = read_host_file(dir.file("fleet.host"));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->endpoints, h.endpoints);
  EXPECT_EQ(back->deadline_ns, h.deadline_ns);
  EXPECT_TRUE(check_deadline(dir.file("fleet.host"), 42));
  auto other = check_deadline(dir.file("fleet.host"), 41);
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().message.find("not ours"), std::string::npos);
  h.deadline_ns = fence_clock_ns() - 1'000'000'000;
  ASSERT_TRUE(write_host_file(dir.file("fleet.host"), h));
  auto late = check_deadline(dir.file("fleet.host"), 42);
  ASSERT_FALSE(late);
  EXPECT_NE(late.error().message.find("deadline passed"), std::string::npos);
  EXPECT_FALSE(check_deadline(dir.file("missing"), 42));
  EXPECT_FALSE(parse_host_file("host=a\nlease=12", "x")) << "a file cut short is not trusted";
  EXPECT_FALSE(parse_host_file("lease=1x\n", "x"));
}

}  // namespace
}  // namespace clusterd::fleet
