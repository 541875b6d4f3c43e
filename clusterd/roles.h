// RoleBinding: the one owner of "which node is active". Nodes are named by
// their index in the cluster config ([[node]] order, 0 and 1) everywhere in
// the daemon; the chat script's channels `active` and `standby` map to those
// indexes through this binding and nothing else. A takeover swaps the
// binding once, here, and announces it: the daemon re-targets ping and times
// the failover from the announcement instead of polling after every input.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/program.h"

namespace clusterd {

class RoleBinding {
 public:
  /// Called after every swap, with the binding in its new state.
  using Listener = std::function<void(const RoleBinding&)>;

  /// `names` in config order; `active` is the index of the active node (0
  /// or 1; anything else is a bug, CLUSTERD_ASSERT).
  RoleBinding(std::array<std::string, 2> names, std::size_t active);

  std::size_t active() const { return active_; }
  std::size_t standby() const { return 1 - active_; }
  const std::string& name(std::size_t node) const { return names_[node]; }
  const std::string& active_name() const { return names_[active_]; }
  const std::string& standby_name() const { return names_[1 - active_]; }

  /// The node a console channel names; nullopt for `sh`.
  std::optional<std::size_t> node_of(chat::Channel ch) const;
  /// The channel a node is on now (Active or Standby).
  chat::Channel channel_of(std::size_t node) const;
  /// The index of the node called `name`; nullopt for another name.
  std::optional<std::size_t> index_of(std::string_view name) const;

  /// The standby becomes active (a takeover); listeners hear of it.
  void swap();
  void on_change(Listener l) { listeners_.push_back(std::move(l)); }

 private:
  std::array<std::string, 2> names_;
  std::size_t active_;
  std::vector<Listener> listeners_;
};

}  // namespace clusterd
