#include "sim/ledger.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "sim/words.h"

namespace clusterd::sim {
namespace {

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      // Console input is hostile: keep every line one line of ASCII.
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(u));
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

class FlatParser {
 public:
  explicit FlatParser(std::string_view s) : s_(s) {}

  Result<ParsedRecord> parse() {
    ParsedRecord r;
    skip_ws();
    if (!eat('{')) return fail("'{'");
    skip_ws();
    if (eat('}')) return finish(std::move(r));
    for (;;) {
      skip_ws();
      std::string key;
      if (!string(key)) return fail("a quoted key");
      skip_ws();
      if (!eat(':')) return fail("':'");
      skip_ws();
      std::string value;
      if (peek() == '"') {
        if (!string(value)) return fail("a string value");
      } else {
        std::size_t start = i_;
        while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ' ') ++i_;
        value = std::string(s_.substr(start, i_ - start));
        if (value.empty()) return fail("a value");
      }
      r.fields[key] = value;
      skip_ws();
      if (eat(',')) continue;
      if (eat('}')) return finish(std::move(r));
      return fail("',' or '}'");
    }
  }

 private:
  Result<ParsedRecord> finish(ParsedRecord r) {
    r.node = r.get("node");
    r.ev = r.get("ev");
    std::string t = r.get("t_ns");
    if (t.empty() || r.ev.empty()) return Error::invalid("record without t_ns or ev");
    auto ns = parse_integer<std::int64_t>(t);
    if (!ns) return Error::invalid("t_ns is not a number: " + t);
    r.t_ns = *ns;
    return r;
  }
  Error fail(const char* what) {
    return Error::invalid(std::string("expected ") + what + " at offset " + std::to_string(i_));
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  void skip_ws() {
    while (peek() == ' ' || peek() == '\t' || peek() == '\r') ++i_;
  }
  bool string(std::string& out) {
    if (!eat('"')) return false;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return false;
      char e = s_[i_++];
      if (e == 'u') {
        if (i_ + 4 > s_.size()) return false;
        auto code = parse_integer<unsigned>(s_.substr(i_, 4), 16);
        if (!code) return false;
        out += static_cast<char>(*code & 0xff);
        i_ += 4;
      } else {
        out += e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
      }
    }
    return false;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

LedgerRecord::LedgerRecord(TimePoint t, std::string_view node, std::string_view ev) {
  text_ = "{\"t_ns\":" + std::to_string(to_ns(t)) + ",\"node\":";
  append_json_string(text_, node);
  text_ += ",\"ev\":";
  append_json_string(text_, ev);
}

LedgerRecord& LedgerRecord::add(std::string_view key, std::string_view value) {
  text_ += ',';
  append_json_string(text_, key);
  text_ += ':';
  append_json_string(text_, value);
  return *this;
}

LedgerRecord& LedgerRecord::add(std::string_view key, std::int64_t value) {
  text_ += ',';
  append_json_string(text_, key);
  text_ += ':' + std::to_string(value);
  return *this;
}

LedgerRecord& LedgerRecord::add(std::string_view key, bool value) {
  text_ += ',';
  append_json_string(text_, key);
  text_ += value ? ":true" : ":false";
  return *this;
}

LedgerRecord& LedgerRecord::add(std::string_view key, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, ":%.3f", value);
  text_ += ',';
  append_json_string(text_, key);
  text_ += buf;
  return *this;
}

Result<ParsedRecord> parse_ledger_line(std::string_view line) { return FlatParser(line).parse(); }

double CheckReport::overlap_ms() const {
  double sum = 0;
  for (const auto& o : overlaps) sum += o.ms();
  return sum;
}

std::string CheckReport::summary() const {
  char buf[256];
  std::snprintf(buf, sizeof buf, "overlap: %.1f ms in %zu interval(s)\nwrites-after-fence: %zu\n",
                overlap_ms(), overlaps.size(), late_writes.size());
  std::string out = buf;
  for (const auto& o : overlaps) {
    std::snprintf(buf, sizeof buf, "split-brain: %s and %s held the disk together for %.1f ms%s\n",
                  o.a.c_str(), o.b.c_str(), o.ms(), o.open ? " (still open at ledger end)" : "");
    out += buf;
  }
  for (const auto& w : late_writes) {
    std::snprintf(buf, sizeof buf,
                  "write-after-fence: %s wrote record %s %.1f ms after its fence\n", w.node.c_str(),
                  w.seq.c_str(), static_cast<double>(w.t_ns - w.fenced_ns) / 1e6);
    out += buf;
  }
  for (const auto& o : before) {
    std::snprintf(
        buf, sizeof buf,
        "before-since: %s and %s held the disk together for %.1f ms%s, from before %.3f s "
        "(the starting condition, not counted)\n",
        o.a.c_str(), o.b.c_str(), o.ms(), o.open ? " (still open at ledger end)" : "",
        static_cast<double>(since_ns) / 1e9);
    out += buf;
  }
  for (const auto& e : errors) out += "error: " + e + "\n";
  return out;
}

CheckReport check_ledger(const std::vector<std::string>& lines,
                         const std::map<std::string, std::int64_t>& external_fences,
                         std::int64_t since_ns) {
  CheckReport rep;
  rep.since_ns = since_ns;
  std::vector<ParsedRecord> recs;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    auto r = parse_ledger_line(lines[i]);
    if (!r) {
      rep.errors.push_back("line " + std::to_string(i + 1) + ": " + r.error().message);
      continue;
    }
    recs.push_back(std::move(r).value());
  }
  // Stable: one node's records with the same t_ns stay in the order it wrote
  // them (an acquire and a release in one step must not swap).
  std::stable_sort(recs.begin(), recs.end(),
                   [](const ParsedRecord& x, const ParsedRecord& y) { return x.t_ns < y.t_ns; });

