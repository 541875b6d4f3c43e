#include "clusterd/metrics_probe.h"

#include <algorithm>

namespace clusterd {

void CountingProber::set_handlers(probe::ProberHandlers handlers) {
  handlers_ = std::move(handlers);
  // The inner prober calls these only from the io_context and never after
  // its close() or destruction, and it dies with this object: `this` is safe.
  inner_->set_handlers({[this](const probe::ProbeReply& r) {
                          if (settle_through(r.seq)) last_rtt_ = r.rtt;  // the first answer to it
                          if (handlers_.on_reply) handlers_.on_reply(r);
                        },
                        [this](std::uint16_t seq, const std::string& why) {
                          if (drop(seq)) ++lost_;
                          if (handlers_.on_failed) handlers_.on_failed(seq, why);
                        }});
}

void CountingProber::set_targets(std::vector<boost::asio::ip::address> targets) {
  waiting_.clear();
  last_rtt_.reset();  // the new node has not answered yet
  inner_->set_targets(std::move(targets));
}

void CountingProber::send(std::uint16_t seq) {
  ++sent_;
  drop(seq);  // a sequence number reused after wrapping: the old probe is gone
  waiting_.push_back(seq);
  inner_->send(seq);
}

void CountingProber::forget(std::uint16_t seq) {
  // The detector forgets exactly the probes the tracker counted as missed
  // by their timeout, including one whose answer came too late to count.
  drop(seq);
  ++lost_;
  inner_->forget(seq);
}

bool CountingProber::drop(std::uint16_t seq) {
  auto it = std::find(waiting_.begin(), waiting_.end(), seq);
  if (it == waiting_.end()) return false;
  waiting_.erase(it);
  return true;
}

bool CountingProber::settle_through(std::uint16_t seq) {
  auto it = std::find(waiting_.begin(), waiting_.end(), seq);
  if (it == waiting_.end()) return false;
  waiting_.erase(waiting_.begin(), it + 1);
  return true;
}

}  // namespace clusterd
