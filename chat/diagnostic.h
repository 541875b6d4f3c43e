// Diagnostics for bad chat-script text: position, severity, message, and the
// source line for a caret. Produced by the parser and the checker; printed by
// chatc and clusterd --check. Nothing here throws.
#pragma once

#include "base/escape.h"

#include <string>
#include <vector>

namespace clusterd::chat {

/// A place in a source file; line and col count from 1 (col in bytes).
struct Loc {
  std::string file;
  int line = 0;
  int col = 0;
};

enum class Severity { Error, Warning };

struct Diagnostic {
  Loc loc;
  Severity severity = Severity::Error;
  std::string message;
  std::string source_line;  // the whole line at loc, for the caret; may be empty
};

using Diagnostics = std::vector<Diagnostic>;

/// Every format escapes what could harm a terminal or a log: control bytes
/// (TAB kept), DEL, C1 controls and invalid UTF-8 in the file name, message
/// and source line come out as `\xHH` (base/escape.h escape_text; valid
/// UTF-8 such as "é" is kept).

/// ninja/PEGTL style: "file:line:col: error: message", then the source line
/// and a caret under the column. Ends with '\n'.
std::string format_text(const Diagnostic& d);

/// gcc style, one line ("file:line:col: error: message"), for quickfix lists.
std::string format_gcc(const Diagnostic& d);

/// A JSON array of {file, line, col, severity, message} objects.
std::string format_json(const Diagnostics& ds);

/// Number of diagnostics of the given severity.
int count(const Diagnostics& ds, Severity s);

// JSON string escaping is base/escape.h's (one for every module).
using clusterd::json_escape;

}  // namespace clusterd::chat
