// Test helpers for the chat language: compile snippets in memory, list their
// diagnostics as one-line strings, and an Actuator that records every call
// (like ninja's FakeCommandRunner).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "base/escape.h"
#include "chat/actuator.h"
#include "chat/compiler.h"
#include "chat/script.h"

namespace clusterd::chat::testing {

using namespace std::chrono_literals;
inline const TimePoint t0{};

/// Diagnostics of `text` (as file "<input>"), gcc style, one a string.
inline std::vector<std::string> diags(const std::string& text, MemoryLoader* loader = nullptr,
                                      const std::map<std::string, std::string>& params = {}) {
  auto s = load_script_text(text, "<input>", loader, params);
  std::vector<std::string> out;
  for (const auto& d : s.diagnostics) out.push_back(format_line(d));
  return out;
}

/// The compiled program of `text`, which must have no errors (warnings allowed).
inline std::shared_ptr<LoadedScript> compile_ok(
    const std::string& text, const std::map<std::string, std::string>& params = {},
    MemoryLoader* loader = nullptr) {
  auto s = std::make_shared<LoadedScript>(load_script_text(text, "<input>", loader, params));
  for (const auto& d : s->diagnostics) {
    if (d.severity == Severity::Error) ADD_FAILURE() << format_line(d);
  }
  return s;
}

/// Records every call as one line: "send active \"x\\r\"", "boot standby \"boot\\r\"",
/// "break active", ...
class RecordingActuator : public Actuator {
 public:
  std::vector<std::string> calls;
  bool accept_presumed = true;
  bool accept_power = true;
  std::vector<std::string> faults;
  std::vector<std::string> states;  // names of states entered, in order

  void send(Channel ch, std::string_view b) override {
    calls.push_back(std::string("send ") + channel_name(ch) + " \"" + escape(b) + "\"");
  }
  void boot(Channel ch, std::string_view b) override {
    calls.push_back(std::string("boot ") + channel_name(ch) + " \"" + escape(b) + "\"");
  }
  void send_secret(Channel ch, std::string_view n) override {
    calls.push_back(std::string("secret ") + channel_name(ch) + " " + std::string(n));
  }
  void send_break(Channel ch) override {
    calls.push_back(std::string("break ") + channel_name(ch));
  }
  void alarm(AlarmSeverity s, std::string_view t) override {
    calls.push_back(std::string("alarm ") + severity_name(s) + " " + std::string(t));
  }
  void exec(const std::vector<std::string>& argv) override {
    std::string c = "exec";
    for (const auto& a : argv) c += " [" + a + "]";
    calls.push_back(c);
  }
  void log(std::string_view t) override { calls.push_back("log " + std::string(t)); }
  bool mark_fenced(Channel ch, FenceHow how, const FenceEvidence&) override {
    const bool presumed = how == FenceHow::Presumed, by_power = how == FenceHow::Power;
    bool ok = presumed ? accept_presumed : by_power ? accept_power : true;
    calls.push_back(std::string("fenced ") + channel_name(ch) + (presumed ? " presumed" : "") +
                    (by_power ? " by power" : "") + (ok ? "" : " REFUSED"));
    return ok;
  }
  void takeover() override { calls.push_back("takeover"); }
  void power(Channel ch, PowerOp op) override {
    calls.push_back(std::string("power ") + channel_name(ch) + " " + power_op_name(op));
  }
  void fault(std::string_view w) override { faults.emplace_back(w); }
  void entered(const StateChange& c) override { states.push_back(std::to_string(c.to)); }
};

}  // namespace clusterd::chat::testing
