#include "repl/tracker.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "base/json_writer.h"

namespace clusterd::repl {

namespace {

constexpr std::uint64_t kUnknown = std::numeric_limits<std::uint64_t>::max();
constexpr auto kSampleEvery = std::chrono::milliseconds(250);
constexpr auto kMinSpan = std::chrono::seconds(1);

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) {
  return a > kUnknown - b ? kUnknown : a + b;
}

std::uint64_t upper(double rate, double window_s) {
  if (rate <= 0 || window_s <= 0) return 0;
  double v = std::ceil(rate * window_s);
  return v >= 1e18 ? kUnknown : static_cast<std::uint64_t>(v);
}

std::string count_text(std::uint64_t v) { return v == kUnknown ? "unknown" : std::to_string(v); }

}  // namespace

const char* gate_name(Gate g) {
  switch (g) {
    case Gate::Promote:
      return "promote";
    case Gate::Accepted:
      return "accepted";
    case Gate::TimedOut:
      return "timed-out";
    case Gate::Hold:
      return "hold";
    case Gate::NoReplica:
      return "no-replica";
  }
  return "?";
}

void Tracker::on_head(const Point& head, TimePoint now) {
  // A head behind the one seen, in the same epoch, is a source reading a
  // wrong or missing disk: believing it would shrink the expected loss.
  if (head_ && head.epoch == head_->epoch && head.records < head_->records) {
    on_error("refused a head behind the one seen (" + std::to_string(head.records) + " < " +
                 std::to_string(head_->records) + " records)",
             now);
    return;
  }
  if (!first_head_at_) first_head_at_ = now;
  head_ = head;
  head_at_ = now;
  if (!samples_.empty() && head.records < samples_.back().records) samples_.clear();  // new epoch
  if (samples_.empty() || now - samples_.back().at >= kSampleEvery)
    samples_.push_back({now, head.records, head.bytes});
  while (!samples_.empty() && now - samples_.front().at > cfg_.rate_window) samples_.pop_front();
}

bool Tracker::on_replica(const Point& replica, TimePoint now) {
  if (replica.epoch != 0 && replica.epoch < epoch_) {
    on_error("refused a replica point of epoch " + std::to_string(replica.epoch) +
                 " (this cluster is at epoch " + std::to_string(epoch_) + ")",
             now);
    return false;
  }
  if (replica_ && replica.records < replica_->records && replica.epoch == replica_->epoch) {
    on_error("refused a replica point behind the one held (" + std::to_string(replica.records) +
                 " < " + std::to_string(replica_->records) + " records)",
             now);
    return false;
  }
  replica_ = replica;
  replica_at_ = now;
  if (replica.epoch > epoch_) epoch_ = replica.epoch;  // the passive site was promoted since
  shipped_.push_back({now, replica.records, replica.bytes});
  while (!shipped_.empty() && now - shipped_.front().at > std::chrono::minutes(1))
    shipped_.pop_front();
  return true;
}

void Tracker::on_source_hash(std::uint64_t bytes, std::uint64_t hash) {
  source_hash_ = std::make_pair(bytes, hash);
}

void Tracker::on_error(std::string text, TimePoint) { last_error_ = std::move(text); }

double Tracker::peak_rate(TimePoint now) const {
  // The highest records/s over any span of at least 1 s within the window
  // (two pointers: for each sample, the latest earlier one at least 1 s back).
  double best = -1;
  std::size_t j = 0;
  for (std::size_t i = 0; i < samples_.size(); ++i) {
    if (now - samples_[i].at > cfg_.rate_window) {
      j = i + 1;
      continue;
    }
    while (j + 1 < i && samples_[i].at - samples_[j + 1].at >= kMinSpan) ++j;
    if (j < i && samples_[i].at - samples_[j].at >= kSampleEvery) {
      double r = static_cast<double>(samples_[i].records - samples_[j].records) /
                 seconds(samples_[i].at - samples_[j].at);
      best = std::max(best, r);
    }
  }
  return best;  // < 0: not known yet (fewer than two reports)
}

