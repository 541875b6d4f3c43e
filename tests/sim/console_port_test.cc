// The console ports with real sockets: TelnetServer and NodeRunner on
// 127.0.0.1 port 0, raw TCP clients, a pty. Several clients on one port
// (shared, or --kick-old-user: the newest one only), and the ledger's "from"
// naming the client (or the pty) whose input caused a record. The server's
// io_context runs in short slices on the test's thread, and every wait polls
// its condition with a 10 s bound: no fixed sleep decides anything.
#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "sim/ledger.h"
#include "sim/node_runner.h"
#include "sim/telnet_server.h"

namespace clusterd::sim {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::literals;

constexpr std::string_view kIacBrk = "\xff\xf3";  // IAC BRK (RFC 854)

/// Runs `io` in 5 ms slices until `cond` holds or 10 s have passed.
bool run_until(asio::io_context& io, const std::function<bool()>& cond) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.restart();
    io.run_for(5ms);
  }
  return true;
}

/// A raw TCP client of a telnet port on 127.0.0.1. It never blocks on a read
/// (the same thread runs the server): poll() takes what has arrived.
class Client {
 public:
  explicit Client(unsigned short port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    socket_.non_blocking(true);
  }
  void send(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes)); }
  /// Everything received so far (the server's option negotiation included).
  const std::string& received() {
    poll();
    return received_;
  }
  /// The server closed the connection (end of file or reset).
  bool closed() {
    poll();
    return closed_;
  }

 private:
  void poll() {
    char buf[4096];
    while (!closed_) {
      boost::system::error_code ec;
      std::size_t n = socket_.read_some(asio::buffer(buf), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) return;
      if (ec) {
        closed_ = true;
        return;
      }
      received_.append(buf, n);
    }
  }

  asio::io_context io_;
  tcp::socket socket_;
  std::string received_;
  bool closed_ = false;
};

struct Typed {
  std::string bytes, from;
};

TEST(TelnetServer, WithoutKickOldUserEveryClientSeesTheOutputAndMayType) {
  asio::io_context io;
  std::vector<Typed> typed;
  std::vector<std::string> breaks;
  int kicks = 0;
  TelnetServer server(
      io, "127.0.0.1", 0,
      [&](std::string_view b, const std::string& from) {
        typed.push_back({std::string(b), from});
      },
      [&](BreakVia, const std::string& from) { breaks.push_back(from); }, false,
      [&](const std::string&, const std::string&) { ++kicks; });
  Client first(server.port());
  ASSERT_TRUE(run_until(io, [&] { return server.clients() == 1; }));
  Client second(server.port());
  ASSERT_TRUE(run_until(io, [&] { return server.clients() == 2; }));

  server.broadcast("{0} ok ");
  EXPECT_TRUE(run_until(io, [&] {
    return first.received().find("{0} ok ") != std::string::npos &&
           second.received().find("{0} ok ") != std::string::npos;
  }));
  first.send("a");
  second.send("b");
  second.send(kIacBrk);
  ASSERT_TRUE(run_until(io, [&] { return typed.size() >= 2 && breaks.size() == 1; }));
  std::string all;
  for (const auto& t : typed) {
    all += t.bytes;
    EXPECT_EQ(t.from, "127.0.0.1");
  }
  EXPECT_NE(all.find('a'), std::string::npos);
  EXPECT_NE(all.find('b'), std::string::npos);
  EXPECT_EQ(breaks[0], "127.0.0.1");
  EXPECT_FALSE(first.closed());
  EXPECT_FALSE(second.closed());
  EXPECT_EQ(server.clients(), 2u);
  EXPECT_EQ(kicks, 0);
}

TEST(TelnetServer, KickOldUserClosesTheOtherClientsWhenANewOneConnects) {
  asio::io_context io;
  std::vector<std::pair<std::string, std::string>> kicks;
  TelnetServer server(
      io, "127.0.0.1", 0, [](std::string_view, const std::string&) {},
      [](BreakVia, const std::string&) {}, true,
      [&](const std::string& from, const std::string& by) { kicks.emplace_back(from, by); });
  Client first(server.port());
  ASSERT_TRUE(run_until(io, [&] { return server.clients() == 1; }));
  Client second(server.port());
  ASSERT_TRUE(run_until(io, [&] { return first.closed(); }));
  ASSERT_EQ(kicks.size(), 1u);
  EXPECT_EQ(kicks[0].first, "127.0.0.1");
  EXPECT_EQ(kicks[0].second, "127.0.0.1");
  EXPECT_EQ(server.clients(), 1u);

  server.broadcast("{0} ok ");
  EXPECT_TRUE(
      run_until(io, [&] { return second.received().find("{0} ok ") != std::string::npos; }));
  EXPECT_FALSE(second.closed());

  Client third(server.port());
  ASSERT_TRUE(run_until(io, [&] { return second.closed(); }));
  EXPECT_EQ(kicks.size(), 2u);
  EXPECT_EQ(server.clients(), 1u);
  EXPECT_FALSE(third.closed());
}

