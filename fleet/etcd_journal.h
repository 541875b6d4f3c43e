// EtcdJournalStore: a cluster's journal kept in etcd, for a fleet of
// monitoring hosts (docs/fleet.md). Records are keys PREFIX/journal/NAME/SEQ
// (SEQ: 16 digits, so etcd's key order is the record order). Each append is
// one transaction that succeeds only while PREFIX/owner/NAME still has the
// create revision `token` (our fencing token) and the record's key is new:
// a stale owner's record is refused by etcd, and the step it stands for is
// not taken. Before the transaction the host's lease deadline is checked
// (fleet/host_file.h), so a process resumed after a freeze does not even ask.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "clusterd/journal.h"
#include "fleet/etcd_client.h"

namespace clusterd::fleet {

struct FleetKeys {
  std::string prefix = "/clusterd/";
  std::string host(const std::string& h) const { return prefix + "hosts/" + h; }
  std::string hosts() const { return prefix + "hosts/"; }
  std::string owner(const std::string& c) const { return prefix + "owner/" + c; }
  std::string owners() const { return prefix + "owner/"; }
  std::string journal(const std::string& c) const { return prefix + "journal/" + c + "/"; }
  std::string move(const std::string& c) const { return prefix + "move/" + c; }
  std::string moves() const { return prefix + "move/"; }
};

class EtcdJournalStore : public JournalStore {
 public:
  /// `owner_check` runs before each append (null: none).
  EtcdJournalStore(std::unique_ptr<EtcdClient> client, FleetKeys keys, std::string cluster,
                   std::int64_t token, std::function<Result<void>()> owner_check);
  Result<std::vector<std::string>> load() override;
  Result<void> append(const std::string& line) override;
  std::string where() const override { return "etcd:" + keys_.journal(cluster_); }

 private:
  std::string key(std::int64_t seq) const;
  std::unique_ptr<EtcdClient> client_;
  FleetKeys keys_;
  std::string cluster_;
  std::int64_t token_;
  std::function<Result<void>()> owner_check_;
  std::int64_t next_ = 1;
};

}  // namespace clusterd::fleet