LossRange Tracker::expected_loss(TimePoint stopped) const {
  LossRange r;
  std::uint64_t have = replica_ ? replica_->records : 0;
  std::uint64_t have_bytes = replica_ ? replica_->bytes : 0;
  if (head_) {
    r.lo = head_->records > have ? head_->records - have : 0;
    r.bytes_lo = head_->bytes > have_bytes ? head_->bytes - have_bytes : 0;
  }
  TimePoint from = (head_ ? head_at_ : replica_at_) - cfg_.observe_slack;
  r.unseen_s = stopped > from ? seconds(stopped - from) : 0;
  double rate = peak_rate(head_ ? head_at_ : stopped);
  if (r.unseen_s > 0 && (rate < 0 || !head_)) {
    r.hi = r.bytes_hi = kUnknown;  // the source's pace was never seen
    return r;
  }
  r.hi = sat_add(r.lo, upper(rate, r.unseen_s));
  // Bytes at the same peak, in the log's mean record size.
  double per_record = head_ && head_->records > 0
                          ? static_cast<double>(head_->bytes) / static_cast<double>(head_->records)
                          : 0;
  r.bytes_hi = sat_add(r.bytes_lo, upper(rate * per_record, r.unseen_s));
  return r;
}

GateAnswer Tracker::gate(TimePoint stopped, TimePoint since, TimePoint now, bool accepted) const {
  GateAnswer a;
  a.loss = expected_loss(stopped);
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "expected loss %s..%s records (%s..%s bytes; %.1f s unseen), max_loss %llu",
                count_text(a.loss.lo).c_str(), count_text(a.loss.hi).c_str(),
                count_text(a.loss.bytes_lo).c_str(), count_text(a.loss.bytes_hi).c_str(),
                a.loss.unseen_s, static_cast<unsigned long long>(cfg_.max_loss));
  a.text = buf;
  if (!replica_) {
    a.gate = Gate::NoReplica;
    a.text = "no complete and verified replica point at the passive site";
  } else if (accepted) {
    a.gate = Gate::Accepted;
  } else if (a.loss.hi <= cfg_.max_loss) {
    a.gate = Gate::Promote;
  } else if (cfg_.gate_timeout.count() > 0 && now - since >= cfg_.gate_timeout) {
    a.gate = Gate::TimedOut;
  } else {
    a.gate = Gate::Hold;
  }
  return a;
}

std::uint64_t Tracker::promote() { return ++epoch_; }

Status Tracker::status(TimePoint now, std::int64_t wall_now_ns) const {
  Status s;
  s.epoch = epoch_;
  s.last_error = last_error_;
  s.rate_per_s = std::max(0.0, peak_rate(now));
  if (head_) {
    s.have_head = true;
    s.head = *head_;
    s.head_report_age_s = seconds(now - head_at_);
  }
  if (replica_) {
    s.have_replica = true;
    s.replica = *replica_;
    s.replica_age_s = static_cast<double>(wall_now_ns - replica_->time_ns) / 1e9;
    s.replica_in_future =
        replica_->time_ns > wall_now_ns + std::chrono::nanoseconds(cfg_.future_tolerance).count();
    if (source_hash_ && source_hash_->first == replica_->bytes &&
        source_hash_->second != replica_->hash)
      s.diverged = true;
  }
  if (head_ && replica_ && head_->records > replica_->records) {
    s.lag_records = head_->records - replica_->records;
    s.lag_bytes = head_->bytes > replica_->bytes ? head_->bytes - replica_->bytes : 0;
    // A replica with no time yet (nothing verified): behind since the first head.
    s.lag_s = replica_->time_ns == 0
                  ? seconds(now - *first_head_at_)
                  : std::max(0.0, static_cast<double>(head_->time_ns - replica_->time_ns) / 1e9);
  }
  if (shipped_.size() >= 2) {
    double span = seconds(shipped_.back().at - shipped_.front().at);
    if (span > 0)
      s.throughput_bytes_per_s =
          static_cast<double>(shipped_.back().bytes - shipped_.front().bytes) / span;
  }
  return s;
}

