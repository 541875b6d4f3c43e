#include "verify/world.h"

#include <algorithm>

#include "base/escape.h"
#include "base/timestamp.h"
#include "tty/console.h"

namespace clusterd::verify {

namespace {

struct FaultInfo {
  FaultKind kind;
  const char* name;
  bool per_node;
};

constexpr FaultInfo kFaults[] = {
    {FaultKind::Panic, "panic", true},
    {FaultKind::Hang, "hang", true},
    {FaultKind::Unhang, "unhang", true},
    {FaultKind::PowerOff, "power-off", true},
    {FaultKind::PowerOn, "power-on", true},
    {FaultKind::CablePull, "cable-pull", true},
    {FaultKind::CablePlug, "cable-plug", true},
    {FaultKind::BreakDisable, "break-disable", true},
    {FaultKind::ConsoleLost, "console-lost", true},
    {FaultKind::ConsoleBack, "console-back", true},
    {FaultKind::OperatorTypes, "operator-types", true},
    {FaultKind::SelfBoot, "self-boot", true},
    {FaultKind::DiskOff, "disk-off", false},
    {FaultKind::DiskOn, "disk-on", false},
    {FaultKind::MonitorIsolated, "monitor-isolated", false},
    {FaultKind::MonitorOk, "monitor-ok", false},
    {FaultKind::Restart, "restart", false},
};

const FaultInfo& info(FaultKind k) {
  for (const auto& f : kFaults)
    if (f.kind == k) return f;
  return kFaults[0];
}

std::int64_t ns(Duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

}  // namespace

std::string fault_name(const Fault& f, const std::array<std::string, 2>& names) {
  const FaultInfo& i = info(f.kind);
  if (!i.per_node) return std::string(i.name) + (f.kind == FaultKind::Restart ? " clusterd" : "");
  return std::string(i.name) + " " + names[static_cast<std::size_t>(f.node)];
}

std::vector<Fault> alphabet() {
  std::vector<Fault> out;
  for (const auto& i : kFaults) {
    if (i.per_node) {
      out.push_back({i.kind, 0});
      out.push_back({i.kind, 1});
    } else {
      out.push_back({i.kind, -1});
    }
  }
  return out;
}

std::optional<Fault> parse_fault(std::string_view text, const std::array<std::string, 2>& names) {
  for (const Fault& f : alphabet())
    if (fault_name(f, names) == text) return f;
  return std::nullopt;
}

// --- the parts ---------------------------------------------------------------

// One node: its model and where its effects go.
struct World::NodeSide final : sim::NodeEffects {
  World& w;
  std::size_t index;
  std::unique_ptr<sim::NodeModel> model;
  bool network_up = false;
  NodeSide(World& world, std::size_t i) : w(world), index(i) {}
  void console(std::string_view bytes) override;
  void ledger(const std::string& line) override { w.on_ledger(index, line); }
  void network(bool up) override {
    network_up = up;
    w.significant_ = true;
  }
  void nvram_changed(const sim::Nvram&) override {}
};

// A console as the runtime sees it: up or lost, bytes both ways through
// queues, so that no call re-enters the runtime or a node.
class World::ModelConsole final : public tty::Console {
 public:
  ModelConsole(World& w, std::size_t node) : w_(w), node_(node) {
    endpoint_.scheme = tty::Scheme::Telnet;
    endpoint_.uri = "model:" + w.names_[node];
  }
  void open() override {}
  bool write(std::string_view bytes) override {
    if (!up) return false;
    to_node.push_back({false, std::string(bytes)});
    record(Direction::Out, std::string(bytes));
    return true;
  }
  bool write_secret(std::string_view bytes, std::string_view) override { return write(bytes); }
  bool send_break() override {
    if (!up) return false;
    to_node.push_back({true, {}});
    record(Direction::Break, "model");
    w_.on_break_sent(node_);
    return true;
  }
  void close() override {}
  bool is_up() const override { return up; }
  const tty::Endpoint& endpoint() const override { return endpoint_; }

  void record(Direction d, std::string data) {
    if (!w_.rec_) return;
    w_.rec_->consoles[node_].push_back({{ns(w_.now_ - w_.origin_), true}, d, std::move(data)});
  }

  struct Out {
    bool brk;
    std::string bytes;
  };
  bool up = true;
  std::deque<Out> to_node;
  std::deque<std::string> from_node;

