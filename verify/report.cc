#include "verify/report.h"

#include "base/duration.h"
#include "base/escape.h"
#include "base/file_env.h"
#include "base/timestamp.h"
#include "base/transcript.h"

namespace clusterd::verify {

namespace {

std::int64_t ns(Duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

Result<void> write(FileEnv& env, const std::string& path, const std::string& text) {
  auto f = env.create(path, 0644);
  if (!f.ok()) return f.error();
  if (auto r = (*f)->append(text); !r) return r;
  return (*f)->sync();
}

std::string transcript(const std::vector<TranscriptRecord>& records) {
  std::string out;
  for (const auto& r : records) out += format_transcript_record(r) + "\n";
  return out;
}

// A shell word, quoted only when it needs it.
std::string word(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_-./=+:,@") == std::string::npos)
    return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

std::string describe_faults(const std::vector<Injection>& faults,
                            const std::array<std::string, 2>& names) {
  std::string out;
  for (const auto& f : faults) {
    if (!out.empty()) out += ", ";
    out += format_offset(ns(f.at)) + " " + fault_name(f.fault, names);
  }
  return out.empty() ? "no fault" : out;
}

Result<std::string> write_counterexample(const std::string& dir, const Model& model,
                                         const Counterexample& c, Duration horizon,
                                         std::string& timeline_tail) {
  FileEnv& env = FileEnv::posix();
  if (auto r = env.make_dirs(dir, 0755); !r) return r.error();
  Recording rec;
  const ModelSetup setup = model.make();
  auto v = replay_schedule(setup, c.faults, horizon, rec);
  const std::array<std::string, 2> names{"alpha", "beta"};
  std::string events = "# chatc verify counterexample: " + describe_faults(c.faults, names) + "\n";
  events += "# violation (" + c.violation.kind + "): " + c.violation.text + "\n";
  for (const auto& e : rec.events) events += e + "\n";
  // The replay stops where the violation happened.
  if (v) events += format_offset(ns(v->at)) + " end\n";
  std::string timeline;
  for (const auto& l : rec.timeline) timeline += l + "\n";
  std::string ledger;
  for (const auto& l : rec.ledger) ledger += l + "\n";
  for (auto [name, text] :
       {std::pair<const char*, std::string>{"active.console", transcript(rec.consoles[0])},
        {"standby.console", transcript(rec.consoles[1])},
        {"sh.log", transcript(rec.sh)},
        {"events", events},
        {"timeline.txt", timeline},
        {"ledger.jsonl", ledger}}) {
    if (auto r = write(env, dir + "/" + name, text); !r) return r.error();
  }
  std::string cmd = "chatc replay " + word(model.spec().script);
  for (const auto& [k, val] : model.params()) cmd += " --param " + word(k + "=" + val);
  cmd += " --names alpha,beta --console active=" + word(dir + "/active.console") +
         " --console standby=" + word(dir + "/standby.console") +
         " --console sh=" + word(dir + "/sh.log") + " --events " + word(dir + "/events");
  if (!setup.policy.allow_presumed) cmd += " --unconfirmed-fence wait";
  if (setup.legacy_presumption) cmd += " --mutate old-presumption";
  if (setup.policy.silence != std::chrono::seconds(20))
    cmd += " --confirm-window " + format_duration(setup.policy.silence);
  if (auto r = write(env, dir + "/replay.sh",
                     "#!/bin/sh\n# The counterexample, replayed.\n" + cmd + "\n");
      !r)
    return r.error();
  // The last lines before the violation, for the terminal.
  const std::size_t keep = 25;
  const std::size_t from = rec.timeline.size() > keep ? rec.timeline.size() - keep : 0;
  for (std::size_t i = from; i < rec.timeline.size(); ++i) timeline_tail += rec.timeline[i] + "\n";
  return cmd;
}

}  // namespace clusterd::verify
