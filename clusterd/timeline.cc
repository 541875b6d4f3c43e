#include "clusterd/timeline.h"

#include "base/timestamp.h"

namespace clusterd {

Timeline::Timeline(std::unique_ptr<RotatingFile> log, WallClock wall_ns)
    : log_(std::move(log)), wall_ns_(std::move(wall_ns)) {}

void Timeline::add(std::string_view text) {
  auto remember = [this](std::string line) {
    lines_.push_back(std::move(line));
    if (lines_.size() > kMemoryLines) lines_.pop_front();
  };
  std::string stamp = format_utc(wall_ns_());
  std::string line = stamp + " " + std::string(text);
  if (log_) {
    line += '\n';
    bool written = log_->write(line);
    line.pop_back();
    // Said in memory only: the file is what failed. Once per outage, so a
    // full disk does not push the incident out of the last 5000 lines.
    if (!written && !log_failing_) {
      remember(stamp + " activity log " + log_->path() + " not written: " + log_->last_error());
    } else if (written && log_failing_) {
      remember(stamp + " activity log " + log_->path() +
               " written again (lines in between are only here)");
    }
    log_failing_ = !written;
  }
  remember(std::move(line));
}

std::string Timeline::last(std::size_t n) const {
  std::string out;
  std::size_t from = lines_.size() > n ? lines_.size() - n : 0;
  for (std::size_t i = from; i < lines_.size(); ++i) out += lines_[i] + "\n";
  return out;
}

std::string Timeline::since(std::int64_t cutoff_ns) const {
  std::string out;
  for (const auto& l : lines_) {
    auto st = parse_stamp(std::string_view(l).substr(0, l.find(' ')));
    if (st.ok() && st->ns >= cutoff_ns) out += l + "\n";
  }
  return out;
}

std::string Timeline::reopen() {
  if (!log_) return "";
  auto r = log_->reopen();
  return r.ok() ? "" : r.error().message;
}

}  // namespace clusterd
