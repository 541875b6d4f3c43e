// clusterd: one process per cluster (DESIGN.md §4). Reads $CLUSTER_HOME/CList
// and the cluster's config, checks the chat script, then holds both consoles,
// the probes, the journal and the control socket until SIGTERM.
//   clusterd --cluster NAME [--home DIR] [--foreground] [--check]
// Exit: 0 stopped cleanly / --check passed; 1 bad config or script (file:line:col
// messages); 2 start-up failure (a file, a socket, a capability); 64 usage.
#include <sys/prctl.h>
#include <sys/resource.h>
#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>

#include "alarm/service.h"
#include "base/secrets.h"
#include "chat/script.h"
#include "clist/cluster_config.h"
#include "clusterd/daemon.h"
#include "clusterd/load.h"
#include "fleet/etcd_journal.h"
#include "fleet/host_file.h"

namespace {

using namespace clusterd;

constexpr const char* kUsage =
    R"(usage: clusterd --cluster NAME [--home DIR] [--foreground] [--check | --test-alarm]
                [--fleet HOSTFILE --fleet-token N --fleet-lease ID]

  --cluster NAME   the cluster, as named in $CLUSTER_HOME/CList
  --home DIR       $CLUSTER_HOME (default: $CLUSTER_HOME, else /var/lib/clusterd)
  --foreground     accepted for compatibility: clusterd always stays in the
                   foreground (init.d and systemd put it in the background)
  --check          validate CList, the cluster config, the secrets file and the
                   chat script (the checker must pass), print file:line:col
                   for every problem, and exit: 0 good, 1 not
  --test-alarm     send a test alarm through every configured channel (email,
                   pages, heartbeat) and report each result: exit 0 when all
                   accepted, 1 otherwise
  --fleet HOSTFILE, --fleet-token N, --fleet-lease ID
                   fleet mode, as clusterd-fleet starts it (docs/fleet.md): the
                   journal is kept in etcd and each record is refused unless
                   this process's token still owns the cluster; nothing is
                   written to a node unless HOSTFILE names lease ID with a
                   deadline ahead
  -h, --help       this text

Files: clusterd(8). The configuration: docs/config.md, installed as
/usr/share/doc/clusterd/config.md. The daemon never sends BREAK on start,
reconnect or stop; only a fence step of the script does.
)";

#ifndef CLUSTERD_STOCK_SCRIPTS
#define CLUSTERD_STOCK_SCRIPTS ""
#endif

