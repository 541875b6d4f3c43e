#include "tty/ports.h"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

extern "C" {
#include <libserialport.h>
}

namespace clusterd::tty {

namespace {
std::string str(const char* s) { return s ? s : ""; }

// /dev/serial/by-id holds udev's stable names; find the one that points at `dev`.
std::string by_id_link(const std::string& dev) {
  std::error_code ec;
  std::filesystem::path dir("/dev/serial/by-id");
  if (!std::filesystem::is_directory(dir, ec)) return {};
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    auto target = std::filesystem::canonical(entry.path(), ec);
    if (!ec && target == std::filesystem::path(dev)) return entry.path().string();
  }
  return {};
}
}  // namespace

Result<std::vector<PortInfo>> list_serial_ports() {
  sp_port** ports = nullptr;
  if (sp_list_ports(&ports) != SP_OK) {
    char* m = sp_last_error_message();
    std::string msg = std::string("libserialport cannot list ports: ") + (m ? m : "unknown error");
    if (m) sp_free_error_message(m);
    return Error::io(msg);
  }
  std::vector<PortInfo> out;
  for (int i = 0; ports[i]; ++i) {
    sp_port* p = ports[i];
    PortInfo info;
    info.name = str(sp_get_port_name(p));
    info.description = str(sp_get_port_description(p));
    switch (sp_get_port_transport(p)) {
      case SP_TRANSPORT_NATIVE:
        info.transport = "native";
        break;
      case SP_TRANSPORT_USB: {
        info.transport = "usb";
        int vid = 0, pid = 0;
        if (sp_get_port_usb_vid_pid(p, &vid, &pid) == SP_OK) {
          char buf[16];
          std::snprintf(buf, sizeof buf, "%04x:%04x", vid & 0xffff, pid & 0xffff);
          info.usb_vid_pid = buf;
        }
        info.manufacturer = str(sp_get_port_usb_manufacturer(p));
        info.product = str(sp_get_port_usb_product(p));
        info.serial = str(sp_get_port_usb_serial(p));
        break;
      }
      case SP_TRANSPORT_BLUETOOTH:
        info.transport = "bluetooth";
        break;
    }
    info.by_id = by_id_link(info.name);
    out.push_back(std::move(info));
  }
  sp_free_port_list(ports);
  return out;
}

}  // namespace clusterd::tty
