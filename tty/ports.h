// The serial ports of this machine, as libserialport sees them, with what
// tells USB adapters apart (`clusterctl ports`): an operator with eight
// identical FTDI cables needs the serial numbers to write a config.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace clusterd::tty {

struct PortInfo {
  std::string name;          ///< /dev/ttyUSB0
  std::string description;   ///< libserialport's one-line description
  std::string transport;     ///< native, usb, bluetooth
  std::string usb_vid_pid;   ///< "0403:6001" for USB adapters
  std::string manufacturer;  ///< USB strings, when the adapter has them
  std::string product;
  std::string serial;
  std::string by_id;  ///< /dev/serial/by-id/... link, stable across reboots
};

/// Every port libserialport lists (pseudo-terminals are never listed).
Result<std::vector<PortInfo>> list_serial_ports();

}  // namespace clusterd::tty
