#include "chat/matcher.h"

#include <algorithm>
#include <cstring>

#include <re2/re2.h>

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

void PatternSet::check_atom(const std::string& regex, std::string* error, bool* matches_empty,
                            int* groups) {
  RE2 re("(?m)" + regex, pattern_options());
  *matches_empty = false;
  *groups = 0;
  if (!re.ok()) {
    *error = re.error();
    return;
  }
  error->clear();
  *groups = re.NumberOfCapturingGroups();
  *matches_empty = RE2::FullMatch("", re);
}

PatternSet::~PatternSet() = default;

Result<std::unique_ptr<PatternSet>> PatternSet::compile(std::vector<PatternSource> patterns) {
  std::unique_ptr<PatternSet> set(new PatternSet());
  std::string all = "(?m)";
  int group = 1;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    RE2 one("(?m)" + patterns[i].regex, pattern_options());
    if (!one.ok()) return Error::invalid("bad pattern /" + patterns[i].regex + "/: " + one.error());
    if (i) all += '|';
    all += '(';
    all += patterns[i].regex;
    all += ')';
    set->first_group_.push_back(group);
    set->groups_.push_back(one.NumberOfCapturingGroups());
    group += 1 + one.NumberOfCapturingGroups();
    if (patterns[i].unless.empty()) {
      set->unless_.push_back(nullptr);
    } else {
      std::string u = "(?m)";
      for (std::size_t j = 0; j < patterns[i].unless.size(); ++j) {
        if (j) u += '|';
        u += "(?:" + patterns[i].unless[j] + ")";
      }
      auto re = std::make_unique<RE2>(u, pattern_options());
      if (!re->ok()) return Error::invalid("bad unless pattern /" + u + "/: " + re->error());
      set->unless_.push_back(std::move(re));
    }
  }
  set->all_ = std::make_unique<RE2>(all, pattern_options());
  if (!set->all_->ok()) return Error::invalid("bad pattern set: " + set->all_->error());
  set->total_groups_ = group - 1;
  set->scratch_.reset(new re2::StringPiece[static_cast<std::size_t>(group)]);
  return set;
}

bool PatternSet::find(std::string_view text, std::size_t from, std::size_t line_floor,
                      Match& m) const {
  const int n = total_groups_ + 1;
  re2::StringPiece* sub = scratch_.get();
  while (from <= text.size()) {
    if (!all_->Match(re2::StringPiece(text.data(), text.size()), from, text.size(), RE2::UNANCHORED, sub, n)) return false;
    // The first wrapper group that took part is the pattern that won.
    std::size_t i = 0;
    while (i < first_group_.size() && sub[first_group_[i]].data() == nullptr) ++i;
    if (i == first_group_.size()) return false;  // cannot happen: one group always matches
    auto begin = static_cast<std::size_t>(sub[0].data() - text.data());
    auto end = begin + sub[0].size();
    if (unless_[i]) {
      std::size_t line = text.rfind('\n', begin == 0 ? 0 : begin - 1);
      line = (line == std::string_view::npos || line < line_floor) ? line_floor : line + 1;
      if (line > begin) line = begin;
      std::string_view ln = text.substr(line, end - line);
      if (RE2::PartialMatch(re2::StringPiece(ln.data(), ln.size()), *unless_[i])) {
        from = end > begin ? end : begin + 1;  // vetoed: look further on
        continue;
      }
    }
    m.index = static_cast<int>(i);
    m.begin = begin;
    m.end = end;
    m.groups = groups_[i];
    int g0 = first_group_[i];
    for (int k = 0; k < 10; ++k) {
      m.captures[k] = std::string_view{};
      if (k <= groups_[i] && sub[g0 + k].data()) {
        m.captures[k] = std::string_view(sub[g0 + k].data(), sub[g0 + k].size());
      }
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
  buf_.assign(1, bytes.back());
  start_ = pos_ = 1;
}

void StreamWindow::append(std::string_view bytes) { buf_.append(bytes.data(), bytes.size()); }

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
