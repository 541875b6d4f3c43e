// `nodesim run` options: the values each flag and config key accepts, and the
// exact message for each kind of bad input (the CLI prints it after
// "nodesim run: " and exits 2, so scripts and people read these words).
#include "sim/run_options.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace clusterd::sim {
namespace {

using namespace std::literals;

std::string error_of(const std::vector<std::string>& args) {
  auto r = parse_run_options(args);
  return r.ok() ? "(accepted)" : r.error().message;
}

/// A config file in the test's temporary folder, removed at the end.
class ConfigFile {
 public:
  explicit ConfigFile(const std::string& text)
      : path_(::testing::TempDir() + "run_options_test." + std::to_string(++count_) + ".conf") {
    std::ofstream(path_) << text;
  }
  ~ConfigFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  static inline int count_ = 0;
  std::string path_;
};

// nodesim's durations are clusterd's (base/duration.h, tested there): whole
// numbers with a unit, "0s" for none; a fraction or a bare number is refused
// with the one parser's message, named by the flag.
TEST(RunOptions, DurationsAreSpelledAsInClusterdsConfig) {
  auto r = parse_run_options({"--t-post", "250ms", "--t-boot", "1m30s", "--write-interval", "0s"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->node.t.post, 250ms);
  EXPECT_EQ(r->node.t.boot, 90s);
  EXPECT_EQ(r->node.t.write_interval, 0s);
  for (std::string bad : {"1.5s", "7", "0", "40us", "2min"}) {
    auto e = parse_run_options({"--t-boot", bad});
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.error().message,
              "--t-boot: expected a duration such as 250ms, 20s, 10m or 1h30m, got '" + bad + "'");
  }
}

TEST(RunOptions, FlagsSetTheNodeAndDefaultsNameTheFiles) {
  ::setenv("NODESIM_DIR", "/var/tmp/ns", 1);
  auto r = parse_run_options({"--name", "beta", "--telnet=10.0.0.2:2300", "--t-boot", "4s",
                              "--t-mount=9s", "-v", "--battery-dead", "--seed", "42", "--os",
                              "linux", "--kbd-abort", "alternate", "--auto-boot", "yes"});
  ::unsetenv("NODESIM_DIR");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->node.name, "beta");
  EXPECT_EQ(r->telnet_host, "10.0.0.2");
  EXPECT_EQ(r->telnet_port, 2300);
  EXPECT_EQ(r->node.t.boot, 4s);
  EXPECT_EQ(r->node.t.mount, 4s);  // capped at T_boot
  EXPECT_TRUE(r->node.knobs.battery_dead);
  EXPECT_TRUE(r->verbose);
  EXPECT_EQ(r->node.seed, 42u);
  EXPECT_EQ(r->node.knobs.os, Os::Linux);
  EXPECT_FALSE(r->node.knobs.hw_break);
  EXPECT_TRUE(r->auto_boot);
  EXPECT_EQ(r->ctl_path, "/var/tmp/ns/beta.ctl");
  EXPECT_EQ(r->disk_path, "/var/tmp/ns/shared.img");
  EXPECT_EQ(r->nvram_path, "/var/tmp/ns/beta.nvram");
  EXPECT_EQ(r->ledger_path, "/var/tmp/ns/beta.ledger");
}