  // External fences become synthetic records so one pass handles both kinds.
  std::vector<std::pair<std::int64_t, std::string>> ext;
  for (const auto& [node, t] : external_fences) ext.emplace_back(t, node);
  std::sort(ext.begin(), ext.end());
  std::size_t next_ext = 0;

  std::map<std::string, std::int64_t> holders;  // node -> acquired at
  std::map<std::string, std::int64_t> fenced;   // node -> fenced at
  std::vector<Overlap> open;                    // intervals not closed yet
  auto keep = [&](const Overlap& o) {
    (o.start_ns < since_ns ? rep.before : rep.overlaps).push_back(o);
  };
  auto close_for = [&](const std::string& node, std::int64_t t) {
    for (auto it = open.begin(); it != open.end();) {
      if (it->a == node || it->b == node) {
        it->end_ns = t;
        keep(*it);
        it = open.erase(it);
      } else {
        ++it;
      }
    }
  };
  for (const auto& r : recs) {
    while (next_ext < ext.size() && ext[next_ext].first <= r.t_ns) {
      fenced[ext[next_ext].second] = ext[next_ext].first;
      ++next_ext;
    }
    if (r.ev == "lease_acquire") {
      if (holders.count(r.node)) continue;  // a repeated acquire adds nothing
      for (const auto& [other, since] : holders) {
        open.push_back(Overlap{other, r.node, std::max(since, r.t_ns), 0, false});
      }
      holders[r.node] = r.t_ns;
    } else if (r.ev == "lease_release") {
      if (holders.erase(r.node)) close_for(r.node, r.t_ns);
    } else if (r.ev == "break" && r.get("effect") == "halted") {
      fenced[r.node] = r.t_ns;
    } else if (r.ev == "state" && r.get("to") == "BOOTING") {
      // A fresh boot is a new incarnation, no longer fenced (as in
      // NodeModel::enter_boot): what it writes from now on is legitimate.
      fenced.erase(r.node);
    } else if (r.ev == "write") {
      auto f = fenced.find(r.node);
      if (f != fenced.end() && r.t_ns >= f->second) {
        rep.late_writes.push_back(LateWrite{r.node, r.t_ns, f->second, r.get("seq")});
      }
    }
  }
  std::int64_t last = recs.empty() ? 0 : recs.back().t_ns;
  for (auto& o : open) {
    o.end_ns = last;
    o.open = true;
    keep(o);
  }
  return rep;
}

