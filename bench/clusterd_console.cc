// clusterd-console-bench: the real tty::Console transports (tty::make_console,
// default settings) measured the way bench/run_transports.sh compares them
// with socat and OpenSSH on the same stream in the same session. No chat
// script, no matcher: bytes are counted (and optionally written out), so the
// figures are the transport's own cost.
//
// usage: clusterd-console-bench stream URI --bytes N [--out FILE] [--timeout S]
//        clusterd-console-bench idle --count N --seconds S [--up-timeout S] URI_TEMPLATE...
//
//   stream  opens one console and counts received bytes until N (or until the
//           link is lost, or --timeout, default 600 s); --out writes them to
//           FILE too (correctness runs only: it adds a write per read)
//   idle    opens N consoles, waits until all are up, then runs the loop for
//           S seconds and measures CPU and memory. URI_TEMPLATE: `{i}` becomes
//           0..N-1; with several templates console i uses template i % k.
//
// Result lines (stdout):
//   RESULT mode=stream uri=U status=complete|lost:REASON|timeout bytes=B seconds=T
//          up_s=U mb_s=M self_cpu_s=C vmhwm_kb=H
//     seconds: open() to the Nth byte (connect and handshake included, as an
//     external client timed by /usr/bin/time); up_s: open() to on_up; mb_s:
//     bytes / 1e6 / seconds; self_cpu_s: getrusage(RUSAGE_SELF) user+sys.
//   RESULT mode=idle transport=T count=N seconds=S cpu_s=C cpu_pct=P
//          cpu_pct_per_console=Q rss_per_console_kb=R heap_per_console_kb=H
//          dirty_per_console_kb=D rss_marginal_kb=R1 heap_marginal_kb=H1
//          rss_growth_kb=G heap_growth_kb=G2 nvcsw=V nivcsw=I losts=L bytes=B
//     cpu_*: user+sys over the S-second window as % of one core (total, and / N);
//     *_per_console: (all up) - (before the first open), / N;
//     *_marginal: (all up) - (the first console up), / (N-1): without one-time
//     costs (the shared 64 KiB read buffer, Asio's reactor, libssh/libtelnet
//     first use); heap = mallinfo2() uordblks + hblkhd; dirty =
//     /proc/self/smaps_rollup Private_Dirty; *_growth: end of the window minus
//     start (whole process); nvcsw/nivcsw: context switches in the window
//     (one voluntary switch ~ one wake-up); losts: on_lost calls in the window.
// Exit status: 0 when the stream completed (or every idle console stayed up),
// 1 otherwise, 64 on bad usage.
#include <malloc.h>
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <utility>  // before Asio: Boost 1.74 + GCC 12 + C++20
#include <vector>

#include "tty/console.h"

namespace {

namespace tty = clusterd::tty;
using Clock = std::chrono::steady_clock;
constexpr int kUsage = 64;

[[noreturn]] void die(const std::string& msg, int code = kUsage) {
  std::fprintf(stderr, "clusterd-console-bench: %s\n", msg.c_str());
  std::exit(code);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Usage {
  double cpu_s = 0;
  long nvcsw = 0, nivcsw = 0;
};

Usage self_usage() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return {tv(ru.ru_utime) + tv(ru.ru_stime), ru.ru_nvcsw, ru.ru_nivcsw};
}

/// The kB figure after `key` in a /proc file of "Key:   123 kB" lines; -1 if absent.
long proc_kb(const char* path, const std::string& key) {
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key, 0) == 0) return std::strtol(line.c_str() + key.size(), nullptr, 10);
  }
  return -1;
}

struct Memory {
  long rss_kb = 0, dirty_kb = 0;
  double heap_kb = 0;
};

Memory memory_now() {
  struct mallinfo2 mi = ::mallinfo2();
  return {proc_kb("/proc/self/status", "VmRSS:"),
          proc_kb("/proc/self/smaps_rollup", "Private_Dirty:"),
          static_cast<double>(mi.uordblks + mi.hblkhd) / 1024.0};
}

