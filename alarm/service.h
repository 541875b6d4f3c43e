// AlarmService: the alarms of one cluster, as the daemon drives them. It
// joins the AlarmBook (what to send, when) to the Deliverer (spool, channels,
// retries on worker threads). Every call returns after at most a spool write:
// delivery never runs on the caller's thread, so a dead mail server cannot
// delay fencing or takeover. The daemon calls tick() at next_deadline().
// Not here: reading TOML (the daemon fills AlarmConfig), logging (events go
// to on_event), the control socket (clusterctl alarms/ack call list()/ack()).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alarm/book.h"
#include "alarm/config.h"
#include "alarm/deliverer.h"

namespace clusterd::alarm {

/// One line of `clusterctl alarms NAME`.
struct AlarmListing {
  AlarmStatus status;
  std::string delivery;  ///< "pending", "delivered", "failed: email: 550 ..."
};

/// One channel's answer to test_alarm().
struct ChannelResult {
  std::string channel;
  Delivery delivery;
};

struct ServiceOptions {
  std::string spool_dir;  ///< $CLUSTER_HOME/spool/NAME; empty: no spool (tests only)
  EventFn on_event;       ///< see Deliverer
  std::function<std::int64_t()> wall_clock;  ///< UTC ns; empty: the system clock
  std::uint32_t id_seed = 0;                 ///< empty-id alarms count from here
};

class AlarmService {
 public:
  /// Builds the channels of `cfg` (the SMTP password from `secrets`, read
  /// once here) and opens the spool. Error for a bad setting, a missing
  /// secret or a spool directory that cannot be created.
  static Result<std::unique_ptr<AlarmService>> create(const AlarmConfig& cfg,
                                                      const SecretSource& secrets,
                                                      ServiceOptions options, TimePoint now);

  /// With ready-made channels (tests use fakes). `heartbeat` channels get
  /// only heartbeats; `channels` get everything else.
  AlarmService(const AlarmConfig& cfg, std::vector<std::unique_ptr<Channel>> channels,
               std::vector<std::unique_ptr<Channel>> heartbeat, std::optional<Spool> spool,
               ServiceOptions options, TimePoint now);
  ~AlarmService();  ///< stop()

  /// Resumes what the spool holds from an earlier run and starts delivery.
  /// Returns spool load errors (for the log), one line each.
  std::vector<std::string> start();
  /// Stops the workers (after their current attempt); pending stays spooled.
  void stop();

  /// Records and (unless de-duplicated or rate limited) spools an alarm;
  /// returns its id. Empty cluster/time are filled in.
  std::string raise(Alarm a, TimePoint now);
  /// The condition `key` cleared: a resolved notice if it was raised.
  void clear(std::string_view key, TimePoint now);
  /// `clusterctl ack NAME ID`: no more reminders or escalation. False if no open alarm has that id.
  bool ack(std::string_view id, TimePoint now);
  /// Sends whatever is due: reminders, escalations, the heartbeat.
  void tick(TimePoint now);
  std::optional<TimePoint> next_deadline() const;

  /// Alarms known to this run, then notifications left in the spool by an
  /// earlier run whose alarm this run has not seen.
  std::vector<AlarmListing> list() const;

  /// `clusterd --test-alarm NAME`: one Test notification through every
  /// channel (heartbeat ones included), synchronously, not spooled.
  std::vector<ChannelResult> test_alarm();

  Deliverer& deliverer() { return *deliverer_; }

 private:
  void send(BookOutput out);
  std::int64_t wall() const;

  AlarmConfig cfg_;
  ServiceOptions options_;
  AlarmBook book_;
  std::vector<std::string> alarm_channels_, heartbeat_channels_;
  std::unique_ptr<Deliverer> deliverer_;
  std::uint64_t heartbeats_ = 0;
};

}  // namespace clusterd::alarm
