// Diagnostics for bad input text (chat scripts, the CList, cluster configs):
// where, how bad, what, and the source line for a caret. One type and one
// format for every folder, printed ninja/PEGTL style:
//
//   prod.toml:7:11: error: nodes.alpha.console: port '70x1' is not a number 1-65535
//       console = "telnet://nts1:70x1"
//                 ^
//
// The severity word is what editors' quickfix lists and CI annotators read
// (etc/vim/ftplugin/chat.vim). Producers catch their parsers' exceptions and
// return these; nothing here reads files or throws.
#pragma once

#include <string>
#include <vector>

namespace clusterd {

/// A place in a source file. Lines and columns count from 1 (columns in
/// bytes; toml++ counts code points, the same for ASCII lines); line 0 means
/// the file as a whole (it is missing or unreadable; a missing required
/// config key is at 1:1), col 0 a whole line (the CList).
struct Loc {
  std::string file;
  int line = 0;
  int col = 0;
};

/// Errors stop a script or config from being used; warnings do not (chatc
/// --strict makes them fail too).
enum class Severity { Error, Warning };

/// One problem with the input. The fields keep the raw bytes; every format
/// below escapes them.
struct Diagnostic {
  Loc loc;
  Severity severity = Severity::Error;
  std::string message;      ///< names the thing at fault and what is accepted
  std::string source_line;  ///< the whole line at loc, for the caret; may be empty
};

using Diagnostics = std::vector<Diagnostic>;

/// Every format escapes what could harm a terminal or a log: control bytes
/// (TAB kept), DEL, C1 controls and invalid UTF-8 in the file name, message
/// and source line come out as `\xHH` (base/escape.h escape_text; valid
/// UTF-8 such as "é" is kept).

/// One line, gcc style, no trailing newline: "x.chat:12:9: error: message";
/// "CList:3: error: message" without a column; "x.toml: error: message"
/// without a line.
std::string format_line(const Diagnostic& d);

/// format_line, then (when known) the source line and, when there is a
/// column, a caret under it; both indented four blanks. Ends with '\n'.
std::string format_text(const Diagnostic& d);

/// format_text of each, in order.
std::string format_text(const Diagnostics& ds);

/// A JSON array of {file, line, col, severity, message} objects, ending "\n".
std::string format_json(const Diagnostics& ds);

/// Number of diagnostics of the given severity.
int count(const Diagnostics& ds, Severity s);

}  // namespace clusterd
