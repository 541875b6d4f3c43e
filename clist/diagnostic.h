// Diagnostics for bad configuration text (the CList and the cluster files):
// where, what, and the source line for a caret, printed ninja/PEGTL style.
// clist/ keeps its own copy of chat/diagnostic.h's shape because DESIGN.md §1
// keeps chat, tty and clist unaware of each other; the fields match, so both
// can move into base/ as one type without touching a caller's logic.
// Nothing here reads files or throws.
#pragma once

#include <string>
#include <vector>

namespace clusterd::clist {

/// A place in a config file. Lines and columns count from 1; line 0 means
/// the file as a whole (it is missing or unreadable; a missing required key
/// is at 1:1), col 0 a whole line (CList).
/// toml++ counts columns in code points: the same as bytes for ASCII lines.
struct Loc {
  std::string file;
  int line = 0;
  int col = 0;
};

/// One problem with the input. Every config diagnostic is an error: a
/// monitor that fences machines does not start on a config it had to guess at.
struct Diagnostic {
  Loc loc;
  std::string message;      ///< names the key and what is accepted
  std::string source_line;  ///< the whole line at loc, for the caret; may be empty
};

using Diagnostics = std::vector<Diagnostic>;

/// One line: "prod.toml:7:11: message", "CList:3: message", "prod.toml: message".
/// No "error:" word (every config diagnostic is one), no trailing newline.
std::string format_line(const Diagnostic& d);

/// format_line, then (when known) the source line and, when there is a
/// column, a caret under it; both indented four blanks. Ends with '\n'.
std::string format_text(const Diagnostic& d);

/// format_text of each, in order.
std::string format_text(const Diagnostics& ds);

}  // namespace clusterd::clist
