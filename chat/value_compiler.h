// Params and vars, for the compiler: each `param` / `var` declaration typed
// into a Value, the overrides (`--param k=v`, the cluster config's [params])
// applied to params, and the builtin variables every script can read
// ($active, $standby, $reason, $elapsed, $state, $trigger). Errors come back
// as Diagnostics; nothing throws.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"
#include "chat/ast.h"
#include "chat/program.h"

namespace clusterd::chat {

/// Types every declaration of `decls` into `program` (value_names, values,
/// value_is_var, in declaration order) and `index` (name -> position), then
/// applies `overrides`, each of which must name a declared param and parse
/// as its type. Duplicates, builtin names and `$…` in a value are errors.
/// An override's error is placed at its entry in `where` (the cluster
/// config's line, named `params.NAME`), or at "<params>" without one.
void compile_values(const std::vector<ast::ValueDecl>& decls,
                    const std::map<std::string, std::string>& overrides,
                    const std::map<std::string, Loc>& where, Program& program,
                    std::map<std::string, int>& index, Diagnostics& out);

/// The Builtin enumerator called `name`, as an int; -1 when it is no builtin.
int builtin_index(std::string_view name);

/// Every builtin's name, in Builtin order.
const std::vector<std::string>& builtin_names();

/// "a string", "an integer", "a duration": for messages.
const char* value_kind_name(Value::Kind k);

/// `text` as an integer, read as strtoll reads it (leading blanks, a sign)
/// but all of it; nullopt when it is not one or does not fit.
std::optional<std::int64_t> parse_integer(std::string_view text);

}  // namespace clusterd::chat
