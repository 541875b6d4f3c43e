// "Did you mean": a close name from a list, for the compiler's messages about
// unknown states, params, patterns, variables and events. Produces the text
// only; the caller puts it in its diagnostic.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace clusterd::chat {

/// Finds close names, a bounded number of times: each suggestion costs a pass
/// over the candidates, so a script full of bad names (thousands of states,
/// each naming an unknown one) gets suggestions for its first `budget` only.
class Suggester {
 public:
  explicit Suggester(int budget = 100) : left_(budget) {}

  /// A name of `known` within edit distance 2 of `name` (the closest, the
  /// first of equals), as "; did you mean 'x'?"; "" when there is none or
  /// the budget is spent.
  std::string suggest(const std::string& name, const std::vector<std::string>& known);

 private:
  int left_;
};

/// The Levenshtein distance between `a` and `b` (insert, delete, replace).
std::size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace clusterd::chat
