#include "clist/diagnostic.h"

namespace clusterd::clist {

std::string format_line(const Diagnostic& d) {
  std::string out = d.loc.file;
  if (d.loc.line > 0) {
    out += ":" + std::to_string(d.loc.line);
    if (d.loc.col > 0) out += ":" + std::to_string(d.loc.col);
  }
  return out + ": " + d.message;
}

std::string format_text(const Diagnostic& d) {
  std::string out = format_line(d) + "\n";
  if (d.source_line.empty()) return out;
  out += "    " + d.source_line + "\n";
  if (d.loc.col <= 0) return out;  // a whole line (CList): no caret
  out += "    ";
  // Keep tabs so the caret lines up under tab-indented source.
  for (int i = 1; i < d.loc.col && static_cast<std::size_t>(i - 1) < d.source_line.size(); ++i) {
    out += d.source_line[static_cast<std::size_t>(i - 1)] == '\t' ? '\t' : ' ';
  }
  out += "^\n";
  return out;
}

std::string format_text(const Diagnostics& ds) {
  std::string out;
  for (const Diagnostic& d : ds) out += format_text(d);
  return out;
}

}  // namespace clusterd::clist
