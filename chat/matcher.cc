#include "chat/matcher.h"

#include <algorithm>
#include <cstring>

#include <re2/re2.h>
#include <re2/set.h>

namespace clusterd::chat {

namespace {

RE2::Options pattern_options() {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingLatin1);  // every byte is a character
  o.set_never_nl(true);                          // a match never spans a line
  o.set_log_errors(false);
  o.set_max_mem(32 << 20);  // room for the DFA of a 50-pattern set
  return o;
}

}  // namespace

Result<PatternSet::AtomInfo> PatternSet::check_atom(const std::string& regex) {
  RE2 re("(?m)" + regex, pattern_options());
  if (!re.ok()) return Error::invalid(re.error());
  return AtomInfo{.groups = re.NumberOfCapturingGroups(), .matches_empty = RE2::FullMatch("", re)};
}

struct PatternSet::SetHolder {
  explicit SetHolder(const RE2::Options& o) : set(o, RE2::UNANCHORED) {}
  RE2::Set set;
};

PatternSet::~PatternSet() = default;

Result<std::unique_ptr<PatternSet>> PatternSet::compile(std::vector<PatternSource> patterns) {
  std::unique_ptr<PatternSet> set(new PatternSet());
  set->set_ = std::make_unique<SetHolder>(pattern_options());
  int most_groups = 0;
  for (const auto& p : patterns) {
    auto one = std::make_unique<RE2>("(?m)" + p.regex, pattern_options());
    if (!one->ok()) return Error::invalid("bad pattern /" + p.regex + "/: " + one->error());
    std::string err;
    if (set->set_->set.Add("(?m)" + p.regex, &err) < 0) {
      return Error::invalid("bad pattern /" + p.regex + "/: " + err);
    }
    set->groups_.push_back(one->NumberOfCapturingGroups());
    set->to_line_end_.push_back(p.to_line_end);
    most_groups = std::max(most_groups, one->NumberOfCapturingGroups());
    set->each_.push_back(std::move(one));
    if (p.unless.empty()) {
      set->unless_.push_back(nullptr);
      continue;
    }
    std::string u = "(?m)";
    for (std::size_t j = 0; j < p.unless.size(); ++j) {
      if (j) u += '|';
      u += "(?:" + p.unless[j] + ")";
    }
    auto re = std::make_unique<RE2>(u, pattern_options());
    if (!re->ok()) return Error::invalid("bad unless pattern /" + u + "/: " + re->error());
    set->unless_.push_back(std::move(re));
  }
  if (!set->set_->set.Compile())
    return Error::invalid("pattern set too large for RE2's memory budget");
  const auto n = static_cast<std::size_t>(std::min(most_groups, 9) + 1);
  set->scratch_.reset(new re2::StringPiece[n]);
  set->best_.reset(new re2::StringPiece[n]);
  return set;
}

