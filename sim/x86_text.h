// The console texts of nodesim's x86 personality (`--platform x86`): a PC
// server whose serial console shows SeaBIOS, GRUB 2 and a Debian 12 kernel,
// as a BMC's Serial-over-LAN carries them. Every "\n" is "\r\n" on the wire
// (SeaBIOS's serial console and the kernel's 8250 console both turn "\n" into
// "\r\n"; agetty writes "\r\n" itself).
//
// Rule (as in console_text.h): a text that stands for something real says
// where it was taken from. Numbers inside (versions, timestamps, addresses,
// offsets) are illustrative. nodesim's own lines are marked as such.
//
// Why SeaBIOS: its text is public and plain. The AMI/Insyde firmware of most
// rack servers draws its POST screen over console redirection with ANSI
// cursor moves; a script must not depend on those either way, and a KVM
// guest or a coreboot board shows exactly these lines.
#pragma once

#include <string>
#include <string_view>

namespace clusterd::sim::text::x86 {

// --- firmware ---------------------------------------------------------------------

/// SeaBIOS src/bootsplash.c, enable_vga_console():
///   printf("SeaBIOS (version %s)\n", VERSION);
/// with the version string of Debian 12's seabios package (1.16.2-1).
inline constexpr std::string_view kBios = "SeaBIOS (version 1.16.2-debian-1.16.2-1)\r\n";
/// SeaBIOS src/boot.c, do_boot(), IPL_TYPE_HARDDISK:
///   printf("Booting from Hard Disk...\n");
inline constexpr std::string_view kBootHd = "Booting from Hard Disk...\r\n";
/// SeaBIOS src/boot.c, boot_disk(): the MBR cannot be read (the shared disk
/// is off) / has no 0x55AA signature (a corrupted label), then boot_fail()
/// with the default etc/boot-fail-wait of 60 s, and after it "Rebooting.\n"
/// and a reset.
inline constexpr std::string_view kCannotRead = "Boot failed: could not read the boot disk\r\n\r\n";
inline constexpr std::string_view kNotBootable = "Boot failed: not a bootable disk\r\n\r\n";
inline constexpr std::string_view kNoBootable = "No bootable device.  Retrying in 60 seconds.\r\n";
inline constexpr std::string_view kRebooting = "Rebooting.\r\n";

// --- GRUB 2 --------------------------------------------------------------------------

/// GRUB_TIMEOUT=0 (no menu drawn: the menu would be vt100 boxes on a serial
/// terminal). grub-core/normal/menu.c, notify_booting():
///   grub_printf ("  "); grub_printf_ (N_("Booting `%s'"), entry->title);
///   grub_printf ("\n\n");
/// then the menu entry that util/grub.d/10_linux.in writes, with Debian's
/// quiet_boot=0: echo "Loading Linux %s ..." and "Loading initial ramdisk ...".
inline constexpr std::string_view kGrub =
    "  Booting `Debian GNU/Linux'\r\n\r\n"
    "Loading Linux 6.1.0-31-amd64 ...\r\n"
    "Loading initial ramdisk ...\r\n";

// --- Linux (Debian 12, amd64) -----------------------------------------------------------

/// The first console lines of the kernel (CONFIG_PRINTK_TIME=y, as Debian's):
/// init/main.c start_kernel() pr_notice("%s", linux_banner) with Debian 12's
/// /proc/version ("Linux version 6.1.0-31-amd64 (debian-kernel@lists.debian.org)
/// (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40)
/// #1 SMP PREEMPT_DYNAMIC Debian 6.1.128-1 (2025-02-07)", as printed by
/// `cat /proc/version` on Debian 12 in many published notes), and
/// arch/x86/kernel/setup.c setup_arch(): pr_info("Command line: %s\n",
/// boot_command_line), with the serial console on the kernel command line.
inline constexpr std::string_view kKernel =
    "[    0.000000] Linux version 6.1.0-31-amd64 (debian-kernel@lists.debian.org) (gcc-12 "
    "(Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC "
    "Debian 6.1.128-1 (2025-02-07)\r\n"
    "[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-31-amd64 "
    "root=UUID=65533216-0649-4c98-9526-28f9f962f937 ro console=ttyS0,115200n8\r\n";

/// agetty's /etc/issue of Debian 12, "Debian GNU/Linux 12 \n \l" (on ttyS0).
inline std::string issue(std::string_view host) {
  return "\r\nDebian GNU/Linux 12 " + std::string(host) + " ttyS0\r\n";
}

// --- a clean power-off (systemctl poweroff) ---------------------------------------------

/// What a Debian 12 node's serial console shows when it is powered off cleanly
/// (`systemctl poweroff`, also what `shutdown -h now` and `poweroff` do under
/// systemd). Three parts, in order:
///  1. systemd (PID 1) prints the end of each job as a status line, "[  OK  ] "
///     and the job's message with the unit as "NAME - DESCRIPTION"
///     (StatusUnitFormat=combined, systemd 252's default). The lines and their
///     order as published from a Debian image's serial console: Jan Kiszka,
///     "Re: [PATCH 6.12 242/262] ext4: fix checks for orphan inodes",
///     stable@vger.kernel.org, 2026-01-08,
///     https://lore.kernel.org/stable/ebd61bd3-1160-459f-b3b3-f186719fa5f3@siemens.com/
///     ("[  OK  ] Reached target shutdown.target - System Shutdown." …
///     "[  OK  ] Reached target poweroff.target - System Power Off." … "reboot:
///     Power down"); "Stopped target multi-user.target - Multi-User System." and
///     "Stopped target getty.target - Login Prompts." as systemd 252 logs them at
///     every shutdown (the units' Description= in systemd's units/*.target).
///     systemd colours "  OK  " green (ANSI SGR) on a terminal that takes
///     colour; the published transcripts, and these texts, carry none.
///  2. systemd-shutdown (PID 1 after the exec, logging to /dev/kmsg, hence the
///     printk timestamp and "systemd-shutdown[1]: "), src/shutdown/shutdown.c:
///     log_info("Syncing filesystems and block devices."), the unmount loop's
///     log_info("Unmounting file systems."), and for RB_POWER_OFF
///     log_info("Powering off.").
///  3. the kernel: drivers/scsi/sd.c sd_shutdown() "Synchronizing SCSI cache",
///     drivers/acpi/sleep.c acpi_sleep_prepare() with pr_fmt "ACPI: PM: ":
///     "Preparing to enter system sleep state S5", then kernel/reboot.c
///     kernel_power_off() with pr_fmt "reboot: ": pr_emerg("Power down\n"), and
///     machine_power_off(): the power goes. Parts 2 and 3 as published from an
///     x86_64 guest: Jonah Palmer, qemu-devel, 2025-08-27,
///     https://lore.kernel.org/qemu-devel/f143a9a6-56b5-43a8-bced-bec7c7be8a2d@oracle.com/
///     ("systemd-shutdown[1]: Syncing filesystems and block devices." /
///     "systemd-shutdown[1]: Powering off." / "sd 0:0:0:0: [sda] Synchronizing
///     SCSI cache" / "ACPI: PM: Preparing to enter system sleep state S5" /
///     "reboot: Power down").
/// The timestamps are illustrative.
inline constexpr std::string_view kPoweroffStart =
    "[  OK  ] Stopped target getty.target - Login Prompts.\r\n"
    "[  OK  ] Stopped target multi-user.target - Multi-User System.\r\n";
inline constexpr std::string_view kPoweroffTargets =
    "[  OK  ] Reached target shutdown.target - System Shutdown.\r\n"
    "[  OK  ] Reached target final.target - Late Shutdown Services.\r\n"
    "[  OK  ] Finished systemd-poweroff.service - System Power Off.\r\n"
    "[  OK  ] Reached target poweroff.target - System Power Off.\r\n";
inline constexpr std::string_view kPoweroffSync =
    "[  413.718429] systemd-shutdown[1]: Syncing filesystems and block devices.\r\n";
inline constexpr std::string_view kPoweroffUnmount =
    "[  413.722611] systemd-shutdown[1]: Unmounting file systems.\r\n";
inline constexpr std::string_view kPoweroffPoweringOff =
    "[  413.729255] systemd-shutdown[1]: Powering off.\r\n"
    "[  413.729916] sd 0:0:0:0: [sda] Synchronizing SCSI cache\r\n"
    "[  413.734826] ACPI: PM: Preparing to enter system sleep state S5\r\n";
inline constexpr std::string_view kPowerDown = "[  413.735593] reboot: Power down\r\n";

/// kernel/panic.c panic(): pr_emerg("Kernel panic - not syncing: %s\n", buf);
/// dump_stack() (lib/dump_stack.c: "CPU: %d PID: %d Comm: %.20s %s%s %s %.*s",
/// "Hardware name: %s", "Call Trace:", " <TASK>" … " </TASK>"); on x86
/// dump_kernel_offset() (arch/x86/kernel/setup.c: "Kernel Offset: 0x%lx from
/// 0x%lx (relocation range: 0x%lx-0x%lx)\n"); then
/// pr_emerg("---[ end Kernel panic - not syncing: %s ]---\n", buf) and, with
/// panic=0 (CONFIG_PANIC_TIMEOUT=0, Debian's), nothing more: the CPU spins.
/// Published x86_64 transcripts with the same lines in the same order:
/// https://github.com/projectacrn/acrn-hypervisor/issues/4129 ("Kernel panic -
/// not syncing: Fatal exception", "Kernel Offset: 0x9000000 from
/// 0xffffffff81000000 (relocation range: 0xffffffff80000000-0xffffffffbfffffff)"),
/// https://github.com/ventoy/Ventoy/issues/3517 (the do_exit() call trace of
/// "Attempted to kill init!"). The hardware name is the one every QEMU/KVM
/// guest with SeaBIOS reports.
/// `frames`: the call trace's lines between panic+… and " </TASK>".
inline std::string panic(std::string_view why, std::string_view comm, std::string_view frames,
                         std::string_view secs = "  412") {
  const std::string at = "[" + std::string(secs) + ".";
  std::string w(why);
  std::string s = at + "031248] Kernel panic - not syncing: " + w + "\r\n";
  s += at + "031790] CPU: 2 PID: 1 Comm: " + std::string(comm) +
       " Not tainted 6.1.0-31-amd64 #1  Debian 6.1.128-1\r\n";
  s += at +
       "032201] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS "
       "1.16.2-debian-1.16.2-1 04/01/2014\r\n";
  s += at + "032609] Call Trace:\r\n";
  s += at + "032801]  <TASK>\r\n";
  s += at + "032953]  dump_stack_lvl+0x44/0x5c\r\n";
  s += at + "033181]  panic+0x118/0x2ed\r\n";
  s += frames;
  s += at + "034578]  </TASK>\r\n";
  s += at +
       "034848] Kernel Offset: 0x2a00000 from 0xffffffff81000000 (relocation range: "
       "0xffffffff80000000-0xffffffffbfffffff)\r\n";
  s += at + "035366] ---[ end Kernel panic - not syncing: " + w + " ]---\r\n";
  return s;
}
/// `ctl NODE panic`: init (systemd) killed by SIGKILL, kernel/exit.c do_exit():
/// panic("Attempted to kill init! exitcode=0x%08x\n", ...).
inline std::string running_panic() {
  return panic("Attempted to kill init! exitcode=0x00000009", "systemd",
               "[  412.033378]  do_exit.cold+0x15/0x15\r\n"
               "[  412.033594]  do_group_exit+0x2d/0x90\r\n"
               "[  412.033812]  __x64_sys_exit_group+0x14/0x20\r\n"
               "[  412.034022]  do_syscall_64+0x58/0xc0\r\n"
               "[  412.034297]  entry_SYSCALL_64_after_hwframe+0x64/0xce\r\n");
}
/// `boot-panic`: init/do_mounts.c mount_block_root():
/// panic("VFS: Unable to mount root fs on %s", b), in the kernel's first task
/// (PID 1 before it execs init, named swapper/0).
inline std::string boot_panic() {
  return panic("VFS: Unable to mount root fs on unknown-block(8,1)", "swapper/0",
               "[    2.033378]  mount_block_root+0x1d7/0x1e6\r\n"
               "[    2.033594]  prepare_namespace+0x136/0x165\r\n"
               "[    2.033812]  kernel_init_freeable+0x25c/0x286\r\n"
               "[    2.034022]  kernel_init+0x16/0x130\r\n"
               "[    2.034297]  ret_from_fork+0x22/0x30\r\n",
               "    2");
}

}  // namespace clusterd::sim::text::x86
