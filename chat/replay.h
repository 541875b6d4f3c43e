// Replay: runs a Program in virtual time over recorded console transcripts
// (the Logs/NAME.NODE.console format, docs/formats.md) and an event list, and
// returns the timeline of states, actions and alarms. The engine behind
// `chatc replay` and the golden tests. The recording does not react to what
// the script sends: a replay shows what the script would have decided.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/transcript.h"
#include "chat/actuator.h"
#include "chat/interpreter.h"
#include "chat/program.h"

namespace clusterd::chat {

/// One line of an event list: `STAMP EVENT [ARG]`, or `STAMP end`.
struct TimedEvent {
  Stamp stamp;
  std::optional<Event> event;  // empty for `end`
  int line = 0;
};

/// Parses a transcript; errors read "NAME:LINE: message".
Result<std::vector<TranscriptRecord>> read_transcript(std::string_view text,
                                                      const std::string& name);
/// Parses an event list; errors read "NAME:LINE: message".
Result<std::vector<TimedEvent>> read_events(std::string_view text, const std::string& name);

struct ReplayInput {
  std::optional<std::vector<TranscriptRecord>> active, standby;
  /// The Logs/NAME.sh transcript: exec output, replayed on channel `sh`. Its
  /// exits are events (`sh.exit N`) in the event list.
  std::optional<std::vector<TranscriptRecord>> sh;
  std::vector<TimedEvent> events;
};

struct ReplayOptions {
  InterpreterOptions interpreter;
  FencePolicy policy;
};

struct TimelineEntry {
  Duration at{};  // since the replay's origin
  // state event send secret boot break alarm exec log fenced refused takeover power fault
  std::string kind;
  std::string text;  // printable: console bytes are escaped
};

/// Runs the replay. Inputs at the same time go in the order: events, active,
/// standby; a transcript given is taken as connected from the start
/// (`console.up`), its `* up` / `* lost` notes become console events. The
/// replay ends at the last input, or at `end` in the event list.
std::vector<TimelineEntry> replay(const Program& program, const ReplayInput& input,
                                  const ReplayOptions& options);

/// "+12.345s  kind     text" lines, or a JSON array with --json.
std::string format_timeline(const std::vector<TimelineEntry>& timeline, bool json);

}  // namespace clusterd::chat
