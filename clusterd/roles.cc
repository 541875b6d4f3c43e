#include "clusterd/roles.h"

#include "base/assert.h"

namespace clusterd {

// `active` comes from the config's roles or the journal's, through
// index_of(): anything but 0 or 1 is our bug, not a setting to correct.
RoleBinding::RoleBinding(std::array<std::string, 2> names, std::size_t active)
    : names_(std::move(names)), active_(active) {
  CLUSTERD_ASSERT(active_ <= 1);
}

std::optional<std::size_t> RoleBinding::node_of(chat::Channel ch) const {
  switch (ch) {
    case chat::Channel::Active:
      return active_;
    case chat::Channel::Standby:
      return 1 - active_;
    case chat::Channel::Sh:
      return std::nullopt;
  }
  return std::nullopt;
}

chat::Channel RoleBinding::channel_of(std::size_t node) const {
  return node == active_ ? chat::Channel::Active : chat::Channel::Standby;
}

std::optional<std::size_t> RoleBinding::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < 2; ++i) {
    if (names_[i] == name) return i;
  }
  return std::nullopt;
}

void RoleBinding::swap() {
  active_ = 1 - active_;
  // A copy: a listener may add another (none does today; cheap insurance).
  auto listeners = listeners_;
  for (const auto& l : listeners) l(*this);
}

}  // namespace clusterd
