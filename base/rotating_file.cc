#include "base/rotating_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace clusterd {

Result<std::unique_ptr<RotatingFile>> RotatingFile::open(Options options) {
  if (options.keep < 1) options.keep = 1;
  std::unique_ptr<RotatingFile> f(new RotatingFile(std::move(options)));
  if (auto r = f->reopen(); !r.ok()) return r.error();
  return f;
}

RotatingFile::~RotatingFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> RotatingFile::reopen() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(options_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    last_error_ = options_.path + ": " + std::strerror(errno);
    return Error::io(last_error_);
  }
  struct stat st {};
  size_ = ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  if (size_ == 0 && !options_.header.empty()) write(options_.header);
  return {};
}

// Shifts path.N-1 -> path.N ... path -> path.1 and starts a new file.
void RotatingFile::rotate() {
  for (int i = options_.keep; i >= 1; --i) {
    std::string from = i == 1 ? options_.path : options_.path + "." + std::to_string(i - 1);
    std::string to = options_.path + "." + std::to_string(i);
    std::rename(from.c_str(), to.c_str());  // a missing older file is fine
  }
  // A failure is kept in last_error_ and leaves fd_ closed, so the write()
  // that asked for the rotation returns false: its caller hears of it there.
  (void)reopen();
}

bool RotatingFile::write(std::string_view line) {
  if (options_.max_bytes > 0 && size_ > 0 && size_ + line.size() > options_.max_bytes) rotate();
  if (fd_ < 0) return false;
  std::size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      last_error_ = options_.path + ": " + (n < 0 ? std::strerror(errno) : "nothing written");
      size_ += done;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  size_ += line.size();
  return true;
}

}  // namespace clusterd
