// What `chatc verify` is asked to verify: the script, its params, the
// cluster config it runs under (or the defaults), the model's knobs, and the
// sweeps over timings (docs/verify.md, "Timings").
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "chat/script.h"
#include "verify/world.h"

namespace clusterd::verify {

/// One timing swept over [lo, hi] (`--sweep NAME=LO..HI`).
struct Sweep {
  std::string name;
  Duration lo{}, hi{};
};

struct VerifySpec {
  std::string script;
  std::string config;  ///< a cluster config (docs/config.md); empty: the defaults
  std::map<std::string, std::string> params;  ///< --param, over the config's [params]
  std::optional<bool> power;                  ///< --power / --no-power; else from the config
  std::optional<bool> allow_presumed;         ///< --unconfirmed-fence; else from the config
  std::optional<sim::Platform> platform;      ///< --platform; else from the script's name
  std::map<std::string, Duration> knobs;      ///< --set NAME=DURATION (and sweep points)
  bool legacy_presumption = false;            ///< --mutate old-presumption
};

/// The timings a sweep or --set may name besides the script's own interval
/// params: "confirm_window", "detect", "node.boot", ... with what each is.
const std::vector<std::pair<std::string, std::string>>& model_knobs();

/// A loaded spec: makes one ModelSetup per thread (each with its own compiled
/// program).
class Model {
 public:
  /// Loads and checks everything; errors (file:line: message) go to `err`.
  static std::unique_ptr<Model> load(const VerifySpec& spec, std::ostream& err);
  ModelSetup make() const;
  /// Every interval the model has, by name (for the sweep's crossing points
  /// and for the report).
  std::map<std::string, Duration> intervals() const;
  /// The same spec with `name` set to `value`; null (and why in `err`) if
  /// `name` is no interval of the script or the model.
  std::unique_ptr<Model> with(const std::string& name, Duration value, std::ostream& err) const;
  const VerifySpec& spec() const { return spec_; }
  /// The script's params as loaded (the config's and --param's), for the
  /// counterexample's replay command.
  const std::map<std::string, std::string>& params() const { return params_; }

 private:
  VerifySpec spec_;
  std::map<std::string, std::string> params_;
  ModelSetup base_;
  std::vector<std::string> interval_params_;  // the script's params of interval type
  std::map<std::string, Duration> param_values_;
};

/// The values a sweep tries: lo, hi, and 1 ms either side of every other
/// interval of the model (and every sum of two) that falls between them:
/// where two timeouts change order. At most `points` values, spread evenly.
std::vector<Duration> sweep_points(const Sweep& s, const std::map<std::string, Duration>& others,
                                   std::size_t points);

}  // namespace clusterd::verify
