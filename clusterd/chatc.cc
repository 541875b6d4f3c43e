// chatc: the chat-script authoring tool. `check` (the checker, for people,
// editors and CI), `dot` (the state machine as a Graphviz picture), `replay`
// (a script over recorded transcripts, in virtual time). Exit status: 0 clean,
// 1 the script or its inputs have errors, 2 usage or a file that is missing.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "base/duration.h"
#include "base/escape.h"
#include "chat/compiler.h"
#include "chat/dot.h"
#include "chat/replay.h"
#include "chat/script.h"
#include "clusterd/chatc_verify.h"

namespace {

using namespace clusterd;
using namespace clusterd::chat;

constexpr const char* kUsage = R"(usage: chatc COMMAND [OPTIONS] FILE...

Commands:
  check FILE...        check chat scripts; exit 0 when clean, 1 on errors
      --strict           warnings fail too
      --json             diagnostics as a JSON array (for editors and CI)
      --format=F         text (default: message, source line, caret), gcc
                         (one line each, for quickfix lists) or json
  dot FILE             print the state machine in Graphviz DOT
                         (chatc dot x.chat | dot -Tsvg > x.svg)
  verify FILE          explore every fault at every moment against the node
                         model; prove the invariants or give a counterexample
                         (chatc verify --help; docs/verify.md)
  replay FILE          run the script in virtual time over recorded consoles
      --console ROLE=LOG   ROLE is active or standby; LOG a transcript in the
                           Logs/NAME.NODE.console format (docs/formats.md);
                           or sh: LOG is Logs/NAME.sh, exec output on channel
                           sh, its "exit N" notes raise sh.exit N
      --events FILE        timed events: "+12.5s ping.down", "... end"
      --names A,B          node names for $active and $standby (default: from
                           LOG names NAME.NODE.console, else alpha,beta)
      --unconfirmed-fence takeover|wait   the runtime's policy (default takeover)
      --confirm-window T   [timeouts] confirm_window (default 20s)
      --mutate old-presumption   the fence rule before the real-consoles
                           issue, as `chatc verify --mutate` ran it
      --window BYTES       per-channel match window (default 4096)
      --json               the timeline as a JSON array

Options for every command:
  --param NAME=VALUE   override a param's default (repeatable)
  -h, --help           this text

See docs/chat-language.md for the language, docs/formats.md for file formats.
)";

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "chatc: %s\n(chatc --help for usage)\n", escape_text(msg).c_str());
  return 2;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Error::io(path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct Args {
  std::string command;
  std::vector<std::string> files;
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> consoles;
  std::string events, names, format = "text", fence = "takeover";
  std::size_t window = 4096;
  Duration confirm_window = std::chrono::seconds(20);
  bool legacy_presumption = false;  // --mutate old-presumption (chatc verify's counterexamples)
  bool strict = false, json = false;
};

// Returns 0 when parsed, else the exit status to leave with.
int parse_args(int argc, char** argv, Args& a) {
  std::vector<std::string> v(argv + 1, argv + argc);
  if (v.empty()) return usage_error("missing command (check, dot or replay)");
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string& s = v[i];
    auto value = [&](std::string& out) {
      auto eq = s.find('=');
      if (s.rfind("--", 0) == 0 && eq != std::string::npos) {
        out = s.substr(eq + 1);
        return true;
      }
      if (i + 1 >= v.size()) return false;
      out = v[++i];
      return true;
    };
    auto key = s.substr(0, s.find('='));
    std::string val;
    if (s == "-h" || s == "--help") {
      std::fputs(kUsage, stdout);
      return -1;
    } else if (key == "--strict") {
      a.strict = true;
    } else if (key == "--json") {
      a.json = true;
      a.format = "json";
    } else if (key == "--format") {
      if (!value(a.format)) return usage_error("--format needs text, gcc or json");
      if (a.format != "text" && a.format != "gcc" && a.format != "json") {
        return usage_error("--format must be text, gcc or json, not '" + a.format + "'");
      }
      a.json = a.format == "json";
    } else if (key == "--param") {
      if (!value(val) || val.find('=') == std::string::npos)
        return usage_error("--param needs NAME=VALUE");
      a.params[val.substr(0, val.find('='))] = val.substr(val.find('=') + 1);
    } else if (key == "--console") {
      if (!value(val) || val.find('=') == std::string::npos)
        return usage_error("--console needs ROLE=LOG");
      std::string role = val.substr(0, val.find('='));
      if (role != "active" && role != "standby" && role != "sh") {
        return usage_error("--console role must be active, standby or sh, not '" + role + "'");
      }
      a.consoles[role] = val.substr(val.find('=') + 1);
    } else if (key == "--events") {
      if (!value(a.events)) return usage_error("--events needs a file");
    } else if (key == "--names") {
      if (!value(a.names) || a.names.find(',') == std::string::npos)
        return usage_error("--names needs A,B");
    } else if (key == "--unconfirmed-fence") {
      if (!value(a.fence) || (a.fence != "takeover" && a.fence != "wait")) {
        return usage_error("--unconfirmed-fence must be takeover or wait");
      }
    } else if (key == "--mutate") {
      if (!value(val) || val != "old-presumption")
        return usage_error("--mutate knows old-presumption only");
      a.legacy_presumption = true;
    } else if (key == "--confirm-window") {
      if (!value(val)) return usage_error("--confirm-window needs an interval (20s)");
      auto d = parse_duration(val);
      if (!d) return usage_error("--confirm-window: " + d.error().message);
      a.confirm_window = *d;
    } else if (key == "--window") {
      if (!value(val)) return usage_error("--window needs a number of bytes");
      try {
        a.window = std::stoul(val);
      } catch (const std::exception&) {
        return usage_error("--window needs a number of bytes, not '" + val + "'");
      }
    } else if (s.size() > 1 && s[0] == '-') {
      return usage_error("unknown option '" + s + "'");
    } else if (a.command.empty()) {
      a.command = s;
    } else {
      a.files.push_back(s);
    }
  }
  if (a.command != "check" && a.command != "dot" && a.command != "replay") {
    return usage_error("unknown command '" + a.command + "' (expected check, dot or replay)");
  }
  if (a.files.empty()) return usage_error(a.command + " needs a script file");
  if (a.command != "check" && a.files.size() > 1)
    return usage_error(a.command + " takes one script file");
  return 0;
}

