// Escaping of console bytes for transcripts, timelines and terminals.
// Console output is hostile input: whatever it holds (NUL, ESC sequences,
// invalid UTF-8, 0xFF) comes out of escape() as printable ASCII on one line,
// and unescape() gives back exactly the original bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace clusterd {

/// Printable ASCII (0x20..0x7E) except backslash passes through; `\\`, `\r`,
/// `\n`, `\t`, `\e` (ESC) and `\xHH` (every other byte) stand for the rest.
/// The result never holds a control character, so it is safe on a terminal,
/// in a log line or in a mail body.
std::string escape(std::string_view bytes);

/// Appends escape(bytes) to `out` (no allocation when `out` has room).
void escape_to(std::string& out, std::string_view bytes);

/// For text shown to people that may hold hostile bytes (diagnostics quoting
/// a script's line, a file name): printable ASCII, TAB, backslash and valid
/// UTF-8 (U+00A0 and up: "é" stays "é") pass through; every other byte, that
/// is C0 controls but TAB (NUL, ESC, CR, LF...), DEL, the two bytes of a C1
/// control (U+0080..U+009F) and each byte of invalid UTF-8 (stray
/// continuation bytes, truncated, overlong or surrogate sequences, 0xF5..0xFF),
/// comes out as `\xHH`. The result holds no control character but TAB and is
/// valid UTF-8. Not reversible (a backslash is kept as is): for display only.
std::string escape_text(std::string_view bytes);

/// Appends escape_text(bytes) to `out`.
void escape_text_to(std::string& out, std::string_view bytes);

/// The inverse of escape(); also accepts `\0` and `\"`. Returns nullopt on a
/// malformed sequence (a lone backslash at the end, `\x` without two hex
/// digits, an unknown letter), and sets `*bad_at` to its offset if given.
std::optional<std::string> unescape(std::string_view text, std::size_t* bad_at = nullptr);

/// The inside of a JSON string (no quotes): `"` `\\` `\n` `\r` `\t` escaped,
/// every other control byte and every byte >= 0x7f as `\u00XX`, so any bytes
/// (console output included) give valid, ASCII-only JSON.
std::string json_escape(std::string_view bytes);

}  // namespace clusterd
