// clusterd-match: clusterd's own console matcher (the real chat interpreter and
// its RE2 pattern sets) run like the anchor matchers in /work/shared/bench
// (expect_match.exp, pexpect_match.py), so that run_anchor.sh and
// run_linerate.sh can measure it on the same streams in the same session.
//
// usage: clusterd-match [--transport pty|pipe|stdin] [--frontend ast|text] [--chunk N]
//                       [--print-script] PATTERNS.tsv [STREAM]
//
//   --transport pty    (default) spawn "cat STREAM" on a pseudo-terminal (forkpty)
//                      and read the master side, as Expect's `spawn cat` does
//   --transport pipe   read "cat STREAM" through a pipe
//   --transport stdin  read the console on fd 0 (latency_probe.py puts us on a
//                      raw pty); on the trigger "FENCE\n" is written to fd 1 at
//                      once -- the reaction the probe times. No STREAM.
//   --frontend text    (default) generate the script text below and load it
//                      with chat::load_script_text(): parser, compiler, checker
//   --frontend ast     build the same script's syntax tree in memory and hand
//                      it to chat::compile + chat::check (what load_script_text
//                      does after parsing). Same Program, same matcher; for a
//                      parser that refuses the text (commit a391fbb's parser
//                      refuses every /regex/ pattern, see bench/README.md)
//   --chunk N          hand each read to the interpreter in pieces of N bytes
//                      (deterministic small reads, as a slow serial line gives;
//                      default 0: the whole read at once)
//   --print-script     print the generated chat script on stderr
//
// PATTERNS.tsv: "name<TAB>ex|re<TAB>pattern" lines, '#' comments; the LAST
// pattern is the trigger. They become one chat script (as text or as its
// syntax tree, see --frontend), run by chat::Interpreter:
//
//   initial state watch {
//     on active "literal" { log "name1" }        # counted, keeps waiting
//     on active /regex/ { log "name2" }
//     on active /trigger/ { send active "FENCE\n" } -> done
//   }
//   state done { after 1h -> done }
//
// Every read() (64 KiB buffer) goes to Interpreter::on_bytes at one fixed time
// point (no timer matters here). Reading stops at the trigger or at EOF.
//
// Result line (stdout), the same as the anchors':
//   RESULT tool=clusterd transport=pty k=10 status=trigger hits=name:n,... self_cpu_s=1.23
//   vmhwm_kb=4567 react_us=12
// hits: the non-trigger patterns that matched, in file order, "-" if none.
// self_cpu_s: getrusage(RUSAGE_SELF) user+sys; vmhwm_kb: /proc/self/status VmHWM.
// react_us (ours only, after the common fields): from the return of the read()
// that brought the trigger to the end of the trigger's send ("-" without one).
// Exit status: 0 on the trigger (or at EOF when K=0), 2 at EOF without it,
// 64 on bad usage or a bad pattern file.
#include <fcntl.h>
#include <pty.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"
#include "chat/actuator.h"
#include "chat/ast.h"
#include "chat/checker.h"
#include "chat/compiler.h"
#include "chat/interpreter.h"
#include "chat/program.h"
#include "chat/script.h"

namespace {

namespace chat = clusterd::chat;

constexpr int kUsage = 64;

struct Pattern {
  std::string name;
  bool regex = false;
  std::string text;
};

[[noreturn]] void die(const std::string& msg, int code = kUsage) {
  std::fprintf(stderr, "clusterd-match: %s\n", msg.c_str());
  std::exit(code);
}

// Same reading rules as pexpect_match.py's load_patterns().
std::vector<Pattern> load_patterns(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) die(path + ": " + std::strerror(errno));
  std::vector<Pattern> out;
  std::string line;
  while (std::getline(f, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto t1 = line.find('\t');
    auto t2 = t1 == std::string::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string::npos) die("bad pattern line: " + line);
    Pattern p;
    p.name = line.substr(0, t1);
    std::string kind = line.substr(t1 + 1, t2 - t1 - 1);
    if (kind != "ex" && kind != "re") die("bad pattern line: " + line);
    p.regex = kind == "re";
    p.text = line.substr(t2 + 1);  // the rest, tabs included
    out.push_back(std::move(p));
  }
  return out;
}

