// The secrets file: values come back exactly, a file others can read is
// refused, and no error message ever holds a secret's value.
#include "base/secrets.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace clusterd {
namespace {

std::string write_file(const std::string& text, mode_t mode) {
  char tmpl[] = "/tmp/clusterd-secrets-XXXXXX";
  int fd = ::mkstemp(tmpl);
  EXPECT_GE(fd, 0);
  ::close(fd);
  std::ofstream(tmpl) << text;
  ::chmod(tmpl, mode);
  return tmpl;
}

TEST(SecretsFile, ReadsPlainAndQuotedValues) {
  auto p =
      write_file("# consoles\nnts1 = s3cret word \nbmc=\"with \\\"quotes\\\" and \\\\\"\n\n", 0600);
  auto f = SecretsFile::load(p);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->secret("nts1").value(), "s3cret word");
  EXPECT_EQ(f->secret("bmc").value(), "with \"quotes\" and \\");
  auto missing = f->secret("smtp");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "no secret named 'smtp' in " + p);
  ::unlink(p.c_str());
}

// docs/config.md, "The secrets file": "a double-quoted string with `\"`,
// `\\`, `\n` escapes" keeps its blanks; a plain value has them trimmed; a
// line starting with `#` is a comment, even one that looks like `NAME = value`.
TEST(SecretsFile, QuotedValuesKeepBlanksAndTakeNewlineEscapes) {
  auto p = write_file(
      "ssh-key = \"a passphrase with a trailing blank \"\n"
      "two-lines = \"first\\nsecond\"\n"
      "  plain =   padded   \n"
      "# commented = not a secret\n",
      0600);
  auto f = SecretsFile::load(p);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->secret("ssh-key").value(), "a passphrase with a trailing blank ");
  EXPECT_EQ(f->secret("two-lines").value(), "first\nsecond");
  EXPECT_EQ(f->secret("plain").value(), "padded");
  EXPECT_FALSE(f->secret("commented").ok());
  EXPECT_FALSE(f->secret("# commented").ok());
  ::unlink(p.c_str());
}

TEST(SecretsFile, RefusesAFileOthersCanRead) {
  auto p = write_file("nts1 = s3cret\n", 0644);
  auto f = SecretsFile::load(p);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().message,
            "secrets file " + p + " is mode 0644; it must be 0600 (chmod 600 " + p + ")");
  ::unlink(p.c_str());
}

// docs/config.md: "mode 0600, owned by the user clusterd runs as; refused
// otherwise". Only root can give a file away, so the test needs root.
TEST(SecretsFile, RefusesAFileOwnedByAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown a file to another user";
  auto p = write_file("nts1 = s3cret\n", 0600);
  ASSERT_EQ(::chown(p.c_str(), 65534, 65534), 0);
  auto f = SecretsFile::load(p);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().message,
            "secrets file " + p + " belongs to uid 65534, not to the user clusterd runs as");
  ::unlink(p.c_str());
}

TEST(SecretsFile, BadLinesNameFileAndLineNotTheValue) {
  auto p = write_file("nts1 = s3cret\nnts1 = other-s3cret\n", 0600);
  auto f = SecretsFile::load(p);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().message, p + ":2: 'nts1' given twice");
  EXPECT_EQ(f.error().message.find("s3cret"), std::string::npos);
  ::unlink(p.c_str());
}

}  // namespace
}  // namespace clusterd
