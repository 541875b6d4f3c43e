#include "clusterd/load.h"

#include "base/diagnostic.h"
#include "chat/parser.h"

namespace clusterd {

namespace {

constexpr const char* kNetworkLossParam = "on_network_loss_state";

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
  auto params = cfg.config->params;
  bool policy_param = false;
  if (cfg.config->policy.on_network_loss == clist::OnNetworkLoss::Alarm &&
      !params.count(kNetworkLossParam)) {
    params[kNetworkLossParam] = "network_loss_alarm";
    policy_param = true;
  }
  out.script = chat::load_script(cfg.config->script, loader, params);
  auto& script = out.script;
  bool errors = false;
  for (auto d : script.diagnostics) {
    // A [params] value the script refuses is the config's mistake: point at
    // the config's line ("<params>" is where chatc --param values come from).
    if (d.loc.file == "<params>") {
      auto q = d.message.find('\'');
      auto q2 = q == std::string::npos ? q : d.message.find('\'', q + 1);
      std::string param = q2 == std::string::npos ? "" : d.message.substr(q + 1, q2 - q - 1);
      if (auto it = cfg.config->param_locs.find(param); it != cfg.config->param_locs.end()) {
        d.loc = {it->second.file, it->second.line, it->second.col};
        d.message = "params." + param + ": " + d.message;
      }
    }
    err << clusterd::format_text(d);
    errors |= d.severity == clusterd::Severity::Error;
    if (policy_param &&
        d.message.find(std::string("'") + kNetworkLossParam + "'") != std::string::npos) {
      err << entry->config_path << ": policy.on_network_loss = \"alarm\" needs a script with param "
          << kNetworkLossParam << " and a state network_loss_alarm (as scripts/sparc-obp.chat)\n";
    }
  }
  if (!script.ok() || errors) return false;
  out.entry = *entry;
  return true;
}

}  // namespace clusterd