/// Runs the loop for `seconds` the way the daemon does (io.run() until stopped).
/// Not io_context::run_for(): Boost 1.74 wakes that up every second
/// (run_one_until caps each wait at 1 s), which would be billed to the consoles.
void run_loop_for(boost::asio::io_context& io, double seconds) {
  boost::asio::steady_timer stop(io);
  stop.expires_after(
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
  stop.async_wait([&io](const boost::system::error_code& ec) {
    if (!ec) io.stop();
  });
  io.restart();
  io.run();
}

tty::Endpoint parse_or_die(const std::string& uri) {
  auto e = tty::parse_endpoint(uri);
  if (!e.ok()) die(e.error().message);
  return *e;
}

// --- stream -------------------------------------------------------------------

int run_stream(const std::string& uri, unsigned long long want, const std::string& out_path,
               double timeout_s) {
  boost::asio::io_context io;
  FILE* out = out_path.empty() ? nullptr : std::fopen(out_path.c_str(), "wb");
  if (!out_path.empty() && !out) die(out_path + ": " + std::strerror(errno), 1);
  unsigned long long got = 0;
  std::string status = "timeout";
  double up_s = -1, done_s = -1;
  auto t0 = Clock::now();
  tty::ConsoleHandlers h;
  h.on_bytes = [&](std::string_view b) {
    if (out) std::fwrite(b.data(), 1, b.size(), out);
    got += b.size();
    if (got >= want && done_s < 0) {
      done_s = seconds_since(t0);
      status = "complete";
      io.stop();
    }
  };
  h.on_up = [&] { up_s = seconds_since(t0); };
  h.on_lost = [&](tty::LostReason r, const std::string& detail, clusterd::Duration) {
    if (done_s >= 0) return;
    done_s = seconds_since(t0);
    status = std::string("lost:") + tty::lost_reason_name(r);
    std::fprintf(stderr, "clusterd-console-bench: lost (%s): %s\n", tty::lost_reason_name(r),
                 detail.c_str());
    io.stop();
  };
  auto console = tty::make_console(parse_or_die(uri), std::move(h), {.io = &io});
  console->open();
  run_loop_for(io, timeout_s);
  if (done_s < 0) done_s = seconds_since(t0);
  console->close();
  console.reset();
  if (out) std::fclose(out);
  Usage u = self_usage();
  std::printf(
      "RESULT mode=stream uri=%s status=%s bytes=%llu seconds=%.4f up_s=%.4f mb_s=%.1f "
      "self_cpu_s=%.3f vmhwm_kb=%ld\n",
      uri.c_str(), status.c_str(), got, done_s, up_s, static_cast<double>(got) / 1e6 / done_s,
      u.cpu_s, proc_kb("/proc/self/status", "VmHWM:"));
  return status == "complete" ? 0 : 1;
}

// --- idle -------------------------------------------------------------------------

std::string expand(std::string t, int i) {
  for (auto at = t.find("{i}"); at != std::string::npos; at = t.find("{i}"))
    t.replace(at, 3, std::to_string(i));
  return t;
}

int run_idle(int count, double seconds, double up_timeout_s,
             const std::vector<std::string>& templates) {
  boost::asio::io_context io;
  std::vector<tty::Endpoint> eps;
  for (int i = 0; i < count; ++i)
    eps.push_back(
        parse_or_die(expand(templates[static_cast<std::size_t>(i) % templates.size()], i)));
  int losts = 0;
  unsigned long long bytes = 0;
  std::vector<std::unique_ptr<tty::Console>> consoles;
  auto open_one = [&](const tty::Endpoint& e) {
    tty::ConsoleHandlers h;
    h.on_bytes = [&](std::string_view b) { bytes += b.size(); };
    h.on_lost = [&](tty::LostReason r, const std::string& detail, clusterd::Duration) {
      ++losts;
      std::fprintf(stderr, "clusterd-console-bench: %s lost (%s): %s\n", e.uri.c_str(),
                   tty::lost_reason_name(r), detail.c_str());
    };
    consoles.push_back(tty::make_console(e, std::move(h), {.io = &io}));
    consoles.back()->open();
  };
  auto all_up = [&] {
    for (const auto& c : consoles) {
      if (!c->is_up()) return false;
    }
    return true;
  };
  auto wait_all_up = [&] {
    auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(up_timeout_s));
    while (!all_up() && Clock::now() < end) run_loop_for(io, 0.01);
    // Let negotiation (telnet option replies) finish before measuring.
    run_loop_for(io, 0.5);
    return all_up();
  };

  Memory m0 = memory_now();
  open_one(eps[0]);
  if (!wait_all_up()) die("the first console did not come up", 1);
  Memory m1 = memory_now();
  for (int i = 1; i < count; ++i) open_one(eps[static_cast<std::size_t>(i)]);
  if (!wait_all_up()) die("not every console came up", 1);
  Memory mn = memory_now();

  int losts_before = losts;
  unsigned long long bytes_before = bytes;
  Usage u0 = self_usage();
  auto t0 = Clock::now();
  run_loop_for(io, seconds);
  double wall = seconds_since(t0);
  Usage u1 = self_usage();
  Memory me = memory_now();
  bool stayed_up = all_up() && losts == losts_before;

  const double cpu = u1.cpu_s - u0.cpu_s;
  const double pct = 100.0 * cpu / wall;
  const double n = count, n1 = count > 1 ? count - 1 : 1;
  std::printf(
      "RESULT mode=idle transport=%s count=%d seconds=%.1f cpu_s=%.4f cpu_pct=%.4f "
      "cpu_pct_per_console=%.6f "
      "rss_per_console_kb=%.2f heap_per_console_kb=%.2f dirty_per_console_kb=%.2f "
      "rss_marginal_kb=%.2f "
      "heap_marginal_kb=%.2f rss_growth_kb=%ld heap_growth_kb=%.1f nvcsw=%ld nivcsw=%ld losts=%d "
      "bytes=%llu\n",
      tty::scheme_name(eps[0].scheme), count, wall, cpu, pct, pct / n,
      static_cast<double>(mn.rss_kb - m0.rss_kb) / n, (mn.heap_kb - m0.heap_kb) / n,
      static_cast<double>(mn.dirty_kb - m0.dirty_kb) / n,
      static_cast<double>(mn.rss_kb - m1.rss_kb) / n1, (mn.heap_kb - m1.heap_kb) / n1,
      me.rss_kb - mn.rss_kb, me.heap_kb - mn.heap_kb, u1.nvcsw - u0.nvcsw, u1.nivcsw - u0.nivcsw,
      losts - losts_before, bytes - bytes_before);
  std::fflush(stdout);
  for (auto& c : consoles) c->close();
  consoles.clear();
  return stayed_up ? 0 : 1;
}

