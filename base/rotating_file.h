// An append-only file that rotates itself by size (path -> path.1 -> ... ->
// path.KEEP) and can be reopened on request, for logrotate's reopen signal.
// Used by the console transcripts and the activity log. One write(2) per
// line, so a line is never split between two files; no buffering, so a
// crash loses nothing that write() returned.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace clusterd {

class RotatingFile {
 public:
  struct Options {
    std::string path;
    std::uint64_t max_bytes = 64ull << 20;  ///< rotate when the next line would pass this; 0: never
    int keep = 5;                           ///< path.1 .. path.keep are kept
    std::string header;  ///< first line of every new file (with its "\n"), or empty
  };

  /// Opens (appends to) `options.path`, creating it with mode 0640.
  static Result<std::unique_ptr<RotatingFile>> open(Options options);
  ~RotatingFile();
  RotatingFile(const RotatingFile&) = delete;
  RotatingFile& operator=(const RotatingFile&) = delete;

  /// Appends `line` (which should end in "\n"), rotating first if it would
  /// pass max_bytes. False when it could not be written; last_error() says why.
  bool write(std::string_view line);

  /// Closes and opens the path again: after an outside rotation (logrotate
  /// renamed the file), the next line goes to a new file at the path.
  Result<void> reopen();

  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return options_.path; }
  const std::string& last_error() const { return last_error_; }
  std::uint64_t size() const { return size_; }

 private:
  explicit RotatingFile(Options options) : options_(std::move(options)) {}
  void rotate();

  Options options_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::string last_error_;
};

}  // namespace clusterd