 private:
  World& w_;
  std::size_t node_;
  tty::Endpoint endpoint_;
};

void World::NodeSide::console(std::string_view bytes) {
  auto& c = *w.consoles_[index];
  if (!c.up || !w.runtime_) return;  // nobody reads it: lost, as on a real line
  c.from_node.emplace_back(bytes);
}

// The commands the runtime runs: the BMC (power methods) and ssh (the
// planned switchover's exec); any other program ends at once with status 0.
class World::Commands final : public CommandRunner {
 public:
  explicit Commands(World& w) : w_(w) {}
  struct Job {
    std::uint64_t id;
    std::vector<std::string> argv;
    TimePoint at;
    bool reported = true;  // false: its clusterd was killed
  };
  bool start(std::uint64_t id, const std::vector<std::string>& argv, std::string&) override {
    Duration d = 100ms;
    if (!argv.empty() && argv[0] == "model-bmc") d = w_.setup_.bmc_latency;
    if (!argv.empty() && argv[0] == "ssh") d = ssh_delay(argv);
    jobs.push_back({id, argv, w_.now_ + d});
    if (w_.rec_) {
      std::string shown;
      for (const auto& a : argv) shown += (shown.empty() ? "[" : " [") + escape(a) + "]";
      if (argv.empty() || argv[0] != "model-bmc")
        w_.rec_->sh.push_back(
            {{ns(w_.now_ - w_.origin_), true}, Direction::Note, "start " + shown});
    }
    return true;
  }
  void kill(std::uint64_t id) override {
    for (auto& j : jobs)
      if (j.id == id) j.at = w_.now_;  // ends now, killed
    killed.push_back(id);
  }
  std::optional<TimePoint> next() const {
    std::optional<TimePoint> t;
    for (const auto& j : jobs)
      if (!t || j.at < *t) t = j.at;
    return t;
  }
  /// Runs the jobs due now: their effect on the nodes, then their output and
  /// exit to the runtime (when the one that started them still runs).
  void run_due();
  std::deque<Job> jobs;
  std::vector<std::uint64_t> killed;

 private:
  std::optional<std::size_t> target(const std::vector<std::string>& argv) const {
    for (std::size_t a = 1; a < argv.size(); ++a)
      for (std::size_t i = 0; i < 2; ++i)
        if (argv[a] == w_.names_[i]) return i;
    return std::nullopt;
  }
  Duration ssh_delay(const std::vector<std::string>& argv) const {
    auto n = target(argv);
    return n && w_.reachable(*n) ? w_.setup_.ssh_latency : w_.setup_.ssh_refused;
  }
  World& w_;
};

void World::Commands::run_due() {
  while (true) {
    auto it = std::find_if(jobs.begin(), jobs.end(), [&](const Job& j) { return j.at <= w_.now_; });
    if (it == jobs.end()) return;
    Job j = std::move(*it);
    jobs.erase(it);
    const bool was_killed = std::find(killed.begin(), killed.end(), j.id) != killed.end();
    std::string output;
    int status = 0;
    auto n = target(j.argv);
    if (!was_killed && j.argv.size() >= 3 && j.argv[0] == "model-bmc" && n) {
      sim::NodeModel& m = *w_.nodes_[*n]->model;
      if (j.argv[1] == "off" && m.state() != sim::State::Off) m.control("power-off", w_.now_);
      if (j.argv[1] == "on" && m.state() == sim::State::Off) m.control("power-on", w_.now_);
      if (j.argv[1] == "status")
        output = m.state() == sim::State::Off ? "Chassis Power is off\n" : "Chassis Power is on\n";
      w_.significant_ = true;
    } else if (!was_killed && !j.argv.empty() && j.argv[0] == "ssh" && n) {
      if (w_.reachable(*n)) {
        // The node runs the command: the script's shutdown, at its console.
        w_.nodes_[*n]->model->control("shutdown", w_.now_);
      } else {
        status = 255;
        output = "ssh: connect to host " + w_.names_[*n] + " port 22: Connection timed out\r\n";
      }
      w_.significant_ = true;
    }
    if (was_killed) status = 128 + 9;
    if (!w_.runtime_) continue;  // started by a clusterd that was killed: nobody hears
    const bool bmc = !j.argv.empty() && j.argv[0] == "model-bmc";
    if (w_.rec_ && !bmc) {
      if (!output.empty())
        w_.rec_->sh.push_back({{ns(w_.now_ - w_.origin_), true}, Direction::In, output});
      w_.rec_->sh.push_back(
          {{ns(w_.now_ - w_.origin_), true}, Direction::Note, "exit " + std::to_string(status)});
    }
    if (!output.empty()) w_.runtime_->on_command_output(j.id, output, w_.now_);
    w_.runtime_->on_command_exit(j.id, status, w_.now_);
    w_.after_runtime_call();
    w_.significant_ = true;
  }
}

struct World::Alarms final : AlarmSink {
  World& w;
  explicit Alarms(World& world) : w(world) {}
  void raise(chat::AlarmSeverity, const std::string&, const std::string&) override {}
};

// The journal's file, in memory: it outlives a killed clusterd.
namespace {
class MemoryEnv final : public FileEnv {
 public:
  class File final : public WritableFile {
   public:
    File(std::string path, std::string& data) : WritableFile(std::move(path)), data_(data) {}
    Result<void> append(std::string_view d) override {
      data_.append(d);
      return {};
    }
    Result<void> sync_data() override { return {}; }
    Result<void> sync() override { return {}; }
    Result<void> truncate(std::uint64_t size) override {
      data_.resize(size);
      return {};
    }
    Result<std::uint64_t> size() override { return data_.size(); }

