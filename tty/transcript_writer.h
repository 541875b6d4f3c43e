// Writes a console transcript (docs/formats.md): every byte in and out,
// time-stamped, escaped one record a line, rotated by size. Each record is one
// write(2) on an O_APPEND descriptor, so a crash or a rotation never splits or
// loses a record that was written, and nothing is buffered in user space.
// Not thread-safe: one writer per console, used from the console's io_context.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/rotating_file.h"
#include "base/transcript.h"

namespace clusterd::tty {

/// Where a console reports its traffic. The console calls it for every read
/// (In), write (Out), BREAK (Break, text says how) and state change (Note).
class TranscriptSink {
 public:
  virtual ~TranscriptSink() = default;
  virtual void record(Direction dir, std::string_view data) = 0;
};

class TranscriptWriter : public TranscriptSink {
 public:
  struct Options {
    std::string path;
    std::uint64_t max_bytes = 64ull << 20;  ///< rotate when the next record would pass this
    int keep = 5;                           ///< path.1 .. path.keep are kept
    std::string header;  ///< first line of every file, e.g. "# clusterd transcript v1 ..."
    std::function<std::int64_t()> now_ns;  ///< UTC ns since the epoch; default the system clock
  };

  /// Opens (appends to) `options.path`, creating it with mode 0640.
  static Result<std::unique_ptr<TranscriptWriter>> open(Options options);
  ~TranscriptWriter() override;

  /// Writes one record; In and Out data are split after each '\n' so a console
  /// line is about a record. A failed write (disk full) is counted and said in
  /// a note once writing works again; it never throws.
  void record(Direction dir, std::string_view data) override;

  std::uint64_t records_lost() const { return lost_total_; }
  const std::string& path() const { return options_.path; }

  /// Closes and opens the path again (logrotate's reopen signal).
  Result<void> reopen() { return file_->reopen(); }

 private:
  TranscriptWriter(Options options, std::unique_ptr<RotatingFile> file);
  void write_line(const std::string& line);

  Options options_;
  std::unique_ptr<RotatingFile> file_;
  std::uint64_t lost_pending_ = 0;
  std::uint64_t lost_total_ = 0;
};

}  // namespace clusterd::tty
