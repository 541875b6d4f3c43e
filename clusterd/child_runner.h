// ChildRunner: runs the script's `exec` and the power methods as children,
// without a shell, in a clean environment (base/child_env.h), stdin from
// /dev/null, stdout and stderr into one pipe, each in a process group of its
// own so that a timeout kills all it started. Never blocks: start() returns
// once the child is spawned; its output and then its end are reported by id,
// always in that order: the end only once the child was reaped and its pipe
// read to the end (output a process it left behind writes after it ended is
// not read).
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clusterd/runtime.h"

namespace clusterd {

class ChildRunner : public CommandRunner {
 public:
  struct Handlers {
    std::function<void(std::uint64_t id, std::string_view bytes)> output;
    /// `status`: the exit status 0–255, or 128+S when killed by signal S.
    std::function<void(std::uint64_t id, int status)> exited;
  };
  ChildRunner(boost::asio::io_context& io, Handlers handlers)
      : io_(io), handlers_(std::move(handlers)) {}
  ~ChildRunner() override;
  bool start(std::uint64_t id, const std::vector<std::string>& argv, std::string& why) override;
  void kill(std::uint64_t id) override;
  /// Collects the exits of this runner's children, never anyone else's (on
  /// SIGCHLD).
  void reap();
  std::size_t running() const { return children_.size(); }

 private:
  struct Child {
    std::uint64_t id = 0;
    pid_t pid = 0;
    std::unique_ptr<boost::asio::posix::stream_descriptor> pipe;
    std::array<char, 4096> buf{};
    bool reading = false;
    bool eof = false;
    std::optional<int> status;
  };
  void read(const std::shared_ptr<Child>& c);
  void drain(Child& c);
  void finish_if_done(const std::shared_ptr<Child>& c);

  boost::asio::io_context& io_;
  Handlers handlers_;
  std::map<std::uint64_t, std::shared_ptr<Child>> children_;
};

}  // namespace clusterd
