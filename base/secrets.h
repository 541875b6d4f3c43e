// Named secrets (console and terminal-server passwords, ssh key passphrases,
// SMTP credentials). They never sit in a cluster config, a URI, argv, a
// child's environment or a log: configs name them (`?secret=NAME`) and a
// secrets file of mode 0600 holds them. This module reads that file; it never
// prints a value, and its errors name the secret, never its content.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/result.h"

namespace clusterd {

/// Looks up a named secret. Error::not_found names what is missing.
class SecretSource {
 public:
  virtual ~SecretSource() = default;
  virtual Result<std::string> secret(std::string_view name) const = 0;
};

/// Secrets in memory (tests, or secrets a caller obtained some other way).
class SecretMap : public SecretSource {
 public:
  explicit SecretMap(std::map<std::string, std::string, std::less<>> values = {})
      : values_(std::move(values)) {}
  Result<std::string> secret(std::string_view name) const override;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

/// The secrets file:
///   # comment
///   NAME = value to the end of the line (surrounding blanks trimmed)
///   NAME = "quoted, with \" \\ \n escapes"
/// load() refuses a file that group or others may read or write, or that
/// another user owns: "secrets file F is mode 0644; it must be 0600".
class SecretsFile : public SecretSource {
 public:
  static Result<SecretsFile> load(const std::string& path);
  Result<std::string> secret(std::string_view name) const override;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  SecretMap map_;
};

}  // namespace clusterd
