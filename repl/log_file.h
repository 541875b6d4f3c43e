// The record log of a site's disk image as the log-stream shipper sees it
// (docs/bcp.md): the image's bytes from kLogStart on, one record per line, and
// a sidecar `IMAGE.repl` that holds what the site knows of the log:
//   - the newest complete and verified point (bytes, records, running hash,
//     source time), for a receiver;
//   - the epoch (raised by each promotion; data of an older epoch is refused);
//   - the base: the point a promotion started from (the common point for a
//     failback).
// The sidecar is written whole, to a temporary file, fsynced and renamed.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "repl/tracker.h"

namespace clusterd::repl {

inline constexpr std::uint64_t kLogStart = 4096;  ///< sim/shared_disk.h's record log

struct LogState {
  Point point;  ///< verified point (epoch inside)
  Point base;   ///< where the last promotion started; records = 0 and bytes = 0: none
  /// A receiver writing [point.bytes, inflight) that has not verified it yet:
  /// a tail no longer than this at start-up is a partial transfer, not data
  /// the site wrote itself.
  std::uint64_t inflight = 0;
  std::string text() const;
};

/// Reads IMAGE.repl; a missing sidecar is epoch 1 at the log's start.
Result<LogState> load_state(const std::string& image);
Result<void> save_state(const std::string& image, const LogState& s);

/// The log's length in bytes (the image's size − kLogStart; 0 when shorter).
Result<std::uint64_t> log_size(const std::string& image);
/// The running hash, record count and length of the log prefix [0, bytes)
/// (complete lines only when `bytes` is past the last newline: `point.bytes`
/// says where the count stopped).
Result<Point> scan_prefix(const std::string& image, std::uint64_t bytes);
/// Bytes [from, from + max) of the log, cut after the last newline.
Result<std::string> read_lines(const std::string& image, std::uint64_t from, std::size_t max);
/// Cuts the log at `bytes` (drops an unverified or partial tail).
Result<void> truncate_log(const std::string& image, std::uint64_t bytes);
/// Writes `data` at log offset `at` and makes it durable.
Result<void> write_log(const std::string& image, std::uint64_t at, std::string_view data);
/// Copies the log's bytes [from, end) into a branch file next to the image,
/// `IMAGE.branch-e<EPOCH>-<UTC time>`, and returns its path. Never overwrites.
Result<std::string> save_branch(const std::string& image, std::uint64_t from, std::uint64_t epoch,
                                std::uint64_t* records);

std::uint64_t count_lines(std::string_view bytes);
std::int64_t wall_now_ns();

}  // namespace clusterd::repl
