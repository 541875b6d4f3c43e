// One call from a script file to a checked Program: parse (with includes),
// compile, check, and attach source lines to every diagnostic. What chatc,
// clusterd --check and the tests use.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "base/diagnostic.h"
#include "chat/ast.h"
#include "chat/parser.h"
#include "chat/program.h"

namespace clusterd::chat {

struct LoadedScript {
  ast::Script script;
  std::unique_ptr<Program> program;  // null when there are errors
  Diagnostics diagnostics;           // sorted by file, line, column
  bool unreadable = false;           // the script file itself could not be read
  bool ok() const { return program != nullptr; }
};

/// Parses, compiles and checks `path`. The program is null when any error was
/// found (warnings alone leave it usable).
/// `param_locs` says where each of `params` was set (the cluster config's
/// [params] lines): a value the script refuses is reported there.
LoadedScript load_script(const std::string& path, SourceLoader& loader,
                         const std::map<std::string, std::string>& params = {},
                         const std::map<std::string, Loc>& param_locs = {});

/// The same for text in memory named `name`.
LoadedScript load_script_text(std::string_view text, const std::string& name = "<input>",
                              SourceLoader* loader = nullptr,
                              const std::map<std::string, std::string>& params = {});

}  // namespace clusterd::chat
