// InstanceFiles: the files that say "this cluster's clusterd runs here" —
// run/NAME.lock, held (flock) for the life of the process and released by
// the kernel when it dies, and run/NAME.pid, written atomically (rename) and
// removed on a clean stop. The lock is taken before the journal and the
// socket, so two clusterd started at once can never both fence the nodes.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"

namespace clusterd {

class InstanceFiles {
 public:
  /// Takes the lock; Error::invalid when another process holds it.
  static Result<std::unique_ptr<InstanceFiles>> lock(const std::string& run_dir,
                                                     const std::string& cluster);
  ~InstanceFiles();  ///< releases the lock (not the pid file: remove_pid())
  InstanceFiles(const InstanceFiles&) = delete;
  InstanceFiles& operator=(const InstanceFiles&) = delete;

  /// Writes this process's pid to run/NAME.pid (via NAME.pid.tmp + rename).
  Result<void> write_pid();
  void remove_pid();

 private:
  InstanceFiles(int fd, std::string pid_path) : fd_(fd), pid_path_(std::move(pid_path)) {}
  int fd_;
  std::string pid_path_;
  bool pid_written_ = false;
};

}  // namespace clusterd
