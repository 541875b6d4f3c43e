#include "clist/cluster_config.h"

#include <arpa/inet.h>
#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "clist/clist.h"
#include "clist/toml_reader.h"

namespace clusterd::clist {

namespace fs = std::filesystem;

const char* role_name(Role r) { return r == Role::Active ? "active" : "standby"; }

const Node& ClusterConfig::active() const {
  return nodes[0].role == Role::Active ? nodes[0] : nodes[1];
}
const Node& ClusterConfig::standby() const {
  return nodes[0].role == Role::Standby ? nodes[0] : nodes[1];
}

namespace {

// What one [nodes.NAME] table said, with the positions the cross-node checks
// (roles, shared consoles and addresses) need to report at.
struct NodeRead {
  Node node;
  const toml::table* table = nullptr;
  const toml::node* role = nullptr;              // the role value, when given
  std::vector<const toml::node*> address_nodes;  // per address: its value
  std::vector<std::string> address_keys;         // per address: "nodes.a.addresses[1]"
};

// `[metrics] listen = "ADDRESS:PORT"`, ADDRESS an IPv4 literal or "[IPv6]".
// Fills `out` and returns "", or returns what is wrong. Loopback only: the
// endpoint has no TLS and no authentication, and what it shows (states,
// roles, failovers) maps the site's clusters; a host that must export it
// puts a proxy with both in front.
std::string check_listen(const std::string& s, MetricsConfig& out) {
  const std::string hint = " (e.g. listen = \"127.0.0.1:9100\")";
  if (s.empty())
    return "empty; give ADDRESS:PORT" + hint + ", or leave [metrics] out for no endpoint";
  std::string host, port;
  if (s[0] == '[') {
    auto close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      return "'" + s + "' is not [IPv6]:PORT" + hint;
    }
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string::npos) return "'" + s + "' has no port; write ADDRESS:PORT" + hint;
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return "'" + s + "': an IPv6 address goes in brackets, as in \"[::1]:9100\"";
    }
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value < 1 ||
      value > 65535) {
    return "port '" + port + "' is not a number 1-65535";
  }
  unsigned char a4[4];
  in6_addr a6{};
  bool loopback = false;
  if (::inet_pton(AF_INET, host.c_str(), a4) == 1) {
    loopback = a4[0] == 127;
  } else if (::inet_pton(AF_INET6, host.c_str(), &a6) == 1) {
    loopback = std::memcmp(&a6, &in6addr_loopback, sizeof a6) == 0;
  } else {
    return "'" + host + "' is not an IP address; give a loopback address, not a host name" + hint;
  }
  if (!loopback) {
    return host +
           " is not a loopback address; the endpoint has no TLS and no authentication, so it "
           "listens on "
           "127.0.0.1 (127.0.0.0/8) or [::1] only";
  }
  out.listen = s;
  out.address = host;
  out.port = static_cast<std::uint16_t>(value);
  return "";
}

class Loader {
 public:
  Loader(TomlReader& rd, const LoadOptions& options) : rd_(rd), options_(options) {}

  void run(const toml::table& root, ClusterConfig& cfg) {
    rd_.known_keys(root, "",
                   {"script", "secrets", "params", "nodes", "ping", "alarms", "policy", "timeouts",
                    "metrics", "bcp"});
    script(root, cfg);
    secrets(root, cfg);
    if (const toml::table* t = rd_.table(root, "params", "")) params(*t, cfg);
    nodes(root, cfg);
    if (const toml::table* t = rd_.table(root, "ping", "")) ping(*t, cfg.ping);
    if (const toml::table* t = rd_.table(root, "alarms", "")) {
      read_alarms(rd_, *t, options_.home, cfg.alarms, secret_uses_);
    }
    if (const toml::table* t = rd_.table(root, "policy", "")) policy(*t, cfg.policy);
    if (const toml::table* t = rd_.table(root, "timeouts", "")) timeouts(*t, cfg.timeouts);
    if (const toml::table* t = rd_.table(root, "metrics", "")) metrics(*t, cfg.metrics);
    if (const toml::table* t = rd_.table(root, "bcp", "")) bcp(*t, cfg.bcp);
    check_bcp(root, cfg);
    check_secrets(root, cfg);
  }

