// Actions, for the compiler: each parsed action (`send`, `boot`, `alarm`,
// `set`, …) resolved into a Program action, and the text it carries into a
// Template whose `$name`, `${name}` and `$N` references are resolved to
// builtins, params, vars and capture groups. Errors come back as
// Diagnostics; nothing throws.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "base/diagnostic.h"
#include "chat/ast.h"
#include "chat/program.h"
#include "chat/suggest.h"

namespace clusterd::chat {

/// `n` as a channel: active, standby, and sh where `allow_sh`; nullopt
/// (reported to `out`) for anything else.
std::optional<Channel> resolve_channel(const ast::Name& n, bool allow_sh, Diagnostics& out);

/// Compiles the actions of one script. Everything passed by reference must
/// outlive it; `program`'s values (params and vars) must be complete, as
/// `value_index` (name -> index in them) describes.
class ActionCompiler {
 public:
  ActionCompiler(const Program& program, const std::map<std::string, int>& value_index,
                 Suggester& suggester, Diagnostics& out)
      : prog_(program), value_index_(value_index), suggester_(suggester), diags_(out) {}

  /// `groups`: capture groups of the pattern whose handler runs the action
  /// (-1 outside pattern handlers: any `$N` may refer to an earlier match).
  std::optional<Action> action(const ast::Action& a, int groups);

  /// The text of an action, its references resolved (`groups` as above).
  std::optional<Template> tmpl(const ast::Text& t, int groups);

 private:
  std::optional<Action> boot(const ast::Action& a, int groups, Action& out);
  std::optional<Action> alarm(const ast::Action& a, int groups, Action& out);
  std::optional<Action> set(const ast::Action& a, int groups, Action& out);
  std::optional<Action> power(const ast::Action& a, Action& out);
  void error(const Loc& l, std::string m) {
    diags_.push_back({l, Severity::Error, std::move(m), {}});
  }
  std::optional<Channel> channel(const ast::Name& n, bool allow_sh) {
    return resolve_channel(n, allow_sh, diags_);
  }
  std::string suggest(const std::string& name, const std::vector<std::string>& known) {
    return suggester_.suggest(name, known);
  }
  const std::vector<std::string>& value_keys() const { return prog_.value_names; }

  const Program& prog_;
  const std::map<std::string, int>& value_index_;
  Suggester& suggester_;
  Diagnostics& diags_;
};

}  // namespace clusterd::chat
