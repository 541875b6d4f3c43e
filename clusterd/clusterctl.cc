// clusterctl: the operator's tool. `console` (check a console endpoint before
// it goes into a config), `ports` (list serial ports), and the requests to a
// running daemon: status, timeline, switchover, maintenance, alarms, ack,
// reload, metrics; and `fleet` (clusterctl_fleet.cc).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "clist/clist.h"
#include "clusterd/clusterctl_fleet.h"
#include "clusterd/console_check.h"
#include "clusterd/control.h"
#include "clusterd/metrics.h"
#include "tty/ports.h"

namespace {

using namespace clusterd;

constexpr const char* kUsage = R"(usage: clusterctl COMMAND [OPTIONS]

Commands:
  console URI          connect to one console endpoint, show its traffic live
                       (control characters escaped), and report how BREAK is
                       delivered on it. Exit 0: the --expect pattern arrived
                       (or none was asked for); 1: it did not arrive in time;
                       2: connection or authentication failed (reason shown,
                       e.g. the offered ssh host-key fingerprint).
      --send TEXT        send TEXT after connecting; escapes \r \n \t \xHH \\
                         (repeatable, sent in order)
      --expect PATTERN   wait for PATTERN (RE2, matched within one line)
      --timeout T        how long to wait (default 10s; e.g. 500ms, 30s, 2m)
      --break            send a BREAK right after connecting (before --send);
                         only on a node you mean to stop: it drops a running
                         node to its firmware prompt
      --log FILE         write the transcript (docs/formats.md) to FILE
      --secrets FILE     secrets file (mode 0600) for ?secret=NAME
      -q, --quiet        print only the verdict
  ports                list serial ports with their USB descriptions and
                       serial numbers (to tell identical adapters apart)
  status NAME [--json] the running cluster: state, roles, consoles, ping, failovers
  timeline NAME [N | --since DURATION]
                       the last N (200) timeline lines, or those of the last
                       DURATION (10m): transitions, actions, probes, alarms
  switchover NAME [--site]
                       ask the script for a planned switchover; --site: a BCP
                       cluster's site switchover (refused unless BCP): fence,
                       ship the final records, compare hashes, boot; no loss
  failover NAME --accept-loss
                       BCP: let a failover held at the gate go on with the
                       loss its alarm stated (docs/bcp.md)
  maintenance NAME     tell the script an operator is working on the cluster
  alarms NAME          alarms with their delivery state
  ack NAME ID          acknowledge an alarm (stops its escalation)
  reload NAME          check the cluster's config and script again and, when
                       they are good and no failover is under way, restart the
                       daemon with them (a bad one is refused, the old kept)
  metrics [NAME]       the cluster's metrics in the Prometheus text format
                       (0.0.4); without NAME every cluster of the CList in one
                       exposition, a cluster whose daemon does not answer
                       marked "# NAME: not running"
      --home DIR         $CLUSTER_HOME (default: $CLUSTER_HOME, else /var/lib/clusterd)
  fleet [status | move CLUSTER HOST | journal CLUSTER]
                       a fleet of monitoring hosts on etcd (docs/fleet.md): hosts,
                       owners and fencing tokens; a move by hand; a journal
                       (clusterctl fleet --help)

URIs (docs/config.md has every key and default):
  serial:/dev/ttyS0?baud=9600&parity=none&flow=none
  telnet://HOST:PORT[?rfc2217=1&break=iac|rfc2217]
  ssh://USER@HOST[:PORT][/COMMAND]?identity=FILE&known_hosts=FILE
  exec:COMMAND ARGS...?break=ESCAPE       (e.g. break=~B for ipmitool SOL)
  pty:/path                tcp://HOST:PORT

  -h, --help           this text
)";

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "clusterctl: %s\n(clusterctl --help for usage)\n", msg.c_str());
  return 64;
}

int cmd_console(const std::vector<std::string>& v) {
  ConsoleCheckOptions o;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string& a = v[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= v.size()) return false;
      out = v[++i];
      return true;
    };
    std::string tmp;
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--send") {
      if (!value(tmp)) return usage_error("--send needs TEXT");
      o.send.push_back(tmp);
    } else if (a == "--expect") {
      if (!value(o.expect)) return usage_error("--expect needs a PATTERN");
    } else if (a == "--timeout") {
      if (!value(tmp)) return usage_error("--timeout needs a duration");
      auto d = parse_duration(tmp);
      if (!d || d->count() == 0)
        return usage_error("--timeout '" + tmp + "' is not a duration (e.g. 500ms, 10s, 2m)");
      o.timeout = *d;
    } else if (a == "--break") {
      o.send_break = true;
    } else if (a == "--log") {
      if (!value(o.log)) return usage_error("--log needs a FILE");
    } else if (a == "--secrets") {
      if (!value(o.secrets)) return usage_error("--secrets needs a FILE");
    } else if (a == "-q" || a == "--quiet") {
      o.quiet = true;
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("unknown option '" + a + "'");
    } else if (o.uri.empty()) {
      o.uri = a;
    } else {
      return usage_error("one URI only (got '" + o.uri + "' and '" + a + "')");
    }
  }
  if (o.uri.empty()) return usage_error("console needs a URI");
  return run_console_check(o, std::cout, std::cerr);
}

