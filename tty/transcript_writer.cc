#include "tty/transcript_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace clusterd::tty {

Result<std::unique_ptr<TranscriptWriter>> TranscriptWriter::open(Options options) {
  if (!options.now_ns) {
    options.now_ns = [] {
      return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
    };
  }
  if (options.keep < 1) options.keep = 1;
  std::unique_ptr<TranscriptWriter> w(new TranscriptWriter(std::move(options)));
  if (auto r = w->reopen(); !r.ok()) return r.error();
  return w;
}

TranscriptWriter::TranscriptWriter(Options options) : options_(std::move(options)) {}

TranscriptWriter::~TranscriptWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Result<bool> TranscriptWriter::reopen() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(options_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) return Error::io(options_.path + ": " + std::strerror(errno));
  struct stat st {};
  size_ = ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  if (size_ == 0 && !options_.header.empty()) write_line(options_.header + "\n");
  return true;
}

// Shifts path.N-1 -> path.N ... path -> path.1 and starts a new file. The
// record that triggered the rotation goes whole into the new file.
void TranscriptWriter::rotate() {
  for (int i = options_.keep; i >= 1; --i) {
    std::string from = i == 1 ? options_.path : options_.path + "." + std::to_string(i - 1);
    std::string to = options_.path + "." + std::to_string(i);
    std::rename(from.c_str(), to.c_str());  // a missing older file is fine
  }
  if (auto r = reopen(); !r.ok()) last_error_ = r.error().message;
}

void TranscriptWriter::write_line(const std::string& line) {
  if (fd_ < 0) {
    ++lost_pending_;
    ++lost_total_;
    return;
  }
  std::size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      last_error_ = std::strerror(errno);
      ++lost_pending_;
      ++lost_total_;
      return;
    }
    done += static_cast<std::size_t>(n);
  }
  size_ += line.size();
}

void TranscriptWriter::record(Direction dir, std::string_view data) {
  auto emit = [&](Direction d, std::string_view piece) {
    TranscriptRecord r{Stamp{options_.now_ns(), false}, d, std::string(piece)};
    std::string line = format_transcript_record(r);
    line += '\n';
    if (size_ > 0 && size_ + line.size() > options_.max_bytes) rotate();
    if (lost_pending_ > 0 && fd_ >= 0) {
      auto n = lost_pending_;
      lost_pending_ = 0;
      TranscriptRecord note{r.stamp, Direction::Note,
                            "transcript lost " + std::to_string(n) + " records (" + last_error_ + ")"};
      write_line(format_transcript_record(note) + "\n");
    }
    write_line(line);
  };
  if (dir != Direction::In && dir != Direction::Out) {
    emit(dir, data);
    return;
  }
  while (!data.empty()) {
    auto nl = data.find('\n');
    std::size_t n = nl == std::string_view::npos ? data.size() : nl + 1;
    emit(dir, data.substr(0, n));
    data.remove_prefix(n);
  }
}

}  // namespace clusterd::tty
