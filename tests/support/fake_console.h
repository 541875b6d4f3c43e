// FakeConsole: a tty::Console a test drives by hand, for code that uses
// consoles (the daemon) without sockets or time. The test brings the link
// up, feeds node output (or a whole recorded transcript), drops the link with
// a reason, and reads back what was written and how many BREAKs went out.
// fail_after(n) makes the (n+1)th write or BREAK fail, like Beast's
// fail_count, to test what happens when a console dies mid-fence.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/transcript.h"
#include "tty/console.h"

namespace clusterd::testing {

class FakeConsole : public tty::Console {
 public:
  FakeConsole(tty::Endpoint endpoint, tty::ConsoleHandlers handlers)
      : endpoint_(std::move(endpoint)), handlers_(std::move(handlers)) {}

  // --- tty::Console -------------------------------------------------------------
  void open() override { opened = true; }
  bool write(std::string_view bytes) override {
    if (!take_operation()) return false;
    written.append(bytes);
    return true;
  }
  bool write_secret(std::string_view bytes, std::string_view name) override {
    if (!take_operation()) return false;
    written.append(bytes);
    secrets_sent.emplace_back(name);
    return true;
  }
  bool send_break() override {
    if (!take_operation()) return false;
    ++breaks;
    return true;
  }
  void close() override {
    closed = true;
    up_ = false;
  }
  bool is_up() const override { return up_; }
  const tty::Endpoint& endpoint() const override { return endpoint_; }

  // --- the test's side ------------------------------------------------------------
  void bring_up() {
    up_ = true;
    if (handlers_.on_up) handlers_.on_up();
  }
  void feed(std::string_view bytes) {
    if (up_ && handlers_.on_bytes) handlers_.on_bytes(bytes);
  }
  void drop(tty::LostReason reason, const std::string& detail = "",
            Duration retry_in = std::chrono::seconds(1)) {
    up_ = false;
    if (handlers_.on_lost) handlers_.on_lost(reason, detail, retry_in);
  }
  /// Plays a transcript's node output and up/lost notes in order (no timing).
  void play(const std::vector<TranscriptRecord>& records) {
    for (const auto& r : records) {
      if (r.dir == Direction::In) feed(r.data);
      if (r.dir == Direction::Note && r.data.rfind("up", 0) == 0) bring_up();
      if (r.dir == Direction::Note && r.data.rfind("lost", 0) == 0)
        drop(tty::LostReason::Closed, r.data);
    }
  }
  /// The next `n` writes/BREAKs succeed, every later one fails; -1: never fail.
  void fail_after(int n) { budget_ = n; }

  bool opened = false, closed = false;
  std::string written;
  std::vector<std::string> secrets_sent;
  int breaks = 0;

 private:
  bool take_operation() {
    if (!up_) return false;
    if (budget_ == 0) return false;
    if (budget_ > 0) --budget_;
    return true;
  }

  tty::Endpoint endpoint_;
  tty::ConsoleHandlers handlers_;
  bool up_ = false;
  int budget_ = -1;
};

}  // namespace clusterd::testing
