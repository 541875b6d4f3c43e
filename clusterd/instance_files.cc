#include "clusterd/instance_files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace clusterd {

Result<std::unique_ptr<InstanceFiles>> InstanceFiles::lock(const std::string& run_dir,
                                                           const std::string& cluster) {
  std::string path = run_dir + "/" + cluster + ".lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return Error::io(path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Error::invalid("another clusterd already runs cluster " + cluster + " (" + path +
                          " is locked)");
  }
  return std::unique_ptr<InstanceFiles>(new InstanceFiles(fd, run_dir + "/" + cluster + ".pid"));
}

InstanceFiles::~InstanceFiles() { ::close(fd_); }

Result<void> InstanceFiles::write_pid() {
  std::string tmp = pid_path_ + ".tmp";
  {
    std::ofstream pf(tmp);
    pf << ::getpid() << "\n";
    if (!pf.flush()) return Error::io(tmp + ": cannot write the pid file");
  }
  if (std::rename(tmp.c_str(), pid_path_.c_str()) != 0)
    return Error::io(pid_path_ + ": " + std::strerror(errno));
  pid_written_ = true;
  return {};
}

void InstanceFiles::remove_pid() {
  if (pid_written_) ::unlink(pid_path_.c_str());
  pid_written_ = false;
}

}  // namespace clusterd
