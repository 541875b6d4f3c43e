#include "alarm/outbox.h"

#include <algorithm>

namespace clusterd::alarm {

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Accepted:
      return "accepted";
    case Outcome::Temporary:
      return "temporary failure";
    case Outcome::Permanent:
      return "permanent failure";
  }
  return "?";
}

std::string_view channel_status_name(ChannelStatus s) {
  switch (s) {
    case ChannelStatus::Pending:
      return "pending";
    case ChannelStatus::Accepted:
      return "accepted";
    case ChannelStatus::Failed:
      return "failed";
  }
  return "?";
}

bool Envelope::finished() const {
  return std::none_of(channels.begin(), channels.end(),
                      [](const ChannelRecord& c) { return c.status == ChannelStatus::Pending; });
}

void Outbox::add(Envelope e, TimePoint now, bool retry) {
  Entry entry;
  entry.slots.resize(e.channels.size());
  for (auto& s : entry.slots) s.next_try = now;
  entry.envelope = std::move(e);
  entry.added = now;
  entry.order = order_++;
  entry.retry = retry;
  std::string id = entry.envelope.notification.message_id;
  entries_.insert_or_assign(std::move(id), std::move(entry));
}

std::optional<Notification> Outbox::take(std::string_view channel, TimePoint now) {
  Entry* best = nullptr;
  Slot* best_slot = nullptr;
  for (auto& [id, e] : entries_) {
    for (std::size_t i = 0; i < e.slots.size(); ++i) {
      const ChannelRecord& c = e.envelope.channels[i];
      Slot& s = e.slots[i];
      if (c.channel != channel || c.status != ChannelStatus::Pending || s.in_flight ||
          s.next_try > now)
        continue;
      if (!best || e.order < best->order) {
        best = &e;
        best_slot = &s;
      }
    }
  }
  if (!best) return std::nullopt;
  best_slot->in_flight = true;
  return best->envelope.notification;
}

std::optional<ResultEffect> Outbox::on_result(std::string_view message_id, std::string_view channel,
                                              const Delivery& d, TimePoint now) {
  auto it = entries_.find(message_id);
  if (it == entries_.end()) return std::nullopt;
  Entry& e = it->second;
  ResultEffect fx;
  for (std::size_t i = 0; i < e.slots.size(); ++i) {
    ChannelRecord& c = e.envelope.channels[i];
    if (c.channel != channel || c.status != ChannelStatus::Pending) continue;
    Slot& s = e.slots[i];
    s.in_flight = false;
    ++c.attempts;
    if (d.outcome == Outcome::Accepted) {
      c.status = ChannelStatus::Accepted;
      break;
    }
    c.last_error = d.detail;
    bool expired = policy_.retry_for.count() > 0 && now - e.added >= policy_.retry_for;
    if (d.outcome == Outcome::Permanent || !e.retry || expired) {
      c.status = ChannelStatus::Failed;
      if (expired && d.outcome == Outcome::Temporary)
        c.last_error += " (gave up after " + format_duration(policy_.retry_for) + ")";
      fx.failed_for_good = true;
    } else {
      s.next_try = now + Backoff(policy_.first, policy_.cap).after(c.attempts);
      fx.retry_at = s.next_try;
    }
    break;
  }
  fx.envelope = e.envelope;
  fx.finished = e.envelope.finished();
  if (fx.finished) entries_.erase(it);
  return fx;
}

std::optional<TimePoint> Outbox::next_deadline(std::string_view channel) const {
  std::optional<TimePoint> best;
  for (const auto& [id, e] : entries_) {
    for (std::size_t i = 0; i < e.slots.size(); ++i) {
      const ChannelRecord& c = e.envelope.channels[i];
      if (c.channel != channel || c.status != ChannelStatus::Pending || e.slots[i].in_flight)
        continue;
      if (!best || e.slots[i].next_try < *best) best = e.slots[i].next_try;
    }
  }
  return best;
}

std::vector<Envelope> Outbox::entries() const {
  std::vector<const Entry*> es;
  for (const auto& [id, e] : entries_) es.push_back(&e);
  std::sort(es.begin(), es.end(),
            [](const Entry* a, const Entry* b) { return a->order < b->order; });
  std::vector<Envelope> out;
  for (const Entry* e : es) out.push_back(e->envelope);
  return out;
}

const Envelope* Outbox::find(std::string_view message_id) const {
  auto it = entries_.find(message_id);
  return it == entries_.end() ? nullptr : &it->second.envelope;
}

}  // namespace clusterd::alarm
