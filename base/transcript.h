// The console transcript format (docs/formats.md): what clusterd writes to
// Logs/NAME.NODE.console and what `chatc replay` reads. One record a line:
//   STAMP DIR [ESCAPED-BYTES]
// DIR is `<` bytes received from the node, `>` bytes sent to it, `!` a BREAK
// sent (the text says how), `*` a transport note (`up`, `lost REASON`).
// This header only encodes and decodes; files are opened by the caller.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "base/timestamp.h"

namespace clusterd {

enum class Direction { In, Out, Break, Note };

struct TranscriptRecord {
  Stamp stamp;
  Direction dir = Direction::In;
  std::string data;  // raw bytes (In/Out), or plain text (Break/Note)
};

/// Decodes one line (without its '\n'). Blank lines and lines starting with
/// '#' decode to an empty optional-like state: `*skip` is set and the result
/// holds a default record. Errors say which field is wrong.
Result<TranscriptRecord> parse_transcript_line(std::string_view line, bool* skip);

/// Encodes one record as a line, without the trailing '\n'. Bytes are escaped
/// (base/escape.h), so a record is always exactly one line.
std::string format_transcript_record(const TranscriptRecord& r);

/// The one-character marker of a direction: '<', '>', '!' or '*'.
char direction_marker(Direction d);

}  // namespace clusterd
