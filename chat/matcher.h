// Streaming pattern matching over console bytes. Console output is hostile
// input: matching is RE2 (linear time, no backtracking), each window is
// bounded, and nothing is allocated per byte.
//
// Rules (docs/chat-language.md, "Matching"):
//  - a match never spans a line: patterns are compiled with never_nl, so only
//    the current partial line has to be kept between reads;
//  - among the patterns of a set, the match that starts first wins; at the same
//    start, the pattern listed first;
//  - `^` and `$` match at line ends and at the ends of the bytes received so
//    far, so a prompt matches without a trailing newline;
//  - a match whose line (up to the match's end) matches one of the pattern's
//    `unless` regexes is skipped.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/fingerprint.h"
#include "base/result.h"

namespace re2 {
class RE2;
class StringPiece;
}  // namespace re2

namespace clusterd::chat {

/// One pattern of a set, in RE2 syntax (literals already quoted).
struct PatternSource {
  std::string regex;
  std::vector<std::string> unless;
  /// The pattern takes the rest of its line (an atom ends in `.*`): a match
  /// that ends where the bytes received so far end may grow with the next
  /// read, so Match::open says so and the caller may wait for the line end.
  bool to_line_end = false;
};

/// Where a pattern matched: offsets into the text searched.
struct Match {
  int index = -1;  // which pattern of the set
  std::size_t begin = 0, end = 0;
  int groups = 0;     // capture groups of that pattern, not counting $0
  bool open = false;  // a to_line_end pattern whose match ends at the end of the bytes so far
  std::string_view captures[10];  // $0..$9 (views into the searched text)
};

/// The patterns a state waits for on one channel, compiled once: an RE2::Set
/// finds which patterns occur in one forward DFA pass whatever their number;
/// only those patterns' own RE2s are then run, for positions and captures.
/// (One big alternation would do both at once, but RE2 builds DFA states
/// lazily, and the decisive match, rare by nature, then ran cold through the
/// whole set's reverse DFA: 0.4 ms at 50 patterns against 10 us this way.)
/// Not thread-safe: it keeps scratch space for submatches.
class PatternSet {
 public:
  /// Compiles the patterns; an error names the pattern RE2 refused.
  static Result<std::unique_ptr<PatternSet>> compile(std::vector<PatternSource> patterns);
  ~PatternSet();

  std::size_t size() const { return groups_.size(); }

  /// Finds the first match in text[from, text.size()) by the rules above.
  /// `line_floor` is the first offset `unless` may look at (bytes before it
  /// belong to an earlier state). text[from - 1], if any, is context for `^`.
  bool find(std::string_view text, std::size_t from, std::size_t line_floor, Match& m) const;

  /// What the compiler needs to know of one regex atom.
  struct AtomInfo {
    int groups = 0;              ///< its capture groups
    bool matches_empty = false;  ///< it matches the empty string
  };

  /// Compiles `regex` with the options every chat pattern is compiled with
  /// (Latin-1, never_nl, errors not logged), so the compiler checks atoms the
  /// same way. Error::invalid with RE2's message when RE2 refuses it.
  static Result<AtomInfo> check_atom(const std::string& regex);

 private:
  PatternSet() = default;
  struct SetHolder;  // wraps re2::RE2::Set (a nested class)
  std::unique_ptr<SetHolder> set_;
  std::vector<std::unique_ptr<re2::RE2>> each_;    // pattern i alone
  std::vector<std::unique_ptr<re2::RE2>> unless_;  // null where a pattern has none
  std::vector<int> groups_;                        // pattern i's own capture groups
  std::vector<bool> to_line_end_;                  // pattern i takes the rest of its line
  std::unique_ptr<re2::StringPiece[]> scratch_;    // submatches of the last find()
  std::unique_ptr<re2::StringPiece[]> best_;       // the winner's submatches
  mutable std::vector<int> hits_;
};

/// The bytes one channel has delivered since the current state was entered,
/// kept only as far as a future match could still need them: the current
/// partial line, at most `window` bytes of it.
class StreamWindow {
 public:
  /// `window`: the most bytes of one line a match may see (default 4 KiB).
  explicit StreamWindow(std::size_t window = 4096);

  std::size_t window() const { return window_; }

  /// Forgets the bytes received so far (a new state was entered); keeps the
  /// last byte only as context for `^`.
  void reset();

  /// Bytes nobody waits for (no pattern on this channel): keeps only the last
  /// byte, as context for `^`.
  void discard(std::string_view bytes);

  /// Appends at most window() bytes.
  void append(std::string_view bytes);

  /// Looks for the next match in the bytes not yet searched. On a match,
  /// searching resumes after it; without one, the window is trimmed to the
  /// partial line.
  bool next(const PatternSet& set, Match& m);

  /// Searching resumes at `begin` again: the match just returned was open
  /// (its line not ended yet) and will be looked for again, longer, when
  /// more bytes come.
  void rewind(std::size_t begin) { pos_ = begin < start_ ? start_ : begin; }

  /// Removes and returns the buffered bytes after offset `end` (bytes that
  /// followed a match that changed the state: they belong to the next one).
  std::string take_after(std::size_t end);

  /// The text searched by the last next(); Match offsets point into it.
  std::string_view text() const { return buf_; }

  /// The bytes kept and where searching resumes (`chatc verify`'s state hash).
  void fingerprint(Fingerprint& f) const {
    f.add(std::string_view(buf_));
    f.add(start_);
    f.add(pos_);
  }

 private:
  void trim();
  std::size_t window_;
  std::string buf_;
  std::size_t start_ = 0;  // first byte of this state's bytes (0 or 1: context)
  std::size_t pos_ = 0;    // next search starts here
};

}  // namespace clusterd::chat
