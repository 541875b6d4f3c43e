// Helpers for the nodesim model tests: effects that record everything, and a
// fixture that drives one or two NodeModels in virtual time over a shared
// MemoryDisk (no io_context, no clock).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/ledger.h"
#include "sim/node_model.h"
#include "sim/shared_disk.h"

namespace clusterd::sim::testing {

/// Records every effect of a NodeModel.
class RecordingEffects : public NodeEffects {
 public:
  void console(std::string_view bytes) override { out.append(bytes); }
  void ledger(const std::string& line) override { lines.push_back(line); }
  void network(bool up) override { net.push_back(up); }
  void nvram_changed(const Nvram& nv) override {
    saved = nv;
    ++saves;
  }
  /// Console output since the last call (and forgets it).
  std::string take() {
    std::string s = out.substr(taken);
    taken = out.size();
    return s;
  }
  /// Ledger records whose "ev" is `ev`.
  std::vector<ParsedRecord> events(const std::string& ev) const {
    std::vector<ParsedRecord> v;
    for (const auto& l : lines) {
      auto r = parse_ledger_line(l);
      if (r && r->ev == ev) v.push_back(*r);
    }
    return v;
  }

  std::string out;
  std::size_t taken = 0;
  std::vector<std::string> lines;
  std::vector<bool> net;
  Nvram saved;
  int saves = 0;
};

/// CI timings from crash-test-plan §4.8: POST 1 s, T_boot 5 s, T_mount 3 s.
inline NodeConfig test_config(std::string name) {
  NodeConfig c;
  c.name = std::move(name);
  c.t.post = std::chrono::seconds(1);
  c.t.boot = std::chrono::seconds(5);
  c.t.mount = std::chrono::seconds(3);
  c.t.panic_to_reboot = std::chrono::seconds(2);
  c.t.write_interval = std::chrono::milliseconds(200);
  return c;
}

/// One node "alpha" (and optionally "beta") on one MemoryDisk, in virtual time.
class SimTest : public ::testing::Test {
 protected:
  const TimePoint t0 = TimePoint{} + std::chrono::seconds(1000);
  TimePoint now = t0;
  MemoryDisk disk;

  struct Node {
    RecordingEffects fx;
    std::unique_ptr<NodeModel> m;
  };

  std::unique_ptr<Node> make(std::string name, bool auto_boot, NodeConfig* cfg = nullptr) {
    auto n = std::make_unique<Node>();
    Nvram nv;
    nv.auto_boot = auto_boot;
    n->m = std::make_unique<NodeModel>(cfg ? *cfg : test_config(name), nv, n->fx, disk);
    n->m->start(now);
    return n;
  }

  /// Advances every given node to `t`, stopping at each deadline on the way.
  void run_to(TimePoint t, std::initializer_list<Node*> nodes) {
    for (;;) {
      std::optional<TimePoint> d;
      for (Node* n : nodes) {
        auto nd = n->m->next_deadline();
        if (nd && (!d || *nd < *d)) d = nd;
      }
      if (!d || *d > t) break;
      now = std::max(now, *d);
      for (Node* n : nodes) n->m->advance_to(now);
    }
    now = t;
    for (Node* n : nodes) n->m->advance_to(now);
  }
  void run_for(Duration d, std::initializer_list<Node*> nodes) { run_to(now + d, nodes); }

  // Given alpha powered on with auto-boot? false, at `ok` after POST.
  std::unique_ptr<Node> at_ok(NodeConfig* cfg = nullptr) {
    auto n = make("alpha", false, cfg);
    run_for(std::chrono::seconds(1), {n.get()});
    EXPECT_EQ(n->m->state(), State::Ok);
    n->fx.take();
    return n;
  }
  // Given alpha booted (auto-boot? true): POST 1 s + T_boot 5 s.
  std::unique_ptr<Node> running(NodeConfig* cfg = nullptr) {
    auto n = make("alpha", true, cfg);
    run_for(std::chrono::seconds(6), {n.get()});
    EXPECT_EQ(n->m->state(), State::Running);
    n->fx.take();
    return n;
  }
  // Given alpha booted into Linux.
  std::unique_ptr<Node> running_linux(LinuxBreak lb = LinuxBreak::Sysrq) {
    NodeConfig c = test_config("alpha");
    c.knobs.os = Os::Linux;
    c.knobs.linux_break = lb;
    return running(&c);
  }
  /// Types `s` at alpha's console and returns what it printed.
  std::string type(Node& n, std::string_view s) {
    n.m->on_input(s, now);
    return n.fx.take();
  }
};

}  // namespace clusterd::sim::testing
