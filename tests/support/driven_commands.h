// Test doubles for the runtime's command runner and alarm sink: records what
// the runtime starts, kills and raises; the test says what each command
// prints and how it ends (clusterd/runtime.h CommandRunner, AlarmSink).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "clusterd/runtime.h"

namespace clusterd::testing {

struct NoAlarms : AlarmSink {
  std::vector<std::string> raised;
  void raise(chat::AlarmSeverity s, const std::string& text, const std::string&) override {
    raised.push_back(std::string(chat::severity_name(s)) + " " + text);
  }
};

// Records what the runtime starts and kills; the test says what each does.
struct DrivenCommands : CommandRunner {
  struct Started {
    std::uint64_t id;
    std::vector<std::string> argv;
  };
  std::vector<Started> started;
  std::vector<std::uint64_t> killed;
  std::set<std::string> missing;  // programs that cannot start
  bool start(std::uint64_t id, const std::vector<std::string>& argv, std::string& why) override {
    if (missing.count(argv[0])) {
      why = "No such file or directory";
      return false;
    }
    started.push_back({id, argv});
    return true;
  }
  void kill(std::uint64_t id) override { killed.push_back(id); }
  const Started& last() const { return started.back(); }
};

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/clusterd-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace clusterd::testing