void print_diagnostics(const Diagnostics& ds, const std::string& format) {
  for (const auto& d : ds) {
    std::fputs((format == "gcc" ? format_line(d) + "\n" : format_text(d)).c_str(), stderr);
  }
}

// Loads a script for dot/replay: prints diagnostics, returns null on errors.
std::unique_ptr<LoadedScript> load(const Args& a, int& status) {
  FileLoader loader;
  auto s = std::make_unique<LoadedScript>(load_script(a.files[0], loader, a.params));
  if (s->unreadable) {
    std::fprintf(stderr, "chatc: %s\n", escape_text(s->diagnostics[0].message).c_str());
    status = 2;
    return nullptr;
  }
  print_diagnostics(s->diagnostics, "text");
  if (!s->ok()) {
    status = s->unreadable ? 2 : 1;
    return nullptr;
  }
  return s;
}

int cmd_check(const Args& a) {
  FileLoader loader;
  Diagnostics all;
  int status = 0;
  for (const auto& f : a.files) {
    auto s = load_script(f, loader, a.params);
    const bool missing = s.unreadable;
    if (missing && !a.json) {
      std::fprintf(stderr, "chatc: %s\n", escape_text(s.diagnostics[0].message).c_str());
      status = std::max(status, 2);
      continue;
    }
    int errors = count(s.diagnostics, Severity::Error);
    int warnings = count(s.diagnostics, Severity::Warning);
    if (errors || (a.strict && warnings)) status = std::max(status, missing ? 2 : 1);
    all.insert(all.end(), s.diagnostics.begin(), s.diagnostics.end());
    if (!a.json) print_diagnostics(s.diagnostics, a.format);
  }
  if (a.json) std::fputs(format_json(all).c_str(), stdout);
  if (!a.json && a.format == "text") {
    int e = count(all, Severity::Error), w = count(all, Severity::Warning);
    std::fprintf(stderr, "%zu file%s checked: %d error%s, %d warning%s\n", a.files.size(),
                 a.files.size() == 1 ? "" : "s", e, e == 1 ? "" : "s", w, w == 1 ? "" : "s");
  }
  return status;
}

int cmd_dot(const Args& a) {
  int status = 0;
  auto s = load(a, status);
  if (!s) return status;
  std::string title = a.files[0];
  if (auto slash = title.rfind('/'); slash != std::string::npos) title = title.substr(slash + 1);
  std::fputs(to_dot(*s->program, title).c_str(), stdout);
  return 0;
}

// "Logs/prod.alpha.console" -> "alpha"
std::string node_from_log(const std::string& path) {
  std::string base = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  const std::string ext = ".console";
  if (base.size() <= ext.size() || base.compare(base.size() - ext.size(), ext.size(), ext) != 0)
    return {};
  base.resize(base.size() - ext.size());
  auto dot = base.rfind('.');
  return dot == std::string::npos ? std::string() : base.substr(dot + 1);
}

int cmd_replay(const Args& a) {
  int status = 0;
  auto s = load(a, status);
  if (!s) return status;
  ReplayInput input;
  ReplayOptions opt;
  opt.interpreter.window = a.window;
  opt.policy.allow_presumed = a.fence == "takeover";
  opt.policy.silence = a.confirm_window;
  opt.policy.legacy_silence = a.legacy_presumption;
  opt.interpreter.active_name = "alpha";
  opt.interpreter.standby_name = "beta";
  for (const auto& [role, path] : a.consoles) {
    auto text = read_file(path);
    if (!text) return usage_error(text.error().message);
    auto records = read_transcript(*text, path);
    if (!records) {
      std::fprintf(stderr, "chatc: %s\n", records.error().message.c_str());
      return 1;
    }
    if (role == "sh") {
      input.sh = std::move(*records);
      continue;
    }
    (role == "active" ? input.active : input.standby) = std::move(*records);
    if (auto n = node_from_log(path); !n.empty()) {
      (role == "active" ? opt.interpreter.active_name : opt.interpreter.standby_name) = n;
    }
  }
  if (!a.names.empty()) {
    opt.interpreter.active_name = a.names.substr(0, a.names.find(','));
    opt.interpreter.standby_name = a.names.substr(a.names.find(',') + 1);
  }
  if (!a.events.empty()) {
    auto text = read_file(a.events);
    if (!text) return usage_error(text.error().message);
    auto events = read_events(*text, a.events);
    if (!events) {
      std::fprintf(stderr, "chatc: %s\n", events.error().message.c_str());
      return 1;
    }
    input.events = std::move(*events);
  }
  if (!input.active && !input.standby && !input.sh && input.events.empty()) {
    return usage_error("replay needs --console ROLE=LOG or --events FILE");
  }
  auto timeline = replay(*s->program, input, opt);
  std::fputs(format_timeline(timeline, a.json).c_str(), stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "verify") == 0)
    return clusterd::chatc_verify(argc - 2, argv + 2);
  Args a;
  if (int st = parse_args(argc, argv, a); st != 0) return st < 0 ? 0 : st;
  if (a.command == "check") return cmd_check(a);
  if (a.command == "dot") return cmd_dot(a);
  return cmd_replay(a);
}
