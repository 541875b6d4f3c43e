#include "base/diagnostic.h"

#include <algorithm>

#include "base/escape.h"

namespace clusterd {

namespace {
const char* severity_name(Severity s) { return s == Severity::Error ? "error" : "warning"; }
}  // namespace

// Scripts and configs are hostile input: a file name, a message quoting the
// input, a source line may hold NUL, ESC sequences, C1 controls or invalid
// UTF-8, and what is formatted here reaches terminals, clusterctl's reload
// reply and the daemon's timeline. Every format escapes them (escape_text:
// \xHH, valid UTF-8 kept); the Diagnostic itself keeps the raw bytes.

std::string format_line(const Diagnostic& d) {
  std::string out = escape_text(d.loc.file);
  if (d.loc.line > 0) {
    out += ":" + std::to_string(d.loc.line);
    if (d.loc.col > 0) out += ":" + std::to_string(d.loc.col);
  }
  out += ": ";
  out += severity_name(d.severity);
  out += ": ";
  escape_text_to(out, d.message);
  return out;
}

std::string format_text(const Diagnostic& d) {
  std::string out = format_line(d) + "\n";
  if (d.source_line.empty()) return out;
  out += "    ";
  escape_text_to(out, d.source_line);
  out += "\n";
  if (d.loc.col <= 0) return out;  // a whole line (CList): no caret
  out += "    ";
  // The caret goes under column col (a byte offset) of the line as printed:
  // one space per character of the escaped text before it (a UTF-8 sequence
  // is one, an escaped byte four), and tabs kept so that it lines up under
  // tab-indented source.
  const auto before = std::min(d.source_line.size(), static_cast<std::size_t>(d.loc.col - 1));
  for (char c : escape_text(std::string_view(d.source_line).substr(0, before))) {
    if ((static_cast<unsigned char>(c) & 0xc0) == 0x80) continue;  // a continuation byte
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
  return static_cast<int>(
      std::count_if(ds.begin(), ds.end(), [s](const Diagnostic& d) { return d.severity == s; }));
}

}  // namespace clusterd
