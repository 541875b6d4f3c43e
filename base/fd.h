// Fd: a file descriptor closed on every path out of its scope (files opened
// per operation: the simulated disk image, the BCP record log).
#pragma once

#include <unistd.h>

namespace clusterd {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace clusterd
