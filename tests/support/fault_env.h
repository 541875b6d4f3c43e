// FaultEnv: a FileEnv in memory that keeps apart what the process sees and
// what is on disk, so a test can fail any file operation (EIO, a full disk, a
// failed fsync), tear a write, or cut the power after any operation, and then
// "restart" from the disk alone (leveldb's FaultInjectionTestEnv).
//
// The disk model is the strict POSIX one:
//   - data reaches the disk only through sync()/sync_data() of its file;
//   - a name created, renamed or removed reaches the disk only through
//     sync_dir() of its directory (a file whose data is synced but whose
//     name is not is gone after a restart);
//   - directories are on disk once made (nothing here syncs a parent).
// Counted operations (operations(), log(), power_cut_after()): open_append,
// create, append, sync/sync_data, truncate, rename, remove, make_dir,
// sync_dir. Reads (read_file, list_dir, size) change nothing and are not
// counted. Thread-safe (the alarm spool writes from worker threads).
#pragma once

#include <cerrno>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/file_env.h"

namespace clusterd::testing {

class FaultEnv : public FileEnv {
 public:
  enum class Op { Open, Append, Sync, Truncate, Rename, Remove, MakeDir, SyncDir };

  /// One injected failure: the first matching operation after `skip` others fails.
  struct Fault {
    Op op = Op::Append;
    std::string path_ends_with;  ///< empty: any path (Rename matches its source)
    /// Append: only a write holding this; Sync: only a sync of a file whose
    /// writes since its last sync (or truncate) hold this: the sync that would
    /// make that write durable. Empty: any. Other operations: leave it empty.
    std::string data_contains;
    int skip = 0;                ///< matching operations that pass before this one fails
    int error = EIO;             ///< the errno it fails with (EIO, ENOSPC, ...)
    std::size_t keep_bytes = 0;  ///< Append: the first bytes that reach the file all the same
    /// A torn write: the file's data as it now is (with those bytes) is on
    /// disk, and the power is cut right after: nothing done later persists.
    bool power_cut = false;
  };

  FaultEnv();

  /// Arms `f` (several may be armed; each fires once).
  void inject(Fault f);
  /// The power goes out after `n` counted operations: those have their
  /// effects; every later one still works for the process but never reaches
  /// the disk. restart() shows what was left.
  void power_cut_after(int n);
  /// The machine comes back: each file holds what was synced of it, under the
  /// names synced in its directory; the counter, the log and every armed
  /// fault or power cut are cleared. Objects still holding files from before
  /// must not be used (a crashed process has none).
  void restart();

  /// Counted operations since construction or restart().
  int operations() const;
  /// One line per counted operation: "append /s/x.journal" (1-based: log()[n-1] is op n).
  std::vector<std::string> log() const;

  /// What the process reads at `path` now; nullopt: no such file.
  std::optional<std::string> file(const std::string& path) const;
  /// What a restart would find at `path`.
  std::optional<std::string> disk(const std::string& path) const;
  /// Puts `content` at `path`, synced, name and all (a file from an earlier
  /// run). Makes the parent directories. Not counted.
  void put(const std::string& path, const std::string& content);

  // --- FileEnv ---------------------------------------------------------------
  Result<std::unique_ptr<WritableFile>> open_append(const std::string& path, mode_t mode) override;
  Result<std::unique_ptr<WritableFile>> create(const std::string& path, mode_t mode) override;
  Result<std::string> read_file(const std::string& path) override;
  Result<void> rename(const std::string& from, const std::string& to) override;
  Result<void> remove(const std::string& path) override;
  Result<std::vector<std::string>> list_dir(const std::string& dir) override;
  Result<void> make_dir(const std::string& dir, mode_t mode) override;
  Result<void> sync_dir(const std::string& dir) override;

 private:
  class File;
  struct Inode {
    std::string data;             // what the process reads
    std::string synced;           // what is on disk
    std::string unsynced_writes;  // appended since the last sync or truncate
  };
  // Counts one operation, applies a pending power cut, and returns the
  // armed fault it triggers, if any. With mu_ held.
  std::optional<Fault> begin(Op op, const std::string& path, std::string_view data = {});
  Result<std::unique_ptr<WritableFile>> open(Op op, const std::string& path, bool truncate);
  Result<void> append(int inode, const std::string& path, std::string_view data);
  Result<void> sync(int inode, const std::string& path, const char* what);
  Result<void> truncate(int inode, const std::string& path, std::uint64_t size);

  mutable std::mutex mu_;
  std::map<int, Inode> inodes_;  // never erased: a stale handle stays harmless
  int next_inode_ = 1;
  std::map<std::string, int> names_, disk_names_;
  std::set<std::string> dirs_;
  std::vector<Fault> faults_;
  std::vector<std::string> log_;
  std::optional<int> cut_after_;
  bool cut_ = false;
};

}  // namespace clusterd::testing
