// Graphviz export of a compiled Program: one node per state, one edge per
// handler that changes state, labelled with its trigger. `chatc dot`.
#pragma once

#include <string>

#include "chat/program.h"

namespace clusterd::chat {

/// A `digraph` in the DOT language. The initial state has a double border;
/// states that fence (break, mark fenced) are orange, states that take over
/// are green, and handlers that stay in their state are listed inside it.
std::string to_dot(const Program& program, const std::string& title);

}  // namespace clusterd::chat
