#include "clusterd/console_check.h"

#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20

#include <re2/re2.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>

#include "base/escape.h"
#include "base/secrets.h"
#include "tty/console.h"
#include "tty/transcript_writer.h"

namespace clusterd {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Prints console bytes escaped, breaking the screen line after each "\n" so
// the output reads like the console while no control byte reaches the terminal.
void show(std::ostream& out, char marker, std::string_view bytes, bool& at_line_start) {
  while (!bytes.empty()) {
    auto nl = bytes.find('\n');
    auto piece = bytes.substr(0, nl == std::string_view::npos ? bytes.size() : nl + 1);
    if (at_line_start) out << marker << ' ';
    out << escape(piece);
    at_line_start = piece.back() == '\n';
    if (at_line_start) out << '\n';
    bytes.remove_prefix(piece.size());
  }
  out.flush();
}

}  // namespace

int run_console_check(const ConsoleCheckOptions& o, std::ostream& out, std::ostream& err) {
  auto ep = tty::parse_endpoint(o.uri);
  if (!ep.ok()) {
    err << "clusterctl console: " << ep.error().message << "\n";
    return 2;
  }
  std::vector<std::string> sends;
  for (const auto& s : o.send) {
    auto bytes = unescape(s);
    if (!bytes) {
      err << "clusterctl console: --send '" << s
          << "': bad escape (use \\r, \\n, \\t, \\xHH, \\\\)\n";
      return 64;
    }
    sends.push_back(std::move(*bytes));
  }
  std::unique_ptr<RE2> expect;
  if (!o.expect.empty()) {
    RE2::Options opts;
    opts.set_encoding(RE2::Options::EncodingLatin1);
    opts.set_log_errors(false);
    expect = std::make_unique<RE2>(o.expect, opts);
    if (!expect->ok()) {
      err << "clusterctl console: --expect '" << o.expect << "': " << expect->error() << "\n";
      return 64;
    }
  }
  std::unique_ptr<SecretsFile> secrets;
  if (!o.secrets.empty()) {
    auto s = SecretsFile::load(o.secrets);
    if (!s.ok()) {
      err << "clusterctl console: " << s.error().message << "\n";
      return 2;
    }
    secrets = std::make_unique<SecretsFile>(std::move(s.value()));
  }
  std::unique_ptr<tty::TranscriptWriter> log;
  if (!o.log.empty()) {
    auto w = tty::TranscriptWriter::open(
        {.path = o.log, .header = "# clusterd transcript v1 uri=" + o.uri});
    if (!w.ok()) {
      err << "clusterctl console: " << w.error().message << "\n";
      return 2;
    }
    log = std::move(w.value());
  }

  boost::asio::io_context io;
  boost::asio::steady_timer deadline(io);
  std::unique_ptr<tty::Console> console;
  auto start = Clock::now();
  int status = -1;
  bool line_start = true;
  std::string line;  // current partial line, for --expect
  auto finish = [&](int s) {
    if (status >= 0) return;
    status = s;
    deadline.cancel();
    if (console) console->close();
    io.stop();
  };

  tty::ConsoleHandlers h;
  h.on_up = [&] {
    err << "clusterctl console: connected in " << seconds_since(start) << " s\n";
    if (o.send_break) {
      bool sent = console->send_break();
      err << "clusterctl console: BREAK " << (sent ? "sent: " : "NOT sent: ")
          << console->break_method() << "\n";
    }
    for (const auto& s : sends) {
      console->write(s);
      if (!o.quiet) {
        bool ls = true;
        show(out, '>', s, ls);
        if (!ls) out << '\n';
        line_start = true;
      }
    }
  };
  h.on_bytes = [&](std::string_view bytes) {
    if (!o.quiet) show(out, '<', bytes, line_start);
    if (!expect) return;
    for (char c : bytes) {
      if (c == '\n') {
        line.clear();
        continue;
      }
      line += c;
      if (line.size() > 4096) line.erase(0, 2048);
      // A prompt has no newline: try the partial line after each byte that
      // could end one, and at the end of the chunk.
      if (c == ' ' || c == ':' || c == '>' || c == '#' || c == '$' || c == '\r') {
        if (RE2::PartialMatch(line, *expect)) {
          if (!line_start) out << '\n';
          err << "clusterctl console: matched /" << o.expect << "/ after " << seconds_since(start)
              << " s\n";
          finish(0);
          return;
        }
      }
    }
    if (RE2::PartialMatch(line, *expect)) {
      if (!line_start) out << '\n';
      err << "clusterctl console: matched /" << o.expect << "/ after " << seconds_since(start)
          << " s\n";
      finish(0);
    }
  };
  h.on_lost = [&](tty::LostReason r, const std::string& detail, Duration) {
    if (!line_start) out << '\n';
    err << "clusterctl console: lost (" << tty::lost_reason_name(r) << "): " << detail << "\n";
    finish(2);
  };

  err << "clusterctl console: " << tty::scheme_name(ep->scheme) << " endpoint " << o.uri << "\n"
      << "clusterctl console: BREAK is delivered as: " << tty::describe_break(*ep) << "\n";
  console = tty::make_console(*ep, std::move(h),
                              {.io = &io, .transcript = log.get(), .secrets = secrets.get()});
  console->open();
  deadline.expires_after(o.timeout);
  deadline.async_wait([&](const boost::system::error_code& ec) {
    if (ec) return;
    if (!line_start) out << '\n';
    if (!console->is_up()) {
      err << "clusterctl console: no connection within " << format_duration(o.timeout) << "\n";
      finish(2);
    } else if (expect) {
      err << "clusterctl console: /" << o.expect << "/ did not arrive within "
          << format_duration(o.timeout) << "\n";
      finish(1);
    } else {
      finish(0);
    }
  });
  io.run();
  if (status < 0) status = 2;
  return status;
}

}  // namespace clusterd
