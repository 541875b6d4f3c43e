#include "verify/setup.h"

#include <algorithm>
#include <set>

#include "base/diagnostic.h"
#include "base/duration.h"
#include "chat/source_loader.h"
#include "clist/cluster_config.h"

namespace clusterd::verify {

namespace {

struct Knob {
  const char* name;
  const char* what;
  Duration ModelSetup::*field;
};

// The model's own timings; chat params are named as in the script.
const Knob kKnobs[] = {
    {"confirm_window", "[timeouts] confirm_window: silence before a presumed fence", nullptr},
    {"power_timeout", "[timeouts] power: one power command, one read-back",
     &ModelSetup::power_timeout},
    {"exec_timeout", "[timeouts] exec: one exec", &ModelSetup::exec_timeout},
    {"detect", "ping lost -> ping.down (default misses * interval + timeout)", &ModelSetup::detect},
    {"restart_delay", "clusterd killed -> started again", &ModelSetup::restart_delay},
    {"bmc_latency", "one power command at the BMC", &ModelSetup::bmc_latency},
    {"ssh_latency", "ssh reaches a node and runs its command", &ModelSetup::ssh_latency},
    {"failover_bound", "a crash of the active -> its takeover, at most",
     &ModelSetup::failover_bound},
    {"node.post", "power-on or reset -> firmware prompt or auto-boot", nullptr},
    {"node.boot", "`boot` -> login prompt", nullptr},
    {"node.mount", "`boot` -> shared disk mounted (at most node.boot)", nullptr},
    {"node.panic", "panic line -> dump done, reset", nullptr},
    {"node.shutdown", "shutdown -> halted", nullptr},
    {"node.reply", "a firmware command -> its answer", nullptr},
};

Duration* node_field(sim::Timings& t, std::string_view name) {
  if (name == "node.post") return &t.post;
  if (name == "node.boot") return &t.boot;
  if (name == "node.mount") return &t.mount;
  if (name == "node.panic") return &t.panic_to_reboot;
  if (name == "node.shutdown") return &t.shutdown;
  if (name == "node.reply") return &t.reply;
  return nullptr;
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& model_knobs() {
  static const auto list = [] {
    std::vector<std::pair<std::string, std::string>> v;
    for (const auto& k : kKnobs) v.emplace_back(k.name, k.what);
    return v;
  }();
  return list;
}

std::unique_ptr<Model> Model::load(const VerifySpec& spec, std::ostream& err) {
  auto m = std::unique_ptr<Model>(new Model);
  m->spec_ = spec;
  ModelSetup& b = m->base_;
  std::map<std::string, std::string> params;
  bool config_power = false;
  if (!spec.config.empty()) {
    auto cfg = clist::load_cluster_config(
        spec.config,
        {.home = dir_of(spec.config), .stock_scripts = dir_of(spec.script), .name = ""});
    if (!cfg.ok()) {
      err << format_text(cfg.diagnostics);
      return nullptr;
    }
    const auto& c = *cfg.config;
    params = c.params;
    b.policy.allow_presumed = c.policy.unconfirmed_fence == clist::UnconfirmedFence::Takeover;
    b.policy.silence = c.timeouts.confirm_window;
    b.power_timeout = c.timeouts.power;
    b.exec_timeout = c.timeouts.exec;
    b.ping_interval = c.ping.interval;
    b.ping_timeout = c.ping.timeout;
    b.ping_misses = c.ping.misses;
    config_power = true;
    for (const auto& n : c.nodes) config_power &= !n.power_off.empty() && !n.power_status.empty();
    if (c.policy.on_network_loss == clist::OnNetworkLoss::Alarm &&
        !params.count("on_network_loss_state"))
      params["on_network_loss_state"] = "network_loss_alarm";
  }
  for (const auto& [k, v] : spec.params) params[k] = v;
  const std::string base = spec.script.substr(spec.script.rfind('/') + 1);
  b.platform = spec.platform                           ? *spec.platform
               : base.find("x86") != std::string::npos ? sim::Platform::X86
                                                       : sim::Platform::Sparc;
  b.power = spec.power ? *spec.power
                       : (spec.config.empty() ? b.platform == sim::Platform::X86 : config_power);
  if (spec.allow_presumed) b.policy.allow_presumed = *spec.allow_presumed;
  b.legacy_presumption = spec.legacy_presumption;
  // A power method fences an unanswered BREAK by power, as clusterd sets it.
  chat::FileLoader loader;
  auto probe = chat::load_script(spec.script, loader, params);
  if (probe.unreadable) {
    err << "chatc: " << probe.diagnostics[0].message << "\n";
    return nullptr;
  }
  if (probe.ok() && b.power && !params.count("break_unanswered_state")) {
    const auto& names = probe.program->value_names;
    if (std::find(names.begin(), names.end(), "break_unanswered_state") != names.end() &&
        probe.program->find_state("power_fence") >= 0)
      params["break_unanswered_state"] = "power_fence";
  }
  // --set and sweep points: a script param of interval type, or a model knob.
  std::map<std::string, Duration> knobs = spec.knobs;
  if (probe.ok()) {
    const auto& p = *probe.program;
    for (std::size_t i = 0; i < p.value_names.size(); ++i) {
      if (p.values[i].kind != chat::Value::Kind::Interval) continue;
      m->interval_params_.push_back(p.value_names[i]);
      if (auto it = knobs.find(p.value_names[i]); it != knobs.end()) {
        params[it->first] = format_duration(it->second);
        knobs.erase(it);
      }
    }
  }
  for (const auto& [name, value] : knobs) {
    const Knob* k = nullptr;
    for (const auto& kk : kKnobs)
      if (name == kk.name) k = &kk;
    if (!k) {
      err << "chatc: verify: '" << name
          << "' is neither an interval param of the script nor a model timing (chatc verify "
             "--help lists them)\n";
      return nullptr;
    }
    if (name == "confirm_window") {
      b.policy.silence = value;
    } else if (Duration* d = node_field(b.node, name)) {
      *d = value;
    } else {
      b.*(k->field) = value;
    }
  }
  if (b.node.mount > b.node.boot) b.node.mount = b.node.boot;
  // The model's nodes write once a second (nodesim: 200 ms): only whether
  // a node writes after its fence matters, not how often.
  b.node.write_interval = std::chrono::seconds(1);
  auto script = chat::load_script(spec.script, loader, params);
  bool errors = false;
  for (const auto& d : script.diagnostics) {
    if (d.severity == Severity::Error) {
      err << format_text(d);
      errors = true;
    }
  }
  if (!script.ok() || errors) return nullptr;
  const auto& names = script.program->value_names;
  for (std::size_t i = 0; i < names.size(); ++i)
    if (script.program->values[i].kind == chat::Value::Kind::Interval)
      m->param_values_[names[i]] = script.program->values[i].duration;
  m->params_ = params;
  return m;
}

ModelSetup Model::make() const {
  // Each thread compiles its own program; it lives as long as the thread's
  // setup (a static per thread, replaced by the next make()).
  thread_local std::vector<std::unique_ptr<chat::LoadedScript>> keep;
  chat::FileLoader loader;
  auto s = std::make_unique<chat::LoadedScript>(chat::load_script(spec_.script, loader, params_));
  ModelSetup setup = base_;
  setup.program = s->program.get();
  keep.push_back(std::move(s));
  return setup;
}

std::map<std::string, Duration> Model::intervals() const {
  std::map<std::string, Duration> out = param_values_;
  out["confirm_window"] = base_.policy.silence;
  out["power_timeout"] = base_.power_timeout;
  out["exec_timeout"] = base_.exec_timeout;
  out["detect"] = base_.detect != Duration::zero()
                      ? base_.detect
                      : base_.ping_misses * base_.ping_interval + base_.ping_timeout;
  out["node.post"] = base_.node.post;
  out["node.boot"] = base_.node.boot;
  out["node.mount"] = base_.node.mount;
  out["node.panic"] = base_.node.panic_to_reboot;
  return out;
}

std::unique_ptr<Model> Model::with(const std::string& name, Duration value,
                                   std::ostream& err) const {
  VerifySpec s = spec_;
  s.knobs[name] = value;
  return load(s, err);
}

std::vector<Duration> sweep_points(const Sweep& s, const std::map<std::string, Duration>& others,
                                   std::size_t points) {
  std::set<Duration> cand{s.lo, s.hi};
  std::vector<Duration> vals;
  for (const auto& [name, d] : others)
    if (name != s.name && d > Duration::zero()) vals.push_back(d);
  std::vector<Duration> all = vals;
  for (std::size_t i = 0; i < vals.size(); ++i)
    for (std::size_t j = i; j < vals.size(); ++j) all.push_back(vals[i] + vals[j]);
  const Duration eps = std::chrono::milliseconds(1);
  for (Duration d : all) {
    for (Duration c : {d - eps, d + eps})
      if (c > s.lo && c < s.hi) cand.insert(c);
  }
  std::vector<Duration> v(cand.begin(), cand.end());
  if (points < 2) points = 2;
  if (v.size() <= points) return v;
  std::vector<Duration> out;
  for (std::size_t i = 0; i < points; ++i) out.push_back(v[i * (v.size() - 1) / (points - 1)]);
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace clusterd::verify
