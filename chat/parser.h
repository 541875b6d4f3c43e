// Chat-script parser: text -> ast::Script, with `include` resolved through a
// SourceLoader. Syntax errors come back as Diagnostics with file:line:col;
// nothing throws out of here. Semantic checks are the checker's (checker.h).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "chat/ast.h"
#include "chat/diagnostic.h"

namespace clusterd::chat {

/// Where script text comes from. Paths are as written (relative paths are
/// already joined to the including file's folder).
class SourceLoader {
 public:
  virtual ~SourceLoader() = default;
  virtual Result<std::string> load(const std::string& path) = 0;
};

/// Reads files from the file system: the script and its includes. Only
/// regular files (a symlink to one is fine) of at most kMaxBytes: a device
/// (/dev/zero), a FIFO or a directory is refused ("PATH: not a regular file")
/// after a stat, without a read, and a FIFO put in place meanwhile cannot block
/// the open; a bigger file is refused by its size ("PATH: is N bytes; scripts
/// are limited to 2 MiB") and the read stops at the limit anyway. Error
/// messages start with the path; the parser puts the include's file:line:col
/// in front.
class FileLoader final : public SourceLoader {
 public:
  static constexpr std::size_t kMaxBytes = std::size_t{2} << 20;  // 2 MiB

  /// Refuses to read the file at `path` (clusterd: the secrets file, so that
  /// no diagnostic quotes a line of it), with "PATH: WHY", e.g. why = "it is
  /// the secrets file". Compared by identity (device and inode, looked up at
  /// each load), so another spelling of the path, a symlink or a hard link to
  /// the file is refused too.
  void deny(std::string path, std::string why);

  Result<std::string> load(const std::string& path) override;

 private:
  std::vector<std::pair<std::string, std::string>> denied_;  // path, why
};

/// Serves files from memory (tests, fuzzing).
class MemoryLoader final : public SourceLoader {
 public:
  std::map<std::string, std::string> files;
  Result<std::string> load(const std::string& path) override;
};

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
