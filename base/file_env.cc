#include "base/file_env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace clusterd {
namespace {

Error errno_error(const std::string& what, int err) {
  std::string m = what + ": " + std::strerror(err);
  return err == ENOENT ? Error::not_found(std::move(m)) : Error::io(std::move(m));
}

class PosixFile : public WritableFile {
 public:
  PosixFile(std::string path, int fd) : WritableFile(std::move(path)), fd_(fd) {}
  ~PosixFile() override { ::close(fd_); }

  Result<void> append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      // write(2) returns 0 only for a zero count; treat it as the error it would be.
      if (n <= 0) return errno_error(path(), n < 0 ? errno : EIO);
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
  }
  Result<void> sync_data() override {
    if (::fdatasync(fd_) != 0) return errno_error(path() + ": fdatasync", errno);
    return {};
  }
  Result<void> sync() override {
    if (::fsync(fd_) != 0) return errno_error(path() + ": fsync", errno);
    return {};
  }
  Result<void> truncate(std::uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
      return errno_error(path() + ": ftruncate", errno);
    return {};
  }
  Result<std::uint64_t> size() override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return errno_error(path() + ": fstat", errno);
    return static_cast<std::uint64_t>(st.st_size);
  }

 private:
  int fd_;
};

class PosixEnv : public FileEnv {
 public:
  Result<std::unique_ptr<WritableFile>> open_append(const std::string& path, mode_t mode) override {
    return open_with(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
  }
  Result<std::unique_ptr<WritableFile>> create(const std::string& path, mode_t mode) override {
    return open_with(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  }
  Result<std::string> read_file(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno_error(path, errno);
    std::string text;
    char buf[8192];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int err = errno;
        ::close(fd);
        return errno_error(path, err);
      }
      if (n == 0) break;
      text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return text;
  }
  Result<void> rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0)
      return errno_error("rename " + from + " to " + to, errno);
    return {};
  }
  Result<void> remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return errno_error(path, errno);
    return {};
  }
  Result<std::vector<std::string>> list_dir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return errno_error(dir, errno);
    std::vector<std::string> names;
    while (dirent* ent = ::readdir(d)) {
      std::string_view name = ent->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(d);
    return names;
  }
  Result<void> make_dir(const std::string& dir, mode_t mode) override {
    if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) return errno_error(dir, errno);
    return {};
  }
  Result<void> sync_dir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_error(dir, errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return errno_error(dir + ": fsync", err);
    return {};
  }

 private:
  static Result<std::unique_ptr<WritableFile>> open_with(const std::string& path, int flags,
                                                         mode_t mode) {
    int fd = ::open(path.c_str(), flags, mode);
    if (fd < 0) return errno_error(path, errno);
    return std::unique_ptr<WritableFile>(new PosixFile(path, fd));
  }
};

}  // namespace

FileEnv& FileEnv::posix() {
  static PosixEnv env;
  return env;
}

Result<void> FileEnv::make_dirs(const std::string& dir, mode_t mode) {
  for (std::size_t i = 1; i <= dir.size(); ++i) {
    if (i != dir.size() && dir[i] != '/') continue;
    if (Result<void> s = make_dir(dir.substr(0, i), mode); !s) return s;
  }
  return {};
}

}  // namespace clusterd