 private:
  std::string resolve(const std::string& p) const {
    return fs::path(p).is_absolute() ? p
                                     : (fs::path(options_.home) / p).lexically_normal().string();
  }

  void script(const toml::table& root, ClusterConfig& cfg) {
    auto s = rd_.string(root, "script", "");
    if (!root.get("script")) {
      rd_.error("script: missing; name the chat script to run, e.g. script = \"sparc-obp.chat\"");
      return;
    }
    if (!s) return;
    const toml::source_region& at = root.get("script")->source();
    if (s->empty()) {
      rd_.error(at, "script: empty; name the chat script to run, e.g. \"sparc-obp.chat\"");
      return;
    }
    std::error_code ec;
    if (fs::path(*s).is_absolute()) {
      if (!fs::is_regular_file(*s, ec)) rd_.error(at, "script: " + *s + " does not exist");
      cfg.script = *s;
      return;
    }
    // $CLUSTER_HOME/scripts first, so a site can override a stock script by
    // dropping its own copy next to its configs.
    std::string local = (fs::path(options_.home) / "scripts" / *s).lexically_normal().string();
    if (fs::is_regular_file(local, ec)) {
      cfg.script = local;
      return;
    }
    if (!options_.stock_scripts.empty()) {
      std::string stock = (fs::path(options_.stock_scripts) / *s).lexically_normal().string();
      if (fs::is_regular_file(stock, ec)) {
        cfg.script = stock;
        return;
      }
      rd_.error(at, "script: '" + *s + "' is neither in " +
                        (fs::path(options_.home) / "scripts").string() +
                        " nor in the stock scripts (" + options_.stock_scripts + ")");
      return;
    }
    rd_.error(at,
              "script: '" + *s + "' is not in " + (fs::path(options_.home) / "scripts").string());
  }

  void secrets(const toml::table& root, ClusterConfig& cfg) {
    auto s = rd_.string(root, "secrets", "");
    if (!s) return;
    const toml::source_region& at = root.get("secrets")->source();
    if (s->empty()) {
      rd_.error(at, "secrets: empty; give the secrets file's path or leave the key out");
      return;
    }
    cfg.secrets_path = resolve(*s);
    auto f = SecretsFile::load(cfg.secrets_path);  // refuses any mode but 0600
    if (!f) {
      rd_.error(at, "secrets: " + f.error().message);
      secrets_failed_ = true;
      return;
    }
    cfg.secrets = std::move(*f);
  }

  void params(const toml::table& t, ClusterConfig& cfg) {
    for (auto&& [k, v] : t) {
      std::string name(k.str());
      std::string kp = "params." + name;
      bool ident = !name.empty() && !(name[0] >= '0' && name[0] <= '9') &&
                   std::all_of(name.begin(), name.end(), [](char c) {
                     return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '_';
                   });
      if (!ident) {
        rd_.error(k.source(),
                  kp + ": not a param name (letters, digits and '_', not starting with a digit)");
        continue;
      }
      if (const auto* s = v.as_string()) {
        cfg.params[name] = s->get();
      } else if (const auto* i = v.as_integer()) {
        cfg.params[name] = std::to_string(i->get());
      } else {
        rd_.error(v.source(),
                  kp +
                      ": expected a string, an integer or a duration string such as \"10m\", got " +
                      TomlReader::type_phrase(v));
        continue;
      }
      cfg.param_locs[name] = rd_.loc(v.source());
    }
  }

