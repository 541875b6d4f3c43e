#include "clist/diagnostic.h"

#include <algorithm>

#include "base/escape.h"

namespace clusterd::clist {

// Messages quote the input (a key, a value, a cluster name), and the input may
// hold hostile bytes (an ESC sequence, a NUL, invalid UTF-8): shown escaped,
// never raw on an operator's terminal or in clusterctl's reload reply.
std::string format_line(const Diagnostic& d) {
  std::string out = escape_text(d.loc.file);
  if (d.loc.line > 0) {
    out += ":" + std::to_string(d.loc.line);
    if (d.loc.col > 0) out += ":" + std::to_string(d.loc.col);
  }
  return out + ": " + escape_text(d.message);
}

std::string format_text(const Diagnostic& d) {
  std::string out = format_line(d) + "\n";
  if (d.source_line.empty()) return out;
  out += "    " + escape_text(d.source_line) + "\n";
  if (d.loc.col <= 0) return out;  // a whole line (CList): no caret
  out += "    ";
  // Under the escaped line: one column per character of what comes before
  // the position (a UTF-8 continuation byte adds none), tabs kept as tabs.
  std::size_t before = std::min(d.source_line.size(), static_cast<std::size_t>(d.loc.col - 1));
  for (char c : escape_text(std::string_view(d.source_line).substr(0, before))) {
    if ((static_cast<unsigned char>(c) & 0xc0) == 0x80) continue;
    out += c == '\t' ? '\t' : ' ';
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
