// NodeRunner: the I/O shell around one NodeModel. It owns the io_context's
// single timer for the node (re-armed to next_deadline() after every input),
// the console transports (telnet port, pty), the control socket, the shared
// disk image, the NVRAM and ledger files and the network hooks, and turns
// the model's effects into writes on them. All on one thread.
#pragma once

#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include <spdlog/logger.h>

#include <boost/asio.hpp>
#include <memory>
#include <string>

#include "base/result.h"
#include "sim/control_server.h"
#include "sim/net_hooks.h"
#include "sim/node_model.h"
#include "sim/pty_port.h"
#include "sim/run_options.h"
#include "sim/shared_disk.h"
#include "sim/telnet_server.h"

namespace clusterd::sim {

class NodeRunner final : public NodeEffects {
 public:
  /// `io` must outlive the runner. Nothing is opened until start().
  NodeRunner(boost::asio::io_context& io, RunOptions opt, std::shared_ptr<spdlog::logger> log);
  ~NodeRunner() override;

  /// Opens the disk, NVRAM, ledger, ports and sockets, and powers the node
  /// on. The error names the first thing that could not be opened.
  Result<void> start();
  /// One control line -> one reply line (the control socket's handler).
  std::string control(const std::string& line);
  /// Where the console ended up (after start()).
  unsigned short telnet_port() const { return telnet_ ? telnet_->port() : 0; }

  // NodeEffects
  void console(std::string_view bytes) override;
  void ledger(const std::string& line) override;
  void network(bool up) override;
  void nvram_changed(const Nvram& nv) override;

 private:
  void rearm();
  TimePoint now() const { return std::chrono::steady_clock::now(); }

  boost::asio::io_context& io_;
  RunOptions opt_;
  std::shared_ptr<spdlog::logger> log_;
  FileDisk disk_;
  int ledger_fd_ = -1;
  /// Who caused the records being written: the telnet client's peer IP or
  /// "pty" while the model handles its input; empty otherwise. ledger()
  /// adds it to each record as "from".
  std::string input_from_;
  std::unique_ptr<NodeModel> model_;
  std::unique_ptr<TelnetServer> telnet_;
  std::unique_ptr<PtyPort> pty_;
  std::unique_ptr<ControlServer> ctl_;
  std::unique_ptr<NetHooks> net_;
  boost::asio::steady_timer timer_;
};

}  // namespace clusterd::sim
