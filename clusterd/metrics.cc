#include "clusterd/metrics.h"

#include <charconv>
#include <cmath>
#include <map>

namespace clusterd::metrics {

namespace {

bool name_char(char c, bool first, bool colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (c == ':') return colon;
  return !first && c >= '0' && c <= '9';
}

bool valid_name(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, colon)) return false;
  }
  return true;
}

// The metric name of a sample line: up to its '{' or blank.
std::string_view sample_name(std::string_view line) {
  return line.substr(0, line.find_first_of("{ "));
}

// "# HELP name ..." / "# TYPE name ...": the name; empty for other lines.
std::string_view described_name(std::string_view line) {
  if (line.rfind("# HELP ", 0) != 0 && line.rfind("# TYPE ", 0) != 0) return {};
  std::string_view rest = line.substr(7);
  return rest.substr(0, rest.find(' '));
}

}  // namespace

const char* type_name(Type t) { return t == Type::Counter ? "counter" : "gauge"; }

bool is_metric_name(std::string_view name) { return valid_name(name, true); }

bool is_label_name(std::string_view name) {
  return valid_name(name, false) && name.rfind("__", 0) != 0;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Counters and 0/1 gauges read better as "42" than as "42.0" or "4.2e+01";
  // below 2^53 every integer is exact in a double.
  if (std::trunc(value) == value && std::fabs(value) < 9007199254740992.0) {
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(value));
    return std::string(buf, r.ptr);
  }
  auto r = std::to_chars(buf, buf + sizeof buf, value);  // shortest round-trip form
  return std::string(buf, r.ptr);
}

void Writer::family(std::string_view name, Type type, std::string_view help) {
  family_ = std::string(name);
  text_ += "# HELP " + family_ + " " + escape_help(help) + "\n";
  text_ += "# TYPE " + family_ + " " + type_name(type) + "\n";
}

void Writer::sample(const Labels& labels, double value) {
  text_ += family_;
  if (!labels.empty()) {
    text_ += '{';
    bool first = true;
    for (const auto& [name, v] : labels) {
      if (!first) text_ += ',';
      first = false;
      text_ += name;
      text_ += "=\"";
      text_ += escape_label_value(v);
      text_ += '"';
    }
    text_ += '}';
  }
  text_ += ' ';
  text_ += format_value(value);
  text_ += '\n';
}