// Sends one request to NAME's daemon over run/NAME.sock and prints the reply.
int cmd_daemon(const std::string& cmd, std::vector<std::string> v) {
  std::string home =
      std::getenv("CLUSTER_HOME") ? std::getenv("CLUSTER_HOME") : "/var/lib/clusterd";
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == "-h" || v[i] == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (v[i] == "--home" && i + 1 < v.size()) {
      home = v[++i];
    } else {
      rest.push_back(v[i]);
    }
  }
  if (rest.empty()) return usage_error(cmd + " needs a cluster NAME");
  std::string request = cmd;
  for (std::size_t i = 1; i < rest.size(); ++i) request += " " + rest[i];
  auto reply = control_request(home + "/run/" + rest[0] + ".sock", request);
  if (!reply.ok()) {
    std::fprintf(stderr, "clusterctl: %s: %s\n", rest[0].c_str(), reply.error().message.c_str());
    return 2;
  }
  const std::string& r = *reply;
  auto nl = r.find('\n');
  std::string head = r.substr(0, nl);
  if (head != "ok") {
    std::fprintf(stderr, "clusterctl: %s: %s\n", rest[0].c_str(), head.c_str());
    return 1;
  }
  std::fputs(nl == std::string::npos ? "" : r.c_str() + nl + 1, stdout);
  return 0;
}

// `metrics NAME`: that daemon's exposition. `metrics`: every cluster of the
// CList joined into one exposition (HELP and TYPE once per family, as a
// scraper expects), so a textfile collector or a cron job can take it whole.
// A cluster whose daemon does not answer is a comment, not a failure: the
// others' numbers are still worth having. Exit 0; 1 when a daemon answered
// with an error or the CList has errors (the good entries are still read);
// 2 when the CList cannot be read at all.
int cmd_metrics(const std::vector<std::string>& v) {
  std::string home =
      std::getenv("CLUSTER_HOME") ? std::getenv("CLUSTER_HOME") : "/var/lib/clusterd";
  std::string name;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == "-h" || v[i] == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (v[i] == "--home") {
      if (i + 1 >= v.size()) return usage_error("--home needs a DIR");
      home = v[++i];
    } else if (!v[i].empty() && v[i][0] == '-') {
      return usage_error("unknown option '" + v[i] + "'");
    } else if (name.empty()) {
      name = v[i];
    } else {
      return usage_error("metrics takes one cluster NAME at most");
    }
  }
  if (!name.empty()) return cmd_daemon("metrics", {name, "--home", home});

  auto list = clist::read_clist(home);
  if (list.clist.clusters.empty() && !list.ok()) {
    std::fputs(clusterd::format_text(list.diagnostics).c_str(), stderr);
    return 2;
  }
  int rc = list.ok() ? 0 : 1;
  if (!list.ok()) std::fputs(clusterd::format_text(list.diagnostics).c_str(), stderr);
  std::string notes;
  std::vector<std::string> texts;
  for (const auto& c : list.clist.clusters) {
    auto reply =
        control_request(home + "/run/" + c.name + ".sock", "metrics", std::chrono::seconds(5));
    if (!reply.ok()) {
      notes += "# " + c.name + ": " +
               (reply.error().code == Error::Code::NotFound ? std::string("not running")
                                                            : reply.error().message) +
               "\n";
      continue;
    }
    auto nl = reply->find('\n');
    if (reply->substr(0, nl) != "ok") {
      notes += "# " + c.name + ": " + reply->substr(0, nl) + "\n";
      rc = 1;
      continue;
    }
    texts.push_back(nl == std::string::npos ? "" : reply->substr(nl + 1));
  }
  std::fputs((notes + metrics::merge(texts)).c_str(), stdout);
  return rc;
}

int cmd_ports(const std::vector<std::string>& v) {
  for (const auto& a : v) {
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    return usage_error("ports takes no arguments");
  }
  auto ports = tty::list_serial_ports();
  if (!ports.ok()) {
    std::fprintf(stderr, "clusterctl: %s\n", ports.error().message.c_str());
    return 2;
  }
  if (ports->empty()) {
    std::puts("no serial ports found");
    return 0;
  }
  for (const auto& p : *ports) {
    std::printf("%s\t%s\t%s", p.name.c_str(), p.transport.c_str(), p.description.c_str());
    if (!p.usb_vid_pid.empty()) std::printf("\tusb=%s", p.usb_vid_pid.c_str());
    if (!p.manufacturer.empty()) std::printf("\tmanufacturer=%s", p.manufacturer.c_str());
    if (!p.product.empty()) std::printf("\tproduct=%s", p.product.c_str());
    if (!p.serial.empty()) std::printf("\tserial=%s", p.serial.c_str());
    if (!p.by_id.empty()) std::printf("\t%s", p.by_id.c_str());
    std::printf("\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> v(argv + 1, argv + argc);
  if (v.empty()) return usage_error("no command");
  std::string cmd = v.front();
  v.erase(v.begin());
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (cmd == "console") return cmd_console(v);
  if (cmd == "ports") return cmd_ports(v);
  if (cmd == "metrics") return cmd_metrics(v);
  if (cmd == "fleet") return cmd_fleet(v);
  if (cmd == "failover") {
    // BCP (docs/bcp.md): the only failover an operator asks for is going on
    // past the gate with the loss its alarm stated.
    std::vector<std::string> rest;
    bool accept = false;
    for (const auto& a : v) {
      if (a == "--accept-loss")
        accept = true;
      else
        rest.push_back(a);
    }
    if (std::find(rest.begin(), rest.end(), "--help") == rest.end() &&
        std::find(rest.begin(), rest.end(), "-h") == rest.end() && !accept)
      return usage_error(
          "failover NAME needs --accept-loss (it only lets a failover held at the "
          "BCP gate go on)");
    return cmd_daemon("accept-loss", rest);
  }
  for (const char* c :
       {"status", "timeline", "switchover", "maintenance", "alarms", "ack", "reload"}) {
    if (cmd == c) return cmd_daemon(cmd, v);
  }
  return usage_error("unknown command '" + cmd + "'");
}