int usage_error(const std::string& m) {
  std::fprintf(stderr, "clusterd: %s\n(clusterd --help for usage)\n", m.c_str());
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  // The secrets (console, SMTP and key passwords) live in this process's
  // memory: no core file may carry them (scenario secrets_canary found them in
  // one). Not dumpable also keeps other users out of /proc/PID/mem and environ.
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  std::string name, home;
  bool check = false, foreground = false, test_alarm = false;
  std::string fleet_file;
  std::int64_t fleet_token = 0, fleet_lease = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--cluster" && i + 1 < argc) {
      name = argv[++i];
    } else if (a == "--home" && i + 1 < argc) {
      home = argv[++i];
    } else if (a == "--fleet" && i + 1 < argc) {
      fleet_file = argv[++i];
    } else if ((a == "--fleet-token" || a == "--fleet-lease") && i + 1 < argc) {
      char* end = nullptr;
      long long v = std::strtoll(argv[++i], &end, 10);
      if (!end || *end || v <= 0) return usage_error(a + " takes a positive number");
      (a == "--fleet-token" ? fleet_token : fleet_lease) = v;
    } else if (a == "--check") {
      check = true;
    } else if (a == "--test-alarm") {
      test_alarm = true;
    } else if (a == "--foreground") {
      foreground = true;
    } else {
      return usage_error("unknown argument '" + a + "'");
    }
  }
  if (name.empty()) return usage_error("--cluster NAME is required");
  if (!fleet_file.empty() && (fleet_token == 0 || fleet_lease == 0))
    return usage_error("--fleet needs --fleet-token and --fleet-lease");
  if (home.empty())
    home = std::getenv("CLUSTER_HOME") ? std::getenv("CLUSTER_HOME") : "/var/lib/clusterd";

  LoadedCluster loaded;
  if (!load_cluster(name, home, CLUSTERD_STOCK_SCRIPTS, std::cerr, loaded)) return 1;
  auto& cfg = loaded.cfg;
  auto& script = loaded.script;
  const auto* entry = &loaded.entry;
  if (test_alarm) {
    SecretMap none;
    const SecretSource& secrets =
        cfg.config->secrets ? static_cast<const SecretSource&>(*cfg.config->secrets) : none;
    auto svc = alarm::AlarmService::create(cfg.config->alarms, secrets, {},
                                           std::chrono::steady_clock::now());
    if (!svc.ok()) {
      std::fprintf(stderr, "clusterd: %s: alarms: %s\n", name.c_str(), svc.error().message.c_str());
      return 1;
    }
    auto results = (*svc)->test_alarm();
    if (results.empty()) {
      std::printf(
          "clusterd: %s: no alarm channel is configured ([alarms] email, page, heartbeat_*)\n",
          name.c_str());
      return 1;
    }
    bool all = true;
    for (const auto& r : results) {
      std::printf("%-24s %-10s %s\n", r.channel.c_str(),
                  std::string(alarm::outcome_name(r.delivery.outcome)).c_str(),
                  r.delivery.detail.c_str());
      all &= r.delivery.outcome == alarm::Outcome::Accepted;
    }
    return all ? 0 : 1;
  }
  if (check) {
    std::printf("clusterd: %s: config %s and script %s are good\n", name.c_str(),
                entry->config_path.c_str(), cfg.config->script.c_str());
    return 0;
  }
  (void)foreground;  // the daemon always runs in the foreground; init.d/systemd background it

  boost::asio::io_context io;
  DaemonFleet fleet;
  if (!fleet_file.empty()) {
    auto hf = fleet::read_host_file(fleet_file);
    if (!hf) {
      std::fprintf(stderr, "clusterd: %s: %s\n", name.c_str(), hf.error().message.c_str());
      return 2;
    }
    fleet.owner_check = [fleet_file, fleet_lease] {
      return fleet::check_deadline(fleet_file, fleet_lease);
    };
    fleet.journal = std::make_unique<fleet::EtcdJournalStore>(
        std::make_unique<fleet::EtcdClient>(fleet::EtcdOptions{hf->endpoints}),
        fleet::FleetKeys{hf->prefix}, name, fleet_token, fleet.owner_check);
  }
  const bool in_fleet = fleet.owner_check != nullptr;
  auto daemon = Daemon::create(io, *cfg.config, script, {home}, {}, std::move(fleet));
  if (!daemon.ok()) {
    std::fprintf(stderr, "clusterd: %s: %s\n", name.c_str(), daemon.error().message.c_str());
    return 2;
  }
  boost::asio::signal_set stop(io, SIGTERM, SIGINT);
  stop.async_wait([&](const boost::system::error_code&, int) {
    (*daemon)->stop();
    io.stop();
  });
  ::signal(SIGPIPE, SIG_IGN);
  // Reload: check the new config and script first; a bad one is refused and
  // the running one kept. A good one takes effect by re-executing clusterd
  // while the cluster is idle: the journal keeps the roles, and a restart
  // while healthy sends nothing to the nodes. During a failover it waits.
  boost::asio::steady_timer restart_timer(io);
  auto reload = [&]() -> std::string {
    std::ostringstream problems;
    LoadedCluster next;
    if (!load_cluster(name, home, CLUSTERD_STOCK_SCRIPTS, problems, next)) {
      std::string why = problems.str();
      (*daemon)->note("reload refused, the running config and script are kept:\n" + why);
      return "error: reload refused: " + why.substr(0, why.find('\n'));
    }
    if (!(*daemon)->idle()) {
      (*daemon)->note("reload postponed: a failover is under way");
      return "error: a failover is under way; reload when it is over";
    }
    (*daemon)->note("reload: config and script are good; restarting clusterd with them");
    // Let the reply reach clusterctl first, then stop and exec with no
    // descriptor of this process left open (Asio's are not close-on-exec).
    restart_timer.expires_after(std::chrono::milliseconds(300));
    restart_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      (*daemon)->stop();
      daemon->reset();
      ::close_range(3, ~0U, 0);
      ::execv("/proc/self/exe", argv);
      std::perror("clusterd: reload: exec");
      std::exit(2);
    });
    return "ok reloading";
  };
  (*daemon)->set_reload(reload);
  boost::asio::signal_set hup(io, SIGHUP);
  std::function<void()> wait_hup = [&] {
    hup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      reload();
      wait_hup();
    });
  };
  wait_hup();
  // logrotate's postrotate: reopen the activity log and the transcripts.
  boost::asio::signal_set usr1(io, SIGUSR1);
  std::function<void()> wait_usr1 = [&] {
    usr1.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      (*daemon)->reopen_logs();
      wait_usr1();
    });
  };
  wait_usr1();
  // Fleet mode: the owner check once a second (an alarm when it fails, the
  // consoles left closed while another monitor owns the cluster).
  boost::asio::steady_timer fleet_timer(io);
  std::function<void()> fleet_tick = [&] {
    fleet_timer.expires_after(std::chrono::seconds(1));
    fleet_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec || !*daemon) return;
      (*daemon)->fleet_tick();
      fleet_tick();
    });
  };
  (*daemon)->start();
  if (in_fleet) fleet_tick();
  io.run();
  return 0;
}
