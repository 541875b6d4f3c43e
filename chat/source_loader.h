// Where chat-script text comes from: the file system for clusterd and chatc
// (regular files only, size-limited, a denied file such as the secrets file
// refused by identity), or memory for tests and fuzzing. The parser reads the
// main script and every `include` through one of these.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

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

}  // namespace clusterd::chat
