// The insides of chat-script literals, for the parser: a string's escapes
// (\r \n \t \e \0 \\ \" \$ \xHH) and its `$name`, `${name}` and `$0`..`$9`
// references, and a regex's `\/`. Works on the text between the delimiters,
// which the grammar has already found; errors point at the offending
// character. No PEGTL here.
#pragma once

#include <string>
#include <string_view>

#include "base/diagnostic.h"
#include "chat/ast.h"

namespace clusterd::chat {

/// Decodes `body`, the text between a string literal's quotes; `loc` is
/// where the opening quote stands. With `interpolate` false (a literal
/// pattern) `$` is just a dollar. Bad escapes and references add an error to
/// `out` and are left out of the result.
ast::Text decode_string(std::string_view body, const Loc& loc, bool interpolate, Diagnostics& out);

/// Decodes `body`, the text between a regex's slashes: `\/` stands for a
/// slash, and every other escape is RE2's, kept as written.
std::string decode_regex(std::string_view body);

}  // namespace clusterd::chat
