#include "sim/node_model.h"

#include <algorithm>
#include <vector>

#include "base/escape.h"
#include "sim/console_text.h"
#include "sim/ledger.h"
#include "sim/x86_text.h"

namespace clusterd::sim {
namespace {

const char* state_text(State s) {
  switch (s) {
    case State::Off:
      return "OFF";
    case State::Post:
      return "POST";
    case State::Ok:
      return "OK";
    case State::Booting:
      return "BOOTING";
    case State::Running:
      return "RUNNING";
    case State::Stopping:
      return "STOPPING";
    case State::Panic:
      return "PANIC";
    case State::Hung:
      return "HUNG";
  }
  return "?";
}

Duration pct(Duration d, int percent) { return d * percent / 100; }

// The devices `boot` knows: every disk alias is the shared disk.
enum class Device { SharedDisk, Net, Unknown };
Device resolve(std::string_view dev) {
  if (dev == "disk" || dev == "shared" || dev == "disk0" || dev == "disk1")
    return Device::SharedDisk;
  if (dev == "net") return Device::Net;
  return Device::Unknown;
}

}  // namespace

std::string_view to_string(BreakVia via) {
  switch (via) {
    case BreakVia::TelnetBrk:
      return "telnet-brk";
    case BreakVia::Rfc2217:
      return "rfc2217";
    case BreakVia::AltBreak:
      return "alt-break";
    case BreakVia::Control:
      return "control";
  }
  return "?";
}

std::string_view to_string(Session s) {
  switch (s) {
    case Session::Login:
      return "login";
    case Session::Root:
      return "root";
    case Session::Bash:
      return "bash";
  }
  return "?";
}

NodeModel::NodeModel(NodeConfig config, Nvram nvram, NodeEffects& effects, SharedDisk& disk)
    : cfg_(std::move(config)),
      nvram_(std::move(nvram)),
      fx_(effects),
      disk_(disk),
      rng_(cfg_.seed * 0x9E3779B97F4A7C15ull + 1) {}

std::string_view NodeModel::state_name() const {
  if (state_ == State::Running && cfg_.knobs.break_disabled) return "BREAK_DISABLED";
  return state_text(state_);
}

void NodeModel::start(TimePoint now) {
  log(LedgerRecord(now, cfg_.name, "start")
          .add("auto_boot", nvram_.auto_boot)
          .add("boot_device", nvram_.boot_device)
          .line());
  if (cfg_.start_powered) power_on(now, "start");
}

// --- effects -------------------------------------------------------------------

// Host output. While the service processor has the console the host's bytes
// go nowhere the monitor can see (ALOM/ILOM keep them in a console log).
void NodeModel::emit(std::string_view bytes) {
  if (!bytes.empty() && !at_sp_) fx_.console(bytes);
}

void NodeModel::emit_later(TimePoint at, std::string bytes) {
  later_.emplace_back(at, std::move(bytes));
}

void NodeModel::log(const std::string& line) { fx_.ledger(line); }

void NodeModel::set_state(State to, std::string_view why, TimePoint now) {
  State from = state_;
  state_ = to;
  log(LedgerRecord(now, cfg_.name, "state")
          .add("from", state_text(from))
          .add("to", state_text(to))
          .add("why", why)
          .line());
  // The interfaces stay up while the OS shuts down (svc.startd stops the
  // network services late), and go down with the halt.
  auto net_up = [](State s) { return s == State::Running || s == State::Stopping; };
  if (net_up(from) != net_up(to)) fx_.network(net_up(to));
  if (to == State::Running) {
    // A zero interval would spin advance_to(): it means "no writes".
    if (cfg_.t.write_interval > Duration::zero()) next_write_ = now + cfg_.t.write_interval;
    if (cfg_.t.chatter_interval > Duration::zero()) next_chatter_ = now + cfg_.t.chatter_interval;
    if (cfg_.knobs.flood_bps > 0) next_flood_ = now;
    disk_error_shown_ = false;
  } else {
    next_write_.reset();
    next_chatter_.reset();
    next_flood_.reset();
  }
  line_.clear();
  want_password_ = false;
}

void NodeModel::schedule(TimePoint at, std::string text, Action action) {
  // Keep steps sorted; equal times keep their order (mount before login).
  auto it = std::upper_bound(steps_.begin(), steps_.end(), at,
                             [](TimePoint t, const Step& s) { return t < s.at; });
  steps_.insert(it, Step{at, std::move(text), action});
}

void NodeModel::save_nvram(std::string_view var, std::string_view via, TimePoint now) {
  log(LedgerRecord(now, cfg_.name, "nvram")
          .add("var", var)
          .add("auto_boot", nvram_.auto_boot)
          .add("boot_device", nvram_.boot_device)
          .add("via", via)
          .line());
  fx_.nvram_changed(nvram_);
}

// --- time ------------------------------------------------------------------------

std::optional<TimePoint> NodeModel::next_deadline() const {
  std::optional<TimePoint> d = next_change();
  if (next_write_ && (!d || *next_write_ < *d)) d = next_write_;
  return d;
}

std::optional<TimePoint> NodeModel::next_change() const {
  std::optional<TimePoint> d;
  auto take = [&](std::optional<TimePoint> t) {
    if (t && (!d || *t < *d)) d = t;
  };
  if (!steps_.empty()) take(steps_.front().at);
  for (const auto& l : later_) take(l.first);
  take(next_chatter_);
  take(next_flood_);
  return d;
}

void NodeModel::advance_to(TimePoint now) {
  // One item at a time, earliest first: an action may change the state and
  // so cancel what was scheduled after it.
  for (;;) {
    auto d = next_deadline();
    if (!d || *d > now) return;
    if (!steps_.empty() && steps_.front().at == *d) {
      Step s = std::move(steps_.front());
      steps_.pop_front();
      run_step(s, now);
      continue;
    }
    auto l =
        std::find_if(later_.begin(), later_.end(), [&](const auto& x) { return x.first == *d; });
    if (l != later_.end()) {
      std::string bytes = std::move(l->second);
      later_.erase(l);
      emit(bytes);
      continue;
    }
    if (next_write_ == d) {
      // A zero interval would spin advance_to(): it means "no writes".
      if (cfg_.t.write_interval > Duration::zero()) next_write_ = now + cfg_.t.write_interval;
      write_record(now);
      continue;
    }
    running_output(now);
  }
}

void NodeModel::run_step(const Step& step, TimePoint now) {
  emit(step.text);
  switch (step.action) {
    case Action::None:
      break;
    case Action::PostDone:
      if (x86()) {
        x86_boot(now, post_reboot_ ? "reboot" : "bios");  // a PC always boots
      } else if (nvram_.auto_boot) {
        std::string dev = nvram_.boot_device.substr(0, nvram_.boot_device.find(' '));
        enter_boot(dev, now, post_reboot_, "auto-boot");
      } else {
        set_state(State::Ok, "auto-boot? false", now);
        emit(text::kPrompt);
      }
      break;
    case Action::Mount:
      acquire_lease(now, "mount");
      break;
    case Action::BootDone:
      set_state(State::Running, "booted", now);
      if (x86())
        emit(text::x86::issue(cfg_.name));
      else if (os_ == Os::Linux)
        emit(text::linux_issue(cfg_.name));
      emit(login_prompt());
      break;
    case Action::BootPanic:
      enter_boot_panic(now);
      break;
    case Action::BootFailed:
      set_state(State::Ok, "boot failed", now);
      emit(text::kPrompt);
      break;
    case Action::PanicDone:
      enter_post(now, true, "panic reboot");
      break;
    case Action::Unmount:
      release_lease(now, "shutdown");
      break;
    case Action::HaltDone:
      // uadmin(A_SHUTDOWN, AD_HALT): the PROM prompt; nothing to `go` back to.
      suspended_.reset();
      set_state(State::Ok, "halt (shutdown)", now);
      emit(text::kPrompt);
      break;
    case Action::PowerDown:
      // kernel_power_off(): ACPI S5, the node switches itself off.
      power_off(now, "poweroff (shutdown)");
      break;
    case Action::BiosRetry:
      enter_post(now, false, "boot retry");
      break;
  }
}

// --- phases ------------------------------------------------------------------------

void NodeModel::power_on(TimePoint now, std::string_view why) {
  if (state_ != State::Off) return;
  if (cfg_.knobs.battery_dead && !(nvram_ == Nvram{})) {
    nvram_ = Nvram{};
    save_nvram("all", "battery-dead", now);
  }
  garbage(5);
  enter_post(now, false, why);
}

void NodeModel::power_off(TimePoint now, std::string_view why) {
  if (state_ == State::Off) return;
  release_lease(now, why);
  steps_.clear();
  later_.clear();
  suspended_.reset();
  hung_.reset();
  session_ = Session::Login;
  sysrq_until_.reset();
  set_state(State::Off, why, now);
  garbage(4);
}

void NodeModel::enter_post(TimePoint now, bool after_panic, std::string_view why) {
  steps_.clear();
  post_reboot_ = after_panic;
  set_state(State::Post, why, now);
  if (x86()) {
    schedule(now + pct(cfg_.t.post, 50), std::string(text::x86::kBios));
  } else {
    schedule(now + pct(cfg_.t.post, 50), text::banner(cfg_.model_line, cfg_.ether, cfg_.host_id));
  }
  schedule(now + cfg_.t.post, "", Action::PostDone);
}

void NodeModel::enter_boot(std::string_view device, TimePoint now, bool rebooting,
                           std::string_view why) {
  std::string out = rebooting ? std::string(text::kRebooting) : std::string();
  Device dev = resolve(device);
  auto fail = [&](std::string_view msg, std::string_view reason) {
    emit(out);
    emit(msg);
    log(LedgerRecord(now, cfg_.name, "disk_error")
            .add("error", reason)
            .add("device", device)
            .line());
    if (state_ == State::Ok) {
      emit(text::kPrompt);
    } else {
      set_state(State::Ok, "boot failed", now);
      emit(text::kPrompt);
    }
  };
  if (dev == Device::Unknown) return fail(text::kCantOpen, "unknown device");
  if (dev == Device::SharedDisk) {
    out += text::boot_device(text::kBootDiskPath, "");
    DiskHealth h = disk_.health();
    if (h == DiskHealth::Unreadable) return fail(text::kCantOpen, "unreadable");
    if (h == DiskHealth::BadLabel)
      return fail(std::string(text::kBadMagic) + std::string(text::kCantOpen), "bad label");
  }
  suspended_.reset();
  fenced_at_.reset();  // a fresh boot is a new incarnation, no longer fenced
  session_ = Session::Login;
  sysrq_until_.reset();
  set_state(State::Booting, why, now);
  emit(out);
  if (dev == Device::Net) {
    emit(text::boot_device(text::kBootNetPath, ""));
    schedule(now + pct(cfg_.t.boot, 30), std::string(text::kNetTimeout), Action::BootFailed);
    return;
  }
  os_ = cfg_.knobs.os;
  Duration mount = std::min(cfg_.t.mount, cfg_.t.boot);
  if (cfg_.knobs.boot_panic != BootPanic::Off) {
    // After the kernel's first lines, always before T_mount: a standby that
    // panics while booting never holds the disk.
    Duration at = std::min(pct(cfg_.t.boot, 20), mount - std::min(mount, Duration(1ms)));
    schedule(now + at, "", Action::BootPanic);
    if (cfg_.knobs.boot_panic == BootPanic::Once) cfg_.knobs.boot_panic = BootPanic::Off;
  }
  if (os_ == Os::Linux) {
    schedule(now + pct(cfg_.t.boot, 10), std::string(text::kLinuxSilo));
    schedule(now + pct(cfg_.t.boot, 15), std::string(text::kLinuxBooting));
    schedule(now + mount, std::string(text::kLinuxMount), Action::Mount);
  } else {
    schedule(now + pct(cfg_.t.boot, 10), std::string(text::kSunOs));
    schedule(now + pct(cfg_.t.boot, 15), std::string(text::kCopyright));
    schedule(now + pct(cfg_.t.boot, 30), "Hostname: " + cfg_.name + "\r\n");
    schedule(now + mount, std::string(text::kSolarisMount), Action::Mount);
  }
  schedule(now + cfg_.t.boot, "", Action::BootDone);
}

void NodeModel::enter_panic(TimePoint now, std::string_view why) {
  release_lease(now, "panic");
  steps_.clear();
  suspended_.reset();
  hung_.reset();
  set_state(State::Panic, why, now);
  if (x86()) {
    emit(text::x86::running_panic());  // panic=0: it spins, no reboot
    return;
  }
  if (os_ == Os::Linux) {
    // CONFIG_PANIC_TIMEOUT=0 (Debian's): the kernel spins with interrupts on,
    // waiting for the BREAKs it asks for; nothing else happens.
    emit(text::kLinuxPanic);
    return;
  }
  emit(text::kPanic);
  emit(text::kSyncing);
  Duration p = cfg_.t.panic_to_reboot;
  schedule(now + pct(p, 30), std::string(text::kDumpStart));
  schedule(now + pct(p, 80), std::string(text::kDumpDone));
  schedule(now + p, std::string(text::kPanicReboot) + std::string(text::kResetting),
           Action::PanicDone);
}

void NodeModel::enter_boot_panic(TimePoint now) {
  steps_.clear();  // no mount, no login: the boot ends here
  suspended_.reset();
  hung_.reset();
  set_state(State::Panic, "boot panic", now);
  if (x86()) {
    emit(text::x86::boot_panic());
    return;
  }
  if (os_ == Os::Linux) {
    emit(text::kLinuxBootPanic);
    return;
  }
  // No dump device yet and nothing to sync: straight to the reset.
  emit(text::kBootPanic);
  schedule(now + pct(cfg_.t.panic_to_reboot, 30),
           std::string(text::kPanicReboot) + std::string(text::kResetting), Action::PanicDone);
}

// --- the shared disk ----------------------------------------------------------------

void NodeModel::acquire_lease(TimePoint now, std::string_view why) {
  if (holds_lease()) return;
  auto r = disk_.acquire(cfg_.name, now);
  if (!r) {
    log(LedgerRecord(now, cfg_.name, "disk_error").add("error", r.error().message).line());
    emit(text::kDiskTimeout);
    return;
  }
  lease_since_ = to_ns(now);
  log(LedgerRecord(now, cfg_.name, "lease_acquire")
          .add("why", why)
          .add("other_holders", static_cast<std::int64_t>(r->size()))
          .line());
  for (const auto& h : *r) {
    log(LedgerRecord(now, cfg_.name, "split_brain")
            .add("other", h.node)
            .add("other_since_ns", h.since_ns)
            .line());
  }
}

void NodeModel::release_lease(TimePoint now, std::string_view why) {
  if (!holds_lease()) return;
  std::int64_t t = to_ns(now);
  auto r = disk_.release(cfg_.name, now);
  if (r) {
    for (const auto& h : *r) {
      std::int64_t from = std::max(h.since_ns, *lease_since_);
      log(LedgerRecord(now, cfg_.name, "overlap")
              .add("other", h.node)
              .add("start_ns", from)
              .add("overlap_ms", static_cast<double>(t - from) / 1e6)
              .line());
    }
  } else {
    log(LedgerRecord(now, cfg_.name, "disk_error").add("error", r.error().message).line());
  }
  log(LedgerRecord(now, cfg_.name, "lease_release")
          .add("why", why)
          .add("held_ms", static_cast<double>(t - *lease_since_) / 1e6)
          .line());
  lease_since_.reset();
}

void NodeModel::write_record(TimePoint now) {
  ++write_seq_;
  auto r = disk_.append(cfg_.name, write_seq_, now);
  if (!r) {
    log(LedgerRecord(now, cfg_.name, "disk_error").add("error", r.error().message).line());
    if (!disk_error_shown_) emit(text::kDiskTimeout);
    disk_error_shown_ = true;
    return;
  }
  auto seq = static_cast<std::int64_t>(write_seq_);
  if (cfg_.ledger_writes) log(LedgerRecord(now, cfg_.name, "write").add("seq", seq).line());
  if (fenced_at_) {
    log(LedgerRecord(now, cfg_.name, "write_after_fence")
            .add("seq", seq)
            .add("fenced_ns", *fenced_at_)
            .add("after_ms", static_cast<double>(to_ns(now) - *fenced_at_) / 1e6)
            .line());
  }
}

// --- RUNNING output -------------------------------------------------------------------

void NodeModel::running_output(TimePoint now) {
  if (next_chatter_ && *next_chatter_ <= now) {
    next_chatter_ = now + cfg_.t.chatter_interval;
    emit(cfg_.name + " syslogd: [ID 702911 daemon.notice] heartbeat " +
         std::to_string(++chatter_seq_) + "\r\n");
  }
  if (next_flood_ && *next_flood_ <= now) {
    // Every 50 ms a slice of the rate, never above the line speed.
    constexpr auto kSlice = std::chrono::milliseconds(50);
    next_flood_ = cfg_.knobs.flood_bps > 0 ? std::optional<TimePoint>(now + kSlice) : std::nullopt;
    std::uint32_t bps = std::min(cfg_.knobs.flood_bps, cfg_.line_bps);
    std::size_t n = bps / 20;
    std::string out;
    while (out.size() < n) {
      out += cfg_.name + " load: cpu=97% run_queue=" + std::to_string(next_random() % 64) +
             " io_wait=" + std::to_string(next_random() % 100) + "ms\r\n";
    }
    emit(out.substr(0, std::max<std::size_t>(n, 1)));
  }
}

std::uint64_t NodeModel::next_random() {
  // splitmix64: deterministic from the configured seed, so tests can replay it.
  std::uint64_t z = (rng_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void NodeModel::garbage(std::size_t n) {
  std::string junk;
  for (std::size_t i = 0; i < n; ++i) {
    // Every other byte a NUL, like a UART seeing its line float at power changes.
    junk += (i % 2 == 0) ? '\0' : static_cast<char>(next_random() & 0xff);
  }
  emit(junk);
}

// --- status ---------------------------------------------------------------------------

std::string NodeModel::status() const {
  const char* disk = "ok";
  switch (disk_.health()) {
    case DiskHealth::Ok:
      break;
    case DiskHealth::Unreadable:
      disk = "off";
      break;
    case DiskHealth::BadLabel:
      disk = "bad-label";
      break;
  }
  return "node=" + cfg_.name + " state=" + std::string(state_name()) +
         " auto-boot?=" + (nvram_.auto_boot ? "true" : "false") +
         " boot-device=" + nvram_.boot_device + " lease=" + (holds_lease() ? "held" : "free") +
         " fenced=" + (fenced() ? "yes" : "no") + " writes=" + std::to_string(write_seq_) +
         " disk=" + disk + " battery=" + (cfg_.knobs.battery_dead ? "dead" : "ok") +
         " break=" + (cfg_.knobs.break_disabled ? "disabled" : "enabled") +
         " hang-break=" + (cfg_.knobs.break_works_when_hung ? "works" : "ignored") +
         " flood=" + std::to_string(cfg_.knobs.flood_bps) + " " + knob_status();
}

}  // namespace clusterd::sim
