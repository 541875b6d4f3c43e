#include "clusterd/status.h"

#include <sstream>

#include "base/escape.h"
#include "base/json_writer.h"

namespace clusterd {

std::string render_status_text(const StatusView& s) {
  std::ostringstream o;
  o << "cluster    " << s.cluster << "\n"
    << "state      " << s.state << "\n"
    << "active     " << s.active << "  (console " << s.console_active << ", ping " << s.ping
    << ", rtt " << s.rtt << ")\n"
    << "standby    " << s.standby << "  (console " << s.console_standby << ")\n"
    << "monitor    " << (s.isolated ? "ISOLATED" : "ok") << "\n"
    << "failovers  " << s.failovers << "\n"
    << "last alarm " << (s.last_alarm.empty() ? "-" : escape(s.last_alarm)) << "\n";
  if (!s.bcp_text.empty()) o << "bcp        " << s.bcp_text << "\n";
  return o.str();
}

std::string render_status_json(const StatusView& s) {
  JsonObject o;
  o.string("cluster", s.cluster)
      .string("state", s.state)
      .string("active", s.active)
      .string("standby", s.standby)
      .string("console_active", s.console_active)
      .string("console_standby", s.console_standby)
      .string("ping", s.ping)
      .string("rtt", s.rtt)
      .boolean("isolated", s.isolated)
      .number("failovers", s.failovers)
      .string("last_alarm", s.last_alarm);
  if (!s.bcp_json.empty()) o.raw("bcp", s.bcp_json);
  return o.str() + "\n";
}

}  // namespace clusterd