/// One NodeRunner with short timings in a folder of its own (NODESIM_DIR
/// too), its ledger read back as lines.
class NodeRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "console_port_test." + std::to_string(::getpid()) + "." +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ::setenv("NODESIM_DIR", dir_.c_str(), 1);
    opt_.node.name = "alpha";
    opt_.telnet_port = 0;
    opt_.ctl_path = dir_ + "/alpha.ctl";
    opt_.disk_path = dir_ + "/shared.img";
    opt_.nvram_path = dir_ + "/alpha.nvram";
    opt_.ledger_path = dir_ + "/alpha.ledger";
    opt_.node.t.post = 10ms;
    opt_.node.t.boot = 60ms;
    opt_.node.t.mount = 30ms;
  }
  void TearDown() override {
    runner_.reset();
    ::unsetenv("NODESIM_DIR");
    std::filesystem::remove_all(dir_);
  }

  void start() {
    runner_ = std::make_unique<NodeRunner>(io_, opt_, std::make_shared<spdlog::logger>("test"));
    auto r = runner_->start();
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  std::vector<std::string> ledger() const {
    std::vector<std::string> lines;
    std::ifstream in(opt_.ledger_path);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  }
  /// The first ledger line holding `text`, once there is one ("" after 10 s).
  std::string wait_for_line(const std::string& text) {
    std::string found;
    run_until(io_, [&] {
      for (const auto& l : ledger()) {
        if (l.find(text) != std::string::npos) {
          found = l;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  std::string dir_;
  RunOptions opt_;
  asio::io_context io_;
  std::unique_ptr<NodeRunner> runner_;
};

std::size_t count(const std::string& s, std::string_view what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST_F(NodeRunnerTest, ABreakFromATelnetClientIsLedgeredWithItsAddress) {
  opt_.auto_boot = true;
  start();
  Client client(runner_->telnet_port());
  ASSERT_NE(wait_for_line(R"("to":"RUNNING")"), "");
  for (const auto& l : ledger()) EXPECT_EQ(l.find("127.0.0.1"), std::string::npos) << l;

  client.send(kIacBrk);
  std::string brk = wait_for_line(R"("ev":"break")");
  ASSERT_NE(brk, "");
  auto r = parse_ledger_line(brk);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->get("via"), "telnet-brk");
  EXPECT_EQ(r->get("effect"), "halted");
  EXPECT_EQ(r->get("from"), "127.0.0.1");
  EXPECT_NE(brk.find(R"(,"from":"127.0.0.1"})"), std::string::npos) << brk;
  // The lease the BREAK released names the client too; the state change
  // keeps its own "from" (the state left), once.
  EXPECT_NE(wait_for_line(R"("ev":"lease_release","why":"break")").find(R"("from":"127.0.0.1")"),
            std::string::npos);
  std::string state = wait_for_line(R"("to":"OK")");
  EXPECT_EQ(count(state, R"("from":)"), 1u) << state;
  EXPECT_NE(state.find(R"("from":"RUNNING")"), std::string::npos) << state;

  // A line typed at ok is the client's as well.
  client.send("banner\r");
  std::string cmd = wait_for_line(R"("ev":"command","line":"banner")");
  EXPECT_NE(cmd.find(R"("from":"127.0.0.1")"), std::string::npos) << cmd;
}

TEST_F(NodeRunnerTest, KickOldUserLedgersEachKick) {
  opt_.kick_old_user = true;
  start();
  Client first(runner_->telnet_port());
  ASSERT_TRUE(run_until(io_, [&] { return first.received().size() > 0; }));
  Client second(runner_->telnet_port());
  ASSERT_TRUE(run_until(io_, [&] { return first.closed(); }));
  std::string kick = wait_for_line(R"("ev":"session_kicked")");
  ASSERT_NE(kick, "");
  auto r = parse_ledger_line(kick);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->node, "alpha");
  EXPECT_GT(r->t_ns, 0);
  EXPECT_EQ(r->get("from"), "127.0.0.1");
  EXPECT_EQ(r->get("by"), "127.0.0.1");
  EXPECT_FALSE(second.closed());
}

TEST_F(NodeRunnerTest, InputOnThePtyIsLedgeredFromPty) {
  opt_.pty_link = dir_ + "/alpha.pty";
  start();
  ASSERT_NE(wait_for_line(R"("to":"OK")"), "");
  int fd = ::open(opt_.pty_link.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string_view typed = "banner\r";
  EXPECT_EQ(::write(fd, typed.data(), typed.size()), static_cast<ssize_t>(typed.size()));
  std::string cmd = wait_for_line(R"("ev":"command","line":"banner")");
  ::close(fd);
  EXPECT_NE(cmd.find(R"(,"from":"pty"})"), std::string::npos) << cmd;
}

}  // namespace
}  // namespace clusterd::sim
