// "Did you mean" for the compiler's unknown-name messages (suggest.h).
#include "chat/suggest.h"

#include <algorithm>

namespace clusterd::chat {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string Suggester::suggest(const std::string& name, const std::vector<std::string>& known) {
  if (left_ == 0) return "";
  --left_;
  std::string best;
  std::size_t best_d = 3;  // suggest only close names
  for (const auto& k : known) {
    // The distance is at least the difference in length: most candidates
    // are ruled out without computing it.
    if ((name.size() > k.size() ? name.size() - k.size() : k.size() - name.size()) >= best_d) {
      continue;
    }
    auto d = edit_distance(name, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  return best.empty() ? "" : "; did you mean '" + best + "'?";
}

}  // namespace clusterd::chat