TEST(RunOptions, ABooleanFlagTakesTheNextWordOnlyIfItIsNotAFlag) {
  auto r = parse_run_options({"--battery-dead", "false", "--verbose"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->node.knobs.battery_dead);
  EXPECT_TRUE(r->verbose);
}

// ser2net's kickolduser for the telnet port: off unless asked for, as a
// bare flag, with a value, or as a config key.
TEST(RunOptions, KickOldUserIsOffUnlessAskedFor) {
  EXPECT_FALSE(parse_run_options({})->kick_old_user);
  EXPECT_TRUE(parse_run_options({"--kick-old-user", "--telnet", "0"})->kick_old_user);
  EXPECT_FALSE(parse_run_options({"--kick-old-user", "false"})->kick_old_user);
  ConfigFile conf("kick-old-user = true\n");
  EXPECT_TRUE(parse_run_options({"--config", conf.path()})->kick_old_user);
  EXPECT_EQ(error_of({"--kick-old-user=sometimes"}),
            "--kick-old-user: expected true or false, got 'sometimes'");
  EXPECT_NE(run_options_help().find("  --kick-old-user "), std::string::npos);
}

TEST(RunOptions, BadFlagsAreNamedInTheMessage) {
  EXPECT_EQ(error_of({"alpha"}), "unexpected argument 'alpha'");
  EXPECT_EQ(error_of({"--bogus"}), "unknown option --bogus (see nodesim run --help)");
  EXPECT_EQ(error_of({"--name"}), "--name needs NAME");
  EXPECT_EQ(error_of({"--config"}), "--config needs a FILE");
  EXPECT_EQ(error_of({"--t-boot", "soon"}),
            "--t-boot: expected a duration such as 250ms, 20s, 10m or 1h30m, got 'soon'");
  EXPECT_EQ(error_of({"--auto-boot=maybe"}), "--auto-boot: expected true or false, got 'maybe'");
  EXPECT_EQ(error_of({"--os", "bsd"}), "--os: expected solaris|linux, got 'bsd'");
  EXPECT_EQ(error_of({"--kbd-abort", "both"}),
            "--kbd-abort: expected enable|alternate|disable, got 'both'");
}

TEST(RunOptions, NumbersMustBeWholeAndInRange) {
  const std::string port = "--telnet: expected a number in 0..65535, got ";
  EXPECT_EQ(error_of({"--telnet", "http"}), port + "'http'");
  EXPECT_EQ(error_of({"--telnet", "127.0.0.1:80x"}), port + "'80x'");
  EXPECT_EQ(error_of({"--telnet", "65536"}), port + "'65536'");
  EXPECT_EQ(error_of({"--telnet", ""}), port + "''");
  EXPECT_EQ(error_of({"--line-bps", "0"}),
            "--line-bps: expected a number in 1..100000000, got '0'");
  EXPECT_EQ(error_of({"--seed", "99999999999999999999"}),
            "--seed: expected a number in 0..4611686018427387904, got '99999999999999999999'");
  EXPECT_EQ(error_of({"--service-port", "-1"}),
            "--service-port: expected a number in 1..65535, got '-1'");
}

TEST(RunOptions, ConfigFileKeysAreFlagsAndLaterFlagsWin) {
  ConfigFile conf("# a node\nname = gamma\nt-post = \"100ms\"\nbattery-dead\n");
  auto r = parse_run_options({"--config", conf.path(), "--name", "delta"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->node.name, "delta");
  EXPECT_EQ(r->node.t.post, 100ms);
  EXPECT_TRUE(r->node.knobs.battery_dead);
}

TEST(RunOptions, ConfigFileErrorsNameFileAndLine) {
  ConfigFile unknown("name = a\n\nbogus = 1\n");
  EXPECT_EQ(error_of({"--config=" + unknown.path()}), unknown.path() + ":3: unknown key 'bogus'");
  ConfigFile bad("t-boot = 5 s\n");
  EXPECT_EQ(
      error_of({"--config", bad.path()}),
      bad.path() + ":1: t-boot: expected a duration such as 250ms, 20s, 10m or 1h30m, got '5 s'");
  EXPECT_EQ(error_of({"--config", "/nonexistent/x.conf"}), "/nonexistent/x.conf: cannot open");
}

TEST(RunOptionsTest, PlatformX86RunsLinuxWithoutAServiceProcessor) {
  auto o = parse_run_options({"--platform", "x86"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->node.platform, Platform::X86);
  EXPECT_EQ(o->node.knobs.os, Os::Linux);
  EXPECT_EQ(parse_run_options({})->node.platform, Platform::Sparc);
  EXPECT_EQ(error_of({"--platform", "arm"}), "--platform: expected sparc|x86, got 'arm'");
  EXPECT_EQ(error_of({"--platform", "x86", "--sp", "ilom"}),
            "--sp: an x86 node has no ALOM/ILOM (its BMC is tools/bmcsim.sh)");
  EXPECT_EQ(error_of({"--platform", "x86", "--os", "solaris"}),
            "--os solaris: an x86 node runs Linux only");
  EXPECT_EQ(error_of({"--os", "linux", "--platform", "x86"}), "(accepted)");
}

}  // namespace
}  // namespace clusterd::sim