  void nodes(const toml::table& root, ClusterConfig& cfg) {
    const toml::node* n = root.get("nodes");
    if (!n) {
      rd_.error("nodes: missing; a cluster has exactly two [nodes.NAME] tables");
      return;
    }
    const toml::table* t = rd_.table(root, "nodes", "");
    if (!t) return;
    // toml++ tables iterate in key order; the first node in the *file* is
    // the default active one, so order by position.
    std::vector<std::pair<const toml::key*, const toml::node*>> order;
    for (auto&& [k, v] : *t) order.emplace_back(&k, &v);
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      const auto& pa = a.first->source().begin;
      const auto& pb = b.first->source().begin;
      return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
    });
    std::vector<NodeRead> read;
    std::vector<std::string> names;
    for (const auto& [k, v] : order) {
      std::string name(k->str());
      std::string kp = "nodes." + name;
      if (names.size() == 2) {
        rd_.error(k->source(), kp + ": a cluster has exactly two nodes (" + names[0] + " and " +
                                   names[1] + " come first)");
        continue;
      }
      names.push_back(name);
      if (!is_valid_name(name)) {
        rd_.error(k->source(),
                  kp + ": node name '" + name + "' is not valid: " + std::string(kNameRule));
      }
      const toml::table* nt = v->as_table();
      if (!nt) {
        rd_.error(v->source(),
                  kp + ": expected a table ([" + kp + "]), got " + TomlReader::type_phrase(*v));
        continue;
      }
      read.push_back(node(name, *nt));
    }
    if (names.size() < 2) {
      rd_.error(t->source(), std::string("nodes: a cluster has exactly two nodes, found ") +
                                 (names.empty() ? "none" : "1 (" + names[0] + ")"));
      return;
    }
    if (read.size() != 2) return;
    cross_node_checks(read);
    cfg.nodes[0] = std::move(read[0].node);
    cfg.nodes[1] = std::move(read[1].node);
  }

  NodeRead node(const std::string& name, const toml::table& t) {
    std::string kp = "nodes." + name;
    rd_.known_keys(t, kp,
                   {"console", "address", "addresses", "role", "power_off", "power_on",
                    "power_status", "power_status_off", "power_status_on", "ship_serve",
                    "ship_receive", "ship_promote", "ship_renew"});
    NodeRead r;
    r.table = &t;
    r.node.name = name;
    if (!t.get("console")) {
      rd_.error(t.source(),
                kp + ".console: missing; give the console URI, e.g. console = "
                     "\"telnet://nts1.example:7001\" (docs/config.md, Console endpoints)");
    } else if (auto uri = rd_.string(t, "console", kp)) {
      r.node.console_uri = *uri;
      auto ep = tty::parse_endpoint(*uri);
      if (!ep) {
        rd_.redact(*uri, tty::redact_uri(*uri));
        rd_.error(t.get("console")->source(), kp + ".console: " + ep.error().message);
      } else {
        r.node.console = std::move(*ep);
        if (!r.node.console.secret.empty()) {
          secret_uses_.push_back(
              {r.node.console.secret, kp + ".console", t.get("console")->source()});
        }
      }
    }
    addresses(t, kp, r);
    if (auto role = rd_.choice(t, "role", kp, {"active", "standby"})) {
      r.node.role = *role == "active" ? Role::Active : Role::Standby;
      r.role = t.get("role");
    }
    if (auto a = rd_.argv(t, "power_off", kp)) r.node.power_off = std::move(*a);
    if (auto a = rd_.argv(t, "power_on", kp)) r.node.power_on = std::move(*a);
    if (auto a = rd_.argv(t, "power_status", kp)) r.node.power_status = std::move(*a);
    if (auto a = rd_.argv(t, "ship_serve", kp)) r.node.ship_serve = std::move(*a);
    if (auto a = rd_.argv(t, "ship_receive", kp)) r.node.ship_receive = std::move(*a);
    if (auto a = rd_.argv(t, "ship_promote", kp)) r.node.ship_promote = std::move(*a);
    if (auto a = rd_.argv(t, "ship_renew", kp)) r.node.ship_renew = std::move(*a);
    // DESIGN.md §5: a power fence counts only when read back. Without a
    // status command the runtime could never confirm one.
    for (const char* key : {"power_off", "power_on"}) {
      const auto& argv = std::string_view(key) == "power_off" ? r.node.power_off : r.node.power_on;
      if (!argv.empty() && !t.get("power_status")) {
        rd_.error(t.get(key)->source(),
                  kp + "." + key + ": needs " + kp +
                      ".power_status too: a power action counts only when read back");
      }
    }
    for (const char* key : {"power_status_off", "power_status_on"}) {
      auto re = rd_.string(t, key, kp);
      if (!re) continue;
      RE2 compiled(*re, RE2::Quiet);
      if (!compiled.ok()) {
        rd_.error(t.get(key)->source(),
                  kp + "." + key + ": not a valid RE2 pattern: " + compiled.error());
        continue;
      }
      if (compiled.Match("", 0, 0, RE2::UNANCHORED, nullptr, 0)) {
        rd_.error(t.get(key)->source(),
                  kp + "." + key + ": matches the empty string, so any output would match");
        continue;
      }
      (std::string_view(key) == "power_status_off" ? r.node.power_status_off
                                                   : r.node.power_status_on) = *re;
      if (!t.get("power_status")) {
        rd_.error(t.get(key)->source(), kp + "." + key + ": needs " + kp + ".power_status");
      }
    }
    return r;
  }

  void addresses(const toml::table& t, const std::string& kp, NodeRead& r) {
    const toml::node* one = t.get("address");
    const toml::node* many = t.get("addresses");
    if (one && many) {
      rd_.error(many->source(), kp + ".addresses: give address or addresses, not both");
      return;
    }
    if (!one && !many) {
      rd_.error(t.source(),
                kp + ".address: missing; give the node's address for ping, e.g. address = "
                     "\"192.0.2.10\" (or addresses = [...])");
      return;
    }
    std::string key = one ? "address" : "addresses";
    std::vector<std::string> list;
    std::vector<const toml::node*> where;
    if (one) {
      auto s = rd_.string(t, "address", kp);
      if (!s) return;
      list.push_back(*s);
      where.push_back(one);
    } else {
      auto l = rd_.strings(t, "addresses", kp);
      if (!l) return;
      if (l->empty()) {
        rd_.error(many->source(), kp + ".addresses: empty; give at least one address");
        return;
      }
      list = std::move(*l);
      for (std::size_t i = 0; i < list.size(); ++i) where.push_back(&(*many->as_array())[i]);
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      std::string at = one ? kp + ".address" : kp + ".addresses[" + std::to_string(i) + "]";
      if (is_ipv4(list[i])) {
        r.node.addresses.push_back(list[i]);
        r.address_nodes.push_back(where[i]);
        r.address_keys.push_back(at);
      } else {
        rd_.error(where[i]->source(), at + ": '" + list[i] + "' " + std::string(kIpv4Only));
      }
    }
  }

  static std::string console_identity(const tty::Endpoint& e) {
    std::string id = std::string(tty::scheme_name(e.scheme)) + "|" + e.host + "|" +
                     std::to_string(e.port) + "|" + e.path + "|" + e.command;
    for (const std::string& w : e.argv) id += "|" + w;
    return id;
  }

  void cross_node_checks(std::vector<NodeRead>& r) {
    NodeRead& a = r[0];
    NodeRead& b = r[1];
    // Roles: exactly one active. Unset roles complete the given one; with
    // none given the first node in the file is active.
    if (a.role && b.role) {
      if (a.node.role == b.node.role) {
        rd_.error(b.role->source(), "nodes." + b.node.name + ".role: nodes." + a.node.name +
                                        " is already " + role_name(a.node.role) +
                                        "; one node is active, the other standby");
      }
    } else if (a.role) {
      b.node.role = a.node.role == Role::Active ? Role::Standby : Role::Active;
    } else if (b.role) {
      a.node.role = b.node.role == Role::Active ? Role::Standby : Role::Active;
    } else {
      a.node.role = Role::Active;
      b.node.role = Role::Standby;
    }
    // One console or one address for both nodes is a copy-and-paste slip
    // that would make the monitor fence the node it means to boot.
    bool both_parsed = !a.node.console.uri.empty() && !b.node.console.uri.empty();
    if (both_parsed && console_identity(a.node.console) == console_identity(b.node.console)) {
      rd_.error(b.table->get("console")->source(),
                "nodes." + b.node.name + ".console: the same console as nodes." + a.node.name);
    }
    for (std::size_t i = 0; i < b.node.addresses.size(); ++i) {
      const std::string& addr = b.node.addresses[i];
      if (std::find(a.node.addresses.begin(), a.node.addresses.end(), addr) !=
          a.node.addresses.end()) {
        rd_.error(b.address_nodes[i]->source(),
                  b.address_keys[i] + ": " + addr + " is also an address of nodes." + a.node.name);
      }
    }
  }

  void ping(const toml::table& t, PingConfig& out) {
    rd_.known_keys(t, "ping", {"interval", "timeout", "misses", "reference", "method", "tcp_port"});
    auto interval = rd_.duration(t, "interval", "ping", false);
    if (interval) out.interval = *interval;
    bool interval_ok = interval || !t.get("interval");
    // One probe per interval: a timeout past the next probe would leave two
    // in flight, which the trackers do not count (docs/probes.md).
    if (auto d = rd_.duration(t, "timeout", "ping", false)) {
      if (interval_ok && *d > out.interval) {
        rd_.error(t.get("timeout")->source(), "ping.timeout: " + format_duration(*d) +
                                                  " is longer than ping.interval (" +
                                                  format_duration(out.interval) + ")");
      }
      out.timeout = *d;
    } else {
      out.timeout = out.interval;
    }
    if (auto n = rd_.integer(t, "misses", "ping", 1, 1000)) out.misses = static_cast<int>(*n);
    if (auto s = rd_.string(t, "reference", "ping")) {
      if (is_ipv4(*s)) {
        out.reference = *s;
      } else {
        rd_.error(t.get("reference")->source(),
                  "ping.reference: '" + *s + "' " + std::string(kIpv4Only));
      }
    }
    auto method = rd_.choice(t, "method", "ping", {"icmp", "tcp"});
    if (method) out.method = *method == "tcp" ? PingMethod::Tcp : PingMethod::Icmp;
    auto port = rd_.integer(t, "tcp_port", "ping", 1, 65535);
    if (port) out.tcp_port = static_cast<std::uint16_t>(*port);
    if (method && out.method == PingMethod::Tcp && !t.get("tcp_port")) {
      rd_.error(
          t.get("method")->source(),
          "ping.method: \"tcp\" needs ping.tcp_port, the port to connect to (e.g. tcp_port = 22)");
    }
    if (t.get("tcp_port") && t.get("method") && !method) return;  // method already reported
    if (t.get("tcp_port") && out.method != PingMethod::Tcp) {
      rd_.error(t.get("tcp_port")->source(), "ping.tcp_port: only used with method = \"tcp\"");
    }
  }

  void policy(const toml::table& t, PolicyConfig& out) {
    rd_.known_keys(t, "policy", {"unconfirmed_fence", "on_network_loss"});
    if (auto s = rd_.choice(t, "unconfirmed_fence", "policy", {"takeover", "wait"})) {
      out.unconfirmed_fence =
          *s == "takeover" ? UnconfirmedFence::Takeover : UnconfirmedFence::Wait;
    }
    if (auto s = rd_.choice(t, "on_network_loss", "policy", {"takeover", "alarm"})) {
      out.on_network_loss = *s == "takeover" ? OnNetworkLoss::Takeover : OnNetworkLoss::Alarm;
      out.on_network_loss_loc = rd_.loc(t.get("on_network_loss")->source());
    }
  }

  void timeouts(const toml::table& t, TimeoutsConfig& out) {
    rd_.known_keys(t, "timeouts", {"confirm_window", "power", "exec"});
    if (auto d = rd_.duration(t, "confirm_window", "timeouts", false)) out.confirm_window = *d;
    if (auto d = rd_.duration(t, "power", "timeouts", false)) out.power = *d;
    if (auto d = rd_.duration(t, "exec", "timeouts", false)) out.exec = *d;
  }

  void bcp(const toml::table& t, BcpConfig& out) {
    rd_.known_keys(
        t, "bcp",
        {"mode", "max_loss", "gate_timeout", "drain", "lag_alarm", "site_isolation", "lease"});
    out.enabled = true;
    if (auto s = rd_.choice(t, "mode", "bcp", {"act", "observe"})) out.observe = *s == "observe";
    if (auto n = rd_.integer(t, "max_loss", "bcp", 0, 1'000'000'000))
      out.max_loss = static_cast<std::uint64_t>(*n);
    if (auto d = rd_.duration(t, "gate_timeout", "bcp", true)) out.gate_timeout = *d;
    if (auto d = rd_.duration(t, "drain", "bcp", true)) out.drain = *d;
    if (auto d = rd_.duration(t, "lag_alarm", "bcp", true)) out.lag_alarm = *d;
    if (auto s = rd_.choice(t, "site_isolation", "bcp", {"wait", "lease"}))
      out.site_isolation_lease = *s == "lease";
    if (auto d = rd_.duration(t, "lease", "bcp", false)) {
      if (*d < std::chrono::seconds(3))
        rd_.error(
            t.get("lease")->source(),
            "bcp.lease: at least 3s (renewed every lease/3, each renewal may take that long)");
      else
        out.lease = *d;
    }
    if (t.get("lease") && !out.site_isolation_lease)
      rd_.error(t.get("lease")->source(),
                "bcp.lease: only used with site_isolation = \"lease\"; set that or remove it");
  }

  // BCP needs the three shipper commands on both nodes; without [bcp] they
  // would be ignored, which is worse than an error.
  void check_bcp(const toml::table& root, const ClusterConfig& cfg) {
    const toml::table* nodes = root.get_as<toml::table>("nodes");
    if (!nodes) return;
    for (const auto& n : cfg.nodes) {
      const toml::table* t = nodes->get_as<toml::table>(n.name);
      if (!t) continue;
      for (const char* key : {"ship_serve", "ship_receive", "ship_promote"}) {
        const toml::node* v = t->get(key);
        if (v && !cfg.bcp.enabled) {
          rd_.error(v->source(), "nodes." + n.name + "." + key +
                                     ": only used in BCP mode; add a [bcp] table (docs/bcp.md) "
                                     "or remove it");
        } else if (!v && cfg.bcp.enabled) {
          rd_.error(t->source(), "nodes." + n.name + "." + key +
                                     ": missing; BCP mode ([bcp]) needs ship_serve, "
                                     "ship_receive and ship_promote on both nodes (docs/bcp.md)");
        }
      }
      const toml::node* renew = t->get("ship_renew");
      if (renew && !cfg.bcp.site_isolation_lease) {
        rd_.error(renew->source(), "nodes." + n.name +
                                       ".ship_renew: only used with [bcp] site_isolation = "
                                       "\"lease\"; set that or remove it");
      } else if (!renew && cfg.bcp.site_isolation_lease) {
        rd_.error(t->source(), "nodes." + n.name +
                                   ".ship_renew: missing; site_isolation = \"lease\" needs the "
                                   "renewal command of each site's lease keeper (docs/bcp.md)");
      }
    }
  }

  void metrics(const toml::table& t, MetricsConfig& out) {
    rd_.known_keys(t, "metrics", {"listen"});
    auto s = rd_.string(t, "listen", "metrics");
    if (!s) return;
    std::string problem = check_listen(*s, out);
    if (!problem.empty()) rd_.error(t.get("listen")->source(), "metrics.listen: " + problem);
  }

  // Every secret a key names must be in the secrets file now, not when the
  // console first asks for a password during a failover.
  void check_secrets(const toml::table& root, const ClusterConfig& cfg) {
    if (secrets_failed_) return;  // the file itself was reported
    for (const SecretUse& u : secret_uses_) {
      if (!root.get("secrets")) {
        rd_.error(u.at, u.key + ": names secret '" + u.name +
                            "' but the config has no secrets = \"PATH\" (a file of mode 0600)");
      } else if (cfg.secrets && !cfg.secrets->secret(u.name)) {
        rd_.error(u.at, u.key + ": no secret named '" + u.name + "' in " + cfg.secrets_path);
      }
    }
  }

  TomlReader& rd_;
  const LoadOptions& options_;
  std::vector<SecretUse> secret_uses_;
  bool secrets_failed_ = false;
};

}  // namespace

ConfigResult parse_cluster_config(std::string_view text, const std::string& path,
                                  const LoadOptions& options) {
  TomlReader rd(path, text);
  ConfigResult result;
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(path));
  } catch (const toml::parse_error& e) {
    // toml++ stops at its first syntax error, so there is only ever one.
    rd.error(e.source(), std::string(e.description()));
    result.diagnostics = rd.take();
    return result;
  }
  ClusterConfig cfg;
  cfg.path = path;
  cfg.home = options.home;
  cfg.name = options.name.empty() ? fs::path(path).stem().string() : options.name;
  cfg.alarms.cluster = cfg.name;
  Loader(rd, options).run(root, cfg);
  if (rd.failed()) {
    result.diagnostics = rd.take();
    return result;
  }
  result.config = std::move(cfg);
  return result;
}

ConfigResult load_cluster_config(const std::string& path, const LoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ConfigResult r;
    std::error_code ec;
    r.diagnostics.push_back(
        {{path, 0, 0},
         Severity::Error,
         fs::exists(path, ec) ? "cannot read the cluster file" : "no such cluster file",
         ""});
    return r;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return parse_cluster_config(buf.str(), path, options);
}

}  // namespace clusterd::clist