std::size_t BcpReport::lost_total() const {
  std::size_t n = 0;
  for (const auto& [node, k] : lost) n += k;
  return n;
}

std::string BcpReport::summary() const {
  char buf[256];
  std::string out;
  for (const auto& [node, n] : writes) {
    auto it = lost.find(node);
    std::snprintf(buf, sizeof buf, "bcp-writes: %s wrote %zu, %zu not in the image\n", node.c_str(),
                  n, it == lost.end() ? std::size_t{0} : it->second);
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "bcp-lost: %zu\nbcp-both-writing: %.1f ms\n", lost_total(),
                both_writing_ms);
  out += buf;
  for (double r : rto_ms) {
    std::snprintf(buf, sizeof buf, "bcp-rto: %.1f ms\n", r);
    out += buf;
  }
  if (!lost_examples.empty()) {
    out += "bcp-lost-records:";
    for (const auto& e : lost_examples) out += " " + e;
    out += "\n";
  }
  for (const auto& e : errors) out += "error: " + e + "\n";
  return out;
}

BcpReport check_bcp(const std::vector<std::string>& ledger_lines,
                    const std::vector<std::string>& image_lines, std::int64_t spell_gap_ns) {
  BcpReport rep;
  struct W {
    std::int64_t t;
    std::string node, seq;
  };
  std::vector<W> ws;
  for (std::size_t i = 0; i < ledger_lines.size(); ++i) {
    if (ledger_lines[i].empty()) continue;
    auto r = parse_ledger_line(ledger_lines[i]);
    if (!r) {
      rep.errors.push_back("ledger line " + std::to_string(i + 1) + ": " + r.error().message);
      continue;
    }
    if (r->ev != "write") continue;
    ws.push_back({r->t_ns, r->node, r->get("seq")});
    ++rep.writes[r->node];
  }
  std::set<std::pair<std::string, std::string>> have;
  for (std::size_t i = 0; i < image_lines.size(); ++i) {
    if (image_lines[i].empty()) continue;
    auto r = parse_ledger_line(image_lines[i]);
    if (!r) {
      rep.errors.push_back("image line " + std::to_string(i + 1) + ": " + r.error().message);
      continue;
    }
    have.insert({r->node, r->get("seq")});
  }
  std::sort(ws.begin(), ws.end(), [](const W& a, const W& b) { return a.t < b.t; });
  for (const auto& w : ws) {
    if (have.count({w.node, w.seq})) continue;
    ++rep.lost[w.node];
    if (rep.lost_examples.size() < 20) rep.lost_examples.push_back(w.node + "#" + w.seq);
  }
  // Spells per node, then the pairwise overlap of two nodes' spells.
  std::map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>> spells;
  for (const auto& w : ws) {
    auto& v = spells[w.node];
    if (!v.empty() && w.t - v.back().second <= spell_gap_ns) {
      v.back().second = w.t;
    } else {
      v.push_back({w.t, w.t});
    }
  }
  std::int64_t both = 0;
  for (auto a = spells.begin(); a != spells.end(); ++a) {
    for (auto b = std::next(a); b != spells.end(); ++b) {
      for (const auto& x : a->second)
        for (const auto& y : b->second) {
          std::int64_t lo = std::max(x.first, y.first), hi = std::min(x.second, y.second);
          // A one-write spell inside the other's still counts (1 ns at least).
          if (hi >= lo) both += std::max<std::int64_t>(hi - lo, 1);
        }
    }
  }
  rep.both_writing_ms = static_cast<double>(both) / 1e6;
  for (std::size_t i = 1; i < ws.size(); ++i) {
    if (ws[i].node != ws[i - 1].node)
      rep.rto_ms.push_back(static_cast<double>(ws[i].t - ws[i - 1].t) / 1e6);
  }
  return rep;
}

}  // namespace clusterd::sim
