// Golden replays of the stock scripts (scripts/sparc-obp.chat, and
// scripts/x86-bmc.chat for the cases whose NAME.script names it): each case in
// tests/chat/golden/ is NAME.alpha.console (the active node), NAME.beta.console
// (the standby), optional NAME.events, NAME.exec (what exec printed, channel sh),
// NAME.params (k=v lines) and NAME.script
// (the script's file name in scripts/; default sparc-obp.chat), and
// NAME.expected, the exact timeline `chatc replay` prints. Run through the same
// code as `chatc replay`. CLUSTERD_UPDATE_GOLDEN=1 rewrites the .expected
// files (review the diff before committing it).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "chat/replay.h"
#include "chat/script.h"

namespace clusterd::chat {
namespace {

namespace fs = std::filesystem;

std::string source_dir() {
  const char* env = std::getenv("CLUSTERD_SOURCE_DIR");
  return env ? env : CLUSTERD_SOURCE_DIR;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, ReplayMatchesExpectedTimeline) {
  const fs::path dir = fs::path(source_dir()) / "tests/chat/golden";
  const std::string name = GetParam();
  std::map<std::string, std::string> params;
  if (fs::exists(dir / (name + ".params"))) {
    std::istringstream in(slurp(dir / (name + ".params")));
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line[0] == '#') continue;
      params[line.substr(0, line.find('='))] = line.substr(line.find('=') + 1);
    }
  }
  std::string script_name = "sparc-obp.chat";
  if (fs::exists(dir / (name + ".script"))) {
    std::istringstream in(slurp(dir / (name + ".script")));
    std::getline(in, script_name);
  }
  FileLoader loader;
  auto script = load_script(source_dir() + "/scripts/" + script_name, loader, params);
  ASSERT_TRUE(script.ok()) << (script.diagnostics.empty() ? ""
                                                          : format_text(script.diagnostics[0]));

  ReplayInput input;
  auto active = read_transcript(slurp(dir / (name + ".alpha.console")), name + ".alpha.console");
  auto standby = read_transcript(slurp(dir / (name + ".beta.console")), name + ".beta.console");
  ASSERT_TRUE(active.ok()) << active.error().message;
  ASSERT_TRUE(standby.ok()) << standby.error().message;
  input.active = *active;
  input.standby = *standby;
  if (fs::exists(dir / (name + ".exec"))) {  // what exec printed (Logs/NAME.sh), channel sh
    auto sh = read_transcript(slurp(dir / (name + ".exec")), name + ".exec");
    ASSERT_TRUE(sh.ok()) << sh.error().message;
    input.sh = *sh;
  }
  if (fs::exists(dir / (name + ".events"))) {
    auto events = read_events(slurp(dir / (name + ".events")), name + ".events");
    ASSERT_TRUE(events.ok()) << events.error().message;
    input.events = *events;
  }
  ReplayOptions opt;
  opt.interpreter.active_name = "alpha";
  opt.interpreter.standby_name = "beta";
  std::string got = format_timeline(replay(*script.program, input, opt), false);

  const fs::path expected = dir / (name + ".expected");
  if (std::getenv("CLUSTERD_UPDATE_GOLDEN")) std::ofstream(expected, std::ios::binary) << got;
  EXPECT_EQ(got, slurp(expected)) << "replay of " << name << " differs from " << expected;
}

INSTANTIATE_TEST_SUITE_P(
    StockScript, Golden,
    ::testing::Values("primary_panic", "ping_loss_console_alive", "ping_loss_console_dead",
                      "rogue_standby_boot", "accidental_break", "fence_readback_failing",
                      "ping_flap", "planned_switchover", "planned_switchover_ssh_refused",
                      "planned_switchover_stuck", "power_fence", "power_fence_failed"));

// scripts/x86-bmc.chat over the SOL transcripts clusterd recorded in the x86
// crash-test scenarios (crashtest/scenarios/x86_*.sh, nodesim --platform x86
// behind ipmi_sim), with the power results it saw as events.
INSTANTIATE_TEST_SUITE_P(X86Script, Golden,
                         ::testing::Values("x86_panic", "x86_rogue_standby", "x86_power_never_off",
                                           "x86_planned_switchover", "x86_planned_switchover_hang",
                                           "x86_planned_switchover_ssh_refused",
                                           "x86_planned_switchover_ssh_closed"));

