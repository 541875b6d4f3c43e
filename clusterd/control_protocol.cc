#include "clusterd/control_protocol.h"

#include <charconv>
#include <sstream>

#include "base/duration.h"
#include "base/escape.h"

namespace clusterd {

namespace {

std::string timeline_reply(std::istringstream& in, const std::string& arg, const ControlTarget& t) {
  if (arg == "--since") {
    std::string when;
    in >> when;
    auto d = parse_duration(when);
    if (!d) return "error: --since '" + escape(when) + "' is not a duration (e.g. 90s, 10m, 2h)\n";
    return "ok\n" + t.timeline_since(t.wall_ns() - d->count());
  }
  std::size_t n = 200;
  if (!arg.empty()) {
    auto [p, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), n);
    if (ec != std::errc() || p != arg.data() + arg.size()) {
      return "error: timeline takes a line count or --since DURATION, not '" + escape(arg) + "'\n";
    }
  }
  return "ok\n" + t.timeline_last(n);
}

}  // namespace

std::string answer_control(std::string_view request, ControlTarget& t) {
  std::istringstream in{std::string(request)};
  std::string cmd, arg;
  in >> cmd >> arg;
  if (cmd == "status") return "ok\n" + t.status(arg == "--json");
  if (cmd == "metrics") return "ok\n" + t.metrics();
  if (cmd == "timeline") return timeline_reply(in, arg, t);
  if (cmd == "switchover") {
    if (arg == "--site" && !t.bcp())
      return "error: switchover --site: this cluster is not in BCP mode (no [bcp] in its config)\n";
    if (!arg.empty() && arg != "--site")
      return "error: switchover takes only --site, not '" + escape(arg) + "'\n";
    t.switchover();
    return "ok\nswitchover requested\n";
  }
  if (cmd == "maintenance") {
    t.maintenance();
    return "ok\nmaintenance requested\n";
  }
  if (cmd == "alarms") return "ok\n" + t.alarm_list();
  if (cmd == "accept-loss") {
    std::string r = t.accept_loss();
    if (r.rfind("ok ", 0) == 0) return "ok\n" + r.substr(3) + "\n";
    return r + "\n";
  }
  if (cmd == "idle") return std::string("ok\n") + (t.idle() ? "idle yes\n" : "idle no\n");
  if (cmd == "reload") {
    auto r = t.reload();
    if (!r) return "error: reload is not available\n";
    // "ok WHAT" becomes "ok\nWHAT\n"; an error line passes as it is.
    if (r->rfind("ok", 0) != 0) return *r + "\n";
    auto sp = r->find(' ');
    return "ok\n" + (sp == std::string::npos ? std::string() : r->substr(sp + 1)) + "\n";
  }
  if (cmd == "ack") {
    return t.ack(arg) ? "ok\nacknowledged " + escape(arg) + "\n"
                      : "error: no alarm " + escape(arg) + "\n";
  }
  return "error: unknown request '" + escape(cmd) +
         "' (status, timeline, switchover, maintenance, alarms, ack, reload, metrics, idle, "
         "accept-loss)\n";
}

}  // namespace clusterd
