// FileEnv: the few file operations the journal and the alarm spool make, behind
// one small interface (leveldb's Env), so that tests can put a fault between
// the code and the disk (a failed write, a full disk, a failed fsync, a torn
// write, a power cut after any step) without a special path in the product.
// FileEnv::posix() is the real thing and the default everywhere. Not a general
// file library: no buffering, no positional I/O, no file locks.
#pragma once

#include <sys/types.h>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"

namespace clusterd {

/// A file open for writing. Not thread-safe; one owner.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  /// Writes all of `data` at the end (the file is opened O_APPEND or fresh),
  /// retrying short writes. Error::io naming the file and the errno; some of
  /// `data` may have reached the file then.
  virtual Result<void> append(std::string_view data) = 0;
  /// fdatasync(2): the data and the size are on disk when it returns ok.
  virtual Result<void> sync_data() = 0;
  /// fsync(2): as sync_data(), and the rest of the inode too.
  virtual Result<void> sync() = 0;
  /// Cuts the file to `size` bytes (ftruncate(2)).
  virtual Result<void> truncate(std::uint64_t size) = 0;
  /// The file's size now (fstat(2)).
  virtual Result<std::uint64_t> size() = 0;
  const std::string& path() const { return path_; }

 protected:
  explicit WritableFile(std::string path) : path_(std::move(path)) {}

 private:
  std::string path_;
};

class FileEnv {
 public:
  virtual ~FileEnv() = default;

  /// The real file system (POSIX calls). Lives for the whole program.
  static FileEnv& posix();

  /// Opens `path` for appending, creating it with `mode` if missing.
  virtual Result<std::unique_ptr<WritableFile>> open_append(const std::string& path,
                                                            mode_t mode) = 0;
  /// Creates `path` with `mode`, or empties it if it exists.
  virtual Result<std::unique_ptr<WritableFile>> create(const std::string& path, mode_t mode) = 0;
  /// The whole content of `path`. Error::not_found if it does not exist.
  virtual Result<std::string> read_file(const std::string& path) = 0;
  /// rename(2): atomically replaces `to`.
  virtual Result<void> rename(const std::string& from, const std::string& to) = 0;
  /// unlink(2). Error::not_found if it does not exist.
  virtual Result<void> remove(const std::string& path) = 0;
  /// The names in `dir` (without "." and ".."), in no particular order.
  virtual Result<std::vector<std::string>> list_dir(const std::string& dir) = 0;
  /// mkdir(2) of one directory; an existing one is fine.
  virtual Result<void> make_dir(const std::string& dir, mode_t mode) = 0;
  /// fsync(2) of a directory: names created, renamed or removed in it are on disk.
  virtual Result<void> sync_dir(const std::string& dir) = 0;

  /// make_dir() of `dir` and of each missing parent.
  Result<void> make_dirs(const std::string& dir, mode_t mode);
};

}  // namespace clusterd
