// Drives one tty::Console on a real io_context for the peer tests: records
// what the console reports and runs the loop until a condition holds.
#pragma once

#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tty/console.h"
#include "tty/transcript_writer.h"

namespace clusterd::tty::testing {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Lost {
  LostReason reason;
  std::string detail;
  Clock::time_point at;
};

class ConsoleHarness {
 public:
  ConsoleHarness() : work_(boost::asio::make_work_guard(io_)) {}
  ~ConsoleHarness() {
    if (console) console->close();
    console.reset();  // before the io_context it uses
  }

  /// Parses `uri` and opens a console on it; fails the test on a bad URI.
  void open(const std::string& uri, const SecretSource* secrets = nullptr,
            TranscriptSink* transcript = nullptr) {
    auto e = parse_endpoint(uri);
    ASSERT_TRUE(e.ok()) << e.error().message;
    ConsoleHandlers h;
    h.on_bytes = [this](std::string_view b) { bytes.append(b); };
    h.on_up = [this] {
      ++ups;
      up_at.push_back(Clock::now());
    };
    h.on_lost = [this](LostReason r, const std::string& d, Duration) {
      losts.push_back({r, d, Clock::now()});
    };
    console =
        make_console(*e, std::move(h), {.io = &io_, .transcript = transcript, .secrets = secrets});
    console->open();
  }

  /// Runs the loop until `pred` holds or `limit` passes; true if it held.
  bool run_until(const std::function<bool()>& pred, Clock::duration limit = 5s) {
    auto end = Clock::now() + limit;
    while (!pred()) {
      if (Clock::now() >= end) return false;
      io_.run_for(5ms);
    }
    return true;
  }
  void run_for(Clock::duration d) { io_.run_for(d); }

  bool wait_up(int n = 1, Clock::duration limit = 5s) {
    return run_until([&] { return ups >= n; }, limit);
  }
  bool wait_lost(std::size_t n = 1, Clock::duration limit = 5s) {
    return run_until([&] { return losts.size() >= n; }, limit);
  }
  bool wait_bytes(std::string_view needle, Clock::duration limit = 5s) {
    return run_until([&] { return bytes.find(needle) != std::string::npos; }, limit);
  }
  std::string losts_text() const {
    std::string s;
    for (const auto& l : losts)
      s += std::string(lost_reason_name(l.reason)) + ": " + l.detail + "\n";
    return s;
  }

  boost::asio::io_context& io() { return io_; }

  std::unique_ptr<Console> console;
  std::string bytes;
  int ups = 0;
  std::vector<Clock::time_point> up_at;
  std::vector<Lost> losts;

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
};

}  // namespace clusterd::tty::testing
