// String and regex literal bodies (string_literal.h).
#include "chat/string_literal.h"

#include <cctype>

namespace clusterd::chat {

namespace {

using Segment = ast::Text::Segment;

// One literal, decoded piece by piece; errors point at the character of
// `body` they are about.
class Decoder {
 public:
  Decoder(std::string_view body, const Loc& loc, Diagnostics& out) : body_(body), out_(out) {
    text_.loc = loc;
  }

  ast::Text run(bool interpolate) {
    for (i_ = 0; i_ < body_.size(); ++i_) {
      const char c = body_[i_];
      if (c == '\\') {
        escape();
      } else if (c == '$' && interpolate) {
        if (!reference()) break;  // an unterminated ${: the rest is no text
      } else {
        literal(c);
      }
    }
    return std::move(text_);
  }

 private:
  Loc at(std::size_t off) const {
    Loc l = text_.loc;
    l.col += static_cast<int>(off) + 1;
    return l;
  }
  void error(const Loc& l, std::string m) {
    out_.push_back({l, Severity::Error, std::move(m), {}});
  }
  void literal(char c) {
    if (text_.segments.empty() || text_.segments.back().kind != Segment::Kind::Literal) {
      text_.segments.push_back({Segment::Kind::Literal, {}, 0, text_.loc});
    }
    text_.segments.back().text += c;
  }
  static int hex(char h) {
    const auto u = static_cast<unsigned char>(h);
    if (!std::isxdigit(u)) return -1;
    return std::isdigit(u) ? h - '0' : std::tolower(u) - 'a' + 10;
  }

  // A backslash at i_: the character it stands for.
  void escape() {
    const char e = body_[++i_];  // the grammar guarantees a character follows
    switch (e) {
      case 'r':
        return literal('\r');
      case 'n':
        return literal('\n');
      case 't':
        return literal('\t');
      case 'e':
        return literal('\x1b');
      case '0':
        return literal('\0');
      case '\\':
      case '"':
      case '$':
        return literal(e);
      case 'x':
        if (i_ + 2 < body_.size() && hex(body_[i_ + 1]) >= 0 && hex(body_[i_ + 2]) >= 0) {
          literal(static_cast<char>(hex(body_[i_ + 1]) * 16 + hex(body_[i_ + 2])));
          i_ += 2;
        } else {
          error(at(i_ - 1), "\\x needs two hex digits");
        }
        return;
      default:
        error(at(i_ - 1), std::string("unknown escape '\\") + e +
                              "' (known: \\r \\n \\t \\e \\0 \\\\ \\\" \\$ \\xHH)");
    }
  }

  // A `$` at i_: `$0`..`$9`, `${name}` or `$name`. False at an unterminated
  // `${`, which ends the decoding.
  bool reference() {
    Segment seg;
    seg.loc = at(i_);
    if (i_ + 1 < body_.size() && std::isdigit(static_cast<unsigned char>(body_[i_ + 1]))) {
      seg.kind = Segment::Kind::Capture;
      seg.capture = body_[++i_] - '0';
    } else if (i_ + 1 < body_.size() && body_[i_ + 1] == '{') {
      auto close = body_.find('}', i_ + 2);
      if (close == std::string_view::npos) {
        error(seg.loc, "unterminated ${…}");
        return false;
      }
      seg.kind = Segment::Kind::Variable;
      seg.text = std::string(body_.substr(i_ + 2, close - i_ - 2));
      i_ = close;
    } else {
      std::size_t j = i_ + 1;
      while (j < body_.size() &&
             (std::isalnum(static_cast<unsigned char>(body_[j])) || body_[j] == '_')) {
        ++j;
      }
      if (j == i_ + 1) {
        error(seg.loc, "'$' must be followed by a name, a digit or {…} (write \\$ for a dollar)");
        return true;
      }
      seg.kind = Segment::Kind::Variable;
      seg.text = std::string(body_.substr(i_ + 1, j - i_ - 1));
      i_ = j - 1;
    }
    text_.segments.push_back(std::move(seg));
    return true;
  }

  std::string_view body_;
  Diagnostics& out_;
  ast::Text text_;
  std::size_t i_ = 0;
};

}  // namespace

ast::Text decode_string(std::string_view body, const Loc& loc, bool interpolate, Diagnostics& out) {
  return Decoder(body, loc, out).run(interpolate);
}

std::string decode_regex(std::string_view body) {
  std::string source;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\\' && i + 1 < body.size() && body[i + 1] == '/') {
      source += '/';
      ++i;
    } else if (body[i] == '\\' && i + 1 < body.size()) {
      source += body[i];
      source += body[++i];
    } else {
      source += body[i];
    }
  }
  return source;
}

}  // namespace clusterd::chat
