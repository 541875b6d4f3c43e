// The environment clusterd gives the programs it starts (exec consoles, alarm
// commands, a script's exec and power commands): only what locates programs
// and sets the locale, never whatever clusterd itself was started with — a
// secret exported by mistake would be readable in /proc/PID/environ of every
// child (crash-test-plan SEC-1, scenario secrets_canary).
#pragma once

#include <string>
#include <vector>

namespace clusterd {

/// "NAME=value" strings: PATH (a default when unset), HOME, USER, LOGNAME,
/// LANG, TZ and LC_* from this process's environment.
std::vector<std::string> clean_child_environment();

/// The same, as the NULL-terminated array posix_spawn and execve take; the
/// pointers live as long as `store`.
std::vector<char*> environment_pointers(std::vector<std::string>& store);

}  // namespace clusterd
