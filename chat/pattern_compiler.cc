// Pattern compilation (pattern_compiler.h): literal atoms are quoted into
// RE2 syntax, regex atoms checked by RE2 itself, and the `any` atoms joined
// into one alternation so that a state's channel is matched in one pass.
#include "chat/pattern_compiler.h"

#include <cstdio>

#include <re2/re2.h>

namespace clusterd::chat {

namespace {

struct Atom {
  std::string regex;
  int groups = 0;
};

void error(Diagnostics& out, const Loc& l, std::string m) {
  out.push_back({l, Severity::Error, std::move(m), {}});
}

std::optional<Atom> literal_atom(const ast::PatternAtom& a, Diagnostics& out) {
  if (a.source.empty()) {
    error(out, a.loc, "empty pattern: it would match anything");
    return std::nullopt;
  }
  if (a.source.find('\n') != std::string::npos) {
    error(out, a.loc, "a pattern cannot contain a newline: matches never span lines");
    return std::nullopt;
  }
  if (a.source.find('\r') != std::string::npos) {
    error(out, a.loc,
          "a pattern cannot contain a CR: on a console CR ends a line, and matches never span "
          "lines");
    return std::nullopt;
  }
  return Atom{RE2::QuoteMeta(a.source), 0};
}

std::optional<Atom> regex_atom(const ast::PatternAtom& a, Diagnostics& out) {
  // The matcher sees one line at a time (a CR or a LF ends it): an atom
  // that asks for either could never match, which is worse than an error.
  for (std::size_t i = 0; i + 1 < a.source.size(); ++i) {
    if (a.source[i] != '\\') continue;
    if (a.source[i + 1] == 'n') {
      error(out, a.loc, "a pattern cannot match a newline (\\n): matches never span lines");
      return std::nullopt;
    }
    if (a.source[i + 1] == 'r') {
      error(out, a.loc,
            "a pattern cannot match a CR (\\r): on a console CR ends a line, and matches never "
            "span lines "
            "(`.*` already stops at the line's end)");
      return std::nullopt;
    }
    ++i;
  }
  auto checked = PatternSet::check_atom(a.source);
  if (!checked) {
    error(out, a.loc, "bad regex /" + a.source + "/: " + checked.error().message);
    return std::nullopt;
  }
  if (checked->matches_empty) {
    error(out, a.loc,
          "regex /" + a.source + "/ matches the empty string, so it would match anything");
    return std::nullopt;
  }
  return Atom{a.source, checked->groups};
}

std::optional<Atom> atom(const ast::PatternAtom& a, Diagnostics& out) {
  return a.regex ? regex_atom(a, out) : literal_atom(a, out);
}

// As the script wrote it, with the bytes a terminal must not see escaped.
std::string display_atom(const ast::PatternAtom& a) {
  if (a.regex) return "/" + a.source + "/";
  std::string out = "\"";
  for (char c : a.source) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::optional<CompiledPattern> compile_pattern(const ast::PatternSpec& s, Diagnostics& out) {
  CompiledPattern c;
  bool ok = true;
  for (std::size_t i = 0; i < s.any.size(); ++i) {
    auto a = atom(s.any[i], out);
    if (!a) {
      ok = false;
      continue;
    }
    const std::string& re = a->regex;
    if (i) {
      c.source.regex += '|';
      c.display += " | ";
    }
    c.source.regex += "(?:" + re + ")";
    // An atom that ends in an unescaped `.*` takes the rest of its line.
    if (s.any[i].regex && re.size() >= 2 && re.compare(re.size() - 2, 2, ".*") == 0 &&
        (re.size() < 3 || re[re.size() - 3] != '\\')) {
      c.source.to_line_end = true;
    }
    c.display += display_atom(s.any[i]);
    c.groups += a->groups;
  }
  for (const auto& u : s.unless) {
    auto a = atom(u, out);
    if (!a) {
      ok = false;
      continue;
    }
    c.source.unless.push_back(a->regex);
  }
  if (!s.unless.empty()) c.display += " unless …";
  if (!ok) return std::nullopt;
  return c;
}

}  // namespace clusterd::chat
