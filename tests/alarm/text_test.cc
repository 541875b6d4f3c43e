// Alarm text from consoles is hostile: escape sequences, CR/LF that would
// start a new mail header, bytes that break JSON. These tests pin down what
// reaches a header, a body and a JSON document.
#include <gtest/gtest.h>

#include "alarm/alarm.h"
#include "alarm/message.h"

namespace clusterd::alarm {
namespace {

Notification note_with_text(std::string text) {
  Notification n;
  n.message_id = "20261122-010203-0001.raised.1@c1.clusterd";
  n.alarm = sanitized({.id = "20261122-010203-0001",
                       .cluster = "c1",
                       .node = "alpha",
                       .severity = Severity::Critical,
                       .text = std::move(text),
                       .time_ns = 1'795'309'323'000'000'000,
                       .state = "fence",
                       .trigger = "on active /panic/",
                       .timeline = "01:02:03 active: panic[cpu0]\r\n01:02:04 \x1b[31mred\x1b[0m"});
  n.time_ns = n.alarm.time_ns;
  return n;
}

// The header part of a formatted email, one header line per element.
std::vector<std::string> header_lines(const std::string& mail) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    std::size_t end = mail.find("\r\n", pos);
    if (end == std::string::npos || end == pos) break;
    out.push_back(mail.substr(pos, end - pos));
    pos = end + 2;
  }
  return out;
}

TEST(SanitizeText, RemovesAnsiSequencesAndEscapesControlBytes) {
  EXPECT_EQ(sanitize_text("\x1b[1;31mpanic\x1b[0m: cpu\x07 \x1b]0;title\x07"
                          "done"),
            "panic: cpu\\x07 done");
  EXPECT_EQ(sanitize_text("a\r\nb\tc\x7f\xff"), "a\\r\\nb\\tc\\x7f\\xff");
  EXPECT_EQ(sanitize_text("\x9b"
                          "2Jcleared"),
            "cleared");
}

TEST(SanitizeText, LinesKeepTheirBreaksButNothingElse) {
  EXPECT_EQ(sanitize_lines("one\r\ntwo\x1b[K\nthree\rx"), "one\ntwo\nthree\\rx");
}

TEST(FormatEmail, ConsoleLineWithCrLfCreatesNoHeader) {
  // Given a console line crafted to inject a Bcc header into the Subject,
  Notification n = note_with_text("login: \r\nBcc: evil@x\r\n\r\nfake body");
  std::string mail = format_email(n, {.from = "clusterd@mon", .to = {"oncall@example.com"}});
  // then every header line is one of ours and the Subject holds the text escaped.
  for (const std::string& h : header_lines(mail)) {
    EXPECT_FALSE(h.starts_with("Bcc")) << h;
    EXPECT_EQ(h.find('\n'), std::string::npos);
  }
  EXPECT_NE(
      mail.find(
          "Subject: [clusterd c1] CRITICAL: login: \\r\\nBcc: evil@x\\r\\n\\r\\nfake body\r\n"),
      std::string::npos)
      << mail;
}

TEST(FormatEmail, HasDateMessageIdAndSubjectNamingClusterAndSeverity) {
  std::string mail =
      format_email(note_with_text("fencing alpha: panic"),
                   {.from = "clusterd@mon", .to = {"a@example.com", "b@example.com"}});
  auto h = header_lines(mail);
  ASSERT_GE(h.size(), 6u);
  EXPECT_EQ(h[0], "Date: Sun, 22 Nov 2026 01:02:03 +0000");
  EXPECT_EQ(h[1], "From: clusterd@mon");
  EXPECT_EQ(h[2], "To: a@example.com, b@example.com");
  EXPECT_EQ(h[3], "Subject: [clusterd c1] CRITICAL: fencing alpha: panic");
  EXPECT_EQ(h[4], "Message-ID: <20261122-010203-0001.raised.1@c1.clusterd>");
  // Body: CRLF only, the timeline excerpt escaped, and how to acknowledge.
  std::string body = mail.substr(mail.find("\r\n\r\n") + 4);
  EXPECT_NE(body.find("Timeline:\r\n01:02:03 active: panic[cpu0]\r\n01:02:04 red\r\n"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("clusterctl ack c1 20261122-010203-0001"), std::string::npos);
  for (std::size_t i = 0; i < mail.size(); ++i) {
    if (mail[i] == '\n') {
      EXPECT_EQ(mail[i - 1], '\r') << "bare LF at " << i;
    }
  }
}

TEST(FormatEmail, WrapsOverlongBodyLines) {
  Notification n = note_with_text("x");
  n.alarm.timeline = std::string(2500, 'a');
  std::string mail = format_email(n, {.from = "f@x", .to = {"t@x"}});
  std::size_t pos = 0;
  while (pos < mail.size()) {
    std::size_t end = mail.find("\r\n", pos);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - pos, 998u);
    pos = end + 2;
  }
}

TEST(FormatJson, EscapesQuotesAndControlBytes) {
  Notification n = note_with_text("say \"hi\"\\");
  n.alarm.timeline = "a\nb";
  std::string j = format_json(n);
  EXPECT_NE(j.find(R"("text":"say \"hi\"\\\\")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("timeline":"a\nb")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("severity":"critical")"), std::string::npos);
  EXPECT_EQ(json_string(std::string("\x01", 1)), R"("\u0001")");
}

TEST(CommandEnv, CarriesIdsAndSubjectButNoBody) {
  auto env = command_env(note_with_text("fencing alpha"));
  EXPECT_EQ(env[0], "CLUSTERD_ALARM_ID=20261122-010203-0001");
  EXPECT_EQ(env[5], "CLUSTERD_SEVERITY=critical");
  EXPECT_EQ(env[6], "CLUSTERD_SUBJECT=[clusterd c1] CRITICAL: fencing alpha");
}

}  // namespace
}  // namespace clusterd::alarm
