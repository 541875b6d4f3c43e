#include "fleet/etcd_journal.h"

#include <cstdio>

namespace clusterd::fleet {

EtcdJournalStore::EtcdJournalStore(std::unique_ptr<EtcdClient> client, FleetKeys keys,
                                   std::string cluster, std::int64_t token,
                                   std::function<Result<void>()> owner_check)
    : client_(std::move(client)),
      keys_(std::move(keys)),
      cluster_(std::move(cluster)),
      token_(token),
      owner_check_(std::move(owner_check)) {}

std::string EtcdJournalStore::key(std::int64_t seq) const {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016lld", static_cast<long long>(seq));
  return keys_.journal(cluster_) + buf;
}

Result<std::vector<std::string>> EtcdJournalStore::load() {
  auto kvs = client_->prefix(keys_.journal(cluster_));
  if (!kvs) return Error::io("cannot read the journal from etcd: " + kvs.error().message);
  std::vector<std::string> lines;
  const std::string base = keys_.journal(cluster_);
  for (const auto& kv : *kvs) {
    lines.push_back(kv.value);
    long long seq = 0;
    if (std::sscanf(kv.key.c_str() + base.size(), "%lld", &seq) == 1 && seq >= next_)
      next_ = seq + 1;
  }
  return lines;
}

Result<void> EtcdJournalStore::append(const std::string& line) {
  if (owner_check_) {
    if (auto ok = owner_check_(); !ok) return Error::io("not written: " + ok.error().message);
  }
  const std::string k = key(next_);
  auto r = client_->txn(
      {{keys_.owner(cluster_), Compare::Target::Create, Compare::Op::Equal, token_, {}},
       {k, Compare::Target::Create, Compare::Op::Equal, 0, {}}},
      {TxnOp::put(k, line)}, {TxnOp::get(keys_.owner(cluster_))});
  if (!r || !r->succeeded) {
    // A transaction that timed out may have been committed all the same, and
    // its retry at the next endpoint then fails on "the key is new": read
    // the record's key back before calling it refused.
    auto back = client_->range(k);
    if (back && !back->empty()) {
      ++next_;  // taken, by this record or (never by design) another: do not reuse it
      if ((*back)[0].value == line) return {};
    }
  }
  if (!r) return Error::io("etcd: " + r.error().message);
  if (!r->succeeded) {
    std::string now = "no owner";
    if (!r->ranges.empty() && !r->ranges[0].empty()) {
      const auto& o = r->ranges[0][0];
      now = "owner " + o.value + " with token " + std::to_string(o.create_revision);
    }
    return Error::io("etcd refused the record: " + keys_.owner(cluster_) + " has " + now +
                     ", our token is " + std::to_string(token_));
  }
  ++next_;
  return {};
}

}  // namespace clusterd::fleet
