// The syntax tree of a chat script, as the parser produces it from one or more
// files (includes are already merged). Names are still strings here: the
// checker resolves them and the compiler turns a checked Script into a
// Program. See docs/chat-language.md for the language itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/diagnostic.h"
#include "chat/clock.h"

namespace clusterd::chat::ast {

/// An identifier with where it was written.
struct Name {
  std::string text;
  Loc loc;
};

/// A quoted string, split into literal bytes and `$name` / `${name}` / `$0`
/// references, in order. Escapes are already decoded.
struct Text {
  struct Segment {
    enum class Kind { Literal, Variable, Capture } kind = Kind::Literal;
    std::string text;  // the bytes (Literal) or the variable's name (Variable)
    int capture = 0;   // 0..9 (Capture)
    Loc loc;
  };
  std::vector<Segment> segments;
  Loc loc;
};

/// A literal value: `"string"`, `12`, `250ms` / `20s` / `10m` / `1h30m`.
struct Value {
  enum class Kind { String, Integer, Interval } kind = Kind::String;
  Text text;                 // String
  std::int64_t integer = 0;  // Integer
  Duration duration{};       // Duration
  Loc loc;
};

/// One pattern: `"literal"` (matched byte for byte) or `/regex/` (RE2 syntax).
struct PatternAtom {
  bool regex = false;
  std::string source;  // decoded literal bytes, or the regex text between the slashes
  Loc loc;
};

/// Alternatives that match, and look-alikes that veto a match on the same line.
struct PatternSpec {
  std::vector<PatternAtom> any;
  std::vector<PatternAtom> unless;
};

/// `pattern NAME = ATOM | ATOM … [unless ATOM | …]` at the top level.
struct PatternDecl {
  Name name;
  PatternSpec spec;
};

/// `param NAME = VALUE` (overridable from config) or `var NAME = VALUE`
/// (changeable with `set`).
struct ValueDecl {
  Name name;
  Value value;
  bool is_var = false;
};

struct Action {
  enum class Kind {
    Send,
    SendSecret,
    Boot,
    Break,
    Alarm,
    Exec,
    Log,
    Set,
    MarkFenced,
    Takeover,
    Power
  };
  Kind kind = Kind::Log;
  Loc loc;
  Name channel;            // Send, SendSecret, Boot, Break, MarkFenced, Power
  Name word;               // Alarm: severity; Power: off|on|cycle; Set: variable
  Text text;               // Send, Boot, Alarm, Log, SendSecret (the secret's name)
  std::vector<Text> args;  // Exec: argv
  Value value;             // Set
  bool presumed = false;   // MarkFenced
  bool by_power = false;   // MarkFenced: `by power`
  bool by_lease = false;   // MarkFenced: `by lease`
};

/// The `after` duration: a literal or a duration param (`$boot_timeout`).
struct DurationExpr {
  std::optional<Duration> literal;
  Name param;  // set when literal is empty
  Loc loc;
};

struct Handler {
  enum class Kind { Pattern, Event, After };
  Kind kind = Kind::Pattern;
  Loc loc;
  Name channel;         // Pattern
  Name pattern_ref;     // Pattern, when it names a `pattern` declaration
  PatternSpec pattern;  // Pattern, when written inline
  Name event;           // Event: e.g. ping.down
  Name event_arg;       // Event: console.lost CH, sh.exit N (may be empty)
  DurationExpr after;   // After
  std::vector<Action> actions;
  std::optional<Name> target;
};

struct StateDecl {
  Name name;
  Name parent;  // `extends PARENT`: empty when none
  bool initial = false;
  std::vector<Action> entry;
  std::vector<Handler> handlers;
};

/// A whole script: every declaration of every file, in source order
/// (an included file's declarations stand where its `include` stood).
struct Script {
  std::vector<ValueDecl> values;
  std::vector<PatternDecl> patterns;
  std::vector<StateDecl> states;
  /// Every file read, the main one first, with its text (for carets).
  std::vector<std::pair<std::string, std::string>> sources;
};

}  // namespace clusterd::chat::ast
