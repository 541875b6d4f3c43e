// Chat-script parser: text -> ast::Script, with `include` resolved through a
// SourceLoader (source_loader.h). Syntax errors come back as Diagnostics with
// file:line:col; nothing throws out of here. Semantic checks are the
// compiler's and the checker's (compiler.h, checker.h).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/diagnostic.h"
#include "chat/ast.h"
#include "chat/source_loader.h"  // SourceLoader, FileLoader, MemoryLoader

namespace clusterd::chat {

struct ParseResult {
  ast::Script script;
  Diagnostics diagnostics;  // syntax errors and include errors; empty when clean
  bool unreadable = false;  // the main file itself could not be read
};

/// Parses `path` and every file it includes (each file at most once; an
/// include cycle is an error). `include "x.chat"` is relative to the folder of
/// the file that says it.
ParseResult parse_file(const std::string& path, SourceLoader& loader);

/// Parses text in memory as file `name`; includes are looked up in `loader`
/// when given, and are errors otherwise.
ParseResult parse_text(std::string_view text, const std::string& name = "<input>",
                       SourceLoader* loader = nullptr);

/// The number of grammar rules PEGTL's analyze() finds problems in (0 means
/// no rule can loop without consuming input). For the grammar's unit test.
std::size_t analyze_grammar();

/// Fills Diagnostic::source_line from the sources a parse read.
void attach_source_lines(Diagnostics& ds, const ast::Script& script);

}  // namespace clusterd::chat
