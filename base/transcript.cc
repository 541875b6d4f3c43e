#include "base/transcript.h"

#include "base/escape.h"

namespace clusterd {

char direction_marker(Direction d) {
  switch (d) {
    case Direction::In:
      return '<';
    case Direction::Out:
      return '>';
    case Direction::Break:
      return '!';
    case Direction::Note:
      return '*';
  }
  return '?';
}

Result<TranscriptRecord> parse_transcript_line(std::string_view line, bool* skip) {
  *skip = false;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::size_t first = line.find_first_not_of(' ');
  if (first == std::string_view::npos || line[first] == '#') {
    *skip = true;
    return TranscriptRecord{};
  }
  std::size_t sp = line.find(' ');
  if (sp == std::string_view::npos) {
    return Error::invalid("expected 'STAMP DIR DATA', got no direction");
  }
  auto stamp = parse_stamp(line.substr(0, sp));
  if (!stamp) return stamp.error();
  std::string_view rest = line.substr(sp + 1);
  if (rest.empty()) return Error::invalid("missing direction after the time");
  TranscriptRecord r;
  r.stamp = *stamp;
  switch (rest[0]) {
    case '<':
      r.dir = Direction::In;
      break;
    case '>':
      r.dir = Direction::Out;
      break;
    case '!':
      r.dir = Direction::Break;
      break;
    case '*':
      r.dir = Direction::Note;
      break;
    default:
      return Error::invalid(std::string("bad direction '") + rest[0] + "' (expected < > ! or *)");
  }
  if (rest.size() > 1 && rest[1] != ' ') {
    return Error::invalid("expected a space after the direction");
  }
  std::string_view data = rest.size() > 2 ? rest.substr(2) : std::string_view{};
  std::size_t bad = 0;
  auto bytes = unescape(data, &bad);
  if (!bytes) {
    return Error::invalid("bad escape at data offset " + std::to_string(bad));
  }
  r.data = std::move(*bytes);
  return r;
}

std::string format_transcript_record(const TranscriptRecord& r) {
  std::string out = r.stamp.relative ? format_offset(r.stamp.ns) : format_utc(r.stamp.ns);
  out += ' ';
  out += direction_marker(r.dir);
  if (!r.data.empty()) {
    out += ' ';
    escape_to(out, r.data);
  }
  return out;
}

}  // namespace clusterd
