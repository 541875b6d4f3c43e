#include "base/assert.h"

#include <cstdio>
#include <cstdlib>

namespace clusterd::detail {

// stdio, not a logger: this runs in a process whose state is already wrong,
// and base/ logs nothing. fprintf to the unbuffered stderr is one write.
void assert_failed(const char* file, int line, const char* condition) noexcept {
  std::fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, condition);
  std::abort();
}

}  // namespace clusterd::detail
