// The fleet's etcd parts against a real 3-member etcd (Debian's etcd-server
// 3.4): the v3 JSON client, leases, the ownership transaction and its
// fencing token, the journal kept in etcd, endpoint rotation, a leader
// killed and quorum lost. Every wait is for a condition, bounded generously.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "clusterd/journal.h"
#include "fleet/etcd_client.h"
#include "fleet/etcd_journal.h"
#include "fleet/host_file.h"
#include "tests/fleet/etcd_fixture.h"

namespace clusterd::fleet {
namespace {

using namespace std::chrono_literals;

class Etcd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new testing::EtcdCluster;
    auto r = cluster_->start();
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  static testing::EtcdCluster* cluster_;
  EtcdClient client{EtcdOptions{cluster_->endpoints()}};
  // Every test its own key space.
  std::string ns =
      "/t/" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "/";
};
testing::EtcdCluster* Etcd::cluster_ = nullptr;

/// The ownership transaction the agent makes: create owner/C on `lease` only
/// if absent; the token is the key's create revision.
std::int64_t own(EtcdClient& c, const std::string& key, std::int64_t lease) {
  auto t = c.txn({{key, Compare::Target::Create, Compare::Op::Equal, 0, {}}},
                 {TxnOp::put(key, "me", lease), TxnOp::get(key)});
  if (!t || !t->succeeded || t->ranges.empty() || t->ranges[0].empty()) return 0;
  return t->ranges[0][0].create_revision;
}

TEST_F(Etcd, PutRangePrefixAndDeleteKeepBinaryKeysAndValues) {
  const std::string bin("\x00\xff\x01 \"\\", 6);
  ASSERT_TRUE(client.put(ns + "a", "1"));
  ASSERT_TRUE(client.put(ns + "b" + bin, bin));
  ASSERT_TRUE(
      client.put(ns.substr(0, ns.size() - 1) + "0", "outside"));  // sorts just after the prefix
  auto all = client.prefix(ns);
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].key, ns + "a");
  EXPECT_EQ((*all)[1].key, ns + "b" + bin);
  EXPECT_EQ((*all)[1].value, bin);
  EXPECT_GT((*all)[1].create_revision, (*all)[0].create_revision);
  auto deleted = client.del(ns, prefix_end(ns));
  ASSERT_TRUE(deleted);
  EXPECT_EQ(*deleted, 2);
  EXPECT_TRUE(client.prefix(ns)->empty());
}

TEST_F(Etcd, OwnershipIsCreatedOnceAndTheTokenIsItsCreateRevision) {
  auto lease = client.grant(10);
  ASSERT_TRUE(lease) << lease.error().message;
  const auto token = own(client, ns + "owner", *lease);
  ASSERT_GT(token, 0);
  EXPECT_EQ(own(client, ns + "owner", *lease), 0) << "a second claim must fail";
  auto kv = client.range(ns + "owner");
  ASSERT_TRUE(kv);
  ASSERT_EQ(kv->size(), 1u);
  EXPECT_EQ((*kv)[0].create_revision, token);
  EXPECT_EQ((*kv)[0].lease, *lease);
  // Revoking the lease deletes the key; a new claim gets a higher token.
  ASSERT_TRUE(client.revoke(*lease));
  auto lease2 = client.grant(10);
  ASSERT_TRUE(lease2);
  const auto token2 = own(client, ns + "owner", *lease2);
  EXPECT_GT(token2, token);
}

TEST_F(Etcd, AKeepaliveOnAGoneLeaseSaysSo) {
  std::int64_t granted = 0;
  auto lease = client.grant(10, &granted);
  ASSERT_TRUE(lease);
  EXPECT_EQ(granted, 10);
  auto ttl = client.keepalive(*lease);
  ASSERT_TRUE(ttl) << ttl.error().message;
  EXPECT_EQ(*ttl, 10);
  ASSERT_TRUE(client.revoke(*lease));
  ttl = client.keepalive(*lease);
  ASSERT_TRUE(ttl) << "etcd answers 200 for a gone lease";
  EXPECT_EQ(*ttl, 0);
  auto again = client.revoke(*lease);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Error::Code::NotFound);
}

TEST_F(Etcd, ALeaseExpiresWithoutKeepalivesAndTakesItsKeys) {
  auto lease = client.grant(2);  // etcd's minimum here is 2 s (1.5 × election timeout, rounded up)
  ASSERT_TRUE(lease);
  ASSERT_GT(own(client, ns + "owner", *lease), 0);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {  // up to 10 s for a 2 s lease
    std::this_thread::sleep_for(100ms);
    gone = client.range(ns + "owner")->empty();
  }
  EXPECT_TRUE(gone);
  EXPECT_EQ(*client.keepalive(*lease), 0);
}

