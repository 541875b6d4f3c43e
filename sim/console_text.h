// The console texts nodesim prints, in one place so that tests and
// scripts/lib/patterns.chat can be checked against them. They follow a Sun
// Fire V240 with OBP 4.x and Solaris 10; "\r\n" line ends as on a serial line.
#pragma once

#include <string>
#include <string_view>

namespace clusterd::sim::text {

inline constexpr std::string_view kPrompt = "{0} ok ";
inline constexpr std::string_view kResume = "\r\nType 'go' to resume\r\n";
inline constexpr std::string_view kResetting = "\r\nResetting ... \r\n\r\n";
inline constexpr std::string_view kRebooting = "Rebooting with command: boot\r\n";
inline constexpr std::string_view kBootDiskPath = "/pci@1c,600000/scsi@2/disk@0,0:a";
inline constexpr std::string_view kBootNetPath = "/pci@1f,700000/network@2";
inline constexpr std::string_view kCantOpen = "Can't open boot device\r\n\r\n";
inline constexpr std::string_view kBadMagic =
    "Bad magic number in disk label\r\nCan't open disk label package\r\n\r\n";
inline constexpr std::string_view kNetTimeout = "Timeout waiting for ARP/RARP packet\r\n\r\n";
inline constexpr std::string_view kSunOs =
    "SunOS Release 5.10 Version Generic_147440-01 64-bit\r\n";
inline constexpr std::string_view kCopyright =
    "Copyright (c) 1983, 2011, Oracle and/or its affiliates. All rights reserved.\r\n";
inline constexpr std::string_view kPanic =
    "\r\npanic[cpu0]/thread=2a100547ca0: BAD TRAP: type=31 rp=2a100547450 addr=0 mmu_fsr=9 "
    "occurred in module \"unix\" due to a NULL pointer dereference\r\n\r\n"
    "sched: trap type = 0x31\r\n"
    "pid=0, pc=0x1011c8c, sp=0x2a100546cf1, tstate=0x4480001600, context=0x0\r\n\r\n"
    "000002a100547290 unix:die+9c (31, 2a100547450, 0, 9, 2a100547450, 1)\r\n\r\n"
    "syncing file systems... done\r\n";
inline constexpr std::string_view kDumpStart =
    "dumping to /dev/dsk/c1t0d0s1, offset 65536, content: kernel\r\n";
inline constexpr std::string_view kDumpDone =
    "100% done: 8347 pages dumped, compression ratio 3.21, dump succeeded\r\n";
inline constexpr std::string_view kPanicReboot = "rebooting...\r\n";
inline constexpr std::string_view kDiskTimeout =
    "WARNING: /pci@1c,600000/scsi@2/sd@1,0 (sd1):\r\n"
    "\tSCSI transport failed: reason 'timeout': retrying command\r\n";

/// The power-on banner (after POST), e.g. "Sun Fire V240, No Keyboard" first.
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

/// "\r\nalpha console login: "
inline std::string login(std::string_view host) {
  return "\r\n" + std::string(host) + " console login: ";
}

/// `printenv auto-boot?` / `setenv` read-back, OBP 4.x: "auto-boot? =  false\r\n".
inline std::string var_readback(std::string_view name, std::string_view value) {
  return std::string(name) + " =  " + std::string(value) + "\r\n";
}

}  // namespace clusterd::sim::text