// A chat "string": \\ and \" escaped, control bytes as \xHH; `$` escaped too
// (strings interpolate $name in actions; in patterns `\$` is just a dollar).
std::string quote_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\\' || c == '"' || c == '$') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(u));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// A chat /regex/: an unescaped '/' is written '\/' (the parser turns it back
// into '/'); every other escape pair is copied as is.
std::string quote_regex(std::string_view s) {
  std::string out = "/";
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out += s[i];
      out += s[++i];
    } else if (s[i] == '/') {
      out += "\\/";
    } else {
      out += s[i];
    }
  }
  return out + "/";
}

std::string make_script(const std::vector<Pattern>& pats) {
  std::string s = "# generated by clusterd-match\ninitial state watch {\n";
  for (std::size_t i = 0; i < pats.size(); ++i) {
    const Pattern& p = pats[i];
    s += "  on active ";
    s += p.regex ? quote_regex(p.text) : quote_string(p.text);
    if (i + 1 == pats.size()) {
      s += " { send active \"FENCE\\n\" } -> done\n";
    } else {
      s += " { log " + quote_string(p.name) + " }\n";
    }
  }
  s += "}\nstate done { after 1h -> done }\n";
  return s;
}

// The same script as make_script() builds, as the syntax tree the parser would
// produce for it (escapes decoded, `\/` turned back into `/`). Used by
// `--frontend ast`, which goes straight to the real compiler, checker,
// matcher and interpreter without the text parser.
chat::ast::Script make_ast(const std::vector<Pattern>& pats) {
  namespace ast = chat::ast;
  int line = 1;
  auto loc = [&line]() { return clusterd::Loc{"<clusterd-match>", line, 1}; };
  auto name = [&](std::string text) { return ast::Name{std::move(text), loc()}; };
  auto text = [&](std::string bytes) {
    ast::Text t;
    t.loc = loc();
    t.segments.push_back({ast::Text::Segment::Kind::Literal, std::move(bytes), 0, t.loc});
    return t;
  };
  ast::Script script;
  ast::StateDecl watch;
  watch.initial = true;
  watch.name = name("watch");
  for (std::size_t i = 0; i < pats.size(); ++i) {
    ++line;
    ast::Handler h;
    h.kind = ast::Handler::Kind::Pattern;
    h.loc = loc();
    h.channel = name("active");
    h.pattern.any.push_back(ast::PatternAtom{pats[i].regex, pats[i].text, loc()});
    ast::Action a;
    a.loc = loc();
    if (i + 1 == pats.size()) {
      a.kind = ast::Action::Kind::Send;
      a.channel = name("active");
      a.text = text("FENCE\n");
      h.target = name("done");
    } else {
      a.kind = ast::Action::Kind::Log;
      a.text = text(pats[i].name);
    }
    h.actions.push_back(std::move(a));
    watch.handlers.push_back(std::move(h));
  }
  ++line;
  ast::StateDecl done;
  done.name = name("done");
  ast::Handler after;
  after.kind = ast::Handler::Kind::After;
  after.loc = loc();
  after.after.literal = std::chrono::hours(1);
  after.after.loc = loc();
  after.target = name("done");
  done.handlers.push_back(std::move(after));
  script.states.push_back(std::move(watch));
  script.states.push_back(std::move(done));
  return script;
}

// What load_script_text() does after parsing: compile, then check; the
// program is kept only when neither found an error.
chat::LoadedScript load_ast(chat::ast::Script script) {
  chat::LoadedScript out;
  auto compiled = chat::compile(script);
  out.diagnostics = std::move(compiled.diagnostics);
  if (compiled.program) {
    chat::check(*compiled.program, out.diagnostics);
    if (clusterd::count(out.diagnostics, clusterd::Severity::Error) == 0)
      out.program = std::move(compiled.program);
  }
  out.script = std::move(script);
  return out;
}

