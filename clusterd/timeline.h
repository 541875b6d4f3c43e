// Timeline: what happened to one cluster, a line at a time, stamped with UTC.
// Every line goes to the activity log (Logs/NAME.log) and to a bounded
// memory (the last 5000 lines) that `clusterctl timeline`, the status page and
// an alarm's context read. Lines arrive already escaped (console bytes are
// escaped by whoever quotes them). A log write that fails is said once in
// memory (not lost in silence) and again when writing works again.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/rotating_file.h"

namespace clusterd {

class Timeline {
 public:
  using WallClock = std::function<std::int64_t()>;  ///< UTC ns since the epoch

  /// `log` may be null (memory only). `wall_ns` stamps each line.
  Timeline(std::unique_ptr<RotatingFile> log, WallClock wall_ns);

  void add(std::string_view text);
  /// The last `n` lines, each ending in "\n".
  std::string last(std::size_t n) const;
  /// The lines stamped at or after `cutoff_ns`, each ending in "\n".
  std::string since(std::int64_t cutoff_ns) const;
  /// Reopens the activity log after logrotate moved it (empty: fine).
  std::string reopen();

  static constexpr std::size_t kMemoryLines = 5000;

 private:
  std::unique_ptr<RotatingFile> log_;
  WallClock wall_ns_;
  std::deque<std::string> lines_;
  bool log_failing_ = false;
};

}  // namespace clusterd
