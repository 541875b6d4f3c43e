#include "tty/console.h"

#include "tty/transports.h"

namespace clusterd::tty {

std::unique_ptr<Console> make_console(const Endpoint& endpoint, ConsoleHandlers handlers,
                                      ConsoleContext context) {
  switch (endpoint.scheme) {
    case Scheme::Tcp:
      return make_tcp_console(endpoint, std::move(handlers), context);
    case Scheme::Telnet:
      return make_telnet_console(endpoint, std::move(handlers), context);
    case Scheme::Pty:
      return make_pty_console(endpoint, std::move(handlers), context);
    case Scheme::Serial:
      return make_serial_console(endpoint, std::move(handlers), context);
    case Scheme::Exec:
      return make_exec_console(endpoint, std::move(handlers), context);
    case Scheme::Ssh:
      return make_ssh_console(endpoint, std::move(handlers), context);
  }
  return nullptr;
}

}  // namespace clusterd::tty
