#include "clusterd/load.h"

#include <algorithm>

#include "base/diagnostic.h"
#include "chat/parser.h"

namespace clusterd {

namespace {

constexpr const char* kNetworkLossParam = "on_network_loss_state";
constexpr const char* kPowerFenceParam = "break_unanswered_state";

}  // namespace

bool load_cluster(const std::string& name, const std::string& home,
                  const std::string& stock_scripts, std::ostream& err, LoadedCluster& out) {
  auto list = clist::read_clist(home);
  if (!list.ok()) {
    err << clusterd::format_text(list.diagnostics);
    return false;
  }
  const auto* entry = list.clist.find(name);
  if (!entry) {
    err << "clusterd: " << home << "/CList: no cluster named '" << name << "'\n";
    return false;
  }
  out.cfg = clist::load_cluster_config(
      entry->config_path, {.home = home, .stock_scripts = stock_scripts, .name = name});
  auto& cfg = out.cfg;
  if (!cfg.ok()) {
    err << clusterd::format_text(cfg.diagnostics);
    return false;
  }
  chat::FileLoader loader;
  // A script that includes the secrets file would have a secret quoted in the
  // parse error under it.
  if (!cfg.config->secrets_path.empty())
    loader.deny(cfg.config->secrets_path, "it is the secrets file");
  // [policy] on_network_loss reaches the script as the state its confirm
  // step goes to (docs/config.md); an explicit [params] entry wins.
  // [policy] on_network_loss = "alarm" reaches the script as the state its
  // confirm step goes to (docs/config.md); an explicit [params] entry wins.
  // The config's [params] are placed at their lines, so the only override
  // left at "<params>" is this one: a script without that param is refused
  // at the policy's line.
  auto params = cfg.config->params;
  const auto& policy = cfg.config->policy;
  if (policy.on_network_loss == clist::OnNetworkLoss::Alarm && !params.count(kNetworkLossParam))
    params[kNetworkLossParam] = "network_loss_alarm";
  // Both nodes with a power method: a script that has the param fences an
  // unanswered BREAK by power (docs/config.md); an explicit [params] entry
  // wins, and a script without the param does as it says.
  bool power = true;
  for (const auto& n : cfg.config->nodes) power &= !n.power_off.empty() && !n.power_status.empty();
  if (power && !params.count(kPowerFenceParam)) {
    auto probe = chat::load_script(cfg.config->script, loader, params, cfg.config->param_locs);
    if (probe.ok()) {
      const auto& names = probe.program->value_names;
      if (std::find(names.begin(), names.end(), kPowerFenceParam) != names.end() &&
          probe.program->find_state("power_fence") >= 0)
        params[kPowerFenceParam] = "power_fence";
    }
  }
  out.script = chat::load_script(cfg.config->script, loader, params, cfg.config->param_locs);
  auto& script = out.script;
  bool errors = false;
  for (auto d : script.diagnostics) {
    if (d.loc.file == "<params>") {
      d.loc = policy.on_network_loss_loc;
      d.message = "policy.on_network_loss = \"alarm\" needs a script with param " +
                  std::string(kNetworkLossParam) +
                  " and a state network_loss_alarm (as scripts/sparc-obp.chat); " + d.message;
    }
    err << clusterd::format_text(d);
    errors |= d.severity == clusterd::Severity::Error;
  }
  if (!script.ok() || errors) return false;
  out.entry = *entry;
  return true;
}

}  // namespace clusterd
