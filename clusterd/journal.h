// The journal: what a failover has done so far, fsync'd before the next step
// (DESIGN.md §4). A clusterd restarted in the middle of a failover replays it,
// knows which node is active, which one it confirmed fenced, and whether it
// already sent the boot: it never sends a second boot to a node it booted.
//
// File format (state/NAME.journal), one record a line, appended only:
//   record := STAMP " " kind { " " key "=" value }      (values escaped, no blanks)
//   kind   := roles | fence-confirmed | boot-sent | takeover | note
// boot-sent carries node=, state= (the script state that sent it, resumed
// after a restart) and attempt= (1; 2 for a retry in the same failover).
// A last line without its "\n" is a record torn by a crash: ignored on replay.
// This module does no logging and reads no clock: time comes with each record.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/file_env.h"
#include "base/result.h"

namespace clusterd {

enum class JournalKind { Roles, FenceConfirmed, BootSent, Takeover, Note, Promoted };

/// "roles", "fence-confirmed", ...
const char* journal_kind_name(JournalKind k);
/// The kind named `name`; nullopt for an unknown name.
std::optional<JournalKind> journal_kind_from_name(std::string_view name);

struct JournalRecord {
  std::int64_t time_ns = 0;  ///< UTC ns since the epoch
  JournalKind kind = JournalKind::Note;
  std::map<std::string, std::string> fields;  ///< e.g. node=alpha, how=auto-boot-false
};

/// What the records say now. Built by replaying them in order.
struct JournalState {
  std::string active, standby;   ///< current roles (empty: never recorded)
  std::set<std::string> fenced;  ///< confirmed fenced since the last takeover
  std::string boot_sent_to;      ///< boot sent since the last takeover; empty: none
  std::int64_t boot_sent_ns = 0;
  std::string boot_state;      ///< the state that sent the latest boot (resumed after a restart)
  int boot_attempts = 0;       ///< boot-sent records since the last takeover (a retry is the 2nd)
  bool boot_by_power = false;  ///< the latest boot is a power-on (`power standby on`, how=power)
  int takeovers = 0;
  std::int64_t last_takeover_ns = 0;
  /// BCP: the standby whose disk was promoted since the last takeover (its
  /// boot may go out); the epoch of the newest promotion (0: none yet).
  std::string promoted;
  std::uint64_t epoch = 0;

  /// True between a boot sent to the standby and the takeover that ends it:
  /// a restarted clusterd must wait for that boot, not send another.
  bool boot_in_flight() const { return !boot_sent_to.empty(); }
};

/// Applies one record to a state (the replay step).
void apply(JournalState& s, const JournalRecord& r);

/// One line, without "\n". Values are escaped so a record is always one line.
std::string format_journal_record(const JournalRecord& r);

/// Parses one line; the error names what is wrong.
Result<JournalRecord> parse_journal_line(std::string_view line);

/// Where a journal's records live when not in a local file: the fleet keeps
/// them in etcd (fleet/etcd_journal.h), each append a transaction that only
/// the cluster's current owner can make.
class JournalStore {
 public:
  virtual ~JournalStore() = default;
  /// Every record line in order, without "\n".
  virtual Result<std::vector<std::string>> load() = 0;
  /// Stores one record line (without "\n") durably, or fails and stores nothing.
  virtual Result<void> append(const std::string& line) = 0;
  /// Where the records are, for messages ("etcd:/clusterd/journal/prod/").
  virtual std::string where() const = 0;
};

/// An open journal file. Each append is one write + fdatasync(2) before it
/// returns, so a record that append() reported written survives a crash.
class Journal {
 public:
  /// Replays the records of `store` and appends through it. Lines that do not
  /// parse are skipped and reported in `warnings`.
  static Result<std::unique_ptr<Journal>> open_store(std::unique_ptr<JournalStore> store,
                                                     std::vector<std::string>* warnings);

  /// Opens (creating with mode 0640, and then syncing its directory) and
  /// replays `path`. Lines that do not parse are skipped and reported in
  /// `warnings` with their line numbers. `env` must outlive the Journal.
  static Result<std::unique_ptr<Journal>> open(const std::string& path,
                                               std::vector<std::string>* warnings,
                                               FileEnv& env = FileEnv::posix());

  /// Writes, syncs, then applies `r`. On failure nothing is applied, the
  /// bytes of a partial write are cut off again, and the caller must not take
  /// the step the record stands for. If they cannot be cut off, every later
  /// append fails too (a record after them could be misread on replay).
  Result<void> append(const JournalRecord& r);

  const JournalState& state() const { return state_; }
  const std::string& path() const { return path_; }

 private:
  Journal(std::string path, std::unique_ptr<WritableFile> file, std::uint64_t size,
          JournalState state);
  std::string path_;
  std::unique_ptr<WritableFile> file_;
  std::unique_ptr<JournalStore> store_;  // instead of file_ when not null
  std::uint64_t size_;  // bytes of whole, synced records: where a failed append is cut back to
  std::string broken_;  // why appends are refused; empty: they are not
  JournalState state_;
};

}  // namespace clusterd