bool PatternSet::find(std::string_view text, std::size_t from, std::size_t line_floor,
                      Match& m) const {
  while (from <= text.size()) {
    // The set sees one byte before `from` so that `^` there is judged right;
    // a hit that starts on that byte is weeded out by the pattern's own RE2.
    const std::size_t ctx = from > 0 ? from - 1 : 0;
    hits_.clear();
    if (!set_->set.Match(re2::StringPiece(text.data() + ctx, text.size() - ctx), &hits_)) {
      return false;
    }
    std::sort(hits_.begin(), hits_.end());
    const re2::StringPiece whole(text.data(), text.size());
    int win = -1;
    std::size_t win_begin = 0;
    for (int i : hits_) {
      const auto k = static_cast<std::size_t>(i);
      const int n = std::min(groups_[k], 9) + 1;
      if (!each_[k]->Match(whole, from, text.size(), RE2::UNANCHORED, scratch_.get(), n)) continue;
      auto begin = static_cast<std::size_t>(scratch_[0].data() - text.data());
      // Leftmost start wins; at the same start the lower index (hits_ is sorted).
      if (win < 0 || begin < win_begin) {
        win = i;
        win_begin = begin;
        std::copy(scratch_.get(), scratch_.get() + n, best_.get());
      }
    }
    if (win < 0) return false;
    const auto w = static_cast<std::size_t>(win);
    const std::size_t begin = win_begin;
    const std::size_t end = begin + best_[0].size();
    if (unless_[w]) {
      std::size_t line = text.rfind('\n', begin == 0 ? 0 : begin - 1);
      line = (line == std::string_view::npos || line < line_floor) ? line_floor : line + 1;
      if (line > begin) line = begin;
      std::string_view ln = text.substr(line, end - line);
      if (RE2::PartialMatch(re2::StringPiece(ln.data(), ln.size()), *unless_[w])) {
        from = end > begin ? end : begin + 1;  // vetoed: look further on
        continue;
      }
    }
    m.index = win;
    m.begin = begin;
    m.end = end;
    m.groups = groups_[w];
    m.open = to_line_end_[w] && end == text.size();
    const auto last = static_cast<std::size_t>(std::min(groups_[w], 9));
    for (std::size_t k = 0; k < 10; ++k) {
      m.captures[k] = std::string_view{};
      if (k <= last && best_[k].data())
        m.captures[k] = std::string_view(best_[k].data(), best_[k].size());
    }
    return true;
  }
  return false;
}

StreamWindow::StreamWindow(std::size_t window) : window_(window < 16 ? 16 : window) {
  buf_.reserve(2 * window_ + 1);
}

void StreamWindow::reset() {
  if (buf_.empty()) {
    start_ = pos_ = 0;
    return;
  }
  char last = buf_.back();
  buf_.assign(1, last);
  start_ = pos_ = 1;
}

void StreamWindow::discard(std::string_view bytes) {
  if (bytes.empty()) return;
  buf_.assign(1, bytes.back() == '\r' ? '\n' : bytes.back());
  start_ = pos_ = 1;
}

// A console ends its lines with CR as often as with LF: "\r\n" from a tty's
// onlcr, "\n\r" from the Solaris kernel (its panic line is printed as
// "\n\rpanic[cpu0]…"), a bare "\r" where a prompt is redrawn. A line starts
// wherever the cursor goes back to column 0, so a CR is a line end here:
// `^` matches after it, `$` before it, and no match spans it.
void StreamWindow::append(std::string_view bytes) {
  const std::size_t at = buf_.size();
  buf_.append(bytes.data(), bytes.size());
  std::replace(buf_.begin() + static_cast<std::ptrdiff_t>(at), buf_.end(), '\r', '\n');
}

bool StreamWindow::next(const PatternSet& set, Match& m) {
  if (pos_ < buf_.size() && set.find(buf_, pos_, start_, m)) {
    pos_ = m.end;
    return true;
  }
  trim();
  return false;
}

std::string StreamWindow::take_after(std::size_t end) {
  std::string tail = buf_.substr(end);
  buf_.resize(end);
  return tail;
}

// No match in the searched bytes: a future match cannot start before the
// last newline (matches never span lines), nor more than window_ bytes back.
void StreamWindow::trim() {
  std::size_t keep = pos_;
  auto nl = buf_.rfind('\n');
  if (nl != std::string::npos && nl + 1 > keep) keep = nl + 1;
  if (buf_.size() > window_ && buf_.size() - window_ > keep) keep = buf_.size() - window_;
  if (keep <= 1) {
    pos_ = std::max(pos_, keep);
    return;
  }
  // Keep one byte before `keep` as context for `^`.
  std::size_t drop = keep - 1;
  buf_.erase(0, drop);
  pos_ = keep - drop;  // == 1
  start_ = start_ > drop ? start_ - drop : 1;
  if (start_ > pos_) start_ = pos_;
}

}  // namespace clusterd::chat
