// The control socket: one request, one reply; a second daemon on the same
// socket is refused; a dead daemon's socket is reported as not running.
#include "clusterd/control.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

namespace clusterd {
namespace {

struct Dir {
  std::string path;
  Dir() {
    char tmpl[] = "/tmp/clusterd-ctl-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~Dir() { std::filesystem::remove_all(path); }
};

TEST(ControlServer, AnswersOneRequestPerConnectionWithMode0660) {
  Dir d;
  std::string sock = d.path + "/prod.sock";
  boost::asio::io_context io;
  auto server = ControlServer::start(
      io, sock, [](const std::string& req) { return "ok\nyou said " + req + "\n"; });
  ASSERT_TRUE(server.ok()) << server.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(sock.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  std::thread loop([&] { io.run_for(std::chrono::seconds(3)); });
  auto reply = control_request(sock, "status");
  auto again = control_request(sock, "timeline --since 10m");
  io.stop();
  loop.join();
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(*reply, "ok\nyou said status\n");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, "ok\nyou said timeline --since 10m\n");
}

TEST(ControlServer, SecondDaemonOnTheSameSocketIsRefused) {
  Dir d;
  std::string sock = d.path + "/prod.sock";
  boost::asio::io_context io;
  auto first = ControlServer::start(io, sock, [](const std::string&) { return "ok\n"; });
  ASSERT_TRUE(first.ok());
  auto second = ControlServer::start(io, sock, [](const std::string&) { return "ok\n"; });
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message, sock + ": another clusterd is already running on this socket");
}

TEST(ControlServer, NoDaemonIsOneClearLine) {
  Dir d;
  auto r = control_request(d.path + "/prod.sock", "status");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, d.path + "/prod.sock: clusterd is not running");
}

}  // namespace
}  // namespace clusterd