// Counts `log NAME` per pattern; notes the trigger's `send`.
class CountingActuator final : public chat::Actuator {
 public:
  CountingActuator(const std::vector<Pattern>& pats, bool fence_on_stdout)
      : hits_(pats.size(), 0), fence_on_stdout_(fence_on_stdout) {
    for (std::size_t i = 0; i < pats.size(); ++i) index_.emplace(pats[i].name, i);
  }

  bool triggered() const { return triggered_; }
  /// When the trigger's send was done (after the FENCE write in stdin mode).
  std::chrono::steady_clock::time_point sent_at() const { return sent_at_; }
  const std::vector<long>& hits() const { return hits_; }
  const std::vector<std::string>& faults() const { return faults_; }

  void send(chat::Channel, std::string_view bytes) override {
    if (fence_on_stdout_) {
      const char* p = bytes.data();
      std::size_t left = bytes.size();
      while (left > 0) {
        ssize_t w = ::write(STDOUT_FILENO, p, left);
        if (w < 0) {
          if (errno == EINTR) continue;
          break;
        }
        p += w;
        left -= static_cast<std::size_t>(w);
      }
    }
    triggered_ = true;
    sent_at_ = std::chrono::steady_clock::now();
  }
  void log(std::string_view text) override {
    auto it = index_.find(std::string(text));
    if (it != index_.end()) ++hits_[it->second];
  }
  void fault(std::string_view what) override { faults_.emplace_back(what); }

  void boot(chat::Channel ch, std::string_view bytes) override { send(ch, bytes); }
  void send_secret(chat::Channel, std::string_view) override {}
  void send_break(chat::Channel) override {}
  void alarm(chat::AlarmSeverity, std::string_view) override {}
  void exec(const std::vector<std::string>&) override {}
  bool mark_fenced(chat::Channel, chat::FenceHow, const chat::FenceEvidence&) override {
    return true;
  }
  void takeover() override {}
  void power(chat::Channel, chat::PowerOp) override {}

 private:
  std::map<std::string, std::size_t, std::less<>> index_;
  std::vector<long> hits_;
  std::vector<std::string> faults_;
  bool fence_on_stdout_;
  bool triggered_ = false;
  std::chrono::steady_clock::time_point sent_at_{};
};

long vmhwm_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

double self_cpu_s() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

// The child side of the pty and pipe transports: `cat STREAM`.
[[noreturn]] void exec_cat(const std::string& stream) {
  ::execlp("cat", "cat", stream.c_str(), static_cast<char*>(nullptr));
  std::fprintf(stderr, "clusterd-match: exec cat: %s\n", std::strerror(errno));
  ::_exit(127);
}

}  // namespace