// The six cases must cover the decisions they are named after: guard against
// an .expected file rewritten into something that no longer shows them.
TEST(Golden, ExpectedFilesShowTheirDecisions) {
  const fs::path dir = fs::path(source_dir()) / "tests/chat/golden";
  auto has = [&](const std::string& name, const std::string& what) {
    return slurp(dir / (name + ".expected")).find(what) != std::string::npos;
  };
  EXPECT_TRUE(has("primary_panic", "takeover beta is now active"));
  EXPECT_TRUE(has("ping_loss_console_alive", "fenced   active (alpha) confirmed"));
  EXPECT_TRUE(has("ping_loss_console_dead", "presumed, accepted"));
  EXPECT_TRUE(has("ping_loss_console_dead", "break    standby (alpha)"));
  EXPECT_TRUE(has("rogue_standby_boot", "break    standby (beta)"));
  EXPECT_FALSE(has("rogue_standby_boot", "is now active"));
  EXPECT_TRUE(has("accidental_break", "send     active (alpha) \"go\\r\""));
  EXPECT_FALSE(has("accidental_break", "break "));
  EXPECT_FALSE(has("fence_readback_failing", "is now active"));
  EXPECT_FALSE(has("fence_readback_failing", "boot shared"));
  EXPECT_TRUE(has("fence_readback_failing", "NOT confirmed"));
  // A flap shorter than network_loss_holdoff: back to watch, nobody touched.
  EXPECT_TRUE(has("ping_flap", "state    network_loss_hold"));
  EXPECT_TRUE(has("ping_flap", "state    watch  <- ping.up"));
  EXPECT_FALSE(has("ping_flap", "break "));
  // A planned switchover: a clean shutdown over ssh, no BREAK, the lock read
  // back, one boot, takeover; ssh refused: a warning, nobody touched; a
  // shutdown that never reaches ok: the BREAK after planned_stop_timeout.
  EXPECT_TRUE(
      has("planned_switchover", "exec     \"ssh\" \"-F\" \"/etc/clusterd/ssh_config\" \"alpha\""));
  EXPECT_TRUE(has("planned_switchover", "state    planned_stopping"));
  EXPECT_TRUE(has("planned_switchover", "fenced   active (alpha) confirmed"));
  EXPECT_TRUE(has("planned_switchover", "takeover beta is now active"));
  EXPECT_FALSE(has("planned_switchover", "break "));
  EXPECT_FALSE(has("planned_switchover", "alarm    critical"));
  EXPECT_TRUE(
      has("planned_switchover_ssh_refused", "alarm    warning \"planned switchover NOT done"));
  EXPECT_FALSE(has("planned_switchover_ssh_refused", "break "));
  EXPECT_FALSE(has("planned_switchover_ssh_refused", "send "));
  EXPECT_TRUE(has("planned_switchover_stuck", "break    active (alpha)"));
  EXPECT_TRUE(has("planned_switchover_stuck", "did not reach ok within 40s"));
  EXPECT_TRUE(has("planned_switchover_stuck", "takeover beta is now active"));
  // The x86 planned switchover: ssh 'systemctl poweroff', the node's own
  // power-down seen before the power-off that reads it back, no critical
  // alarm; a shutdown that never powers off: the hard power-off after
  // planned_stop_timeout, with a critical alarm; ssh refused: nothing powered.
  EXPECT_TRUE(has("x86_planned_switchover",
                  "exec     \"ssh\" \"-F\" \"/etc/clusterd/ssh_config\" \"alpha\" "
                  "\"systemctl poweroff\""));
  EXPECT_TRUE(has("x86_planned_switchover", "state    fence  <- active x86_power_down"));
  EXPECT_TRUE(has("x86_planned_switchover", "fenced   active (alpha) by power, read back off"));
  EXPECT_TRUE(has("x86_planned_switchover", "takeover beta is now active"));
  EXPECT_FALSE(has("x86_planned_switchover", "alarm    critical"));
  EXPECT_TRUE(has("x86_planned_switchover_hang", "did not power it off within 40s"));
  EXPECT_TRUE(has("x86_planned_switchover_hang", "alarm    critical \"powering alpha off hard"));
  EXPECT_TRUE(has("x86_planned_switchover_hang", "takeover beta is now active"));
  EXPECT_TRUE(
      has("x86_planned_switchover_ssh_refused", "alarm    warning \"planned switchover NOT done"));
  EXPECT_FALSE(has("x86_planned_switchover_ssh_refused", "power    "));
  EXPECT_FALSE(has("x86_planned_switchover_ssh_refused", "is now active"));
  // The node's sshd went down with the shutdown before ssh had its status
  // (255): "closed by remote host" is a shutdown under way, not a failure.
  EXPECT_TRUE(has("x86_planned_switchover_ssh_closed", "state    planned_stopping  <- sh"));
  EXPECT_FALSE(has("x86_planned_switchover_ssh_closed", "NOT done"));
  EXPECT_TRUE(has("x86_planned_switchover_ssh_closed", "takeover beta is now active"));
  // An unanswered BREAK with a power method: off, read back, fenced by power.
  EXPECT_TRUE(has("power_fence", "power    active (alpha) off"));
  EXPECT_TRUE(has("power_fence", "fenced   active (alpha) by power, read back off"));
  EXPECT_TRUE(has("power_fence", "takeover beta is now active"));
  EXPECT_FALSE(has("power_fence", "presumed"));
  // BCP site_isolation = lease: a site dark (console and ping) is fenced only
  // on lease.expired, then the standby boots (tests/chat/golden/site_lost_lease).
  EXPECT_TRUE(has("site_lost_lease", "+55.000s   fenced   active (alpha) by lease"));
  EXPECT_TRUE(has("site_lost_lease", "+55.000s   boot     standby (beta)"));
  EXPECT_FALSE(has("site_lost_lease", "break    "));
  // The power fence failed: the alarm says so, the evidence rule decides.
  EXPECT_TRUE(has("power_fence_failed", "power fence of alpha failed"));
  EXPECT_TRUE(has("power_fence_failed", "presumed, accepted"));
  // x86: the fence is the power, read back off; never a BREAK.
  EXPECT_TRUE(has("x86_panic", "fenced   active (alpha) by power, read back off"));
  EXPECT_TRUE(has("x86_panic", "takeover beta is now active"));
  EXPECT_FALSE(has("x86_panic", "break "));
  EXPECT_TRUE(has("x86_rogue_standby", "power    standby (beta) off"));
  EXPECT_FALSE(has("x86_rogue_standby", "is now active"));
  EXPECT_FALSE(has("x86_power_never_off", "fenced "));
  EXPECT_FALSE(has("x86_power_never_off", "power    standby"));
  EXPECT_TRUE(has("x86_power_never_off", "state    fence_failed"));
}

}  // namespace
}  // namespace clusterd::chat
