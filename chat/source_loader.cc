// Script sources (source_loader.h): the file system, guarded against what a
// script path must never be, and memory.
#include "chat/source_loader.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>

namespace clusterd::chat {

void FileLoader::deny(std::string path, std::string why) {
  denied_.emplace_back(std::move(path), std::move(why));
}

Result<std::string> FileLoader::load(const std::string& path) {
  // Why `st` (the file at `path`) must not be read, if it must not.
  auto refuse = [&](const struct stat& st) -> Result<void> {
    for (const auto& [denied, why] : denied_) {
      struct stat d {};
      if (::stat(denied.c_str(), &d) == 0 && d.st_dev == st.st_dev && d.st_ino == st.st_ino) {
        return Error::invalid(path + ": " + why);
      }
    }
    if (!S_ISREG(st.st_mode)) return Error::invalid(path + ": not a regular file");
    // /proc and /sys files look regular (size 0) but are the kernel's: an
    // include of /proc/self/environ would quote clusterd's environment.
    struct statfs fs {};
    if (::statfs(path.c_str(), &fs) == 0 &&
        (fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC)) {
      return Error::invalid(path + ": a kernel file (/proc, /sys), not a script");
    }
    if (static_cast<std::uintmax_t>(st.st_size) > kMaxBytes) {
      return Error::invalid(path + ": is " + std::to_string(st.st_size) +
                            " bytes; scripts are limited to " + std::to_string(kMaxBytes >> 20) +
                            " MiB");
    }
    return {};
  };
  // stat first: a device, FIFO or directory is never opened. Then open without
  // blocking (the path may have become a FIFO meanwhile) and check what was
  // opened again.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error::not_found(path + ": " + std::strerror(errno));
  if (auto r = refuse(st); !r) return r.error();
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return Error::not_found(path + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::fstat(fd, &st) != 0) return Error::io(path + ": " + std::strerror(errno));
  if (auto r = refuse(st); !r) return r.error();
  // The size may grow after fstat: read at most one byte more than allowed.
  std::string text;
  text.resize(std::min<std::uintmax_t>(static_cast<std::uintmax_t>(st.st_size), kMaxBytes) + 1);
  std::size_t got = 0;
  for (;;) {
    if (got == text.size()) {
      if (got > kMaxBytes) {
        return Error::invalid(path + ": is more than " + std::to_string(kMaxBytes) +
                              " bytes; scripts are limited to " + std::to_string(kMaxBytes >> 20) +
                              " MiB");
      }
      text.resize(std::min(text.size() * 2, kMaxBytes + 1));
    }
    ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::io(path + ": " + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  return text;
}

Result<std::string> MemoryLoader::load(const std::string& path) {
  auto it = files.find(path);
  if (it == files.end()) return Error::not_found(path + ": No such file or directory");
  return it->second;
}

}  // namespace clusterd::chat