double number_or_die(const char* flag, const char* v) {
  char* end = nullptr;
  double d = std::strtod(v, &end);
  if (end == v || *end != '\0' || d < 0) die(std::string(flag) + ": not a number: " + v);
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string usage =
      "usage: clusterd-console-bench stream URI --bytes N [--out FILE] [--timeout S]\n"
      "       clusterd-console-bench idle --count N --seconds S [--up-timeout S] URI_TEMPLATE...";
  if (argc < 2) die(usage);
  std::string mode = argv[1];
  std::vector<std::string> rest;
  double bytes = -1, timeout = 600, count = 100, seconds = 60, up_timeout = 60;
  std::string out;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--bytes")
      bytes = number_or_die("--bytes", value());
    else if (a == "--out")
      out = value();
    else if (a == "--timeout")
      timeout = number_or_die("--timeout", value());
    else if (a == "--count")
      count = number_or_die("--count", value());
    else if (a == "--seconds")
      seconds = number_or_die("--seconds", value());
    else if (a == "--up-timeout")
      up_timeout = number_or_die("--up-timeout", value());
    else if (a.rfind("--", 0) == 0)
      die("unknown option " + a + "\n" + usage);
    else
      rest.push_back(a);
  }
  if (mode == "stream") {
    if (rest.size() != 1 || bytes < 0) die(usage);
    return run_stream(rest[0], static_cast<unsigned long long>(bytes), out, timeout);
  }
  if (mode == "idle") {
    if (rest.empty() || count < 1) die(usage);
    return run_idle(static_cast<int>(count), seconds, up_timeout, rest);
  }
  die(usage);
}
