#include "probe/prober.h"

namespace clusterd::probe {

std::string join_addresses(const std::vector<boost::asio::ip::address>& addresses) {
  std::string s;
  for (const auto& a : addresses) s += (s.empty() ? "" : ", ") + a.to_string();
  return s.empty() ? "(none)" : s;
}

}  // namespace clusterd::probe
