#include "chat/diagnostic.h"

#include <algorithm>
#include <cstdio>

namespace clusterd::chat {

namespace {
const char* severity_name(Severity s) { return s == Severity::Error ? "error" : "warning"; }
}  // namespace

// Scripts are hostile input: a file name, a message quoting the script, a
// source line may hold NUL, ESC sequences, C1 controls or invalid UTF-8, and
// what is formatted here reaches terminals, clusterctl's reload reply and the
// daemon's timeline. Every format escapes them (escape_text: \xHH, valid
// UTF-8 kept); the Diagnostic itself keeps the raw bytes.

std::string format_gcc(const Diagnostic& d) {
  // No position (a param override, a file that cannot be read): file only.
  std::string out = escape_text(d.loc.file);
  if (d.loc.line > 0) out += ":" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col);
  out += ": ";
  out += severity_name(d.severity);
  out += ": ";
  escape_text_to(out, d.message);
  return out;
}

std::string format_text(const Diagnostic& d) {
  std::string out = format_gcc(d) + "\n";
  if (!d.source_line.empty()) {
    out += "    ";
    escape_text_to(out, d.source_line);
    out += "\n    ";
    // The caret goes under column col (a byte offset) of the line as printed:
    // one space per character of the escaped text before it (a UTF-8
    // sequence is one, an escaped byte four), and tabs kept so that it lines
    // up under tab-indented source.
    const auto before = static_cast<std::size_t>(std::max(d.loc.col - 1, 0));
    for (char c : escape_text(
             std::string_view(d.source_line).substr(0, std::min(before, d.source_line.size())))) {
      if (c == '\t')
        out += '\t';
      else if ((static_cast<unsigned char>(c) & 0xc0) != 0x80)
        out += ' ';  // not a continuation byte
    }
    out += "^\n";
  }
  return out;
}

std::string format_json(const Diagnostics& ds) {
  std::string out = "[";
  for (std::size_t i = 0; i < ds.size(); ++i) {
    const auto& d = ds[i];
    if (i) out += ",";
    out += "\n  {\"file\": \"" + json_escape(escape_text(d.loc.file)) +
           "\", \"line\": " + std::to_string(d.loc.line) +
           ", \"col\": " + std::to_string(d.loc.col) + ", \"severity\": \"" +
           severity_name(d.severity) + "\", \"message\": \"" + json_escape(escape_text(d.message)) +
           "\"}";
  }
  out += ds.empty() ? "]\n" : "\n]\n";
  return out;
}

int count(const Diagnostics& ds, Severity s) {
  int n = 0;
  for (const auto& d : ds) n += d.severity == s;
  return n;
}

}  // namespace clusterd::chat
