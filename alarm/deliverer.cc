#include "alarm/deliverer.h"

#include <pthread.h>
#include <signal.h>
#include <algorithm>

namespace clusterd::alarm {

namespace {
TimePoint now() { return std::chrono::steady_clock::now(); }

// The message id of the report about a refused notification: the original's
// with ".failed-CHANNEL" before the '@', so a resend is recognisable too.
std::string failure_id(const std::string& message_id, const std::string& channel) {
  std::size_t at = message_id.find('@');
  std::string suffix = ".failed-" + channel;
  if (at == std::string::npos) return message_id + suffix;
  return message_id.substr(0, at) + suffix + message_id.substr(at);
}
}  // namespace

Deliverer::Deliverer(std::vector<std::unique_ptr<Channel>> channels, std::optional<Spool> spool,
                     RetryPolicy retry, EventFn on_event)
    : channels_(std::move(channels)),
      spool_(std::move(spool)),
      on_event_(std::move(on_event)),
      outbox_(retry) {}

Deliverer::~Deliverer() { stop(); }

std::vector<std::string> Deliverer::start() {
  std::vector<std::string> errors;
  {
    std::lock_guard lk(mu_);
    if (spool_) {
      Spool::Loaded loaded = spool_->load();
      errors = std::move(loaded.errors);
      TimePoint t = now();
      for (Envelope& e : loaded.envelopes) {
        std::erase_if(e.channels,
                      [&](const ChannelRecord& c) { return channel(c.channel) == nullptr; });
        if (e.finished()) {  // nothing left that this configuration can deliver
          if (Result<void> st = spool_->remove(e.notification.message_id); !st)
            errors.push_back(st.error().message);
          continue;
        }
        outbox_.add(std::move(e), t);
      }
    }
    stopping_ = false;
  }
  for (auto& ch : channels_) threads_.emplace_back([this, c = ch.get()] { run(*c); });
  return errors;
}

void Deliverer::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

Channel* Deliverer::channel(std::string_view name) const {
  for (const auto& c : channels_)
    if (c->name() == name) return c.get();
  return nullptr;
}

std::vector<std::string> Deliverer::channel_names() const {
  std::vector<std::string> out;
  for (const auto& c : channels_) out.push_back(c->name());
  return out;
}

Result<void> Deliverer::submit(Notification n, const std::vector<std::string>& channels) {
  Envelope e;
  e.notification = std::move(n);
  for (const auto& name : channels)
    if (channel(name)) e.channels.push_back({.channel = name});
  if (e.channels.empty()) return {};
  bool durable = e.notification.kind != NoticeKind::Heartbeat;
  // The spool write happens before the lock: an fsync must not stall a
  // worker's bookkeeping, and nobody else knows this envelope yet.
  Result<void> st;
  if (durable && spool_) st = spool_->write(e);
  {
    std::lock_guard lk(mu_);
    if (!st) spool_error(e.notification, st.error().message);
    outbox_.add(std::move(e), now(), durable);
  }
  cv_.notify_all();
  return st;
}

void Deliverer::submit_locked(Envelope e, bool durable, TimePoint t) {
  if (durable && spool_) {
    if (Result<void> st = spool_->write(e); !st) spool_error(e.notification, st.error().message);
  }
  outbox_.add(std::move(e), t, durable);
}

void Deliverer::spool_error(const Notification& n, const std::string& detail) {
  if (!on_event_) return;
  on_event_(DeliveryEvent{.type = DeliveryEvent::Type::SpoolError,
                          .message_id = n.message_id,
                          .alarm_id = n.alarm.id,
                          .kind = n.kind,
                          .detail = detail});
}

void Deliverer::run(Channel& ch) {
  // libcurl (with CURLOPT_NOSIGNAL) and OpenSSL can raise SIGPIPE on a peer
  // that closed; in this thread it stays blocked and the write gets EPIPE.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  std::unique_lock lk(mu_);
  while (!stopping_) {
    std::optional<Notification> n = outbox_.take(ch.name(), now());
    if (n) {
      lk.unlock();
      Delivery d = ch.send(*n);
      lk.lock();
      handle_result(*n, ch, d);
      continue;
    }
    if (auto dl = outbox_.next_deadline(ch.name()))
      cv_.wait_until(lk, *dl);
    else
      cv_.wait(lk);
  }
}

void Deliverer::handle_result(const Notification& n, Channel& ch, const Delivery& d) {
  TimePoint t = now();
  std::optional<ResultEffect> fx = outbox_.on_result(n.message_id, ch.name(), d, t);
  if (!fx) return;
  bool durable = n.kind != NoticeKind::Heartbeat;
  if (durable && spool_) {
    // An accept that a crash keeps from reaching the disk means one resend
    // with the same Message-ID: the documented worst case.
    Result<void> st = fx->finished ? spool_->remove(n.message_id) : spool_->write(fx->envelope);
    if (!st) spool_error(n, st.error().message);
  }
  int attempts = 0;
  for (const auto& c : fx->envelope.channels)
    if (c.channel == ch.name()) attempts = c.attempts;
  if (on_event_) {
    DeliveryEvent ev{.message_id = n.message_id,
                     .alarm_id = n.alarm.id,
                     .kind = n.kind,
                     .channel = ch.name(),
                     .outcome = d.outcome,
                     .attempt = attempts,
                     .detail = d.detail,
                     .final = !fx->retry_at};
    if (fx->retry_at) ev.retry_in = *fx->retry_at - t;
    on_event_(ev);
  }
  if (fx->failed_for_good && durable && n.kind != NoticeKind::DeliveryFailed &&
      n.kind != NoticeKind::Test) {
    Envelope report;
    report.notification = n;
    report.notification.kind = NoticeKind::DeliveryFailed;
    report.notification.message_id = failure_id(n.message_id, ch.name());
    report.notification.note = ch.name() + " refused " + std::string(kind_name(n.kind)) +
                               " notification " + n.message_id + ": " + d.detail;
    for (const auto& c : channels_) {
      const std::string& name = c->name();
      bool in_original = std::any_of(fx->envelope.channels.begin(), fx->envelope.channels.end(),
                                     [&](const ChannelRecord& r) { return r.channel == name; });
      if (name != ch.name() && in_original) report.channels.push_back({.channel = name});
    }
    if (!report.channels.empty()) {
      submit_locked(std::move(report), true, t);
      cv_.notify_all();
    }
  }
  if (fx->finished) {
    finished_.push_back(std::move(fx->envelope));
    if (finished_.size() > 200) finished_.pop_front();
    if (outbox_.size() == 0) idle_cv_.notify_all();
  }
}

std::vector<Envelope> Deliverer::pending() const {
  std::lock_guard lk(mu_);
  return outbox_.entries();
}

std::vector<Envelope> Deliverer::finished() const {
  std::lock_guard lk(mu_);
  return {finished_.begin(), finished_.end()};
}

bool Deliverer::wait_idle(Duration timeout) {
  std::unique_lock lk(mu_);
  return idle_cv_.wait_for(lk, timeout, [&] { return outbox_.size() == 0; });
}

}  // namespace clusterd::alarm
