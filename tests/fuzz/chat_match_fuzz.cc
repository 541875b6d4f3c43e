// Any console bytes, cut anywhere, through the stock patterns and a running
// interpreter. Must never crash, and the window must stay bounded.
#include <cstdio>
#include <string>

#include "base/assert.h"
#include "chat/interpreter.h"
#include "chat/script.h"

namespace {

using namespace clusterd::chat;

struct NullActuator final : Actuator {
  void send(Channel, std::string_view) override {}
  void boot(Channel, std::string_view) override {}
  void send_secret(Channel, std::string_view) override {}
  void send_break(Channel) override {}
  void alarm(AlarmSeverity, std::string_view) override {}
  void exec(const std::vector<std::string>&) override {}
  void log(std::string_view) override {}
  bool mark_fenced(Channel, FenceHow how, const FenceEvidence&) override {
    return how == FenceHow::Confirmed;
  }
  void takeover() override {}
  void power(Channel, PowerOp) override {}
};

const Program& program() {
  static LoadedScript s = [] {
    MemoryLoader files;
    files.files["p.chat"] =
        "pattern prompt = /^(\\{\\d+\\} )?ok $/\n"
        "initial state a { on active /panic\\[cpu(\\d+)\\]/ { log \"$1 $0\" } -> b\n"
        "  on standby prompt -> a\n on standby /login: ?$/ unless /grep/ -> a\n"
        "  on active \"\\xff\\x00\" -> b }\n"
        "state b { on active prompt -> a\n on active /(a+)+b/ -> b\n after 1s -> a }\n";
    return load_script("p.chat", files);
  }();
  if (!s.ok()) {  // the harness's own script is wrong: say where
    for (const auto& d : s.diagnostics) std::fputs(format_text(d).c_str(), stderr);
  }
  CLUSTERD_ASSERT(s.ok());
  return *s.program;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  NullActuator act;
  Interpreter in(program(), act, InterpreterOptions{64, 256, "a", "b"});
  TimePoint now{};
  in.start(now);
  // The first byte picks the channel and the cut points of the rest.
  std::size_t i = size ? 1 : 0;
  const unsigned step = size ? (data[0] % 13) + 1 : 1;
  while (i < size) {
    std::size_t n = std::min<std::size_t>(step, size - i);
    now += std::chrono::milliseconds(300);
    in.on_bytes((data[i] & 1) ? Channel::Active : Channel::Standby,
                std::string_view(reinterpret_cast<const char*>(data + i), n), now);
    i += n;
  }
  return 0;
}
