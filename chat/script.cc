#include "chat/script.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "chat/checker.h"
#include "chat/compiler.h"

namespace clusterd::chat {

namespace {

LoadedScript finish(ParseResult parsed, const std::map<std::string, std::string>& params,
                    const std::map<std::string, Loc>& param_locs = {}) {
  LoadedScript out;
  out.script = std::move(parsed.script);
  out.diagnostics = std::move(parsed.diagnostics);
  out.unreadable = parsed.unreadable;
  if (out.diagnostics.empty()) {
    auto compiled = compile(out.script, params, param_locs);
    out.diagnostics = std::move(compiled.diagnostics);
    if (compiled.program) {
      check(*compiled.program, out.diagnostics);
      if (count(out.diagnostics, Severity::Error) == 0) out.program = std::move(compiled.program);
    }
  }
  attach_source_lines(out.diagnostics, out.script);
  auto file_rank = [&](const std::string& f) {
    for (std::size_t i = 0; i < out.script.sources.size(); ++i) {
      if (out.script.sources[i].first == f) return i;
    }
    return out.script.sources.size();
  };
  std::stable_sort(out.diagnostics.begin(), out.diagnostics.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) {
                     auto fa = file_rank(a.loc.file), fb = file_rank(b.loc.file);
                     if (fa != fb) return fa < fb;
                     if (a.loc.line != b.loc.line) return a.loc.line < b.loc.line;
                     return a.loc.col < b.loc.col;
                   });
  // An inherited handler is compiled once for each state that extends its
  // own, and an error in it would be reported as many times: keep one.
  std::set<std::tuple<std::string, int, int, Severity, std::string>> seen;
  std::erase_if(out.diagnostics, [&](const Diagnostic& d) {
    return !seen.emplace(d.loc.file, d.loc.line, d.loc.col, d.severity, d.message).second;
  });
  return out;
}

}  // namespace

LoadedScript load_script(const std::string& path, SourceLoader& loader,
                         const std::map<std::string, std::string>& params,
                         const std::map<std::string, Loc>& param_locs) {
  return finish(parse_file(path, loader), params, param_locs);
}

LoadedScript load_script_text(std::string_view text, const std::string& name, SourceLoader* loader,
                              const std::map<std::string, std::string>& params) {
  return finish(parse_text(text, name, loader), params);
}

}  // namespace clusterd::chat
