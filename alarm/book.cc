#include "alarm/book.h"

#include <algorithm>
#include <cstdio>

#include "base/assert.h"
#include "base/timestamp.h"

namespace clusterd::alarm {

namespace {
// Critical alarms and the messages about delivery itself are never held back:
// a rate limit exists to stop a flapping warning from flooding the pager, not
// to hide the one failover that matters in the middle of the flood.
bool bypasses_limit(const Notification& n) {
  return n.alarm.severity == Severity::Critical || n.kind == NoticeKind::Escalation ||
         n.kind == NoticeKind::DeliveryFailed || n.kind == NoticeKind::Suppressed;
}

void earliest(std::optional<TimePoint>& best, std::optional<TimePoint> t) {
  if (t && (!best || *t < *best)) best = t;
}
}  // namespace

std::string_view state_name(AlarmState s) {
  switch (s) {
    case AlarmState::Open:
      return "open";
    case AlarmState::Acknowledged:
      return "acknowledged";
    case AlarmState::Resolved:
      return "resolved";
  }
  return "?";
}

AlarmBook::AlarmBook(BookPolicy policy, TimePoint start)
    : policy_(policy), id_counter_(policy.id_seed) {
  if (policy_.heartbeat.count() > 0) next_heartbeat_ = start;
}

std::string AlarmBook::next_id(std::int64_t time_ns) {
  std::string utc = format_utc(time_ns);  // 2026-11-22T01:02:03.456789Z
  std::string id;
  for (char c : utc.substr(0, 19)) {
    if (c >= '0' && c <= '9') id += c;
    if (c == 'T') id += '-';
  }
  return id + "-" + counter_hex();
}

std::string AlarmBook::counter_hex() {
  char hex[8];
  std::snprintf(hex, sizeof hex, "%04x", static_cast<unsigned>(id_counter_++ & 0xffffu));
  return hex;
}

Notification AlarmBook::make(Record& r, NoticeKind kind, std::string note) {
  ++r.status.notifications;
  Notification n;
  n.kind = kind;
  n.alarm = r.status.alarm;
  n.note = std::move(note);
  n.message_id = n.alarm.id + "." + std::string(kind_name(kind)) + "." +
                 std::to_string(r.status.notifications) + "@" + n.alarm.cluster + ".clusterd";
  return n;
}

void AlarmBook::prune_window(TimePoint now) {
  while (!window_.empty() && window_.front() + policy_.rate_window <= now) window_.pop_front();
}

void AlarmBook::emit(BookOutput& out, Notification n, TimePoint now) {
  if (policy_.rate_limit > 0) {
    prune_window(now);
    if (window_.size() >= policy_.rate_limit && !bypasses_limit(n)) {
      ++suppressed_;
      if (suppressed_ <= 5) {
        if (!suppressed_note_.empty()) suppressed_note_ += "; ";
        suppressed_note_ +=
            std::string(kind_name(n.kind)) + " " + n.alarm.id + ": " + n.alarm.text.substr(0, 80);
      }
      suppressed_cluster_ = n.alarm.cluster;
      return;
    }
    window_.push_back(now);
  }
  out.send.push_back(std::move(n));
}

BookOutput AlarmBook::raise(Alarm a, TimePoint now, std::string* id_out) {
  BookOutput out;
  a = sanitized(std::move(a));
  if (!a.key.empty()) {
    if (auto k = open_keys_.find(a.key); k != open_keys_.end()) {
      auto rec = records_.find(k->second);
      CLUSTERD_ASSERT(rec != records_.end());  // open_keys_ names only recorded alarms
      Record& r = rec->second;
      ++r.status.repeats;
      if (id_out) *id_out = r.status.alarm.id;
      return out;
    }
  }
  if (a.id.empty()) a.id = next_id(a.time_ns);
  if (auto it = records_.find(a.id); it != records_.end()) {
    ++it->second.status.repeats;
    if (id_out) *id_out = a.id;
    return out;
  }
  if (id_out) *id_out = a.id;
  Record r;
  r.order = order_++;
  r.raised_at = now;
  r.status.alarm = std::move(a);
  if (!r.status.alarm.key.empty() && policy_.reminder.count() > 0)
    r.next_reminder = now + policy_.reminder;
  if (r.status.alarm.severity == Severity::Critical && policy_.escalate_after.count() > 0)
    r.escalate_at = now + policy_.escalate_after;
  std::string id = r.status.alarm.id;
  if (!r.status.alarm.key.empty()) open_keys_[r.status.alarm.key] = id;
  Record& stored = records_.emplace(id, std::move(r)).first->second;
  emit(out, make(stored, NoticeKind::Raised, ""), now);
  prune_history();
  return out;
}

BookOutput AlarmBook::clear(std::string_view raw_key, TimePoint now) {
  BookOutput out;
  auto k = open_keys_.find(sanitize_text(raw_key));
  if (k == open_keys_.end()) return out;
  auto rec = records_.find(k->second);
  CLUSTERD_ASSERT(rec != records_.end());  // open_keys_ names only recorded alarms
  Record& r = rec->second;
  open_keys_.erase(k);
  r.status.state = AlarmState::Resolved;
  r.next_reminder.reset();
  r.escalate_at.reset();
  std::string note = "cleared";
  if (r.status.repeats > 0) note += " after " + std::to_string(r.status.repeats) + " repeats";
  Notification n = make(r, NoticeKind::Resolved, std::move(note));
  n.alarm.severity = Severity::Notice;
  emit(out, std::move(n), now);
  return out;
}

bool AlarmBook::ack(std::string_view id, TimePoint /*now*/) {
  auto it = records_.find(id);
  if (it == records_.end() || it->second.status.state != AlarmState::Open) return false;
  Record& r = it->second;
  r.status.state = AlarmState::Acknowledged;
  r.next_reminder.reset();
  r.escalate_at.reset();
  // A one-shot alarm has nothing left to wait for once someone has seen it.
  if (r.status.alarm.key.empty()) prune_history();
  return true;
}

BookOutput AlarmBook::advance_to(TimePoint now) {
  BookOutput out;
  // Oldest alarm first, so that a burst of reminders goes out in raise order.
  std::vector<Record*> due;
  for (auto& [id, r] : records_) {
    if ((r.next_reminder && *r.next_reminder <= now) || (r.escalate_at && *r.escalate_at <= now))
      due.push_back(&r);
  }
  std::sort(due.begin(), due.end(), [](Record* a, Record* b) { return a->order < b->order; });
  for (Record* r : due) {
    if (r->escalate_at && *r->escalate_at <= now) {
      r->escalate_at.reset();
      r->status.escalated = true;
      emit(out,
           make(*r, NoticeKind::Escalation,
                "not acknowledged within " + format_duration(policy_.escalate_after)),
           now);
    }
    if (r->next_reminder && *r->next_reminder <= now) {
      // After a long sleep (suspended host) send one reminder, not one per missed interval.
      while (*r->next_reminder <= now) *r->next_reminder += policy_.reminder;
      std::string note = "still present after " + format_duration(now - r->raised_at);
      if (r->status.repeats > 0) note += ", " + std::to_string(r->status.repeats) + " repeats";
      emit(out, make(*r, NoticeKind::Reminder, std::move(note)), now);
    }
  }
  if (suppressed_ > 0) {
    prune_window(now);
    if (window_.size() < policy_.rate_limit) {
      Notification n;
      n.kind = NoticeKind::Suppressed;
      n.alarm.id = "ratelimit-" + counter_hex();
      n.alarm.cluster = suppressed_cluster_;
      n.alarm.severity = Severity::Warning;
      n.alarm.text = std::to_string(suppressed_) + " notifications held back by the rate limit";
      n.note = suppressed_note_ + (suppressed_ > 5 ? "; ..." : "");
      n.message_id = n.alarm.id + ".suppressed@" + n.alarm.cluster + ".clusterd";
      suppressed_ = 0;
      suppressed_note_.clear();
      emit(out, std::move(n), now);
    }
  }
  if (next_heartbeat_ && *next_heartbeat_ <= now) {
    out.heartbeat = true;
    while (*next_heartbeat_ <= now) *next_heartbeat_ += policy_.heartbeat;
  }
  return out;
}

std::optional<TimePoint> AlarmBook::next_deadline() const {
  std::optional<TimePoint> best = next_heartbeat_;
  for (const auto& [id, r] : records_) {
    earliest(best, r.next_reminder);
    earliest(best, r.escalate_at);
  }
  if (suppressed_ > 0 && !window_.empty()) earliest(best, window_.front() + policy_.rate_window);
  return best;
}

void AlarmBook::prune_history() {
  std::size_t closed = 0;
  for (const auto& [id, r] : records_) closed += r.status.state == AlarmState::Open ? 0 : 1;
  while (closed > policy_.history) {
    auto oldest = records_.end();
    for (auto it = records_.begin(); it != records_.end(); ++it) {
      bool is_closed = it->second.status.state == AlarmState::Resolved ||
                       (it->second.status.state == AlarmState::Acknowledged &&
                        it->second.status.alarm.key.empty());
      if (is_closed && (oldest == records_.end() || it->second.order < oldest->second.order))
        oldest = it;
    }
    if (oldest == records_.end()) break;
    records_.erase(oldest);
    --closed;
  }
}

std::vector<AlarmStatus> AlarmBook::list() const {
  std::vector<const Record*> rs;
  for (const auto& [id, r] : records_) rs.push_back(&r);
  std::sort(rs.begin(), rs.end(),
            [](const Record* a, const Record* b) { return a->order < b->order; });
  std::vector<AlarmStatus> out;
  for (const Record* r : rs) out.push_back(r->status);
  return out;
}

const AlarmStatus* AlarmBook::find(std::string_view id) const {
  auto it = records_.find(id);
  return it == records_.end() ? nullptr : &it->second.status;
}

}  // namespace clusterd::alarm
