#include "sim/node_runner.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/escape.h"
#include "sim/ledger.h"

namespace clusterd::sim {
namespace {

constexpr const char* kHelp =
    "ok commands: status | power-on | power-off | power-cycle | shutdown [hang] | panic | hang | "
    "unhang | "
    "break [telnet-brk|rfc2217|alt-break] | break-disable | break-enable | "
    "kbd-abort enable|disable|alternate | hang-break on|off | "
    "alt-break on|off | battery-dead [on|off] | type \"TEXT\" | garbage BYTES | flood BPS | "
    "os solaris|linux | linux-break sysrq|direct | boot-panic [once|on|off] | "
    "session login|root|bash | quote-panic | sp-park alom|ilom|none | sp-unpark | "
    "disk-off | disk-on | disk-label-corrupt | disk-label-fix | cable-pull | cable-plug | "
    "ip-change ADDR[/PREFIX] | icmp-loss PCT | icmp-ignore on|off | help";

}  // namespace

NodeRunner::NodeRunner(boost::asio::io_context& io, RunOptions opt,
                       std::shared_ptr<spdlog::logger> log)
    : io_(io), opt_(std::move(opt)), log_(std::move(log)), disk_(opt_.disk_path), timer_(io) {}

NodeRunner::~NodeRunner() {
  if (model_) {
    // A stopped simulator no longer holds the disk: say so, so the ledger
    // does not show a lease nobody releases.
    model_->control("power-off", now());
  }
  if (ledger_fd_ > 2) ::close(ledger_fd_);
}

Result<void> NodeRunner::start() {
  std::error_code ec;
  std::filesystem::create_directories(nodesim_dir(), ec);
  if (opt_.ledger_path == "-") {
    ledger_fd_ = 1;
  } else {
    ledger_fd_ = ::open(opt_.ledger_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (ledger_fd_ < 0) return Error::io("cannot open ledger " + opt_.ledger_path);
  }
  if (auto r = FileDisk::init(opt_.disk_path); !r) return r.error();
  if (auto stale = disk_.clear_stale(opt_.node.name); stale && *stale) {
    ledger(LedgerRecord(now(), opt_.node.name, "lease_release")
               .add("why", "stale lease of a previous run")
               .line());
  }
  auto nv = load_nvram(opt_.nvram_path, opt_.auto_boot);
  if (!nv) return nv.error();
  if (auto r = save_nvram_file(opt_.nvram_path, *nv); !r) return r.error();

  model_ = std::make_unique<NodeModel>(opt_.node, *nv, *this, disk_);
  // Input is handled before any overdue timed work (rearm() runs that): the
  // bytes arrived first, and after a stall the BREAK must win (see rearm).
  // What the model logs while it handles the input names its sender; the
  // overdue work rearm() then runs was not caused by it and does not.
  auto on_data = [this](std::string_view bytes, const std::string& from) {
    input_from_ = from;
    model_->on_input(bytes, now());
    input_from_.clear();
    rearm();
  };
  auto on_break = [this](BreakVia via, const std::string& from) {
    log_->info("BREAK via {} from {}", to_string(via), from);
    input_from_ = from;
    model_->on_break(via, now());
    input_from_.clear();
    rearm();
  };
  auto on_kick = [this](const std::string& from, const std::string& by) {
    log_->info("telnet client {} kicked by {} (--kick-old-user)", from, by);
    ledger(LedgerRecord(now(), opt_.node.name, "session_kicked")
               .add("from", from)
               .add("by", by)
               .line());
  };
  try {
    if (opt_.telnet_port >= 0) {
      telnet_ = std::make_unique<TelnetServer>(io_, opt_.telnet_host,
                                               static_cast<unsigned short>(opt_.telnet_port),
                                               on_data, on_break, opt_.kick_old_user, on_kick);
    }
    ctl_ = std::make_unique<ControlServer>(io_, opt_.ctl_path,
                                           [this](const std::string& l) { return control(l); });
  } catch (const boost::system::system_error& e) {
    return Error::io(std::string("cannot listen: ") + e.what());
  }
  if (!opt_.pty_link.empty()) {
    auto p = PtyPort::open(io_, opt_.pty_link,
                           [on_data](std::string_view bytes) { on_data(bytes, "pty"); });
    if (!p) return p.error();
    pty_ = std::move(p).value();
  }
  net_ = std::make_unique<NetHooks>(io_, opt_.net, opt_.node.name);
  model_->start(now());
  rearm();
  log_->info("node {} up: telnet={} pty={} ctl={} disk={} ledger={}", opt_.node.name,
             telnet_ ? std::to_string(telnet_->port()) : "-", pty_ ? pty_->slave_path() : "-",
             opt_.ctl_path, opt_.disk_path, opt_.ledger_path);
  if (!opt_.ready_file.empty()) {
    std::ofstream(opt_.ready_file + ".tmp")
        << "telnet=" << telnet_port() << " pty=" << (pty_ ? pty_->slave_path() : "-")
        << " ctl=" << opt_.ctl_path << "\n";
    std::filesystem::rename(opt_.ready_file + ".tmp", opt_.ready_file, ec);
  }
  return {};
}

void NodeRunner::rearm() {
  model_->advance_to(now());
  auto d = model_->next_deadline();
  timer_.cancel();
  if (!d) return;
  timer_.expires_at(*d);
  timer_.async_wait([this](auto ec) {
    if (ec) return;  // cancelled: a newer deadline replaced this one
    // Run the due work only after input that is already waiting: a nodesim
    // resumed after SIGSTOP (scenario A9) must see the BREAK queued while it
    // was stopped before it writes another record, as a real CPU would take
    // the pending interrupt first.
    boost::asio::post(io_, [this] { rearm(); });
  });
}

std::string NodeRunner::control(const std::string& line) {
  if (log_->should_log(spdlog::level::debug)) log_->debug("control: {}", escape(line));
  std::istringstream in(line);
  std::string cmd, arg;
  in >> cmd >> arg;
  // Catch the model up first: the timer may not have fired yet for work due
  // by now, and a command acts on the node as it is now (a `status` just
  // after T_boot says RUNNING, not BOOTING).
  model_->advance_to(now());
  std::string reply;
  if (cmd == "help") {
    reply = kHelp;
  } else if (cmd == "status") {
    reply = model_->control(line, now()) + " " + net_->status();
  } else if (auto r = net_->control(cmd, arg)) {
    ledger(LedgerRecord(now(), opt_.node.name, "control").add("cmd", line).line());
    reply = *r;
  } else {
    reply = model_->control(line, now());
  }
  rearm();
  return reply;
}

void NodeRunner::console(std::string_view bytes) {
  if (telnet_) telnet_->broadcast(bytes);
  if (pty_) pty_->write(bytes);
}

void NodeRunner::ledger(const std::string& line) {
  std::string l = line;
  // A record written while the model handles console input names who sent
  // it: ,"from":"IP" (or "pty") before the closing brace. `state` and
  // `session` records already have a `from` (the state or session left):
  // they keep it, unduplicated, and the `break` or `command` record written
  // with them at the same t_ns names the client. The search cannot match
  // inside a value: LedgerRecord writes every '"' in a value as \".
  if (!input_from_.empty() && !l.empty() && l.back() == '}' &&
      l.find(",\"from\":") == std::string::npos) {
    l.pop_back();
    l += ",\"from\":\"" + json_escape(input_from_) + "\"}";
  }
  l += "\n";
  if (ledger_fd_ >= 0 && ::write(ledger_fd_, l.data(), l.size()) < 0) {
    log_->error("ledger write failed: {}", opt_.ledger_path);
  }
}

void NodeRunner::network(bool up) {
  if (net_) net_->os_up(up);
}

void NodeRunner::nvram_changed(const Nvram& nv) {
  if (auto r = save_nvram_file(opt_.nvram_path, nv); !r) log_->error("{}", r.error().message);
}

}  // namespace clusterd::sim
