// The console texts nodesim prints, in one place so that tests and
// scripts/lib/patterns.chat can be checked against them. They follow a Sun
// Fire V240 with OBP 4.x and Solaris 10 8/11 (or Linux on the same box), seen
// through a serial line: every "\n" a kernel prints arrives as "\r\n" (onlcr,
// or the driver's own "\n" -> "\r\n"), so a "\n\r" in a printf is "\r\n\r".
//
// Rule: a text that stands for something real says where it was taken from
// (source file or published transcript). Numbers inside (addresses, counts,
// dates) are illustrative unless the comment says otherwise. Texts marked
// "nodesim's own" have no real counterpart and are kept recognisable.
#pragma once

#include <string>
#include <string_view>

namespace clusterd::sim::text {

// --- OpenBoot -------------------------------------------------------------------

inline constexpr std::string_view kPrompt = "{0} ok ";
// The OBP Forth sources published with OpenSPARC/OpenFirmware have
// `.go-message` print ." Type  'go' to resume" with two spaces; nodesim keeps
// the one-space text its scripts, crash tests and golden transcripts were
// written against (both match patterns.chat's /^Type +'go' +to +resume/).
inline constexpr std::string_view kResume = "\r\nType 'go' to resume\r\n";
inline constexpr std::string_view kResetting = "\r\nResetting ... \r\n\r\n";
inline constexpr std::string_view kRebooting = "Rebooting with command: boot\r\n";
inline constexpr std::string_view kBootDiskPath = "/pci@1c,600000/scsi@2/disk@0,0:a";
inline constexpr std::string_view kBootNetPath = "/pci@1f,700000/network@2";
inline constexpr std::string_view kCantOpen = "Can't open boot device\r\n\r\n";
inline constexpr std::string_view kBadMagic =
    "Bad magic number in disk label\r\nCan't open disk label package\r\n\r\n";
inline constexpr std::string_view kNetTimeout = "Timeout waiting for ARP/RARP packet\r\n\r\n";

/// The power-on banner (after POST), e.g. "Sun Fire V240, No Keyboard" first.
/// The OBP word `banner` prints the same lines.
inline std::string banner(std::string_view model_line, std::string_view ether,
                          std::string_view host_id) {
  std::string s = "\r\n";
  s += model_line;
  s += "\r\nCopyright 1998-2004 Sun Microsystems, Inc.  All rights reserved.\r\n";
  s += "OpenBoot 4.16.4, 2048 MB memory installed, Serial #53518832.\r\n";
  s += "Ethernet address ";
  s += ether;
  s += ", Host ID: ";
  s += host_id;
  s += ".\r\n\r\n";
  return s;
}

/// "Boot device: /pci@…  File and args: \r\n"
inline std::string boot_device(std::string_view path, std::string_view args) {
  return "Boot device: " + std::string(path) + "  File and args: " + std::string(args) + "\r\n";
}

/// `printenv auto-boot?` / `setenv` read-back, OBP 4.x: the value starts at
/// column 22, "auto-boot? =          false\r\n" (as setenv echoes it too;
/// https://wiki.gentoo.org/wiki/Sparc/OBP_Reference, and the sessions quoted in
/// https://bugs.launchpad.net/qemu/+bug/1879590).
inline std::string var_readback(std::string_view name, std::string_view value) {
  std::string s = std::string(name) + " =";
  s.append(s.size() < 22 ? 22 - s.size() : 1, ' ');
  return s + std::string(value) + "\r\n";
}

// --- Solaris 10: boot, login, shell ---------------------------------------------

inline constexpr std::string_view kSunOs =
    "SunOS Release 5.10 Version Generic_147440-01 64-bit\r\n";
inline constexpr std::string_view kCopyright =
    "Copyright (c) 1983, 2011, Oracle and/or its affiliates. All rights reserved.\r\n";
/// nodesim's own: marks the moment the shared disk is taken (T_mount).
inline constexpr std::string_view kSolarisMount =
    "NOTICE: shared disk /dev/dsk/c1t1d0s0 mounted on /shared\r\n";

/// "\r\nalpha console login: " (ttymon on the console).
inline std::string login(std::string_view host) {
  return "\r\n" + std::string(host) + " console login: ";
}

/// What follows "alpha console login: " when root logs in: the name typed,
/// the password prompt (the password is not echoed), the last-login line of
/// login(1) ("Last login: Mon Jan 29 09:34:20 on console",
/// https://github.com/oxidecomputer/helios/blob/master/README.md) and the
/// Solaris 10 motd after Oracle's patches ("Oracle Corporation      SunOS 5.10
/// Generic Patch   January 2005", seen in public Solaris 10 setup notes).
inline constexpr std::string_view kSolarisRootLogin =
    "root\r\nPassword: \r\nLast login: Tue Mar  3 09:12:44 on console\r\n"
    "Oracle Corporation      SunOS 5.10      Generic Patch   January 2005\r\n";
/// root's /sbin/sh prompt; bash 3.2 (shipped with Solaris 10) with no PS1 set
/// prints its default '\s-\v\$ ' as "bash-3.2# ".
inline constexpr std::string_view kRootPrompt = "# ";
inline constexpr std::string_view kBashPrompt = "bash-3.2# ";

// --- Solaris 10: panic ----------------------------------------------------------
//
// The order is panicsys() in illumos usr/src/uts/common/os/panic.c
// (https://github.com/illumos/illumos-gate/blob/master/usr/src/uts/common/os/panic.c):
//   printf("\n\rpanic[cpu%d]/thread=%p: ", ...); vprintf(msg); printf("\n\n");
//   panic_showtrap() -> showregs() + printf("\n");      (a trap only)
//   traceregs() -> one "%016lx %s:%s+%lx (args)" line and two "  %l0-3:" /
//                  "  %l4-7:" lines per frame (usr/src/uts/sparc/os/archdep.c);
//                  printf("\n");
//   vfs_syncall(): "syncing file systems..." then " done\n"
//                  (usr/src/uts/common/fs/vfs.c; skipped before root is mounted);
//   dumpsys(): "dumping to %s, offset %lld, content: %s\n", progress
//              "^\rdumping: %2d:%02d %3d%% done", "\n", then
//              "\r%3d%% done: %llu pages dumped, " "dump succeeded\n"
//              (usr/src/uts/common/os/dumpsubr.c, the Solaris 10 9/10+ parallel
//              dump; without a dump device: "skipping system dump - no dump
//              device configured\n");
//   mdboot() -> reboot_machine(): prom_printf("rebooting...\n")
//              (usr/src/uts/sun4u/os/mach_cpu_states.c).
// showregs() is in usr/src/uts/sun4/os/trap.c ("%s: trap type = 0x%x",
// "pid=%d, pc=0x%lx, sp=0x%llx, tstate=0x%llx, context=0x%x",
// "g1-g7: %llx, ..."); the BAD TRAP line is die()'s "BAD TRAP: type=%x rp=%p
// addr=%lx mmu_fsr=%x occurred in module \"%s\" due to %s".

/// The panic line through the blank line before "syncing file systems...".
/// It starts with the kernel's "\n\r": "\r\n\rpanic[cpu0]/thread=…".
inline constexpr std::string_view kPanic =
    "\r\n\rpanic[cpu0]/thread=2a100547ca0: BAD TRAP: type=31 rp=2a100547450 addr=0 mmu_fsr=9 "
    "occurred in module \"unix\" due to a NULL pointer dereference\r\n\r\n"
    "sched: trap type = 0x31\r\n"
    "pid=0, pc=0x1011c8c, sp=0x2a100546cf1, tstate=0x4480001600, context=0x0\r\n"
    "g1-g7: 1011c40, 1, 0, 0, 1, 0, 2a100547ca0\r\n"
    "\r\n"
    "000002a100547170 unix:die+9c (31, 2a100547450, 0, 9, 2a100547450, 1)\r\n"
    "  %l0-3: 0000000000000000 0000000000000031 0000000001000000 0000000000000001\r\n"
    "  %l4-7: 0000000000000000 0000000001865800 0000000000000000 0000000000000001\r\n"
    "000002a100547250 unix:trap+9d4 (2a100547450, 10000, 0, 9, 0, 1)\r\n"
    "  %l0-3: 0000000000000000 0000000001830c00 0000000000000031 0000000000000000\r\n"
    "  %l4-7: 0000000000000000 0000000000000000 0000000000000000 0000000000010009\r\n"
    "\r\n";
inline constexpr std::string_view kSyncing = "syncing file systems... done\r\n";
inline constexpr std::string_view kDumpStart =
    "dumping to /dev/dsk/c1t0d0s1, offset 65536, content: kernel\r\n"
    "\rdumping:  0:00   0% done";
inline constexpr std::string_view kDumpDone =
    "\rdumping:  0:01 100% done\r\n"
    "\r100% done: 8347 pages dumped, dump succeeded\r\n";
inline constexpr std::string_view kPanicReboot = "rebooting...\r\n";

/// A standby that panics while booting, before it mounts anything: root
/// cannot be mounted. Published SPARC example, Solaris 9 on a Sun Fire with
/// VxVM (squarism.com, 2004-12-13,
/// https://github.com/squarism/squarism.github.io/blob/master/_posts/2004-12-13-solaris-904-and-veritas-kernel-panic.markdown):
///   Cannot mount root on /pseudo/vxio@0:0 fstype ufs
///   panic[cpu0]/thread=140a000: vfs_mountroot: cannot mount root
///   0000000001409970 genunix:vfs_mountroot+70 (0, 0, 0, 200, 1458170, 0)
///   …  skipping system dump - no dump device configured
/// Its frames and addresses are kept; the "\n\r", the blank lines and the
/// "  %l" indent are panicsys()'s and traceback()'s (the blog lost them). No
/// "syncing file systems...": vfs_syncall() returns before root is mounted.
inline constexpr std::string_view kBootPanic =
    "Cannot mount root on /pci@1c,600000/scsi@2/disk@0,0:a fstype ufs\r\n"
    "\r\n\rpanic[cpu0]/thread=140a000: vfs_mountroot: cannot mount root\r\n\r\n"
    "0000000001409970 genunix:vfs_mountroot+70 (0, 0, 0, 200, 1458170, 0)\r\n"
    "  %l0-3: 000000000144bc00 000000000144bc00 0000000000002000 0000000001495428\r\n"
    "  %l4-7: 000000000149b000 0000000001411e28 000000000144c400 000000000144f400\r\n"
    "0000000001409a20 genunix:main+90 (1409ba0, f005a4d8, 1409ec0, 391d52, 2000, 500)\r\n"
    "  %l0-3: 0000000000000001 000000000140a000 0000000001412f98 0000000000000000\r\n"
    "  %l4-7: 0000000078002000 0000000000394000 00000000014a3800 00000000010665f8\r\n"
    "\r\n"
    "skipping system dump - no dump device configured\r\n";

inline constexpr std::string_view kDiskTimeout =
    "WARNING: /pci@1c,600000/scsi@2/sd@1,0 (sd1):\r\n"
    "\tSCSI transport failed: reason 'timeout': retrying command\r\n";

/// An operator at a root shell greps an old panic out of /var/adm/messages.
/// syslogd splits the kernel's "\n\rpanic[cpu…" at the "\n": the first part
/// is an empty "unix: [ID 836849 kern.notice] " record, the rest a line of its
/// own that keeps the raw CR before "panic" and has no tag. Published example
/// (OmniOS, 2019; the CR shown as ^M): "Dec 25 10:07:04 chrufs ^Mpanic[cpu8]/
/// thread=fffffe83d37b7420: ", https://github.com/omniosorg/illumos-omnios/issues/632.
/// savecore's line after the reboot: "savecore: [ID 570001 auth.error] reboot
/// after panic: BAD TRAP: …", https://github.com/TritonDataCenter/smartos-live/issues/494.
/// So `grep panic` prints a line whose "panic[cpu0]" follows a CR on the wire.
inline std::string solaris_quoted_panic(std::string_view host) {
  std::string h(host);
  std::string s = "grep panic /var/adm/messages\r\n";
  s += "Mar  2 23:41:07 " + h + " \rpanic[cpu0]/thread=2a100547ca0: \r\n";
  s += "Mar  2 23:44:31 " + h;
  s += " savecore: [ID 570001 auth.error] reboot after panic: BAD TRAP: type=31 "
       "rp=2a100547450 addr=0 mmu_fsr=9 occurred in module \"unix\" due to a NULL pointer "
       "dereference\r\n";
  return s;
}

// --- Solaris 10: a clean shutdown (shutdown -i0 -g0 -y, init 0) -------------------
//
// What the console shows, published for a SPARC server: Oracle's "Shut Down the
// OS (shutdown Command)", SPARC T7 Series Servers Administration Guide (E63321,
// https://docs.oracle.com/cd/E63388_01/html/E63321/z40009341433913.html):
//   # shutdown -g0 -i0 -y
//   # svc.startd: The system is coming down.  Please wait.
//   svc.startd: 106 system services are now being stopped.
//   Sep 12 17:52:11 systemA syslogd: going down on signal 15
//   svc.startd: The system is down.
//   syncing file systems...done
//   Program terminated
//   SPARC T7-1, No Keyboard
//   ...
//   {0} ok
// Where each line comes from:
//   "The system is coming down.  Please wait." (two spaces): svc.startd's
//     dgraph_set_runlevel() for runlevel 0, uu_warn() prefixing "svc.startd: "
//     (illumos usr/src/cmd/svc/startd/graph.c);
//   the services count and syslogd's line: as published (the count is the T7's,
//     illustrative; syslogd's line is a syslog record to the console, its date
//     illustrative like the other dates here);
//   "syncing file systems... done": the kernel's vfs_syncall() as in kSyncing
//     (the guide's "...done" lost the space);
//   "Program terminated": OpenBoot after the OS exits to it (also in the
//     Solaris 2.5 SPARC example "syncing file systems... [7] [7] [5] done /
//     Program terminated / ok", System Administration Guide, Volume I, 1995).
// A sun4u V240 prints the prompt after "Program terminated" with no banner (the
// T7's banner is its sun4v reset); auto-boot? is not touched by a halt.
// The ssh session that ran the command sees the shutdown script's own output
// (illumos usr/src/cmd/initpkg/shutdown.sh: echo '\nShutdown started.    \c';
// date; echo; ... echo "Changing to init state $initstate - please wait").
inline constexpr std::string_view kShutdownStart =
    "svc.startd: The system is coming down.  Please wait.\r\n";
inline constexpr std::string_view kShutdownServices =
    "svc.startd: 106 system services are now being stopped.\r\n";
/// "Mar  3 09:14:02 alpha syslogd: going down on signal 15\r\n"
inline std::string shutdown_syslogd(std::string_view host) {
  return "Mar  3 09:14:02 " + std::string(host) + " syslogd: going down on signal 15\r\n";
}
inline constexpr std::string_view kShutdownDown = "svc.startd: The system is down.\r\n";
inline constexpr std::string_view kProgramTerminated = "Program terminated\r\n";

// --- Linux on SPARC -------------------------------------------------------------

/// From the OBP boot to "Booting Linux...": SILO and an early kernel, Debian
/// on this very model, booted from disk ("debian on a sunfire v240",
/// 2008-09-24,
/// https://github.com/stevecrozz/lithostech.com/blob/master/_posts/2008-09-24-debian-on-a-sunfire-v240.markdown),
/// then the kernel's first lines as on a Sun Enterprise 420R (lkml,
/// <87r71q1um4.fsf@xserver.flexserv.de>, 2006-06-15,
/// https://lore.kernel.org/lkml/87r71q1um4.fsf@xserver.flexserv.de/).
inline constexpr std::string_view kLinuxSilo =
    "SILO Version 1.4.13\r\n"
    "boot: \r\n"
    "Allocated 8 Megs of memory at 0x40000000 for kernel\r\n"
    "Uncompressing image...\r\n"
    "Loaded kernel version 2.6.18\r\n"
    "Loading initial ramdisk (5266517 bytes at 0x127F802000 phys, 0x40C00000 virt)...\r\n";
inline constexpr std::string_view kLinuxBooting =
    "\r\nRemapping the kernel... done.\r\nBooting Linux...\r\n";
/// nodesim's own: marks the moment the shared disk is taken (T_mount).
inline constexpr std::string_view kLinuxMount =
    "nodesim: shared disk /dev/sdb1 mounted on /shared\r\n";
/// getty's /etc/issue ("Debian GNU/Linux 4.0 \n \l") as on the V240 above.
inline std::string linux_issue(std::string_view host) {
  return "\r\nDebian GNU/Linux 4.0 " + std::string(host) + " ttyS0\r\n";
}
/// agetty's prompt: "\r\nalpha login: ".
inline std::string linux_login(std::string_view host) {
  return "\r\n" + std::string(host) + " login: ";
}
/// nodesim's approximation of a root login (shadow login(1)'s "Last login: %s
/// on %s" and Debian's bash PS1 '\u@\h:\w\$ '); no published transcript used.
inline constexpr std::string_view kLinuxRootLogin =
    "root\r\nPassword: \r\nLast login: Tue Mar  3 09:12:44 UTC 2015 on ttyS0\r\n";
inline std::string linux_root_prompt(std::string_view host) {
  return "root@" + std::string(host) + ":~# ";
}

/// kernel/panic.c (https://github.com/torvalds/linux/blob/master/kernel/panic.c):
///   pr_emerg("Kernel panic - not syncing: %s\n", buf);
///   #ifdef __sparc__ ... pr_emerg("Press Stop-A (L1-A) from sun keyboard or send break\n"
///                                 "twice on console to return to the boot prom\n");
///   pr_emerg("---[ end Kernel panic - not syncing: %s ]---\n", buf);
/// Published sparc64 transcript with exactly these lines (printk timestamps
/// removed, CONFIG_PRINTK_TIME off as in the sparc32 transcript at
/// https://lore.kernel.org/lkml/20200522004618.GA3151350@ZenIV.linux.org.uk/):
/// https://lore.kernel.org/sparclinux/03957ee5ee562b70f7e3278d0ce95b2f52cbc721.camel@physik.fu-berlin.de/
inline constexpr std::string_view kLinuxPanic =
    "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009\r\n"
    "Press Stop-A (L1-A) from sun keyboard or send break\r\n"
    "twice on console to return to the boot prom\r\n"
    "---[ end Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009 ]---\r\n";
/// The same while booting: init/do_mounts.c panic("VFS: Unable to mount root
/// fs on %s", b).
inline constexpr std::string_view kLinuxBootPanic =
    "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(8,1)\r\n"
    "Press Stop-A (L1-A) from sun keyboard or send break\r\n"
    "twice on console to return to the boot prom\r\n"
    "---[ end Kernel panic - not syncing: VFS: Unable to mount root fs on "
    "unknown-block(8,1) ]---\r\n";
/// sun_do_break() (arch/sparc/kernel/setup_64.c) prints "\n" before prom_cmdline().
inline constexpr std::string_view kLinuxToProm = "\r\n";
/// nodesim's approximation of the kernel line in a syslog file (sysklogd's
/// "MMM dd hh:mm:ss host kernel: "); no published file used.
inline std::string linux_quoted_panic(std::string_view host) {
  std::string s = "grep -i panic /var/log/kern.log\r\nMar  2 23:41:07 " + std::string(host);
  s += " kernel: Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009\r\n";
  return s;
}

// --- Service processors ---------------------------------------------------------

/// ALOM (Sun Fire V210/V240): "#." at the host console returns to "sc> ";
/// `console` goes back with "Enter #. to return to ALOM." (ALOM 1.5 online
/// help, https://imap.filibeto.org/~aduritz/truetrue/jumpstart/ALOM1.5Help-en/cli/h_console.html).
inline constexpr std::string_view kAlomPrompt = "sc> ";
inline constexpr std::string_view kAlomConsole = "Enter #. to return to ALOM.\r\n";
/// nodesim's wording: no published ALOM transcript of an unknown command found.
inline std::string alom_unknown(std::string_view cmd) {
  return "Error: Invalid command: " + std::string(cmd) + ". Type 'help' to list commands.\r\n";
}
/// ILOM: "-> start /SP/console", "Are you sure you want to start /SP/console
/// (y/n)? y", "Serial console started.  To stop, type #." (public ILOM
/// transcripts of SPARC servers; ILOM 3.0 on T-series names it /HOST/console).
inline constexpr std::string_view kIlomPrompt = "-> ";
inline std::string ilom_confirm(std::string_view target) {
  return "Are you sure you want to start " + std::string(target) + " (y/n)? ";
}
inline constexpr std::string_view kIlomStarted = "Serial console started.  To stop, type #.\r\n";
/// nodesim's wording (from memory of ILOM 3.x, not checked against a source).
inline std::string ilom_unknown(std::string_view cmd) {
  return "Invalid command '" + std::string(cmd) + "' - type help for a list of commands.\r\n";
}

}  // namespace clusterd::sim::text
