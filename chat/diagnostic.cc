#include "chat/diagnostic.h"

#include <cstdio>

namespace clusterd::chat {

namespace {
const char* severity_name(Severity s) { return s == Severity::Error ? "error" : "warning"; }
}  // namespace

std::string format_gcc(const Diagnostic& d) {
  // No position (a param override, a file that cannot be read): file only.
  std::string where = d.loc.line > 0 ? d.loc.file + ":" + std::to_string(d.loc.line) + ":" +
                                           std::to_string(d.loc.col)
                                     : d.loc.file;
  return where + ": " + severity_name(d.severity) + ": " + d.message;
}

std::string format_text(const Diagnostic& d) {
  std::string out = format_gcc(d) + "\n";
  if (!d.source_line.empty()) {
    out += "    " + d.source_line + "\n    ";
    // Keep tabs so the caret lines up under tab-indented source.
    for (int i = 1; i < d.loc.col && static_cast<std::size_t>(i - 1) < d.source_line.size(); ++i) {
      out += d.source_line[static_cast<std::size_t>(i - 1)] == '\t' ? '\t' : ' ';
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
    out += "\n  {\"file\": \"" + json_escape(d.loc.file) + "\", \"line\": " +
           std::to_string(d.loc.line) + ", \"col\": " + std::to_string(d.loc.col) +
           ", \"severity\": \"" + severity_name(d.severity) + "\", \"message\": \"" +
           json_escape(d.message) + "\"}";
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
