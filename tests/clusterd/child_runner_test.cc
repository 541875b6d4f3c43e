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
  ChildRunner runner{io,
                     {.output =
                          [this](std::uint64_t, std::string_view b) {
                            bytes += b.size();
                            if (output.size() < 4096) output.append(b.substr(0, 4096));
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

}  // namespace
}  // namespace clusterd