TEST_F(Etcd, TheJournalInEtcdReplaysInOrderAndRefusesAStaleToken) {
  FleetKeys keys{ns};
  auto lease = client.grant(10);
  ASSERT_TRUE(lease);
  const auto token = own(client, keys.owner("prod"), *lease);
  ASSERT_GT(token, 0);
  auto store = [&](std::int64_t t) {
    return std::make_unique<EtcdJournalStore>(
        std::make_unique<EtcdClient>(EtcdOptions{cluster_->endpoints()}), keys, "prod", t, nullptr);
  };
  {
    auto j = Journal::open_store(store(token), nullptr);
    ASSERT_TRUE(j) << j.error().message;
    ASSERT_TRUE((*j)->append({1, JournalKind::Roles, {{"active", "alpha"}, {"standby", "beta"}}}));
    ASSERT_TRUE(
        (*j)->append({2, JournalKind::FenceConfirmed, {{"node", "alpha"}, {"how", "confirmed"}}}));
    ASSERT_TRUE((*j)->append(
        {3, JournalKind::BootSent, {{"node", "beta"}, {"state", "boot_wait"}, {"attempt", "1"}}}));
  }
  // Another process, the same token (a restart on the owner host): it resumes the boot.
  auto j = Journal::open_store(store(token), nullptr);
  ASSERT_TRUE(j);
  EXPECT_TRUE((*j)->state().boot_in_flight());
  EXPECT_EQ((*j)->state().boot_state, "boot_wait");
  EXPECT_EQ((*j)->state().active, "alpha");
  // The lease gone, another host owns the cluster: the old token is refused.
  ASSERT_TRUE(client.revoke(*lease));
  auto lease2 = client.grant(10);
  const auto token2 = own(client, keys.owner("prod"), *lease2);
  ASSERT_GT(token2, token);
  auto refused =
      (*j)->append({4, JournalKind::Takeover, {{"active", "beta"}, {"standby", "alpha"}}});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("refused"), std::string::npos) << refused.error().message;
  EXPECT_TRUE((*j)->state().boot_in_flight()) << "a refused record is not applied";
  // The new owner replays the same records and goes on.
  auto j2 = Journal::open_store(store(token2), nullptr);
  ASSERT_TRUE(j2);
  EXPECT_TRUE((*j2)->state().boot_in_flight());
  ASSERT_TRUE(
      (*j2)->append({5, JournalKind::Takeover, {{"active", "beta"}, {"standby", "alpha"}}}));
  auto j3 = Journal::open_store(store(token2), nullptr);
  EXPECT_EQ((*j3)->state().active, "beta");
  EXPECT_EQ((*j3)->state().takeovers, 1);
}

TEST_F(Etcd, AFailedOwnerCheckStopsTheRecordBeforeEtcd) {
  FleetKeys keys{ns};
  auto lease = client.grant(10);
  const auto token = own(client, keys.owner("prod"), *lease);
  int asked = 0;
  auto j = Journal::open_store(
      std::make_unique<EtcdJournalStore>(
          std::make_unique<EtcdClient>(EtcdOptions{cluster_->endpoints()}), keys, "prod", token,
          [&]() -> Result<void> {
            ++asked;
            return Error::io("lease deadline passed");
          }),
      nullptr);
  ASSERT_TRUE(j);
  auto r = (*j)->append({1, JournalKind::Note, {{"intent", "break"}}});
  ASSERT_FALSE(r);
  EXPECT_EQ(asked, 1);
  EXPECT_TRUE(client.prefix(keys.journal("prod"))->empty());
}

TEST_F(Etcd, ADeadEndpointIsSkippedAndTheLiveOneKept) {
  auto dead = "http://127.0.0.1:" + std::to_string(testing::free_tcp_port());
  EtcdClient c(EtcdOptions{{dead, cluster_->endpoint(2)}});
  ASSERT_TRUE(c.put(ns + "k", "v"));
  EXPECT_EQ(c.endpoint(), cluster_->endpoint(2));
  EtcdClient none(EtcdOptions{{dead}, 300ms});
  auto r = none.range(ns + "k");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Error::Code::Io);
  EXPECT_NE(r.error().message.find("etcd unavailable"), std::string::npos) << r.error().message;
}

// Last in the suite (they kill members): the leader killed, then quorum lost.
TEST_F(Etcd, ZLeaderKilledWritesComeBackAndLeasesSurvive) {
  auto lease = client.grant(10);
  ASSERT_TRUE(lease);
  int leader = 0;
  for (int i = 0; i < 50 && leader == 0; ++i) {
    leader = cluster_->leader();
    if (leader == 0) std::this_thread::sleep_for(100ms);
  }
  ASSERT_NE(leader, 0);
  cluster_->kill(leader);
  bool wrote = false;
  for (int i = 0; i < 150 && !wrote; ++i) {  // an election takes ~1 s here; allow 15 s
    wrote = client.put(ns + "after", "y").ok();
    if (!wrote) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(wrote);
  auto ttl = client.keepalive(*lease);
  ASSERT_TRUE(ttl);
  EXPECT_GT(*ttl, 0) << "a leader change keeps (and resets) leases";
  ASSERT_TRUE(cluster_->start_member(leader));
}

TEST_F(Etcd, ZZWithoutQuorumRequestsFailWithinTheirTimeout) {
  int killed = 0;
  for (int i = 1; i <= 3 && killed < 2; ++i) {
    cluster_->kill(i);
    ++killed;
  }
  EtcdClient c(EtcdOptions{cluster_->endpoints(), 1s});
  const auto t0 = std::chrono::steady_clock::now();
  auto r = c.put(ns + "k", "v");
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Error::Code::Io) << r.error().message;
  // Three endpoints, each at most its 1 s timeout (generous: 10 s).
  EXPECT_LT(took, 10s);
}

}  // namespace
}  // namespace clusterd::fleet
