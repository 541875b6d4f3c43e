// The ground-truth ledger: one JSON object per line, every state change,
// lease acquire/release, BREAK, typed command and shared-disk write of a
// simulated node, stamped with CLOCK_MONOTONIC nanoseconds. This file builds
// and parses those lines and checks a merged ledger for split-brain overlap
// and writes-after-fence. It does not open files (the runner appends lines).
// Format: docs/nodesim.md, "The ledger".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "sim/node_config.h"

namespace clusterd::sim {

/// One ledger line under construction: `{"t_ns":…,"node":"…","ev":"…", extras…}`.
/// Keys are written in insertion order; strings are JSON-escaped (control
/// bytes as \u00XX), so a line never holds a raw newline.
class LedgerRecord {
 public:
  LedgerRecord(TimePoint t, std::string_view node, std::string_view ev);
  LedgerRecord& add(std::string_view key, std::string_view value);
  LedgerRecord& add(std::string_view key, const char* value) {
    return add(key, std::string_view(value));
  }
  LedgerRecord& add(std::string_view key, std::int64_t value);
  LedgerRecord& add(std::string_view key, bool value);
  LedgerRecord& add(std::string_view key, double value);  ///< "%.3f"
  /// The finished line, without its trailing newline.
  std::string line() const { return text_ + "}"; }

 private:
  std::string text_;
};

/// Nanoseconds of `t` on its clock (CLOCK_MONOTONIC for steady_clock on Linux).
inline std::int64_t to_ns(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

/// One parsed ledger line: every value as text (numbers and booleans too).
struct ParsedRecord {
  std::int64_t t_ns = 0;
  std::string node;
  std::string ev;
  std::map<std::string, std::string> fields;  ///< all keys, t_ns/node/ev included
  std::string get(const std::string& key) const {
    auto it = fields.find(key);
    return it == fields.end() ? std::string() : it->second;
  }
};

/// Parses one flat JSON object as written by LedgerRecord. Errors name what
/// was expected and the byte offset.
Result<ParsedRecord> parse_ledger_line(std::string_view line);

/// A time both nodes held the shared disk.
struct Overlap {
  std::string a, b;  ///< the two holders, a acquired first
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;  ///< release of either, or the last record if still open
  bool open = false;        ///< neither released before the ledger ended
  double ms() const { return static_cast<double>(end_ns - start_ns) / 1e6; }
};

/// A shared-disk write by a node after its fence time.
struct LateWrite {
  std::string node;
  std::int64_t t_ns = 0;
  std::int64_t fenced_ns = 0;
  std::string seq;
};

/// What the checker found in a merged ledger.
struct CheckReport {
  std::vector<Overlap> overlaps;
  /// Overlaps that began before `since` (a cluster found split at clusterd's
  /// start): reported, not counted in overlap_ms() nor in clean().
  std::vector<Overlap> before;
  std::int64_t since_ns = 0;
  std::vector<LateWrite> late_writes;
  std::vector<std::string> errors;  ///< unparsable lines: "line N: why"
  double overlap_ms() const;
  bool clean() const { return overlaps.empty() && late_writes.empty() && errors.empty(); }
  /// Multi-line human summary ("overlap: 0 ms", one line per finding).
  std::string summary() const;
};

/// Checks ledger lines (several nodes' ledgers may be concatenated in any
/// order: records are sorted by t_ns). A node is fenced from a `break` that
/// halted it (or a time in `external_fences`, node -> t_ns, e.g. clusterd's
/// fence-confirm time) until it next enters BOOTING; each `write` it records
/// while fenced is a late write. Overlap is counted from lease records alone,
/// independently of the `split_brain` records the nodes write themselves.
/// An overlap that began before `since_ns` (the monitor was not running yet:
/// the split was the starting condition, not something it let happen) goes
/// to `before`; late writes are counted whenever they happen.
CheckReport check_ledger(const std::vector<std::string>& lines,
                         const std::map<std::string, std::int64_t>& external_fences = {},
                         std::int64_t since_ns = 0);

/// BCP mode (docs/bcp.md): each site has its own disk, so a split shows
/// as both sites writing, and the price of a failover is the records the
/// promoted image does not have.
struct BcpReport {
  std::map<std::string, std::size_t> writes;  ///< by node: `write` records in the ledgers
  std::map<std::string, std::size_t> lost;    ///< by node: written, not in the image
  std::vector<std::string> lost_examples;     ///< "alpha#123", the first few
  double both_writing_ms = 0;                 ///< time in which both nodes were writing
  std::vector<double> rto_ms;                 ///< per change of writer: last write → first write
  std::vector<std::string> errors;            ///< unparsable lines: "ledger|image line N: why"
  std::size_t lost_total() const;
  bool clean() const { return both_writing_ms == 0 && errors.empty(); }
  std::string summary() const;
};

/// Compares the ledgers' writes with the record log of the image that is
/// active at the end (`image_lines`: its log's lines). A node writes in
/// spells (writes less than `spell_gap` apart); both sites write while a
/// spell of each overlaps. A change of writer (sorted by time) is one RTO:
/// from the old writer's last write before it to the new one's first.
BcpReport check_bcp(const std::vector<std::string>& ledger_lines,
                    const std::vector<std::string>& image_lines,
                    std::int64_t spell_gap_ns = 1'000'000'000);

}  // namespace clusterd::sim
