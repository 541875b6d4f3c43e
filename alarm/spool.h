// Spool: notifications not yet delivered, one file per notification under
// $CLUSTER_HOME/spool/NAME/, so that an alarm survives a dead mail server and
// a clusterd restart. Every write goes to a temporary file that is fsync'd,
// renamed over the old one, and followed by an fsync of the directory; a
// crash leaves either the old or the new version, never half a file. Files
// are removed only when every channel has accepted or refused the
// notification. No retry logic here (Outbox) and no threads of its own.
//
// File format (one "name: value" per line, values written by base escape()):
//   clusterd-alarm-spool 2
//   message_id: 20261122-010203-0007.raised.1@c1.clusterd
//   kind: raised
//   id: ... key: ... cluster: ... node: ... severity: critical
//   time_ns: ... state: ... trigger: ... text: ... timeline: ... note: ... notice_time_ns: ...
//   channel: email pending 2 451\ try\ later      (name status attempts last-error)
//   end
// The last line, "end", tells a whole file from one torn after any line (a
// version 1 file, from before it, has none and is read without the check).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "alarm/delivery.h"
#include "base/file_env.h"

namespace clusterd::alarm {

/// The file's text for `e`, and back. decode() errors name the bad line.
std::string encode_envelope(const Envelope& e);
Result<Envelope> decode_envelope(std::string_view text);

class Spool {
 public:
  /// Creates `dir` (and its parents, mode 0700) if needed. Error::io if it
  /// cannot. `env` must outlive the Spool.
  static Result<Spool> open(const std::string& dir, FileEnv& env = FileEnv::posix());

  /// Writes or replaces the file for e (atomic, fsync'd, directory fsync'd).
  /// Error::io naming the step that failed; the old file, if any, stands.
  Result<void> write(const Envelope& e);
  /// Removes the file for `message_id` and fsyncs the directory; a missing file is fine.
  Result<void> remove(std::string_view message_id);

  struct Loaded {
    std::vector<Envelope> envelopes;  ///< in file-name order
    /// Files that could not be read, torn or garbled ones (renamed to NAME.bad),
    /// and leftovers that could not be deleted: one line each.
    std::vector<std::string> errors;
  };
  /// Every spooled envelope. Leftover temporary files from a crash are deleted.
  Loaded load();

  const std::string& dir() const { return dir_; }
  /// The file that holds `message_id` ("ID.alarm" with '/' and other unsafe bytes as '_').
  std::string path_of(std::string_view message_id) const;

 private:
  Spool(std::string dir, FileEnv& env) : dir_(std::move(dir)), env_(&env) {}
  std::string dir_;
  FileEnv* env_;  // never null
};

}  // namespace clusterd::alarm