int main(int argc, char** argv) {
  std::string transport = "pty";
  std::string frontend = "text";
  bool print_script = false;
  std::size_t chunk = 0;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--transport" || a == "-transport") {
      if (i + 1 >= argc) die("--transport needs pty, pipe or stdin");
      transport = argv[++i];
    } else if (a.rfind("--transport=", 0) == 0) {
      transport = a.substr(12);
    } else if (a == "--frontend") {
      if (i + 1 >= argc) die("--frontend needs ast or text");
      frontend = argv[++i];
    } else if (a == "--chunk") {
      if (i + 1 >= argc) die("--chunk needs a byte count");
      chunk = static_cast<std::size_t>(std::strtoul(argv[++i], nullptr, 10));
    } else if (a == "--print-script") {
      print_script = true;
    } else {
      args.push_back(a);
    }
  }
  const bool use_stdin = transport == "stdin";
  if (transport != "pty" && transport != "pipe" && !use_stdin)
    die("unknown transport " + transport);
  if (frontend != "ast" && frontend != "text") die("unknown frontend " + frontend);
  // stdin mode accepts (and ignores) a STREAM argument such as "-".
  if (args.empty() || args.size() > 2 || (!use_stdin && args.size() != 2)) {
    die("usage: clusterd-match [--transport pty|pipe|stdin] [--frontend ast|text] [--chunk N] "
        "[--print-script] PATTERNS.tsv [STREAM]");
  }

  const std::vector<Pattern> pats = load_patterns(args[0]);
  const std::size_t k = pats.size();
  const std::string script = make_script(pats);
  if (print_script) std::fputs(script.c_str(), stderr);

  chat::LoadedScript loaded = frontend == "text"
                                  ? chat::load_script_text(script, "<" + args[0] + ">")
                                  : load_ast(make_ast(pats));
  for (const auto& d : loaded.diagnostics) {
    if (d.severity == clusterd::Severity::Error)
      std::fputs(clusterd::format_text(d).c_str(), stderr);
  }
  if (!loaded.ok()) {
    die(frontend == "text"
            ? "the generated script was refused (see above; --frontend ast skips the parser)"
            : "the generated script was refused (see above)");
  }

  CountingActuator act(pats, use_stdin);
  chat::Interpreter in(*loaded.program, act);
  const chat::TimePoint now = std::chrono::steady_clock::now();  // fixed: no timer matters
  in.start(now);

  int fd = STDIN_FILENO;
  pid_t child = -1;
  if (transport == "pty") {
    child = ::forkpty(&fd, nullptr, nullptr, nullptr);
    if (child < 0) die(std::string("forkpty: ") + std::strerror(errno), 1);
    if (child == 0) exec_cat(args[1]);
  } else if (transport == "pipe") {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) die(std::string("pipe: ") + std::strerror(errno), 1);
    child = ::fork();
    if (child < 0) die(std::string("fork: ") + std::strerror(errno), 1);
    if (child == 0) {
      ::dup2(p[1], STDOUT_FILENO);  // dup2 clears FD_CLOEXEC on the copy
      exec_cat(args[1]);
    }
    ::close(p[1]);
    fd = p[0];
  }

  std::vector<char> buf(64 * 1024);
  std::chrono::steady_clock::time_point read_at{};
  const char* status = "eof";
  while (!act.triggered()) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    read_at = std::chrono::steady_clock::now();
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EIO) std::fprintf(stderr, "clusterd-match: read: %s\n", std::strerror(errno));
      break;  // EIO: the pty's slave side was closed (cat exited)
    }
    if (n == 0) break;
    const std::string_view got(buf.data(), static_cast<std::size_t>(n));
    if (chunk == 0) {
      in.on_bytes(chat::Channel::Active, got, now);
    } else {
      for (std::size_t off = 0; off < got.size() && !act.triggered(); off += chunk) {
        in.on_bytes(chat::Channel::Active, got.substr(off, chunk), now);
      }
    }
  }
  if (act.triggered()) status = "trigger";

  const double cpu = self_cpu_s();
  const long hwm = vmhwm_kb();
  std::string hs;
  for (std::size_t i = 0; i + 1 < k; ++i) {
    if (act.hits()[i] == 0) continue;
    if (!hs.empty()) hs += ',';
    hs += pats[i].name + ":" + std::to_string(act.hits()[i]);
  }
  if (hs.empty()) hs = "-";
  // react_us (an extra field after the anchors' ones): from the return of the
  // read() that brought the trigger to the end of its send (the FENCE write).
  std::string react = "-";
  if (act.triggered()) {
    react = std::to_string(
        std::chrono::duration_cast<std::chrono::microseconds>(act.sent_at() - read_at).count());
  }
  std::printf(
      "RESULT tool=clusterd transport=%s k=%zu status=%s hits=%s self_cpu_s=%.3f vmhwm_kb=%ld "
      "react_us=%s\n",
      transport.c_str(), k, status, hs.c_str(), cpu, hwm, react.c_str());
  std::fflush(stdout);
  for (const auto& f : act.faults())
    std::fprintf(stderr, "clusterd-match: interpreter: %s\n", f.c_str());

  if (child > 0) {
    ::close(fd);  // pty: the child gets SIGHUP; pipe: SIGPIPE on its next write
    int st = 0;
    while (::waitpid(child, &st, 0) < 0 && errno == EINTR) {
    }
  }
  return act.triggered() || k == 0 ? 0 : 2;
}
