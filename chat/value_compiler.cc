// Params, vars and their overrides (value_compiler.h).
#include "chat/value_compiler.h"

#include <cctype>
#include <charconv>

#include "base/duration.h"

namespace clusterd::chat {

namespace {

std::string where(const Loc& l) { return l.file + ":" + std::to_string(l.line); }

Value typed(const ast::ValueDecl& d, Diagnostics& out) {
  Value v;
  switch (d.value.kind) {
    case ast::Value::Kind::String:
      v.kind = Value::Kind::String;
      for (const auto& seg : d.value.text.segments) {
        if (seg.kind != ast::Text::Segment::Kind::Literal) {
          out.push_back({seg.loc,
                         Severity::Error,
                         std::string("a ") + (d.is_var ? "var" : "param") +
                             "'s value cannot refer to variables",
                         {}});
        }
        v.string += seg.text;
      }
      break;
    case ast::Value::Kind::Integer:
      v.kind = Value::Kind::Integer;
      v.integer = d.value.integer;
      break;
    case ast::Value::Kind::Interval:
      v.kind = Value::Kind::Interval;
      v.duration = d.value.duration;
      break;
  }
  return v;
}

// Sets `v` (a param's value) from an override's text; the error message when
// the text is not of the param's type.
std::optional<std::string> override_value(const std::string& name, const std::string& text,
                                          Value& v) {
  switch (v.kind) {
    case Value::Kind::String:
      v.string = text;
      return std::nullopt;
    case Value::Kind::Integer:
      if (auto i = parse_integer(text)) {
        v.integer = *i;
        return std::nullopt;
      }
      return "param '" + name + "' is an integer; '" + text + "' is not";
    case Value::Kind::Interval:
      if (auto d = parse_duration(text)) {
        v.duration = *d;
        return std::nullopt;
      }
      return "param '" + name + "' is a duration; '" + text + "' is not (e.g. 250ms, 20s, 10m)";
  }
  return std::nullopt;
}

}  // namespace

void compile_values(const std::vector<ast::ValueDecl>& decls,
                    const std::map<std::string, std::string>& overrides,
                    const std::map<std::string, Loc>& set_at, Program& program,
                    std::map<std::string, int>& index, Diagnostics& out) {
  auto error = [&](const Loc& l, std::string m) {
    out.push_back({l, Severity::Error, std::move(m), {}});
  };
  std::map<std::string, Loc> seen;
  for (const auto& d : decls) {
    const char* what = d.is_var ? "var" : "param";
    if (builtin_index(d.name.text) >= 0) {
      error(d.name.loc,
            std::string(what) + " '" + d.name.text + "' shadows the builtin $" + d.name.text);
      continue;
    }
    auto [it, fresh] = seen.emplace(d.name.text, d.name.loc);
    if (!fresh) {
      error(d.name.loc, std::string("duplicate ") + what + " '" + d.name.text +
                            "' (first declared at " + where(it->second) + ")");
      continue;
    }
    Value v = typed(d, out);
    index[d.name.text] = static_cast<int>(program.values.size());
    program.value_names.push_back(d.name.text);
    program.values.push_back(std::move(v));
    program.value_is_var.push_back(d.is_var);
  }
  // Overrides have no place in the script: their diagnostics name where
  // they were set (a config's [params] line), else <params> (chatc --param).
  for (const auto& [k, text] : overrides) {
    auto w = set_at.find(k);
    Loc at = w == set_at.end() ? Loc{"<params>", 0, 0} : w->second;
    std::string prefix = w == set_at.end() ? "" : "params." + k + ": ";
    auto it = index.find(k);
    if (it == index.end() || program.value_is_var[static_cast<std::size_t>(it->second)]) {
      error(at, prefix + "no param '" + k + "' in the script (cannot set it to '" + text + "')");
      continue;
    }
    if (auto why = override_value(k, text, program.values[static_cast<std::size_t>(it->second)])) {
      error(at, prefix + *why);
    }
  }
}

const std::vector<std::string>& builtin_names() {
  static const std::vector<std::string> kNames{"active",  "standby", "reason",
                                               "elapsed", "state",   "trigger"};
  return kNames;
}

int builtin_index(std::string_view name) {
  const auto& names = builtin_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (name == names[i]) return static_cast<int>(i);
  }
  return -1;
}

const char* value_kind_name(Value::Kind k) {
  switch (k) {
    case Value::Kind::String:
      return "a string";
    case Value::Kind::Integer:
      return "an integer";
    case Value::Kind::Interval:
      return "a duration";
  }
  return "?";
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  // from_chars takes a '-' but no '+'; strtoll takes either, not both.
  if (i < text.size() && text[i] == '+') {
    ++i;
    if (i < text.size() && text[i] == '-') return std::nullopt;
  }
  std::int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data() + i, end, v);
  if (ec != std::errc() || p != end) return std::nullopt;
  return v;
}

}  // namespace clusterd::chat
