#include "tty/transcript_writer.h"

#include <chrono>

namespace clusterd::tty {

Result<std::unique_ptr<TranscriptWriter>> TranscriptWriter::open(Options options) {
  if (!options.now_ns) {
    options.now_ns = [] {
      return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
    };
  }
  auto file = RotatingFile::open({.path = options.path,
                                  .max_bytes = options.max_bytes,
                                  .keep = options.keep,
                                  .header = options.header.empty() ? "" : options.header + "\n"});
  if (!file.ok()) return file.error();
  return std::unique_ptr<TranscriptWriter>(
      new TranscriptWriter(std::move(options), std::move(file.value())));
}

TranscriptWriter::TranscriptWriter(Options options, std::unique_ptr<RotatingFile> file)
    : options_(std::move(options)), file_(std::move(file)) {}

TranscriptWriter::~TranscriptWriter() = default;

void TranscriptWriter::write_line(const std::string& line) {
  if (!file_->write(line)) {
    ++lost_pending_;
    ++lost_total_;
  }
}

void TranscriptWriter::record(Direction dir, std::string_view data) {
  auto emit = [&](Direction d, std::string_view piece) {
    TranscriptRecord r{Stamp{options_.now_ns(), false}, d, std::string(piece)};
    std::string line = format_transcript_record(r);
    line += '\n';
    if (lost_pending_ > 0 && file_->is_open()) {
      auto n = lost_pending_;
      lost_pending_ = 0;
      TranscriptRecord note{
          r.stamp, Direction::Note,
          "transcript lost " + std::to_string(n) + " records (" + file_->last_error() + ")"};
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
