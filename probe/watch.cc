#include "probe/watch.h"

#include <algorithm>

namespace clusterd::probe {

Watch::Watch(TrackerConfig node, std::optional<TrackerConfig> reference) : node_(node) {
  if (reference) reference_ = std::make_unique<ReferenceTracker>(*reference);
}

void Watch::start(TimePoint now) {
  node_.start(now);
  if (reference_) reference_->start(now);
  reported_node_ = reported_ref_ = Reach::Unknown;
  ref_answered_ = false;
  answering_since_.reset();
}

void Watch::stop() {
  node_.stop();
  if (reference_) reference_->stop();
}

void Watch::retarget(TimePoint now) {
  node_.take_changes();  // the old node's pending changes are moot
  node_.start(now);
  reported_node_ = Reach::Unknown;
}

Watch::Expired Watch::advance_to(TimePoint now) {
  Expired e;
  if (reference_) e.reference = reference_->advance_to(now);
  e.node = node_.advance_to(now);
  return e;
}

std::optional<TimePoint> Watch::next_deadline() const {
  auto n = node_.next_deadline();
  auto r = reference_ ? reference_->next_deadline() : std::nullopt;
  if (n && r) return std::min(*n, *r);
  return n ? n : r;
}

bool Watch::reference_answers() const {
  return !reference_ || (reference_->level() == Reach::Up && reference_->consecutive_misses() == 0);
}

std::vector<Change> Watch::take_events(TimePoint now) {
  std::vector<Change> out;
  if (reference_) {
    for (Change& c : reference_->take_changes()) {
      reported_ref_ = c.event == ProbeEvent::MonitorOk ? Reach::Up : Reach::Down;
      out.push_back(c);
    }
    bool answers = reference_answers();
    if (answers && !ref_answered_) answering_since_ = now;
    ref_answered_ = answers;
  }
  // The node's changes are replayed in order, but a down is only let through
  // under the rule; otherwise it stays in the tracker's level and is
  // reported later (held) from there.
  std::optional<Change> last_down;
  for (Change& c : node_.take_changes()) {
    if (c.event == ProbeEvent::PingUp) {
      last_down.reset();
      if (reported_node_ != Reach::Up) {
        reported_node_ = Reach::Up;
        out.push_back(c);
      }
    } else {
      last_down = c;
    }
  }
  bool confirmed = !reference_ || (ref_answered_ && answering_since_ && node_.last_miss_at() &&
                                   *node_.last_miss_at() >= *answering_since_);
  if (node_.level() == Reach::Down && reported_node_ != Reach::Down && confirmed) {
    Change c = last_down.value_or(
        Change{ProbeEvent::PingDown, now, node_.consecutive_misses(), node_.last_rtt(), true});
    reported_node_ = Reach::Down;
    out.push_back(c);
  }
  return out;
}

}  // namespace clusterd::probe
