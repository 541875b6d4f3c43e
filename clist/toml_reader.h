// TomlReader: typed, position-aware reads from a parsed toml++ table, for the
// cluster-file loader. Private to clist/ (the one place toml++ is included):
// a getter that finds a wrong type or value reports a Diagnostic at that
// value and returns nullopt; an absent key is nullopt with no report, since
// only the caller knows whether the key is required.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "alarm/config.h"
#include "base/diagnostic.h"
#include "base/duration.h"

namespace clusterd::clist {

class TomlReader {
 public:
  /// `text` is the file's content, kept as lines for the carets.
  TomlReader(std::string file, std::string_view text);

  const std::string& file() const { return file_; }
  Loc loc(const toml::source_region& at) const;
  void error(const toml::source_region& at, std::string message);
  void error(std::string message);  ///< about the whole file (a missing key): at 1:1
  /// Shows `shown` wherever the file's text has `raw` in the source lines of
  /// diagnostics (a password typed into a console URI must not be echoed).
  void redact(std::string_view raw, std::string_view shown);
  bool failed() const { return !diagnostics_.empty(); }
  /// The diagnostics, sorted by position (whole-file ones first).
  Diagnostics take();

  /// "ping" + "misses" -> "ping.misses"; "" + "script" -> "script".
  static std::string join(std::string_view path, std::string_view key);

  /// Reports every key of `t` not in `known`, at the key:
  /// "ping.intervall: unknown key (known: interval, misses, …)".
  void known_keys(const toml::table& t, std::string_view path,
                  std::initializer_list<std::string_view> known);

  /// The sub-table `key`; nullptr when absent or (reported) not a table.
  const toml::table* table(const toml::table& t, std::string_view key, std::string_view path);

  std::optional<std::string> string(const toml::table& t, std::string_view key,
                                    std::string_view path);
  std::optional<std::int64_t> integer(const toml::table& t, std::string_view key,
                                      std::string_view path, std::int64_t min, std::int64_t max);
  /// A duration string ("250ms", "1h30m"); `zero_ok` allows "0s".
  std::optional<Duration> duration(const toml::table& t, std::string_view key,
                                   std::string_view path, bool zero_ok);
  /// One of `choices` (a string).
  std::optional<std::string> choice(const toml::table& t, std::string_view key,
                                    std::string_view path,
                                    std::initializer_list<std::string_view> choices);
  /// A list of strings (possibly empty); wrong elements reported at the element.
  std::optional<std::vector<std::string>> strings(const toml::table& t, std::string_view key,
                                                  std::string_view path);
  /// A command as argv: a non-empty list of non-empty strings, never a shell string.
  std::optional<std::vector<std::string>> argv(const toml::table& t, std::string_view key,
                                               std::string_view path);

  /// "a string", "an integer", "a table", … for "expected X, got Y".
  static const char* type_phrase(const toml::node& n);

 private:
  std::string file_;
  std::vector<std::string> lines_;
  Diagnostics diagnostics_;
};

/// A secret name a key refers to; checked against the secrets file at the end.
struct SecretUse {
  std::string name;
  std::string key;  ///< "nodes.alpha.console", "alarms.smtp_secret"
  toml::source_region at;
};

/// True for a dotted-quad IPv4 address: what probe/ can ping (docs/probes.md).
bool is_ipv4(std::string_view s);

/// The message tail for an address that is_ipv4 refuses.
inline constexpr std::string_view kIpv4Only =
    "is not an IPv4 address (ping probes IPv4 addresses only: no host names, no IPv6 yet)";

/// Reads `[alarms]` into `out` (which holds the defaults), noting secret names.
void read_alarms(TomlReader& rd, const toml::table& t, const std::string& home,
                 alarm::AlarmConfig& out, std::vector<SecretUse>& secrets);

}  // namespace clusterd::clist
