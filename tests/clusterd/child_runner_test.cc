// ChildRunner with real children: what a child inherits from clusterd, and
// its end reported however its descendants use the pipe.
#include "clusterd/child_runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <optional>
#include <string>

namespace clusterd {
namespace {

using namespace std::chrono_literals;

// A runner on its own io_context, reaped on SIGCHLD as the daemon does.
struct Rig {
  boost::asio::io_context io;
  boost::asio::signal_set sigchld{io, SIGCHLD};
  std::string output;
  std::size_t bytes = 0;
  std::optional<int> status;
  std::function<void(std::string_view)> on_output;
  ChildRunner runner{io,
                     {.output =
                          [this](std::uint64_t, std::string_view b) {
                            bytes += b.size();
                            if (output.size() < 4096) output.append(b.substr(0, 4096));
                            if (on_output) on_output(b);
                          },
                      .exited = [this](std::uint64_t, int s) { status = s; }}};
  Rig() { wait(); }
  void wait() {
    sigchld.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      runner.reap();
      wait();
    });
  }
  // Runs the io_context until the child's end is reported, 20 s at most.
  bool run_until_exit() {
    const auto give_up = std::chrono::steady_clock::now() + 20s;
    while (!status) {
      if (std::chrono::steady_clock::now() > give_up) return false;
      io.restart();
      io.run_one_for(50ms);
    }
    return true;
  }
};

TEST(ChildRunner, AChildInheritsNoDescriptorOfClusterd) {
  // Asio's sockets (a console's TCP connection, ping's) are not
  // close-on-exec: stand-in for them, a descriptor without FD_CLOEXEC.
  int fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 3);
  Rig r;
  std::string why;
  const std::string test =
      "if [ -e /proc/$$/fd/" + std::to_string(fd) + " ]; then echo inherited; else echo clean; fi";
  ASSERT_TRUE(r.runner.start(1, {"/bin/sh", "-c", test}, why)) << why;
  ASSERT_TRUE(r.run_until_exit());
  ::close(fd);
  EXPECT_EQ(r.output, "clean\n") << "fd " << fd;
  EXPECT_EQ(*r.status, 0);
}

TEST(ChildRunner, AnEndIsReportedWhileAProcessItLeftKeepsWriting) {
  // The child leaves `yes` writing into its pipe for ever and ends (killed
  // once `yes` is under way): what was in the pipe when it ended is read,
  // then its end is reported; clusterd does not read for as long as `yes`
  // writes.
  Rig r;
  pid_t group = 0;
  bool leader_killed = false, group_killed = false;
  r.on_output = [&](std::string_view b) {
    // What the daemon does with each read (the script's matching, the
    // transcript, the timeline) takes longer than `yes` takes to fill it.
    ::usleep(1000);
    if (!group && b.substr(0, 6) == "group ") group = std::stoi(std::string(b.substr(6)));
    if (!group) return;
    if (r.bytes > (256u << 10) && !leader_killed) {
      leader_killed = true;
      ::kill(group, SIGKILL);  // the child itself, not `yes`
    }
    // Far more than a pipe holds: the runner is reading the left-behind
    // process for ever. Stop it so that the test ends and says so.
    if (r.bytes > (8u << 20) && !group_killed) {
      group_killed = true;
      ::kill(-group, SIGKILL);
    }
  };
  std::string why;
  ASSERT_TRUE(r.runner.start(1, {"/bin/sh", "-c", "echo group $$; yes & wait"}, why)) << why;
  ASSERT_TRUE(r.run_until_exit());
  EXPECT_FALSE(group_killed) << r.bytes << " bytes read, most from a process the child left behind";
  EXPECT_EQ(*r.status, 128 + SIGKILL);
  EXPECT_EQ(r.runner.running(), 0u);
  if (group) ::kill(-group, SIGKILL);  // `yes`, if the closed pipe has not ended it yet
}

}  // namespace
}  // namespace clusterd
