// The shared pattern catalogue (scripts/lib/patterns.chat): each pattern
// against console text it must match and look-alikes it must not.
#include <gtest/gtest.h>

#include "chat/interpreter.h"
#include "tests/support/chat_support.h"

namespace clusterd::chat {
namespace {

struct Example {
  const char* pattern;
  const char* text;
  bool matches;
  // Prompt-like patterns decide at the end of the bytes received so far
  // (`$`, `\b`): a look-alike that differs only in what follows cannot be
  // refused when it arrives byte by byte. Such examples hold for one read.
  bool one_read_only = false;
};

const Example kExamples[] = {
    {"obp_prompt", "\r\n{0} ok ", true},
    {"obp_prompt", "\r\nok ", true},
    {"obp_prompt", "\r\nlook ok ", false},
    {"obp_prompt", "\r\n{0} ok boot\r\n", false, true},
    {"obp_prompt", "\r\nok\r\n", false},
    {"obp_resume", "\r\nType 'go' to resume\r\n", true},
    {"obp_resume", "\r\n# echo Type 'go' to resume\r\n", false},
    {"autoboot_false", "\r\nauto-boot? =          false\r\n", true},
    {"autoboot_false", "\r\nauto-boot?            false                 true\r\n", true},
    {"autoboot_false", "\r\n{0} ok setenv auto-boot? false\r\n", false},
    {"autoboot_false", "\r\nsetenv auto-boot? false\r\n", false},
    {"autoboot_false", "\r\nauto-boot? =          true\r\n", false},
    {"autoboot_false", "\r\nauto-boot? =          falsehood\r\n", false, true},
    {"autoboot_true", "\r\nauto-boot? =          true\r\n", true},
    {"autoboot_true", "\r\nauto-boot? =          false\r\n", false},
    {"boot_started", "\r\nRebooting with command: boot\r\n", true},
    {"boot_started", "\r\nBoot device: /pci@1f,0/scsi@8/disk@1,0  File and args:\r\n", true},
    {"boot_started", "\r\nSunOS Release 5.10 Version Generic_147147-26 64-bit\r\n", true},
    {"boot_started", "\r\n# grep 'Boot device: ' /var/adm/messages\r\n", false},
    {"power_on_banner", "\r\nSun Fire V240, No Keyboard\r\n", true},
    {"power_on_banner", "\r\nSPARC Enterprise T5220, No Keyboard\r\n", true},
    {"power_on_banner", "\r\nOpenBoot 4.30.4, 16384 MB memory installed\r\n", true},
    {"power_on_banner", "\r\nalpha console login: ", false},
    {"boot_error", "\r\nCan't open boot device\r\n", true},
    {"boot_error", "\r\nBad magic number in disk label\r\n", true},
    {"boot_error", "\r\nBoot device: /pci@1f,0/disk  File and args:\r\n", false},
    {"solaris_panic", "\r\npanic[cpu0]/thread=2a100547ca0: BAD TRAP: type=31\r\n", true},
    {"solaris_panic",
     "\r\nNov 22 01:02:03 alpha unix: [ID 836849 kern.notice] panic[cpu0]/thread=2a1: x\r\n",
     false},
    {"solaris_panic", "\r\n# grep 'panic[cpu0]/thread=2a1: ' /var/adm/messages\r\n", false},
    {"solaris_login", "\r\nalpha console login: ", true},
    // Console messages often follow the prompt on the same line, in the same
    // read (a busy node under crashtest --load): still the prompt. So is an
    // answered one: the node is up either way.
    {"solaris_login", "\r\nbeta console login: beta load: cpu=97% run_queue=25\r\n", true},
    {"solaris_login", "\r\nalpha console login: root\r\n", true},
    {"solaris_login", "\r\nalpha console: login failed\r\n", false},
    {"solaris_shutdown", "\r\nsvc.startd: The system is coming down.  Please wait.\r\n", true},
    {"solaris_shutdown", "\r\nsvc.startd: The system is down.\r\n", true},
    {"solaris_shutdown",
     "\r\nalpha console login: svc.startd: The system is coming down.  Please wait.\r\n", true},
    {"solaris_shutdown", "\r\n# echo svc.startd: The system is coming down.\r\n", false},
    {"solaris_shutdown", "\r\n# grep 'The system is down.' /var/adm/messages\r\n", false},
    {"solaris_shutdown", "\r\nsvc.startd: 106 system services are now being stopped.\r\n", false},
    {"solaris_shutdown", "\r\nsvc.startd: The system is coming down for administration.\r\n",
     false},
    {"linux_panic", "\r\nKernel panic - not syncing: VFS: Unable to mount root fs\r\n", true},
    {"linux_panic", "\r\n# grep 'Kernel panic - not syncing' /var/log/messages\r\n", false},
    {"linux_panic", "\r\n$ journalctl -k | less   # Kernel panic - not syncing\r\n", false},
    {"linux_oops", "\r\nOops: 0002 [#1] SMP PTI\r\n", true},
    {"linux_oops", "\r\nBUG: unable to handle kernel NULL pointer dereference\r\n", true},
    {"linux_oops", "\r\n$ echo Oops: 0002 [#1]\r\n", false},
    {"linux_login", "\r\nweb1 login: ", true},
    {"linux_login", "\r\nLast login: Sun Nov 22 on ttyS0\r\n", false},
};

TEST(Catalogue, EveryPatternMatchesItsExamplesAndNotItsLookAlikes) {
  FileLoader files;
  for (const auto& e : kExamples) {
    // A probe script beside the stock scripts, so the include resolves to the real file.
    std::string text = std::string("include \"lib/patterns.chat\"\ninitial state a { on active ") +
                       e.pattern + " -> hit }\nstate hit {}\n";
    auto s =
        load_script_text(text, std::string(CLUSTERD_SOURCE_DIR) + "/scripts/probe.chat", &files);
    ASSERT_TRUE(s.ok()) << e.pattern << ": "
                        << (s.diagnostics.empty() ? "" : format_line(s.diagnostics[0]));
    testing::RecordingActuator act;
    Interpreter in(*s.program, act);
    in.start(testing::t0);
    // Byte by byte and all at once must agree.
    Interpreter bytewise(*s.program, act);
    bytewise.start(testing::t0);
    std::string t = e.text;
    in.on_bytes(Channel::Active, t, testing::t0);
    for (char c : t) bytewise.on_bytes(Channel::Active, std::string_view(&c, 1), testing::t0);
    EXPECT_EQ(in.state_name() == "hit", e.matches) << e.pattern << " on \"" << escape(t) << "\"";
    if (e.one_read_only) continue;
    EXPECT_EQ(bytewise.state_name() == "hit", e.matches)
        << e.pattern << " byte by byte on \"" << escape(t) << "\"";
  }
}

}  // namespace
}  // namespace clusterd::chat
