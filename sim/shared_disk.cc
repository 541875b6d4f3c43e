#include "sim/shared_disk.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "base/fd.h"
#include "sim/ledger.h"
#include "sim/words.h"

namespace clusterd::sim {
namespace {

constexpr std::size_t kSector = 512;
constexpr std::size_t kLogStart = 4096;
constexpr char kLabel[] = "CLUSTERD-SIMDISK v1\n";

std::string label_sector() {
  std::string s(kSector, '\0');
  std::memcpy(s.data(), kLabel, sizeof kLabel - 1);
  s[508] = static_cast<char>(0xDA);  // the SMI VTOC magic, where Solaris keeps it
  s[509] = static_cast<char>(0xBE);
  return s;
}

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

bool pwrite_all(int fd, const std::string& s, off_t at) {
  std::size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::pwrite(fd, s.data() + done, s.size() - done, at + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::vector<Holder> parse_holders(const std::string& sector) {
  std::vector<Holder> out;
  std::istringstream in(sector.substr(0, sector.find('\n')));
  std::string word;
  in >> word;  // "holders:"
  while (in >> word) {
    auto at = word.rfind('@');
    if (at == std::string::npos) continue;
    // A torn lease sector reads as fewer holders, never as a crash.
    if (auto since = parse_integer<std::int64_t>(std::string_view(word).substr(at + 1)))
      out.push_back(Holder{word.substr(0, at), *since});
  }
  return out;
}

std::string format_holders(const std::vector<Holder>& hs) {
  std::string s = "holders:";
  for (const auto& h : hs) s += " " + h.node + "@" + std::to_string(h.since_ns);
  s += "\n";
  s.resize(kLogStart - kSector, ' ');
  return s;
}

std::vector<Holder> others(const std::vector<Holder>& hs, std::string_view node) {
  std::vector<Holder> out;
  for (const auto& h : hs)
    if (h.node != node) out.push_back(h);
  return out;
}

}  // namespace

// --- MemoryDisk --------------------------------------------------------------

DiskHealth MemoryDisk::health() {
  if (!power_) return DiskHealth::Unreadable;
  return label_ ? DiskHealth::Ok : DiskHealth::BadLabel;
}

Result<std::vector<Holder>> MemoryDisk::acquire(std::string_view node, TimePoint now) {
  if (!power_) return Error::io("shared disk is off");
  auto rest = others(holders_, node);
  holders_ = rest;
  holders_.push_back(Holder{std::string(node), to_ns(now)});
  return rest;
}

Result<std::vector<Holder>> MemoryDisk::release(std::string_view node, TimePoint) {
  holders_ = others(holders_, node);
  return holders_;
}

Result<void> MemoryDisk::append(std::string_view node, std::uint64_t seq, TimePoint now) {
  if (!power_) return Error::io("shared disk is off");
  records_.push_back(
      LedgerRecord(now, node, "record").add("seq", static_cast<std::int64_t>(seq)).line());
  return {};
}

Result<void> MemoryDisk::set_power(bool on) {
  power_ = on;
  return {};
}

Result<void> MemoryDisk::set_label(bool good) {
  label_ = good;
  return {};
}

// --- FileDisk ----------------------------------------------------------------

Result<void> FileDisk::init(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) return Error::io(errno_text("cannot create disk image " + path));
  if (::flock(fd.get(), LOCK_EX) != 0) return Error::io(errno_text("cannot lock " + path));
  struct stat st {};
  ::fstat(fd.get(), &st);
  if (static_cast<std::size_t>(st.st_size) >= kLogStart) return {};  // already made
  if (!pwrite_all(fd.get(), label_sector() + format_holders({}), 0))
    return Error::io(errno_text("cannot write disk image " + path));
  return {};
}

DiskHealth FileDisk::health() {
  if (::access((path_ + ".off").c_str(), F_OK) == 0) return DiskHealth::Unreadable;
  Fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return DiskHealth::Unreadable;
  std::string s(kSector, '\0');
  if (::pread(fd.get(), s.data(), kSector, 0) != static_cast<ssize_t>(kSector))
    return DiskHealth::BadLabel;
  return s == label_sector() ? DiskHealth::Ok : DiskHealth::BadLabel;
}

template <typename F>
auto FileDisk::with_lease(F&& edit) -> Result<std::vector<Holder>> {
  if (::access((path_ + ".off").c_str(), F_OK) == 0) return Error::io("shared disk is off");
  Fd fd(::open(path_.c_str(), O_RDWR | O_CLOEXEC));
  if (fd.get() < 0) return Error::io(errno_text("cannot open " + path_));
  if (::flock(fd.get(), LOCK_EX) != 0) return Error::io(errno_text("cannot lock " + path_));
  std::string sector(kLogStart - kSector, ' ');
  ssize_t n = ::pread(fd.get(), sector.data(), sector.size(), static_cast<off_t>(kSector));
  if (n < 0) return Error::io(errno_text("cannot read lease of " + path_));
  std::vector<Holder> hs = parse_holders(sector);
  std::vector<Holder> reply = edit(hs);
  if (!pwrite_all(fd.get(), format_holders(hs), static_cast<off_t>(kSector)))
    return Error::io(errno_text("cannot write lease of " + path_));
  ::fdatasync(fd.get());
  return reply;
}

Result<std::vector<Holder>> FileDisk::acquire(std::string_view node, TimePoint now) {
  return with_lease([&](std::vector<Holder>& hs) {
    auto rest = others(hs, node);
    hs = rest;
    hs.push_back(Holder{std::string(node), to_ns(now)});
    return rest;
  });
}

Result<std::vector<Holder>> FileDisk::release(std::string_view node, TimePoint) {
  return with_lease([&](std::vector<Holder>& hs) {
    hs = others(hs, node);
    return hs;
  });
}

Result<bool> FileDisk::clear_stale(std::string_view node) {
  bool found = false;
  auto r = with_lease([&](std::vector<Holder>& hs) {
    found = std::any_of(hs.begin(), hs.end(), [&](const Holder& h) { return h.node == node; });
    hs = others(hs, node);
    return hs;
  });
  if (!r) return r.error();
  return found;
}

Result<std::vector<Holder>> FileDisk::holders() {
  return with_lease([](std::vector<Holder>& hs) { return hs; });
}

Result<void> FileDisk::append(std::string_view node, std::uint64_t seq, TimePoint now) {
  if (::access((path_ + ".off").c_str(), F_OK) == 0) return Error::io("shared disk is off");
  Fd fd(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (fd.get() < 0) return Error::io(errno_text("cannot open " + path_));
  std::string line =
      LedgerRecord(now, node, "record").add("seq", static_cast<std::int64_t>(seq)).line() + "\n";
  if (::write(fd.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    return Error::io(errno_text("cannot append to " + path_));
  ::fdatasync(fd.get());
  return {};
}

Result<void> FileDisk::set_power(bool on) {
  std::string off = path_ + ".off";
  if (on) {
    if (::unlink(off.c_str()) != 0 && errno != ENOENT)
      return Error::io(errno_text("unlink " + off));
    return {};
  }
  Fd fd(::open(off.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) return Error::io(errno_text("cannot create " + off));
  return {};
}

Result<void> FileDisk::set_label(bool good) {
  Fd fd(::open(path_.c_str(), O_RDWR | O_CLOEXEC));
  if (fd.get() < 0) return Error::io(errno_text("cannot open " + path_));
  std::string sector = good ? label_sector() : std::string(kSector, '\xEE');
  if (!pwrite_all(fd.get(), sector, 0))
    return Error::io(errno_text("cannot write label of " + path_));
  return {};
}

}  // namespace clusterd::sim
