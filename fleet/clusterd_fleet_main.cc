// clusterd-fleet: the fleet agent of one monitoring host (fleet/agent.h,
// docs/fleet.md). Runs in the foreground until SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fleet/agent.h"

#ifndef CLUSTERD_STOCK_SCRIPTS
#define CLUSTERD_STOCK_SCRIPTS ""
#endif

namespace {

constexpr const char* kUsage =
    R"(usage: clusterd-fleet --host NAME --etcd URL[,URL...] [options]

Runs one clusterd for each cluster of $CLUSTER_HOME/CList this monitoring host
owns in the fleet; ownership, fencing and placement through etcd (docs/fleet.md).

  --host NAME       this host's name in the fleet (CList hosts= uses it)
  --etcd URLS       etcd client URLs, comma-separated (http://10.0.0.1:2379,...)
  --home DIR        $CLUSTER_HOME (default: $CLUSTER_HOME, else /var/lib/clusterd)
  --prefix P        etcd key prefix (default /clusterd/)
  --weight W        placement weight, > 0 (default 1): a host of weight 2
                    watches about twice as many clusters
  --ttl S           the host's lease TTL in seconds (default 10; 8 to 3600)
  --no-rebalance    never hand a cluster back to a host that returns
  --clusterd PATH   the clusterd binary (default: clusterd beside this one)
  -h, --help        this text

Exit: 0 after SIGTERM (clusterds stopped, lease revoked); 64 usage.
)";

volatile int g_stop = 0;
void on_signal(int) { g_stop = 1; }

int usage_error(const std::string& m) {
  std::fprintf(stderr, "clusterd-fleet: %s\n(clusterd-fleet --help for usage)\n", m.c_str());
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  clusterd::fleet::AgentOptions o;
  std::string etcd;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--no-rebalance") {
      o.rebalance = false;
      continue;
    }
    const char* v = value();
    if (!v)
      return usage_error(a == "--host" || a == "--etcd" || a == "--home" || a == "--prefix" ||
                                 a == "--weight" || a == "--ttl" || a == "--clusterd"
                             ? a + " needs a value"
                             : "unknown argument '" + a + "'");
    if (a == "--host") {
      o.host = v;
    } else if (a == "--etcd") {
      etcd = v;
    } else if (a == "--home") {
      o.home = v;
    } else if (a == "--prefix") {
      o.prefix = v;
      if (o.prefix.empty() || o.prefix.back() != '/') o.prefix += '/';
    } else if (a == "--weight") {
      char* end = nullptr;
      o.weight = std::strtod(v, &end);
      if (!end || *end || !(o.weight > 0)) return usage_error("--weight takes a number > 0");
    } else if (a == "--ttl") {
      char* end = nullptr;
      o.ttl_s = std::strtoll(v, &end, 10);
      // The deadline is keepalive sent + TTL - 4 s, keepalives every 2 s: below
      // 8 s one slow keepalive would fence the host.
      if (!end || *end || o.ttl_s < 8 || o.ttl_s > 3600)
        return usage_error("--ttl takes seconds, 8 to 3600");
    } else if (a == "--clusterd") {
      o.clusterd = v;
    } else {
      return usage_error("unknown argument '" + a + "'");
    }
  }
  if (o.host.empty()) return usage_error("--host NAME is required");
  if (etcd.empty()) return usage_error("--etcd URL[,URL...] is required");
  for (std::size_t pos = 0;;) {
    auto c = etcd.find(',', pos);
    o.endpoints.push_back(etcd.substr(pos, c == std::string::npos ? c : c - pos));
    if (c == std::string::npos) break;
    pos = c + 1;
  }
  if (o.home.empty())
    o.home = std::getenv("CLUSTER_HOME") ? std::getenv("CLUSTER_HOME") : "/var/lib/clusterd";
  if (o.clusterd.empty()) {
    std::string self = argv[0];
    auto slash = self.rfind('/');
    o.clusterd = slash == std::string::npos ? "clusterd" : self.substr(0, slash + 1) + "clusterd";
  }
  o.stock_scripts = CLUSTERD_STOCK_SCRIPTS;
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  return clusterd::fleet::Agent(o).run(&g_stop);
}