namespace {
std::string point_json(const Point& p) {
  return JsonObject()
      .number("records", static_cast<std::int64_t>(p.records))
      .number("bytes", static_cast<std::int64_t>(p.bytes))
      .number("time_ns", p.time_ns)
      .string("hash",
              [&] {
                char h[17];
                std::snprintf(h, sizeof h, "%016llx", static_cast<unsigned long long>(p.hash));
                return std::string(h);
              }())
      .number("epoch", static_cast<std::int64_t>(p.epoch))
      .str();
}
std::string fixed(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", v);
  return b;
}
}  // namespace

std::string Status::json() const {
  JsonObject o;
  if (have_head) o.raw("head", point_json(head));
  if (have_replica) o.raw("replica", point_json(replica));
  o.raw("lag_s", fixed(lag_s))
      .number("lag_records", static_cast<std::int64_t>(lag_records))
      .number("lag_bytes", static_cast<std::int64_t>(lag_bytes))
      .raw("replica_age_s", fixed(replica_age_s))
      .raw("head_report_age_s", fixed(head_report_age_s))
      .raw("rate_per_s", fixed(rate_per_s))
      .raw("throughput_bytes_per_s", fixed(throughput_bytes_per_s))
      .boolean("replica_in_future", replica_in_future)
      .boolean("diverged", diverged)
      .number("epoch", static_cast<std::int64_t>(epoch))
      .string("last_error", last_error);
  return o.str();
}

namespace {
bool parse_u64(std::string_view v, std::uint64_t& out, int base = 10) {
  auto r = std::from_chars(v.data(), v.data() + v.size(), out, base);
  return r.ec == std::errc() && r.ptr == v.data() + v.size() && !v.empty();
}
}  // namespace

ShipLine parse_ship_line(std::string_view line) {
  ShipLine out;
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  auto sp = line.find(' ');
  std::string_view kind = line.substr(0, sp);
  std::string_view rest = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
  if (kind == "error") {
    out.kind = ShipLine::Error;
    out.text = std::string(rest);
    return out;
  }
  if (kind != "head" && kind != "replica") return out;
  bool ok = true;
  int seen = 0;
  while (!rest.empty() && ok) {
    auto end = rest.find(' ');
    std::string_view kv = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) {
      ok = false;
      break;
    }
    std::string_view k = kv.substr(0, eq), v = kv.substr(eq + 1);
    std::uint64_t n = 0;
    if (k == "records") {
      ok = parse_u64(v, out.point.records), seen |= 1;
    } else if (k == "bytes") {
      ok = parse_u64(v, out.point.bytes), seen |= 2;
    } else if (k == "time_ns") {
      ok = parse_u64(v, n), out.point.time_ns = static_cast<std::int64_t>(n);
    } else if (k == "hash") {
      ok = parse_u64(v, out.point.hash, 16);
    } else if (k == "epoch") {
      ok = parse_u64(v, out.point.epoch);
    }  // unknown keys: later versions may add some
  }
  if (!ok || seen != 3) return out;
  out.kind = kind == "head" ? ShipLine::Head : ShipLine::Replica;
  return out;
}

std::string format_point(const char* kind, const Point& p) {
  char buf[200];
  std::snprintf(buf, sizeof buf, "%s records=%llu bytes=%llu time_ns=%lld hash=%016llx epoch=%llu",
                kind, static_cast<unsigned long long>(p.records),
                static_cast<unsigned long long>(p.bytes), static_cast<long long>(p.time_ns),
                static_cast<unsigned long long>(p.hash), static_cast<unsigned long long>(p.epoch));
  return buf;
}

}  // namespace clusterd::repl
