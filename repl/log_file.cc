#include "repl/log_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "base/fd.h"

namespace clusterd::repl {

namespace {

std::string err(const std::string& what) { return what + ": " + std::strerror(errno); }

bool read_kv(std::istringstream& in, LogState& s, std::string& bad) {
  std::string kv;
  while (in >> kv) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) return bad = kv, false;
    std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
    char* end = nullptr;
    errno = 0;
    unsigned long long n = std::strtoull(v.c_str(), &end, k.ends_with("hash") ? 16 : 10);
    if (errno != 0 || end == v.c_str() || *end != '\0') return bad = kv, false;
    if (k == "epoch")
      s.point.epoch = n;
    else if (k == "bytes")
      s.point.bytes = n;
    else if (k == "records")
      s.point.records = n;
    else if (k == "hash")
      s.point.hash = n;
    else if (k == "time_ns")
      s.point.time_ns = static_cast<std::int64_t>(n);
    else if (k == "base_bytes")
      s.base.bytes = n;
    else if (k == "base_records")
      s.base.records = n;
    else if (k == "base_hash")
      s.base.hash = n;
    else if (k == "base_epoch")
      s.base.epoch = n;
    else if (k == "inflight")
      s.inflight = n;
  }
  return true;
}

}  // namespace

std::int64_t wall_now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::uint64_t count_lines(std::string_view bytes) {
  return static_cast<std::uint64_t>(std::count(bytes.begin(), bytes.end(), '\n'));
}

std::string LogState::text() const {
  char buf[400];
  std::snprintf(
      buf, sizeof buf,
      "epoch=%llu bytes=%llu records=%llu hash=%016llx time_ns=%lld base_bytes=%llu "
      "base_records=%llu base_hash=%016llx base_epoch=%llu inflight=%llu\n",
      static_cast<unsigned long long>(point.epoch), static_cast<unsigned long long>(point.bytes),
      static_cast<unsigned long long>(point.records), static_cast<unsigned long long>(point.hash),
      static_cast<long long>(point.time_ns), static_cast<unsigned long long>(base.bytes),
      static_cast<unsigned long long>(base.records), static_cast<unsigned long long>(base.hash),
      static_cast<unsigned long long>(base.epoch), static_cast<unsigned long long>(inflight));
  return buf;
}

Result<LogState> load_state(const std::string& image) {
  LogState s;
  s.point.epoch = 1;
  s.point.hash = kHashSeed;
  s.base.hash = kHashSeed;
  std::ifstream f(image + ".repl");
  if (!f) {
    if (errno == ENOENT) return s;
    return Error::io(err("cannot read " + image + ".repl"));
  }
  std::string line;
  std::getline(f, line);
  std::istringstream in(line);
  std::string bad;
  if (!read_kv(in, s, bad))
    return Error::invalid(image + ".repl:1: cannot read '" + bad + "' (expected KEY=NUMBER)");
  if (s.point.epoch == 0) return Error::invalid(image + ".repl:1: epoch 0 (epochs start at 1)");
  return s;
}

Result<void> save_state(const std::string& image, const LogState& s) {
  std::string tmp = image + ".repl.tmp", text = s.text();
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) return Error::io(err("cannot write " + tmp));
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
        ::fsync(fd.get()) != 0)
      return Error::io(err("cannot write " + tmp));
  }
  if (::rename(tmp.c_str(), (image + ".repl").c_str()) != 0)
    return Error::io(err("cannot rename " + tmp));
  return {};
}

Result<std::uint64_t> log_size(const std::string& image) {
  struct stat st {};
  if (::stat(image.c_str(), &st) != 0) return Error::io(err("cannot stat " + image));
  auto size = static_cast<std::uint64_t>(st.st_size);
  return size > kLogStart ? size - kLogStart : 0;
}

Result<Point> scan_prefix(const std::string& image, std::uint64_t bytes) {
  Fd fd(::open(image.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Error::io(err("cannot open " + image));
  Point p;
  p.hash = kHashSeed;
  std::string buf(1 << 16, '\0');
  std::uint64_t at = 0;
  while (at < bytes) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), bytes - at));
    ssize_t n = ::pread(fd.get(), buf.data(), want, static_cast<off_t>(kLogStart + at));
    if (n < 0) return Error::io(err("cannot read " + image));
    if (n == 0) break;
    std::string_view chunk(buf.data(), static_cast<std::size_t>(n));
    p.hash = hash_extend(p.hash, chunk);
    p.records += count_lines(chunk);
    at += static_cast<std::uint64_t>(n);
  }
  p.bytes = at;
  return p;
}

Result<std::string> read_lines(const std::string& image, std::uint64_t from, std::size_t max) {
  Fd fd(::open(image.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Error::io(err("cannot open " + image));
  std::string buf(max, '\0');
  ssize_t n = ::pread(fd.get(), buf.data(), max, static_cast<off_t>(kLogStart + from));
  if (n < 0) return Error::io(err("cannot read " + image));
  buf.resize(static_cast<std::size_t>(n));
  auto nl = buf.rfind('\n');
  buf.resize(nl == std::string::npos ? 0 : nl + 1);
  return buf;
}

Result<void> truncate_log(const std::string& image, std::uint64_t bytes) {
  if (::truncate(image.c_str(), static_cast<off_t>(kLogStart + bytes)) != 0)
    return Error::io(err("cannot truncate " + image));
  return {};
}

Result<void> write_log(const std::string& image, std::uint64_t at, std::string_view data) {
  Fd fd(::open(image.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return Error::io(err("cannot open " + image));
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd.get(), data.data() + done, data.size() - done,
                         static_cast<off_t>(kLogStart + at + done));
    if (n <= 0) return Error::io(err("cannot write " + image));
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd.get()) != 0) return Error::io(err("cannot sync " + image));
  return {};
}

Result<std::string> save_branch(const std::string& image, std::uint64_t from, std::uint64_t epoch,
                                std::uint64_t* records) {
  auto size = log_size(image);
  if (!size) return size.error();
  std::uint64_t len = *size > from ? *size - from : 0;
  std::string data(static_cast<std::size_t>(len), '\0');
  {
    Fd fd(::open(image.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return Error::io(err("cannot open " + image));
    ssize_t n = ::pread(fd.get(), data.data(), data.size(), static_cast<off_t>(kLogStart + from));
    if (n < 0) return Error::io(err("cannot read " + image));
    data.resize(static_cast<std::size_t>(n));
  }
  if (records) *records = count_lines(data);
  char stamp[32];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::string base = image + ".branch-e" + std::to_string(epoch) + "-" + stamp;
  std::string path = base;
  for (int i = 1; ::access(path.c_str(), F_OK) == 0; ++i) path = base + "." + std::to_string(i);
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) return Error::io(err("cannot create " + path));
  char head[160];
  std::snprintf(
      head, sizeof head, "# clusterd-ship branch: log bytes %llu..%llu of %s, epoch %llu\n",
      static_cast<unsigned long long>(from), static_cast<unsigned long long>(from + data.size()),
      image.c_str(), static_cast<unsigned long long>(epoch));
  std::string all = std::string(head) + data;
  if (::write(fd.get(), all.data(), all.size()) != static_cast<ssize_t>(all.size()) ||
      ::fsync(fd.get()) != 0)
    return Error::io(err("cannot write " + path));
  return path;
}

}  // namespace clusterd::repl
