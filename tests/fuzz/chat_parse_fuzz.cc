// Any text through the whole front end: parse (with includes served from
// memory), compile, check. Must never crash, hang or leak; every failure is a
// Diagnostic.
#include <string>

#include "chat/script.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  clusterd::chat::MemoryLoader files;
  files.files["lib.chat"] = "pattern p = /^ok $/\n";
  files.files["self.chat"] = text;  // lets the input include itself: a cycle
  auto s = clusterd::chat::load_script_text(text, "fuzz.chat", &files);
  for (const auto& d : s.diagnostics) (void)clusterd::format_text(d);
  return 0;
}
