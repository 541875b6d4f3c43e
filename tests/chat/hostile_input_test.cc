// Bad and hostile script input (crash-test plan A15, the bad-config corpus):
// includes of things that are not scripts (/dev/zero, a FIFO, a directory, a
// huge file, the secrets file), hostile bytes in what diagnostics quote, and
// a long `extends` chain.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "chat/compiler.h"
#include "chat/parser.h"
#include "chat/script.h"

namespace clusterd::chat {
namespace {

namespace fs = std::filesystem;

// A scratch folder, removed with everything in it.
class Scratch {
 public:
  Scratch() {
    std::string tmpl = (fs::temp_directory_path() / "chat_hostile.XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::string write(const std::string& name, const std::string& text) const {
    fs::create_directories(fs::path(file(name)).parent_path());
    std::ofstream(file(name), std::ios::binary) << text;
    return file(name);
  }

 private:
  std::string path_;
};

// Every diagnostic as format_text prints it.
std::string all_text(const LoadedScript& s) {
  std::string out;
  for (const auto& d : s.diagnostics) out += format_text(d);
  return out;
}

// --- includes: only regular files, of bounded size -------------------------

TEST(FileLoader, RefusesDevicesDirectoriesAndFifosWithTheIncludesPosition) {
  Scratch dir;
  fs::create_directories(dir.file("lib"));
  ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
  dir.write("ok.chat", "initial state a { after 1s -> a }\n");
  auto main = dir.write("main.chat",
                        "include \"/dev/zero\"\n"
                        "include \"lib\"\n"
                        "  include \"fifo\"\n"
                        "include \"ok.chat\"\n");
  FileLoader files;
  // Before: /dev/zero was read until std::bad_alloc, the FIFO blocked the
  // open for ever, and the directory was an empty script.
  auto s = load_script(main, files);
  ASSERT_EQ(s.diagnostics.size(), 3u) << all_text(s);
  EXPECT_EQ(format_line(s.diagnostics[0]),
            main + ":1:9: error: cannot include \"/dev/zero\": /dev/zero: not a regular file");
  EXPECT_EQ(format_line(s.diagnostics[1]), main + ":2:9: error: cannot include \"lib\": " +
                                               dir.file("lib") + ": not a regular file");
  EXPECT_EQ(format_line(s.diagnostics[2]), main + ":3:11: error: cannot include \"fifo\": " +
                                               dir.file("fifo") + ": not a regular file");
  EXPECT_FALSE(s.unreadable);
  EXPECT_FALSE(s.ok());
}

// /proc and /sys files pass for regular ones (S_IFREG, size 0), and one of
// them holds the process's environment: refused like a device.
TEST(FileLoader, RefusesKernelFilesUnderProcAndSys) {
  Scratch dir;
  // A sysfs file every kernel has; /sys/kernel/uevent_seqnum is regular, 4096 bytes by stat.
  ASSERT_TRUE(fs::exists("/sys/kernel/uevent_seqnum"));
  auto main = dir.write("main.chat",
                        "include \"/proc/self/environ\"\ninclude \"/sys/kernel/uevent_seqnum\"\n");
  FileLoader files;
  auto s = load_script(main, files);
  ASSERT_EQ(s.diagnostics.size(), 2u) << all_text(s);
  EXPECT_EQ(format_line(s.diagnostics[0]),
            main +
                ":1:9: error: cannot include \"/proc/self/environ\": "
                "/proc/self/environ: a kernel file (/proc, /sys), not a script");
  EXPECT_NE(s.diagnostics[1].message.find("a kernel file"), std::string::npos) << all_text(s);
}

TEST(FileLoader, TheScriptItselfMustBeARegularFileToo) {
  Scratch dir;
  ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
  FileLoader files;
  for (const std::string& path : {std::string("/dev/zero"), dir.file(""), dir.file("fifo")}) {
    auto s = load_script(path, files);
    EXPECT_TRUE(s.unreadable) << path;
    ASSERT_EQ(s.diagnostics.size(), 1u) << path;
    EXPECT_EQ(s.diagnostics[0].message, path + ": not a regular file");
  }
}

TEST(FileLoader, FollowsASymlinkToARegularFile) {
  Scratch dir;
  dir.write("real/lib.chat", "pattern ok = \"ok \"\n");
  fs::create_symlink("real/lib.chat", dir.file("lib.chat"));
  auto main =
      dir.write("main.chat", "include \"lib.chat\"\ninitial state a { on active ok -> a }\n");
  FileLoader files;
  auto s = load_script(main, files);
  EXPECT_TRUE(s.ok()) << all_text(s);
}

TEST(FileLoader, RefusesAFileOverTheSizeLimitButTakesOneAtIt) {
  Scratch dir;
  std::string at_limit = "initial state a { after 1s -> a }\n#";
  at_limit.resize(FileLoader::kMaxBytes - 1, 'x');
  at_limit += '\n';
  dir.write("at.chat", at_limit);
  dir.write("over.chat", at_limit + "\n");
  FileLoader files;
  auto fine = load_script(dir.file("at.chat"), files);
  EXPECT_TRUE(fine.ok()) << all_text(fine);

  auto main = dir.write("main.chat", "include \"over.chat\"\n");
  auto s = load_script(main, files);
  ASSERT_EQ(s.diagnostics.size(), 1u);
  EXPECT_EQ(format_line(s.diagnostics[0]),
            main + ":1:9: error: cannot include \"over.chat\": " + dir.file("over.chat") +
                ": is 2097153 bytes; scripts are limited to 2 MiB");
  auto top = load_script(dir.file("over.chat"), files);
  EXPECT_TRUE(top.unreadable);
  ASSERT_EQ(top.diagnostics.size(), 1u);
  EXPECT_EQ(top.diagnostics[0].message,
            dir.file("over.chat") + ": is 2097153 bytes; scripts are limited to 2 MiB");
}

// --- the deny-list: the secrets file is never read -------------------------

TEST(FileLoader, RefusesADeniedFileHoweverItIsNamed) {
  Scratch dir;
  auto secrets = dir.write("secrets", "nts1 = \"CANARY-SECRET\"\n");
  dir.write("scripts/ok.chat", "initial state a { after 1s -> a }\n");
  fs::create_symlink("../secrets", dir.file("scripts/alias"));
  fs::create_hard_link(secrets, dir.file("hardlink"));
  FileLoader files;
  files.deny(secrets, "it is the secrets file");

  // Without the deny-list the secret's line was quoted under a syntax error.
  FileLoader plain;
  auto leaked = load_script(
      dir.write("scripts/main.chat", "include \"../secrets\"\ninclude \"ok.chat\"\n"), plain);
  EXPECT_NE(all_text(leaked).find("CANARY-SECRET"), std::string::npos);

  for (const std::string& name : {std::string("../secrets"), std::string("./../scripts/../secrets"),
                                  std::string("alias"), std::string("../hardlink"), secrets}) {
    auto main = dir.write("scripts/main.chat", "include \"ok.chat\"\ninclude \"" + name + "\"\n");
    auto s = load_script(main, files);
    ASSERT_EQ(s.diagnostics.size(), 1u) << name << "\n" << all_text(s);
    const std::string full = name[0] == '/' ? name : dir.file("scripts/" + name);
    EXPECT_EQ(format_line(s.diagnostics[0]), main + ":2:9: error: cannot include \"" + name +
                                                 "\": " + full + ": it is the secrets file");
    EXPECT_EQ(all_text(s).find("CANARY"), std::string::npos) << all_text(s);
  }
  // As the script itself, too.
  auto top = load_script(secrets, files);
  EXPECT_TRUE(top.unreadable);
  EXPECT_EQ(all_text(top).find("CANARY"), std::string::npos);
  ASSERT_EQ(top.diagnostics.size(), 1u);
  EXPECT_EQ(top.diagnostics[0].message, secrets + ": it is the secrets file");
}

// --- hostile bytes in diagnostics ------------------------------------------

TEST(Diagnostic, HostileBytesAreEscapedInEveryFormat) {
  // Before: the ESC sequence (clears a terminal), the NUL, the C1 CSI and the
  // invalid UTF-8 came out raw in the message and the source line.
  auto s = load_script_text("initial state a {\n  after 1s -> wa\x1b[2Jtch\n}");
  ASSERT_EQ(s.diagnostics.size(), 1u);
  EXPECT_EQ(format_text(s.diagnostics[0]),
            "<input>:2:17: error: expected an action, a handler ('on', 'after') or '}' to close "
            "the state\n"
            "      after 1s -> wa\\x1b[2Jtch\n"
            "                    ^\n");

  s = load_script_text(std::string("initial state a {}\nstate ex") + '\0' + "tra {}");
  ASSERT_EQ(s.diagnostics.size(), 1u);
  EXPECT_EQ(format_text(s.diagnostics[0]),
            "<input>:2:9: error: expected '{' to open the state\n"
            "    state ex\\x00tra {}\n"
            "            ^\n");

  // A message quoting hostile bytes; the caret (under the C1 control's first
  // byte, col 13) counts an escaped byte as four columns and "é" as one.
  Diagnostic d{{"f\x1b.chat", 1, 13},
               Severity::Error,
               "unknown state 'x\xc2\x9b"
               "1m\xff'",
               "caf\xc3\xa9 \xff -> x\xc2\x9b"
               "1m"};
  EXPECT_EQ(format_text(d),
            "f\\x1b.chat:1:13: error: unknown state 'x\\xc2\\x9b1m\\xff'\n"
            "    caf\xc3\xa9 \\xff -> x\\xc2\\x9b1m\n"
            "                  ^\n");
  EXPECT_EQ(format_line(d), "f\\x1b.chat:1:13: error: unknown state 'x\\xc2\\x9b1m\\xff'");
  EXPECT_EQ(format_json({d}),
            "[\n  {\"file\": \"f\\\\x1b.chat\", \"line\": 1, \"col\": 13, \"severity\": \"error\", "
            "\"message\": \"unknown state 'x\\\\xc2\\\\x9b1m\\\\xff'\"}\n]\n");
}

TEST(Diagnostic, NoFormattedDiagnosticHoldsAControlByteOrInvalidUtf8) {
  // Every byte value in a state name, in a target and in an include name.
  for (int c = 0; c < 256; ++c) {
    const std::string b(1, static_cast<char>(c));
    for (const std::string& text :
         {"initial state a {}\nstate x" + b + "y {}", "initial state a { after 1s -> x" + b + "y }",
          "include \"x" + b + "y\"\ninitial state a {}"}) {
      auto s = load_script_text(text);
      std::string out = all_text(s) + format_json(s.diagnostics);
      for (const auto& d : s.diagnostics) out += format_line(d);
      for (char ch : out) {
        auto u = static_cast<unsigned char>(ch);
        ASSERT_TRUE((u >= 0x20 && u < 0x7f) || u == '\n' || u == '\t') << "byte " << c << ":\n"
                                                                       << out;
      }
    }
  }
}

// --- a long `extends` chain -------------------------------------------------

// `state s0 extends s1 { … }` … `state sN { … }`: s0's chain holds N+1 states.
std::string chain(int n, const std::string& last_target = "a") {
  std::string text = "initial state a { after 1s -> s0 }\n";
  for (int i = 0; i < n; ++i) {
    text += "state s" + std::to_string(i) + " extends s" + std::to_string(i + 1) +
            " { after 1s -> a }\n";
  }
  text += "state s" + std::to_string(n) + " { after 2s -> " + last_target + " }\n";
  return text;
}

TEST(Extends, AChainOf3000StatesIsRefusedOnceWithoutCopying3000Handlers) {
  // Before: each state copied every handler up its chain (4.5 million for
  // 3000 states), finding each parent by a scan of all states: 202 s and
  // 1.8 GB for 4000. Now: one error where the chain passes the limit, the
  // error in the last state reported once, not once per state inheriting it.
  auto s = load_script_text(chain(3000, "nowhere"));
  ASSERT_EQ(s.diagnostics.size(), 2u) << all_text(s);
  // s2936's chain is s2936 .. s3000: 65 states.
  EXPECT_EQ(format_line(s.diagnostics[0]),
            "<input>:2938:21: error: state 's2936' extends a chain deeper than 64 states (up to "
            "'s3000')");
  EXPECT_EQ(format_line(s.diagnostics[1]), "<input>:3002:27: error: unknown state 'nowhere'");
  EXPECT_FALSE(s.ok());
}

TEST(Extends, AChainAtTheLimitCompilesWithEveryInheritedHandler) {
  auto s = load_script_text(chain(static_cast<int>(kMaxExtendsChain) - 1));
  ASSERT_TRUE(s.ok()) << all_text(s);
  const auto& p = *s.program;
  const int s0 = p.find_state("s0");
  ASSERT_GE(s0, 0);
  const auto& handlers = p.states[static_cast<std::size_t>(s0)].handlers;
  ASSERT_EQ(handlers.size(), kMaxExtendsChain);
  EXPECT_EQ(handlers.front().trigger, "after 1s");  // its own first
  EXPECT_EQ(handlers.back().trigger, "after 2s");   // the top's last

  auto over = load_script_text(chain(static_cast<int>(kMaxExtendsChain)));
  ASSERT_EQ(over.diagnostics.size(), 1u) << all_text(over);
  EXPECT_EQ(format_line(over.diagnostics[0]),
            "<input>:2:18: error: state 's0' extends a chain deeper than 64 states (up to 's64')");
}

TEST(Extends, ManyStatesExtendingALongChainArePastTheHandlerLimit) {
  // Chains within the depth limit, but thousands of states extending them:
  // before, 5000 states under a 62-state chain took 2.6 s and 385 MB, and a
  // 1 MiB script of them tens of seconds and gigabytes.
  std::string text = "initial state a { after 1s -> a }\n";
  for (int i = 0; i < 9; ++i) {
    text += "state s" + std::to_string(i) + " extends s" + std::to_string(i + 1) +
            " { on active \"x" + std::to_string(i) + "\" -> a }\n";
  }
  text += "state s9 { after 2s -> a }\n";  // 56 handlers so far: 1 + 10 + 9 + ... + 1
  for (int i = 0; i < 5000; ++i)
    text += "state c" + std::to_string(i) + " extends s0 {}\n";  // 10 each
  auto s = load_script_text(text);
  std::vector<std::string> errors;
  for (const auto& d : s.diagnostics) {
    if (d.severity == Severity::Error) errors.push_back(format_line(d));
  }
  EXPECT_EQ(errors, std::vector<std::string>{
                        "<input>:2006:7: error: state 'c1994' takes the script past 20000 "
                        "handlers (each state counts those it inherits through 'extends')"});
  EXPECT_FALSE(s.ok());
}

TEST(Extends, CyclesAndUnknownParentsAreReportedOncePerState) {
  auto s = load_script_text(
      "initial state a extends b {}\nstate b extends a {}\n"
      "state c extends a {}\nstate d extends nope {}\nstate e extends d {}\nstate f extends d {}");
  std::vector<std::string> got;
  for (const auto& d : s.diagnostics) got.push_back(format_line(d));
  EXPECT_EQ(got, (std::vector<std::string>{
                     "<input>:1:25: error: state 'a' extends itself through 'b'",
                     "<input>:2:17: error: state 'b' extends itself through 'a'",
                     "<input>:4:17: error: unknown state 'nope' to extend",
                 }));

  // A cycle longer than the chain limit is a cycle.
  std::string text = "initial state a { after 1s -> a }\n";
  for (int i = 0; i < 100; ++i) {
    text += "state s" + std::to_string(i) + " extends s" + std::to_string((i + 1) % 100) + " {}\n";
  }
  auto cyc = load_script_text(text);
  ASSERT_EQ(cyc.diagnostics.size(), 100u);
  EXPECT_EQ(format_line(cyc.diagnostics[99]),
            "<input>:101:19: error: state 's99' extends itself through 's0'");
}

}  // namespace
}  // namespace clusterd::chat
