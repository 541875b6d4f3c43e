// `clusterctl fleet`: the fleet as etcd has it (docs/fleet.md): hosts with
// their leases, each cluster's owner and fencing token, pending moves, a
// cluster's journal; and a move by hand.
#include "clusterd/clusterctl_fleet.h"

#include <cstdio>
#include <cstdlib>
#include <map>

#include "base/escape.h"
#include "base/json_writer.h"
#include "clist/clist.h"
#include "fleet/etcd_client.h"
#include "fleet/etcd_journal.h"
#include "fleet/host_file.h"

namespace clusterd {

namespace {

constexpr const char* kFleetUsage = R"(usage: clusterctl fleet [status] [--json] [OPTIONS]
       clusterctl fleet move CLUSTER HOST [OPTIONS]
       clusterctl fleet journal CLUSTER [OPTIONS]

  status     hosts (lease, weight), each cluster's owner and fencing token,
             pending moves; clusters of the local CList nobody owns are
             listed as UNOWNED (exit 1 when there is one)
  move       ask the owner to hand CLUSTER to HOST: done while the cluster is
             idle (no failover under way), then HOST claims it; a request
             not done within 10 minutes is dropped
  journal    the cluster's journal records as kept in etcd

  --etcd URLS    etcd client URLs (default: endpoints= of $CLUSTER_HOME/run/fleet.host)
  --prefix P     key prefix (default: the host file's, else /clusterd/)
  --home DIR     $CLUSTER_HOME (default: $CLUSTER_HOME, else /var/lib/clusterd)
  --json         status as one JSON object
)";

int fail(const std::string& m, int code = 2) {
  std::fprintf(stderr, "clusterctl fleet: %s\n", m.c_str());
  return code;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (;;) {
    auto c = s.find(',', pos);
    out.push_back(s.substr(pos, c == std::string::npos ? c : c - pos));
    if (c == std::string::npos) return out;
    pos = c + 1;
  }
}

}  // namespace

int cmd_fleet(const std::vector<std::string>& v) {
  std::string home =
      std::getenv("CLUSTER_HOME") ? std::getenv("CLUSTER_HOME") : "/var/lib/clusterd";
  std::string etcd, prefix;
  bool json = false;
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string& a = v[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kFleetUsage, stdout);
      return 0;
    } else if (a == "--json") {
      json = true;
    } else if ((a == "--etcd" || a == "--prefix" || a == "--home") && i + 1 < v.size()) {
      (a == "--etcd" ? etcd : a == "--prefix" ? prefix : home) = v[++i];
    } else if (!a.empty() && a[0] == '-') {
      return fail("unknown option '" + escape(a) + "' (clusterctl fleet --help)", 64);
    } else {
      rest.push_back(a);
    }
  }
  auto hf = fleet::read_host_file(home + "/run/fleet.host");
  if (etcd.empty()) {
    if (!hf) return fail("no --etcd and no host file: " + hf.error().message, 64);
    for (const auto& e : hf->endpoints) etcd += (etcd.empty() ? "" : ",") + e;
  }
  if (prefix.empty()) prefix = hf ? hf->prefix : "/clusterd/";
  if (prefix.back() != '/') prefix += '/';
  fleet::FleetKeys keys{prefix};
  fleet::EtcdClient client(fleet::EtcdOptions{split(etcd)});
  const std::string what = rest.empty() ? "status" : rest[0];

  if (what == "move") {
    if (rest.size() != 3) return fail("move needs CLUSTER HOST", 64);
    if (!clist::is_valid_name(rest[1]) || !clist::is_valid_name(rest[2]))
      return fail("CLUSTER and HOST are names: " + std::string(clist::kNameRule), 64);
    auto hosts = client.range(keys.host(rest[2]));
    if (!hosts) return fail(hosts.error().message);
    if (hosts->empty()) return fail("host " + rest[2] + " is not live in the fleet", 1);
    // On a lease of its own: a move its target never completes (its CList
    // lacks the cluster, it cannot act) is dropped after 10 minutes.
    auto lease = client.grant(600);
    if (!lease) return fail(lease.error().message);
    auto r = client.put(keys.move(rest[1]), rest[2], *lease);
    if (!r) return fail(r.error().message);
    std::printf("move of %s to %s requested: the owner hands it over while it is idle\n",
                rest[1].c_str(), rest[2].c_str());
    return 0;
  }
  if (what == "journal") {
    if (rest.size() != 2) return fail("journal needs CLUSTER", 64);
    auto kvs = client.prefix(keys.journal(rest[1]));
    if (!kvs) return fail(kvs.error().message);
    for (const auto& kv : *kvs) std::printf("%s\n", escape_text(kv.value).c_str());
    return 0;
  }
  if (what != "status") return fail("unknown fleet command '" + escape(what) + "'", 64);

  auto t = client.txn(
      {}, {{fleet::TxnOp::Kind::Range, keys.hosts(), {}, fleet::prefix_end(keys.hosts()), 0},
           {fleet::TxnOp::Kind::Range, keys.owners(), {}, fleet::prefix_end(keys.owners()), 0},
           {fleet::TxnOp::Kind::Range, keys.moves(), {}, fleet::prefix_end(keys.moves()), 0}});
  if (!t) return fail(t.error().message);
  if (t->ranges.size() != 3) return fail("unexpected reply from etcd");
  std::map<std::string, fleet::KeyValue> owners;
  for (const auto& kv : t->ranges[1]) owners[kv.key.substr(keys.owners().size())] = kv;
  std::map<std::string, std::string> moves;
  for (const auto& kv : t->ranges[2]) moves[kv.key.substr(keys.moves().size())] = kv.value;
  std::vector<std::string> unowned;
  auto cl = clist::read_clist(home);
  for (const auto& e : cl.clist.clusters)
    if (!owners.count(e.name)) unowned.push_back(e.name);

  if (json) {
    std::string hosts = "[", own = "[", mv = "[", un = "[";
    for (const auto& kv : t->ranges[0]) {
      if (hosts.size() > 1) hosts += ',';
      hosts += JsonObject()
                   .string("host", kv.key.substr(keys.hosts().size()))
                   .string("info", kv.value)
                   .string("lease", std::to_string(kv.lease))
                   .str();
    }
    for (const auto& [c, kv] : owners) {
      if (own.size() > 1) own += ',';
      own += JsonObject()
                 .string("cluster", c)
                 .string("host", kv.value)
                 .number("token", kv.create_revision)
                 .string("lease", std::to_string(kv.lease))
                 .str();
    }
    for (const auto& [c, h] : moves) {
      if (mv.size() > 1) mv += ',';
      mv += JsonObject().string("cluster", c).string("to", h).str();
    }
    for (const auto& c : unowned)
      un += std::string(un.size() > 1 ? "," : "") + "\"" + json_escape(c) + "\"";
    std::printf("%s\n", JsonObject()
                            .raw("hosts", hosts + "]")
                            .raw("owners", own + "]")
                            .raw("moves", mv + "]")
                            .raw("unowned", un + "]")
                            .number("revision", t->revision)
                            .str()
                            .c_str());
    return unowned.empty() ? 0 : 1;
  }
  std::printf("%-20s %-24s %s\n", "HOST", "LEASE", "INFO");
  for (const auto& kv : t->ranges[0])
    std::printf("%-20s %-24lld %s\n", escape_text(kv.key.substr(keys.hosts().size())).c_str(),
                static_cast<long long>(kv.lease), escape_text(kv.value).c_str());
  std::printf("\n%-20s %-20s %-10s %s\n", "CLUSTER", "OWNER", "TOKEN", "MOVE");
  for (const auto& [c, kv] : owners) {
    auto m = moves.find(c);
    std::printf("%-20s %-20s %-10lld %s\n", escape_text(c).c_str(), escape_text(kv.value).c_str(),
                static_cast<long long>(kv.create_revision),
                m == moves.end() ? "-" : ("-> " + escape_text(m->second)).c_str());
  }
  for (const auto& c : unowned) std::printf("%-20s %-20s\n", escape_text(c).c_str(), "UNOWNED");
  return unowned.empty() ? 0 : 1;
}

}  // namespace clusterd
