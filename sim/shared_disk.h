// The shared disk both nodes boot from: a lease record (who has it mounted,
// since when) and an append-only record log, plus the two disk faults the
// firmware can see (unreadable, label corrupted). MemoryDisk is for tests in
// virtual time (two NodeModels can share one); FileDisk is the real image
// file that two nodesim processes share. Split-brain is not judged here: the
// disk only reports who else holds it, and the node writes the ledger.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"
#include "sim/node_config.h"

namespace clusterd::sim {

/// What the firmware finds when it opens the disk.
enum class DiskHealth { Ok, Unreadable, BadLabel };

/// One holder of the lease.
struct Holder {
  std::string node;
  std::int64_t since_ns = 0;  ///< CLOCK_MONOTONIC ns of its acquire
};

/// The shared disk as a node sees it. Errors are Error::io (the disk is off
/// or the image cannot be written); none of them is a bug.
class SharedDisk {
 public:
  virtual ~SharedDisk() = default;
  virtual DiskHealth health() = 0;
  /// Adds `node` as a holder since `now`; returns the *other* holders at
  /// that moment (non-empty = split-brain).
  virtual Result<std::vector<Holder>> acquire(std::string_view node, TimePoint now) = 0;
  /// Removes `node`; returns the other holders still present.
  virtual Result<std::vector<Holder>> release(std::string_view node, TimePoint now) = 0;
  /// Appends one record of `node` to the log.
  virtual Result<void> append(std::string_view node, std::uint64_t seq, TimePoint now) = 0;
  /// Fault switches: the disk's power, and sector 0 (the label).
  virtual Result<void> set_power(bool on) = 0;
  virtual Result<void> set_label(bool good) = 0;
};

/// An in-memory disk for tests. Share one between two NodeModels.
class MemoryDisk final : public SharedDisk {
 public:
  DiskHealth health() override;
  Result<std::vector<Holder>> acquire(std::string_view node, TimePoint now) override;
  Result<std::vector<Holder>> release(std::string_view node, TimePoint now) override;
  Result<void> append(std::string_view node, std::uint64_t seq, TimePoint now) override;
  Result<void> set_power(bool on) override;
  Result<void> set_label(bool good) override;

  const std::vector<Holder>& holders() const { return holders_; }
  const std::vector<std::string>& records() const { return records_; }

 private:
  bool power_ = true;
  bool label_ = true;
  std::vector<Holder> holders_;
  std::vector<std::string> records_;
};

/// The image file shared by nodesim processes:
///   [0, 512)     label: "CLUSTERD-SIMDISK v1\n", SMI magic 0xDABE at 508
///   [512, 4096)  lease: "holders: NODE@NS NODE@NS\n", space padded
///   [4096, …)    record log: one JSON line per write
/// The lease is read-modified-written under flock(LOCK_EX). The disk is "off"
/// while `PATH.off` exists or the image is missing. The file is opened for
/// every operation so that a rename or a fault shows at once.
class FileDisk final : public SharedDisk {
 public:
  explicit FileDisk(std::string path) : path_(std::move(path)) {}
  /// Creates the image if it does not exist (a fresh label, no holders).
  static Result<void> init(const std::string& path);
  /// Drops `node` from the holders without a release (a stale lease from a
  /// killed process); returns whether it was there.
  Result<bool> clear_stale(std::string_view node);
  Result<std::vector<Holder>> holders();

  DiskHealth health() override;
  Result<std::vector<Holder>> acquire(std::string_view node, TimePoint now) override;
  Result<std::vector<Holder>> release(std::string_view node, TimePoint now) override;
  Result<void> append(std::string_view node, std::uint64_t seq, TimePoint now) override;
  Result<void> set_power(bool on) override;
  Result<void> set_label(bool good) override;

  const std::string& path() const { return path_; }

 private:
  template <typename F>
  auto with_lease(F&& edit) -> Result<std::vector<Holder>>;
  std::string path_;
};

}  // namespace clusterd::sim
