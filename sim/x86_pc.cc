// The x86 personality of NodeModel (`--platform x86`): at every power-on
// SeaBIOS boots GRUB, GRUB boots Debian's kernel from the shared disk, and
// agetty's login prompt follows. There is no firmware prompt: nothing on the
// console can stop the OS, only its power can (the BMC's job). The texts are
// in x86_text.h with their sources.
#include "sim/console_text.h"
#include "sim/ledger.h"
#include "sim/node_model.h"
#include "sim/x86_text.h"

namespace clusterd::sim {

// POST is over: SeaBIOS reads the MBR of the boot disk (the shared disk).
// A disk it cannot read, or one without a boot signature, ends in
// boot_fail(): "No bootable device.  Retrying in 60 seconds." and a reset.
void NodeModel::x86_boot(TimePoint now, std::string_view why) {
  emit(text::x86::kBootHd);
  DiskHealth h = disk_.health();
  if (h != DiskHealth::Ok) {
    bool unreadable = h == DiskHealth::Unreadable;
    emit(unreadable ? text::x86::kCannotRead : text::x86::kNotBootable);
    emit(text::x86::kNoBootable);
    log(LedgerRecord(now, cfg_.name, "disk_error")
            .add("error", unreadable ? "unreadable" : "bad label")
            .add("device", "disk")
            .line());
    schedule(now + std::chrono::seconds(60), std::string(text::x86::kRebooting), Action::BiosRetry);
    return;  // still POST: the firmware has the console
  }
  suspended_.reset();
  fenced_at_.reset();  // a fresh boot is a new incarnation
  session_ = Session::Login;
  sysrq_until_.reset();
  os_ = Os::Linux;
  set_state(State::Booting, why, now);
  emit(text::x86::kGrub);
  Duration mount = std::min(cfg_.t.mount, cfg_.t.boot);
  if (cfg_.knobs.boot_panic != BootPanic::Off) {
    // As on SPARC: after the kernel's first lines, always before T_mount.
    Duration at = std::min(cfg_.t.boot * 20 / 100, mount - std::min(mount, Duration(1ms)));
    schedule(now + at, "", Action::BootPanic);
    if (cfg_.knobs.boot_panic == BootPanic::Once) cfg_.knobs.boot_panic = BootPanic::Off;
  }
  schedule(now + cfg_.t.boot * 15 / 100, std::string(text::x86::kKernel));
  schedule(now + mount, std::string(text::kLinuxMount), Action::Mount);
  schedule(now + cfg_.t.boot, "", Action::BootDone);
}

// A BREAK on a PC's serial console (or sent by a BMC's SOL, which puts a
// BREAK on the host's UART) reaches the 8250 driver, whose receive path calls
// uart_handle_break() (include/linux/serial_core.h, CONFIG_MAGIC_SYSRQ_SERIAL,
// Debian's): on the console port the first BREAK sets port->sysrq =
// jiffies + SYSRQ_TIMEOUT (5 s) and is swallowed; the character after it
// within 5 s is the SysRq command key, run only if kernel.sysrq enables that
// function (Documentation/admin-guide/sysrq.rst: "On the serial console (PC
// style standard serial ports only) - You send a BREAK, then within 5 seconds
// a command key. Sending BREAK twice is interpreted as a normal BREAK.").
// A second BREAK clears the arming and goes to the tty as a break condition,
// which a getty or shell does nothing useful with. So a BREAK never stops an
// x86 node: at most it arms SysRq (nodesim records the key, runs no action).
// Firmware, GRUB and the early kernel (OFF, POST, BOOTING) ignore it.
std::string_view NodeModel::x86_break(TimePoint now) {
  switch (state_) {
    case State::Running:
    case State::Panic:
      break;
    case State::Hung:
      if (!cfg_.knobs.break_works_when_hung) return "ignored";
      break;
    default:
      return "ignored";
  }
  if (sysrq_until_) {
    sysrq_until_.reset();
    return "ignored";
  }
  sysrq_until_ = now + std::chrono::seconds(5);  // SYSRQ_TIMEOUT = HZ * 5
  return "sysrq-armed";
}

}  // namespace clusterd::sim
