#include "chat/dot.h"

namespace clusterd::chat {

namespace {

std::string dot_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

bool any_action(const State& s, Action::Kind k) {
  for (const auto& a : s.entry)
    if (a.kind == k) return true;
  for (const auto& h : s.handlers)
    for (const auto& a : h.actions)
      if (a.kind == k) return true;
  return false;
}

}  // namespace

std::string to_dot(const Program& p, const std::string& title) {
  std::string out = "digraph \"" + dot_escape(title) + "\" {\n";
  out +=
      "  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fillcolor=white, "
      "fontname=\"Helvetica\"];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=10];\n";
  for (std::size_t i = 0; i < p.states.size(); ++i) {
    const State& s = p.states[i];
    std::string label = s.name;
    for (const auto& h : s.handlers) {
      if (h.target < 0) label += "\\n(" + dot_escape(h.trigger) + ")";
    }
    std::string attrs = "label=\"" + (label == s.name ? dot_escape(s.name) : label) + "\"";
    if (static_cast<int>(i) == p.initial) attrs += ", peripheries=2";
    if (any_action(s, Action::Kind::Takeover))
      attrs += ", fillcolor=\"#c8e6c9\"";
    else if (any_action(s, Action::Kind::Break) || any_action(s, Action::Kind::MarkFenced))
      attrs += ", fillcolor=\"#ffe0b2\"";
    out += "  \"" + dot_escape(s.name) + "\" [" + attrs + "];\n";
  }
  for (const auto& s : p.states) {
    for (const auto& h : s.handlers) {
      if (h.target < 0) continue;
      out += "  \"" + dot_escape(s.name) + "\" -> \"" +
             dot_escape(p.states[static_cast<std::size_t>(h.target)].name) + "\" [label=\"" +
             dot_escape(h.trigger) + "\"];\n";
    }
  }
  out += "}\n";
  return out;
}

}  // namespace clusterd::chat