   private:
    std::string& data_;
  };
  Result<std::unique_ptr<WritableFile>> open_append(const std::string& path, mode_t) override {
    return std::unique_ptr<WritableFile>(std::make_unique<File>(path, files_[path]));
  }
  Result<std::unique_ptr<WritableFile>> create(const std::string& path, mode_t) override {
    files_[path].clear();
    return std::unique_ptr<WritableFile>(std::make_unique<File>(path, files_[path]));
  }
  Result<std::string> read_file(const std::string& path) override {
    auto it = files_.find(path);
    if (it == files_.end()) return Error::not_found(path + ": no such file");
    return it->second;
  }
  Result<void> rename(const std::string& from, const std::string& to) override {
    files_[to] = files_[from];
    files_.erase(from);
    return {};
  }
  Result<void> remove(const std::string& path) override {
    files_.erase(path);
    return {};
  }
  Result<std::vector<std::string>> list_dir(const std::string&) override {
    return std::vector<std::string>{};
  }
  Result<void> make_dir(const std::string&, mode_t) override { return {}; }
  Result<void> sync_dir(const std::string&) override { return {}; }

 private:
  std::map<std::string, std::string> files_;
};
}  // namespace

// --- the world -----------------------------------------------------------------

World::World(const ModelSetup& setup, Recording* rec) : setup_(setup), rec_(rec) {
  if (setup_.detect == Duration::zero())
    setup_.detect = setup_.ping_misses * setup_.ping_interval + setup_.ping_timeout;
  for (std::size_t i = 0; i < 2; ++i) {
    nodes_[i] = std::make_unique<NodeSide>(*this, i);
    consoles_[i] = std::make_unique<ModelConsole>(*this, i);
    sim::NodeConfig c;
    c.name = names_[i];
    c.platform = setup_.platform;
    c.t = setup_.node;
    c.seed = i + 1;
    c.ledger_writes = rec_ != nullptr;  // a counterexample's ledger.jsonl has them all
    sim::Nvram nv;
    if (i == 1) nv.auto_boot = false;  // the standby waits at its prompt
    // x86: the standby is kept powered off (it would boot at power-on).
    c.start_powered = !(setup_.platform == sim::Platform::X86 && i == 1);
    nodes_[i]->model = std::make_unique<sim::NodeModel>(c, nv, *nodes_[i], disk_);
  }
  commands_ = std::make_unique<Commands>(*this);
  alarms_ = std::make_unique<Alarms>(*this);
  env_ = std::make_unique<MemoryEnv>();
}

World::~World() = default;

std::string World::offset(TimePoint t) const { return format_offset(ns(t - origin_)); }

void World::note(const std::string& text) {
  if (rec_) rec_->timeline.push_back(offset(now_) + "  " + text);
}

void World::event(const std::string& text) {
  if (rec_) rec_->events.push_back(offset(now_) + " " + text);
}

void World::fail(std::string kind, std::string text) {
  if (violation_) return;
  note("VIOLATION " + kind + ": " + text);
  violation_ = Violation{std::move(kind), std::move(text), now_ - origin_};
}

void World::start() {
  for (auto& n : nodes_) n->model->start(now_);
  // The first active boots and the standby reaches its prompt before
  // clusterd starts: the cluster as it is handed over.
  while (auto t = next_event()) {
    if (nodes_[0]->model->state() == sim::State::Running &&
        (setup_.platform == sim::Platform::X86 || nodes_[1]->model->state() == sim::State::Ok))
      break;
    if (*t - origin_ > 1h) break;
    now_ = *t;
    for (auto& n : nodes_) n->model->advance_to(now_);
  }
  for (auto& c : consoles_) c->from_node.clear();
  origin_ = now_;  // transcripts and events count from clusterd's start
  if (rec_) {
    rec_->consoles = {};
    rec_->ledger.clear();
  }
  make_runtime();
  flush();
}

void World::make_runtime() {
  std::vector<std::string> warnings;
  auto j = Journal::open("/model/state/cluster.journal", &warnings, *env_);
  journal_ = std::move(*j);
  std::array<NodeSetup, 2> setups;
  for (std::size_t i = 0; i < 2; ++i) {
    setups[i].name = names_[i];
    setups[i].console = consoles_[i].get();
    if (setup_.power) {
      setups[i].power_off = {"model-bmc", "off", names_[i]};
      setups[i].power_on = {"model-bmc", "on", names_[i]};
      setups[i].power_status = {"model-bmc", "status", names_[i]};
    }
  }
  RuntimeOptions o;
  o.fence = setup_.policy;
  o.fence.legacy_silence = setup_.legacy_presumption;
  o.exec_timeout = setup_.exec_timeout;
  o.power_timeout = setup_.power_timeout;
  o.wall_ns = [this] { return ns(now_ - origin_); };
  auto timeline = [this](TimePoint t, std::string_view text) {
    if (rec_) rec_->timeline.push_back(offset(t) + "  " + escape_text(text));
  };
  runtime_ = std::make_unique<ClusterRuntime>(*setup_.program, *journal_, std::move(setups),
                                              *alarms_, *commands_, nullptr, o, timeline);
  boot_attempts_seen_ = journal_->state().boot_attempts;
  initial_state_ = setup_.program->states[static_cast<std::size_t>(setup_.program->initial)].name;
  runtime_->start(now_);
  after_runtime_call();
  // The consoles connect and the detector starts probing from nothing.
  for (std::size_t i = 0; i < 2; ++i) {
    if (!consoles_[i]->up) continue;
    consoles_[i]->record(Direction::Note, "up");
    runtime_->on_console_up(names_[i], now_);
    after_runtime_call();
  }
  ping_reported_ = isolation_reported_ = Level::Unknown;
  ping_pending_.reset();
  isolation_pending_.reset();
  ping_target_ = runtime_->roles().active();
  significant_ = true;
}

void World::kill_runtime() {
  note("clusterd killed (-9)");
  event("# clusterd killed here; a new one starts " + format_duration(setup_.restart_delay) +
        " later (a replay runs one interpreter throughout)");
  runtime_.reset();
  journal_.reset();
  ping_pending_.reset();
  isolation_pending_.reset();
  for (auto& c : consoles_) {
    c->to_node.clear();
    c->from_node.clear();
  }
  for (auto& j : commands_->jobs) j.reported = false;
  restart_at_ = now_ + setup_.restart_delay;
}

std::string_view World::active() const {
  return runtime_ ? std::string_view(runtime_->active()) : std::string_view(names_[ping_target_]);
}

bool World::reachable(std::size_t node) const {
  return nodes_[node]->network_up && cable_[node] && !isolated_;
}

// After every call into the runtime: the invariants its acts touch, and a
// takeover re-targets the detector.
void World::after_runtime_call() {
  if (!runtime_) return;
  const JournalState& j = journal_->state();
  {
    // Whether the fence the journal records was true when it was made: a
    // node fenced for real and then powered on by a person is no lie of the
    // fence (the script has to see it and stop it; `overlap` says if not).
    const std::size_t active = runtime_->roles().active();
    const bool journaled =
        std::find(j.fenced.begin(), j.fenced.end(), names_[active]) != j.fenced.end();
    if (!journaled)
      fence_true_.reset();
    else if (!fence_true_)
      fence_true_ = really_fenced(active);
  }
  if (j.boot_attempts > boot_attempts_seen_) {
    // A boot of the standby just went out (`boot standby` or power on).
    const std::size_t standby = runtime_->roles().standby();
    const std::size_t active = 1 - standby;
    if (!really_fenced(active) && !fence_true_.value_or(false)) {
      fail("boot-unfenced",
           "clusterd sent the boot of " + names_[standby] + " while " + names_[active] + " is " +
               std::string(nodes_[active]->model->state_name()) +
               (nodes_[active]->model->holds_lease() ? ", holding the shared disk" : "") +
               " (not off, not halted at its firmware prompt)");
    }
  }
  boot_attempts_seen_ = j.boot_attempts;
  if (runtime_->roles().active() != ping_target_) {
    ++takeovers_;
    obligation_.reset();
    ping_target_ = runtime_->roles().active();
    ping_reported_ = Level::Unknown;
    ping_pending_.reset();
  }
}

bool World::really_fenced(std::size_t node) const {
  const sim::NodeModel& m = *nodes_[node]->model;
  using S = sim::State;
  if (m.state() == S::Off) return true;
  if (setup_.platform == sim::Platform::X86) return false;
  if (m.state() == S::Ok) return true;
  // On its way to `ok`: a reset or power-on with auto-boot? false.
  return (m.state() == S::Post || m.state() == S::Panic) && !m.nvram().auto_boot &&
         !m.holds_lease();
}

// The incident: from the script leaving its initial state until it is back.
// Whether the active failed at any time in it (or as it began).
void World::observe() {
  if (!runtime_) return;
  const bool initial = runtime_->state() == initial_state_;
  if (initial) {
    in_incident_ = incident_unhealthy_ = false;
    return;
  }
  if (!in_incident_) in_incident_ = true;
  if (!healthy_active(runtime_->roles().active())) incident_unhealthy_ = true;
}

bool World::healthy_active(std::size_t node) const {
  const sim::NodeModel& m = *nodes_[node]->model;
  return m.state() == sim::State::Running && reachable(node);
}

void World::on_break_sent(std::size_t node) {
  significant_ = true;
  note("BREAK reaches the console of " + names_[node]);
  // A node that recovered while the script was deciding is a race no
  // monitor can win; one that never failed in this incident is a false fence.
  observe();
  if (runtime_ && node == runtime_->roles().active() && healthy_active(node) &&
      !incident_unhealthy_)
    fail("break-healthy", "clusterd sent a BREAK to " + names_[node] +
                              ", which runs, answers ping and has not failed since the script "
                              "left its initial state: a node that is not failing");
}

void World::on_ledger(std::size_t node, const std::string& line) {
  if (rec_) rec_->ledger.push_back(line);
  // {"t_ns":…,"node":…,"ev":"write",…}: plain writes change nothing here.
  if (line.find("\"ev\":\"write\"") != std::string::npos) return;
  significant_ = true;
  if (line.find("\"ev\":\"write_after_fence\"") != std::string::npos)
    fail("write-after-fence", names_[node] + " wrote to the shared disk after its fence: " + line);
  if (line.find("\"ev\":\"split_brain\"") != std::string::npos ||
      (nodes_[0]->model->holds_lease() && nodes_[1]->model->holds_lease()))
    fail("overlap", "alpha and beta both hold the shared disk (" + names_[node] +
                        " mounted it while the other had it): " + line);
}

// --- time ----------------------------------------------------------------------

std::optional<TimePoint> World::next_event() const {
  std::optional<TimePoint> t = next_change();
  for (const auto& n : nodes_) {
    auto d = n->model->next_deadline();
    if (d && (!t || *d < *t)) t = d;
  }
  // Never before now (a deadline already due runs at once).
  if (t && *t < now_) t = now_;
  return t;
}

bool World::only_writes_pending() const { return !next_change(); }

std::optional<TimePoint> World::next_change() const {
  std::optional<TimePoint> t;
  auto take = [&](std::optional<TimePoint> c) {
    if (c && (!t || *c < *t)) t = c;
  };
  for (const auto& n : nodes_) take(n->model->next_change());
  if (runtime_) take(runtime_->next_deadline());
  take(commands_->next());
  take(restart_at_);
  if (ping_pending_) take(ping_pending_->first);
  if (isolation_pending_) take(isolation_pending_->first);
  if (obligation_) take(*obligation_);
  if (unwatched_since_) take(*unwatched_since_ + setup_.unwatched_boot_grace);
  // Never before now (a deadline already due runs at once).
  if (t && *t < now_) t = now_;
  return t;
}

void World::idle_to(TimePoint t) {
  if (t > now_) now_ = t;
}

bool World::step() {
  auto t = next_event();
  if (!t) return false;
  // Something that is due and stays due would spin here: a bug of the model
  // or of a component, reported as such.
  same_time_steps_ = *t == now_ ? same_time_steps_ + 1 : 0;
  if (same_time_steps_ > 10000) {
    fail("model-stuck", "the same moment ran 10000 times: something stays due (a bug)");
    return false;
  }
  now_ = *t;
  significant_ = false;
  for (auto& n : nodes_) n->model->advance_to(now_);
  flush();
  commands_->run_due();
  flush();
  run_ping();
  flush();
  if (runtime_) {
    auto before = runtime_->state();
    std::string name(before);
    // A timer of the script that fires is an event of the script, even one
    // that enters the state it leaves (`after 60s -> standby_blind`).
    if (auto d = runtime_->next_deadline(); d && *d <= now_) significant_ = true;
    runtime_->advance_to(now_);
    after_runtime_call();
    if (runtime_->state() != name) significant_ = true;
  }
  flush();
  if (restart_at_ && *restart_at_ <= now_) {
    restart_at_.reset();
    note("clusterd started again");
    make_runtime();
    flush();
  }
  update_ping();
  observe();
  check_time();
  for (std::size_t i = 0; i < 2; ++i)
    if (unbidden_[i] && !unbidden_boot(i)) unbidden_[i] = false;
  return significant_;
}

// Delivers what the consoles hold, both ways, until nothing is left.
void World::flush() {
  bool more = true;
  while (more) {
    more = false;
    for (std::size_t i = 0; i < 2; ++i) {
      auto& c = *consoles_[i];
      while (!c.to_node.empty()) {
        auto out = std::move(c.to_node.front());
        c.to_node.pop_front();
        if (out.brk)
          nodes_[i]->model->on_break(sim::BreakVia::TelnetBrk, now_);
        else
          nodes_[i]->model->on_input(out.bytes, now_);
        more = true;
      }
      while (!c.from_node.empty()) {
        std::string bytes = std::move(c.from_node.front());
        c.from_node.pop_front();
        if (!runtime_ || !c.up) continue;
        c.record(Direction::In, bytes);
        const auto before = std::string(runtime_->state());
        runtime_->on_console_bytes(names_[i], bytes, now_);
        after_runtime_call();
        if (!runtime_ || runtime_->state() != before) significant_ = true;
        more = true;
      }
    }
  }
}

// The detector: the active's reachability (and the monitor's own link) as
// decision times; see the header.
void World::update_ping() {
  if (!runtime_) return;
  const Duration up_delay = setup_.ping_interval;
  // The monitor's own link (the reference address).
  const Level iso_want = isolated_ ? Level::Down : Level::Up;  // Down = isolated
  if (iso_want == isolation_reported_) {
    isolation_pending_.reset();
  } else if (!isolation_pending_ || isolation_pending_->second != iso_want) {
    // At start the reference's first answer says "ok" only by not saying
    // "isolated": nothing to report for Up from Unknown.
    if (!(iso_want == Level::Up && isolation_reported_ == Level::Unknown))
      isolation_pending_ = {now_ + (iso_want == Level::Down ? setup_.detect : up_delay), iso_want};
  }
  const Level want = reachable(ping_target_) ? Level::Up : Level::Down;
  if (want == ping_reported_) {
    ping_pending_.reset();
    return;
  }
  if (ping_pending_ && ping_pending_->second == want) return;
  if (want == Level::Down && isolated_) {
    // Held while the monitor itself is cut off (probe/watch.h): reported at
    // the first miss after the reference answers again.
    ping_pending_.reset();
    return;
  }
  Duration d = want == Level::Up ? up_delay : setup_.detect;
  if (want == Level::Down && isolation_reported_ == Level::Down)
    d = up_delay + setup_.ping_interval;
  ping_pending_ = {now_ + d, want};
}

void World::run_ping() {
  if (!runtime_) return;
  if (isolation_pending_ && isolation_pending_->first <= now_) {
    const bool iso = isolation_pending_->second == Level::Down;
    isolation_reported_ = isolation_pending_->second;
    isolation_pending_.reset();
    event(iso ? "monitor.isolated" : "monitor.ok");
    runtime_->on_isolation(iso, now_);
    after_runtime_call();
    significant_ = true;
  }
  if (runtime_ && ping_pending_ && ping_pending_->first <= now_) {
    const bool up = ping_pending_->second == Level::Up;
    ping_reported_ = ping_pending_->second;
    ping_pending_.reset();
    event(up ? "ping.up" : "ping.down");
    runtime_->on_ping(up, now_);
    after_runtime_call();
    significant_ = true;
  }
}

// --- faults ----------------------------------------------------------------------

bool World::applicable(const Fault& f) const {
  using S = sim::State;
  const std::size_t n = f.node < 0 ? 0 : static_cast<std::size_t>(f.node);
  const sim::NodeModel& m = *nodes_[n]->model;
  const bool x86 = setup_.platform == sim::Platform::X86;
  switch (f.kind) {
    case FaultKind::Panic:
      return m.state() == S::Running || m.state() == S::Booting;
    case FaultKind::Hang:
      return m.state() == S::Running;
    case FaultKind::Unhang:
      return m.state() == S::Hung;
    case FaultKind::PowerOff:
      return m.state() != S::Off;
    case FaultKind::PowerOn:
      // Watched, as a self-boot: powered on with its console down or
      // clusterd gone, a node may boot where no script can see it.
      // Nor while clusterd's own power action on it runs: the runtime reads
      // a node it just powered off back until [timeouts] power and does not
      // power it off again (docs/verify.md: a gap left).
      return m.state() == S::Off && watched(n) && !runtime_->power_busy(n);
    case FaultKind::CablePull:
      return cable_[n];
    case FaultKind::CablePlug:
      return !cable_[n];
    case FaultKind::BreakDisable:
      return !m.config().knobs.break_disabled && m.state() != S::Off;
    case FaultKind::ConsoleLost:
      // Not while the node boots unbidden (a power-on or self-boot of the
      // alphabet): that boot must stay in sight, or nothing could stop it.
      return consoles_[n]->up && !unbidden_boot(n);
    case FaultKind::ConsoleBack:
      return !consoles_[n]->up;
    case FaultKind::OperatorTypes:
      return m.state() == S::Running && !m.at_sp();
    case FaultKind::SelfBoot:
      // Watched: clusterd runs and the standby's console is up. A standby
      // that boots unwatched cannot be stopped by any script.
      return runtime_ && n == runtime_->roles().standby() && watched(n) &&
             !runtime_->power_busy(n) && (x86 ? m.state() == S::Off : m.state() == S::Ok);
    case FaultKind::DiskOff:
      return disk_.health() != sim::DiskHealth::Unreadable;
    case FaultKind::DiskOn:
      return disk_.health() == sim::DiskHealth::Unreadable;
    case FaultKind::MonitorIsolated:
      return !isolated_;
    case FaultKind::MonitorOk:
      return isolated_;
    case FaultKind::Restart:
      return runtime_ != nullptr && !unbidden_boot(0) && !unbidden_boot(1);
  }
  return false;
}

bool World::watched(std::size_t node) const { return runtime_ && consoles_[node]->up; }

bool World::unbidden_boot(std::size_t node) const {
  using S = sim::State;
  const S st = nodes_[node]->model->state();
  return unbidden_[node] && (st == S::Post || st == S::Booting);
}

void World::inject(const Fault& f) {
  const std::size_t n = f.node < 0 ? 0 : static_cast<std::size_t>(f.node);
  sim::NodeModel& m = *nodes_[n]->model;
  note("FAULT " + fault_name(f, names_));
  significant_ = true;
  switch (f.kind) {
    case FaultKind::Panic:
      m.control("panic", now_);
      break;
    case FaultKind::Hang:
      m.control("hang", now_);
      break;
    case FaultKind::Unhang:
      m.control("unhang", now_);
      break;
    case FaultKind::PowerOff:
      m.control("power-off", now_);
      break;
    case FaultKind::PowerOn:
      m.control("power-on", now_);
      unbidden_[n] = true;
      break;
    case FaultKind::CablePull:
      cable_[n] = false;
      break;
    case FaultKind::CablePlug:
      cable_[n] = true;
      break;
    case FaultKind::BreakDisable:
      m.control("break-disable", now_);
      break;
    case FaultKind::ConsoleLost:
      consoles_[n]->up = false;
      consoles_[n]->to_node.clear();
      consoles_[n]->from_node.clear();
      if (runtime_) {
        consoles_[n]->record(Direction::Note, "lost closed");
        runtime_->on_console_lost(names_[n], "closed", now_);
        after_runtime_call();
      }
      break;
    case FaultKind::ConsoleBack:
      consoles_[n]->up = true;
      if (runtime_) {
        consoles_[n]->record(Direction::Note, "up");
        runtime_->on_console_up(names_[n], now_);
        after_runtime_call();
      }
      break;
    case FaultKind::OperatorTypes:
      m.control("quote-panic", now_);
      break;
    case FaultKind::SelfBoot:
      unbidden_[n] = true;
      if (setup_.platform == sim::Platform::X86)
        m.control("power-on", now_);
      else
        m.on_input("boot\r", now_);  // as if typed: someone, or a script of the node's own
      break;
    case FaultKind::DiskOff:
      (void)disk_.set_power(false);
      break;
    case FaultKind::DiskOn:
      (void)disk_.set_power(true);
      break;
    case FaultKind::MonitorIsolated:
      isolated_ = true;
      break;
    case FaultKind::MonitorOk:
      isolated_ = false;
      break;
    case FaultKind::Restart:
      kill_runtime();
      break;
  }
  flush();
  update_ping();
  observe();
}

// --- invariants over time ----------------------------------------------------

void World::check_time() {
  if (violation_) return;
  using S = sim::State;
  const std::size_t a = ping_target_, s = 1 - ping_target_;
  const sim::NodeModel& am = *nodes_[a]->model;
  const sim::NodeModel& sm = *nodes_[s]->model;
  // A crash of the active with everything else healthy: a takeover is owed.
  // Off is fenceable only by power or by the presumption; a panic's reset
  // reaches the firmware, where a BREAK lands.
  const bool crashed = (am.state() == S::Off && (setup_.power || setup_.policy.allow_presumed)) ||
                       am.state() == S::Panic;
  const bool standby_ready =
      setup_.platform == sim::Platform::X86 ? sm.state() == S::Off : sm.state() == S::Ok;
  const bool healthy_rest = runtime_ && consoles_[0]->up && consoles_[1]->up && !isolated_ &&
                            disk_.health() == sim::DiskHealth::Ok && cable_[s] && standby_ready &&
                            !sm.config().knobs.break_disabled;
  // A script may stop after `boot_attempts` boots of the standby (a standby
  // that fails them all needs an operator, not a loop): no takeover is owed
  // after that.
  const bool boots_left = !runtime_ || journal_->state().boot_attempts < setup_.boot_attempts;
  if (crashed && healthy_rest && boots_left && !restart_at_) {
    if (!obligation_) obligation_ = now_ + setup_.failover_bound;
  } else if (!(crashed && obligation_ && sm.state() == S::Booting)) {
    obligation_.reset();
  }
  if (obligation_ && now_ >= *obligation_)
    fail("no-failover", names_[a] + " has been " + std::string(am.state_name()) + " since " +
                            offset(*obligation_ - setup_.failover_bound) +
                            " with its console up and " + names_[s] +
                            " ready, and no takeover within " +
                            format_duration(setup_.failover_bound));
  // The standby holds the shared disk without a boot clusterd sent.
  const bool unwatched =
      sm.holds_lease() && (!journal_ || journal_->state().boot_sent_to != names_[s]);
  if (!unwatched) {
    unwatched_since_.reset();
  } else if (!unwatched_since_) {
    unwatched_since_ = now_;
  } else if (now_ - *unwatched_since_ >= setup_.unwatched_boot_grace) {
    fail("standby-left-booting",
         names_[s] +
             " (standby) booted without clusterd's boot and has held the shared disk since " +
             offset(*unwatched_since_) + " without being stopped");
  }
}

bool World::settled() const {
  return !obligation_ && !unwatched_since_ && !restart_at_ && commands_->jobs.empty();
}

std::uint64_t World::fingerprint() const {
  Fingerprint f;
  for (const auto& n : nodes_) {
    n->model->fingerprint(f, now_);
    f.add_bool(n->network_up);
  }
  for (const auto& c : consoles_) {
    f.add_bool(c->up);
    f.add(c->to_node.size() + c->from_node.size());
  }
  f.add_bool(runtime_ != nullptr);
  if (runtime_) runtime_->fingerprint(f, now_);
  f.add_time(restart_at_, now_);
  f.add_int(static_cast<int>(disk_.health()));
  for (bool c : cable_) f.add_bool(c);
  f.add_bool(isolated_);
  f.add_int(static_cast<int>(ping_reported_));
  f.add_int(static_cast<int>(isolation_reported_));
  f.add_time(ping_pending_ ? std::optional<TimePoint>(ping_pending_->first) : std::nullopt, now_);
  f.add_time(
      isolation_pending_ ? std::optional<TimePoint>(isolation_pending_->first) : std::nullopt,
      now_);
  f.add(ping_target_);
  for (const auto& j : commands_->jobs) {
    for (const auto& a : j.argv) f.add(std::string_view(a));
    f.add_time(j.at, now_);
  }
  f.add_bool(in_incident_);
  f.add_bool(incident_unhealthy_);
  f.add_int(fence_true_ ? (*fence_true_ ? 1 : 2) : 0);
  for (bool u : unbidden_) f.add_bool(u);
  f.add_time(obligation_, now_);
  f.add_time(unwatched_since_, now_);
  return f.value();
}

}  // namespace clusterd::verify