std::string render(const ClusterMetrics& m) {
  Writer w;
  const std::string_view c = m.cluster;
  auto flag = [](bool b) { return b ? 1.0 : 0.0; };
  w.family("clusterd_up", Type::Gauge,
           "1 while this cluster's clusterd runs and answers; a failed scrape means it does not.");
  w.sample({{"cluster", c}}, 1);
  w.family("clusterd_state", Type::Gauge,
           "The chat script's current state, named by the label (value always 1).");
  w.sample({{"cluster", c}, {"state", m.state}}, 1);
  w.family("clusterd_role", Type::Gauge,
           "Each node's current role, active or standby (value always 1).");
  for (const auto& n : m.nodes)
    w.sample({{"cluster", c}, {"node", n.name}, {"role", n.active ? "active" : "standby"}}, 1);
  w.family("clusterd_console_up", Type::Gauge,
           "1 while the node's console transport is connected, else 0.");
  for (const auto& n : m.nodes) w.sample({{"cluster", c}, {"node", n.name}}, flag(n.console_up));
  w.family("clusterd_ping_up", Type::Gauge,
           "1 while the active node answers ping, else 0 (also 0 until its first answer).");
  w.sample({{"cluster", c}}, flag(m.ping_up));
  w.family("clusterd_ping_rtt_seconds", Type::Gauge,
           "Round trip of the active node's last ping answer; absent until the node (a new one "
           "after a takeover) answers.");
  if (m.ping_rtt_seconds) w.sample({{"cluster", c}}, *m.ping_rtt_seconds);
  w.family("clusterd_ping_probes_total", Type::Counter, "Ping probes sent to the active node.");
  w.sample({{"cluster", c}}, static_cast<double>(m.ping_probes));
  w.family("clusterd_ping_lost_total", Type::Counter,
           "Ping probes to the active node counted as missed: no answer within [ping] timeout, or "
           "failed at once.");
  w.sample({{"cluster", c}}, static_cast<double>(m.ping_lost));
  w.family("clusterd_failovers_total", Type::Counter,
           "Takeovers recorded in the cluster's journal.");
  w.sample({{"cluster", c}}, static_cast<double>(m.failovers));
  w.family("clusterd_alarms_pending", Type::Gauge,
           "Alarm notifications spooled and not yet delivered to (or refused for good by) every "
           "channel.");
  w.sample({{"cluster", c}}, static_cast<double>(m.alarms_pending));
  w.family("clusterd_alarms_raised_total", Type::Counter,
           "Alarms raised since this clusterd started.");
  w.sample({{"cluster", c}}, static_cast<double>(m.alarms_raised));
  w.family("clusterd_last_takeover_duration_seconds", Type::Gauge,
           "From the script leaving its initial state to the takeover, for the last failover this "
           "clusterd saw.");
  if (m.last_takeover_duration_seconds)
    w.sample({{"cluster", c}}, *m.last_takeover_duration_seconds);
  if (m.bcp) {
    const BcpMetrics& b = *m.bcp;
    w.family("clusterd_bcp_lag_seconds", Type::Gauge,
             "BCP: how much older the replica's newest record is than the source's (0 when the "
             "replica holds the whole log).");
    w.sample({{"cluster", c}}, b.lag_seconds);
    w.family("clusterd_bcp_lag_records", Type::Gauge,
             "BCP: records the source has that the passive site's verified replica lacks.");
    w.sample({{"cluster", c}}, static_cast<double>(b.lag_records));
    w.family("clusterd_bcp_lag_bytes", Type::Gauge, "BCP: the same in bytes.");
    w.sample({{"cluster", c}}, static_cast<double>(b.lag_bytes));
    w.family("clusterd_bcp_replica_age_seconds", Type::Gauge,
             "BCP: wall-clock age of the replica's newest record; absent until a verified "
             "point exists (negative: dated in the future, see clusterd_bcp_replica_in_future).");
    if (b.replica_age_seconds) w.sample({{"cluster", c}}, *b.replica_age_seconds);
    w.family("clusterd_bcp_epoch", Type::Gauge,
             "BCP: the epoch, raised by each promotion of a passive site.");
    w.sample({{"cluster", c}}, static_cast<double>(b.epoch));
    w.family("clusterd_bcp_gate_held", Type::Gauge,
             "BCP: 1 while a standby's boot waits at the failover gate.");
    w.sample({{"cluster", c}}, flag(b.gate_held));
    w.family("clusterd_bcp_replica_in_future", Type::Gauge,
             "BCP: 1 while the replica point is dated in the future (an alarm, never fresh).");
    w.sample({{"cluster", c}}, flag(b.replica_in_future));
    w.family("clusterd_bcp_diverged", Type::Gauge,
             "BCP: 1 while head and replica have the same length and different hashes.");
    w.sample({{"cluster", c}}, flag(b.diverged));
  }
  return w.text();
}

std::string merge(const std::vector<std::string>& expositions) {
  struct Family {
    std::string help, type;
    std::vector<std::string_view> samples;
  };
  std::vector<std::string> order;  // family names, first seen first
  std::map<std::string, Family, std::less<>> families;
  std::string comments;
  auto family = [&](std::string_view name) -> Family& {
    auto it = families.find(name);
    if (it != families.end()) return it->second;
    order.emplace_back(name);
    return families[std::string(name)];
  };
  for (const std::string& text : expositions) {
    std::string_view rest = text;
    while (!rest.empty()) {
      auto nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
      if (line.empty()) continue;
      if (line[0] == '#') {
        std::string_view name = described_name(line);
        if (name.empty()) {
          comments += std::string(line) + "\n";
          continue;
        }
        Family& f = family(name);
        std::string& slot = line[2] == 'H' ? f.help : f.type;
        if (slot.empty()) slot = line;
        continue;
      }
      family(sample_name(line)).samples.push_back(line);
    }
  }
  std::string out = comments;
  for (const std::string& name : order) {
    const Family& f = families.find(name)->second;
    if (!f.help.empty()) out += f.help + "\n";
    if (!f.type.empty()) out += f.type + "\n";
    for (std::string_view s : f.samples) out += std::string(s) + "\n";
  }
  return out;
}

}  // namespace clusterd::metrics
