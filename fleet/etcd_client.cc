#include "fleet/etcd_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

#include "base/escape.h"
#include "base/json_writer.h"

namespace clusterd::fleet {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t collect(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  // A reply larger than 64 MiB is not one we asked for.
  if (out->size() + size * n > (64u << 20)) return 0;
  out->append(data, size * n);
  return size * n;
}

std::string b64(std::string_view s) { return "\"" + base64_encode(s) + "\""; }
std::string num(std::int64_t v) { return "\"" + std::to_string(v) + "\""; }

const char* target_name(Compare::Target t) {
  switch (t) {
    case Compare::Target::Version:
      return "VERSION";
    case Compare::Target::Create:
      return "CREATE";
    case Compare::Target::Mod:
      return "MOD";
    case Compare::Target::Value:
      return "VALUE";
    case Compare::Target::Lease:
      return "LEASE";
  }
  return "VERSION";
}
const char* op_name(Compare::Op o) {
  switch (o) {
    case Compare::Op::Equal:
      return "EQUAL";
    case Compare::Op::Greater:
      return "GREATER";
    case Compare::Op::Less:
      return "LESS";
    case Compare::Op::NotEqual:
      return "NOT_EQUAL";
  }
  return "EQUAL";
}

std::string compare_json(const Compare& c) {
  JsonObject o;
  o.raw("key", b64(c.key)).string("target", target_name(c.target)).string("result", op_name(c.op));
  switch (c.target) {
    case Compare::Target::Version:
      o.raw("version", num(c.number));
      break;
    case Compare::Target::Create:
      o.raw("create_revision", num(c.number));
      break;
    case Compare::Target::Mod:
      o.raw("mod_revision", num(c.number));
      break;
    case Compare::Target::Value:
      o.raw("value", b64(c.value));
      break;
    case Compare::Target::Lease:
      o.raw("lease", num(c.number));
      break;
  }
  return o.str();
}

std::string op_json(const TxnOp& op) {
  JsonObject inner;
  inner.raw("key", b64(op.key));
  switch (op.kind) {
    case TxnOp::Kind::Put:
      inner.raw("value", b64(op.value));
      if (op.lease != 0) inner.raw("lease", num(op.lease));
      return JsonObject().raw("request_put", inner.str()).str();
    case TxnOp::Kind::Range:
      if (!op.range_end.empty()) inner.raw("range_end", b64(op.range_end));
      return JsonObject().raw("request_range", inner.str()).str();
    case TxnOp::Kind::Delete:
      if (!op.range_end.empty()) inner.raw("range_end", b64(op.range_end));
      return JsonObject().raw("request_delete_range", inner.str()).str();
  }
  return "{}";
}

std::string ops_json(const std::vector<TxnOp>& ops) {
  std::string out = "[";
  for (const auto& op : ops) {
    if (out.size() > 1) out += ',';
    out += op_json(op);
  }
  return out + "]";
}

Result<std::vector<KeyValue>> parse_kvs(const JsonValue& reply) {
  std::vector<KeyValue> out;
  for (const auto& kv : reply["kvs"].items()) {
    auto p = parse_key_value(kv);
    if (!p) return p.error();
    out.push_back(std::move(*p));
  }
  return out;
}

std::int64_t int_or(const JsonValue& v, std::int64_t fallback) {
  return v.as_int().value_or(fallback);
}

}  // namespace

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(end.back());
    if (c < 0xFF) {
      ++c;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key (etcd's "\0" range end)
}

Result<KeyValue> parse_key_value(const JsonValue& kv) {
  KeyValue out;
  auto k = base64_decode(kv["key"].text());
  auto v = base64_decode(kv["value"].text());
  if (!k || !v) return Error::invalid("etcd: a key or value is not base64");
  out.key = std::move(*k);
  out.value = std::move(*v);
  out.create_revision = int_or(kv["create_revision"], 0);
  out.mod_revision = int_or(kv["mod_revision"], 0);
  out.version = int_or(kv["version"], 0);
  out.lease = int_or(kv["lease"], 0);
  return out;
}

struct EtcdClient::Curl {
  CURL* h = nullptr;
  curl_slist* headers = nullptr;
  Curl() {
    global_init();
    h = curl_easy_init();
    headers = curl_slist_append(headers, "Content-Type: application/json");
  }
  ~Curl() {
    curl_slist_free_all(headers);
    if (h) curl_easy_cleanup(h);
  }
};

EtcdClient::EtcdClient(EtcdOptions options)
    : curl_(std::make_unique<Curl>()),
      endpoints_(std::move(options.endpoints)),
      timeout_(options.timeout) {
  for (auto& e : endpoints_) {
    if (e.find("://") == std::string::npos) e = "http://" + e;
    while (!e.empty() && e.back() == '/') e.pop_back();
  }
  if (endpoints_.empty()) endpoints_.push_back("http://127.0.0.1:2379");
}

EtcdClient::~EtcdClient() = default;

Result<JsonValue> EtcdClient::call(const std::string& path, const std::string& body) {
  if (!curl_->h) return Error::io("etcd: cannot make a libcurl handle");
  std::string tried;
  const long ms = static_cast<long>(std::max<std::int64_t>(
      1, std::chrono::duration_cast<std::chrono::milliseconds>(timeout_).count()));
  for (std::size_t attempt = 0; attempt < endpoints_.size(); ++attempt) {
    const std::string& ep = endpoints_[current_];
    std::string url = ep + path, reply;
    CURL* h = curl_->h;
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, curl_->headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(h, CURLOPT_PROXY, "");  // never through a proxy from the environment
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    std::string why;
    if (rc != CURLE_OK) {
      why = curl_easy_strerror(rc);
    } else if (code >= 500) {
      auto j = parse_json(reply);
      why = "HTTP " + std::to_string(code) +
            (j && !(*j)["error"].text().empty() ? " " + (*j)["error"].text() : std::string());
    } else {
      auto j = parse_json(reply);
      if (!j) return Error::invalid("etcd at " + ep + ": " + j.error().message);
      if (code >= 400) {
        std::string e = (*j)["error"].text();
        if (e.empty()) e = (*j)["message"].text();
        auto c = (*j)["code"].as_int().value_or(0);
        // gRPC code 5 NOT_FOUND (a lease that is gone), else etcd refused the request.
        if (c == 5) return Error::not_found("etcd: " + escape_text(e));
        return Error::invalid("etcd: HTTP " + std::to_string(code) + " " + escape_text(e));
      }
      return std::move(*j);
    }
    if (!tried.empty()) tried += "; ";
    tried += ep + ": " + escape_text(why);
    current_ = (current_ + 1) % endpoints_.size();
  }
  return Error::io("etcd unavailable (" + tried + ")");
}

Result<std::int64_t> EtcdClient::grant(std::int64_t ttl_s, std::int64_t* granted) {
  auto r = call("/v3/lease/grant", JsonObject().raw("TTL", num(ttl_s)).str());
  if (!r) return r.error();
  auto id = (*r)["ID"].as_int();
  if (!id || *id == 0) return Error::invalid("etcd: lease grant without an ID");
  if (granted) *granted = int_or((*r)["TTL"], ttl_s);
  return *id;
}

Result<std::int64_t> EtcdClient::keepalive(std::int64_t lease) {
  auto r = call("/v3/lease/keepalive", JsonObject().raw("ID", num(lease)).str());
  if (!r) return r.error();
  // One reply object {"result":{…}}; a lease that is gone has no TTL. An
  // error inside the stream is not "gone": the lease may well be alive.
  if (!(*r)["error"].is_null() || (*r)["result"].is_null())
    return Error::io("etcd: keepalive answered without a result");
  return int_or((*r)["result"]["TTL"], 0);
}

Result<void> EtcdClient::revoke(std::int64_t lease) {
  auto r = call("/v3/lease/revoke", JsonObject().raw("ID", num(lease)).str());
  if (!r) return r.error();
  return {};
}

Result<TxnReply> EtcdClient::txn(const std::vector<Compare>& compares,
                                 const std::vector<TxnOp>& success,
                                 const std::vector<TxnOp>& failure) {
  std::string cmp = "[";
  for (const auto& c : compares) {
    if (cmp.size() > 1) cmp += ',';
    cmp += compare_json(c);
  }
  cmp += "]";
  auto body = JsonObject()
                  .raw("compare", cmp)
                  .raw("success", ops_json(success))
                  .raw("failure", ops_json(failure));
  auto r = call("/v3/kv/txn", body.str());
  if (!r) return r.error();
  TxnReply out;
  out.succeeded = (*r)["succeeded"].as_bool();  // absent when the compares failed
  out.revision = int_or((*r)["header"]["revision"], 0);
  for (const auto& resp : (*r)["responses"].items()) {
    if (resp.has("response_range")) {
      auto kvs = parse_kvs(resp["response_range"]);
      if (!kvs) return kvs.error();
      out.ranges.push_back(std::move(*kvs));
    }
  }
  return out;
}

Result<std::vector<KeyValue>> EtcdClient::range(const std::string& key,
                                                const std::string& range_end) {
  JsonObject o;
  o.raw("key", b64(key));
  if (!range_end.empty()) o.raw("range_end", b64(range_end));
  auto r = call("/v3/kv/range", o.str());
  if (!r) return r.error();
  return parse_kvs(*r);
}

Result<std::int64_t> EtcdClient::put(const std::string& key, const std::string& value,
                                     std::int64_t lease) {
  JsonObject o;
  o.raw("key", b64(key)).raw("value", b64(value));
  if (lease != 0) o.raw("lease", num(lease));
  auto r = call("/v3/kv/put", o.str());
  if (!r) return r.error();
  return int_or((*r)["header"]["revision"], 0);
}

Result<std::int64_t> EtcdClient::revision(const std::string& key) {
  auto r =
      call("/v3/kv/range", JsonObject().raw("key", b64(key)).boolean("count_only", true).str());
  if (!r) return r.error();
  auto rev = (*r)["header"]["revision"].as_int();
  if (!rev) return Error::invalid("etcd: a reply without a revision");
  return *rev;
}

Result<std::int64_t> EtcdClient::del(const std::string& key, const std::string& range_end) {
  JsonObject o;
  o.raw("key", b64(key));
  if (!range_end.empty()) o.raw("range_end", b64(range_end));
  auto r = call("/v3/kv/deleterange", o.str());
  if (!r) return r.error();
  return int_or((*r)["deleted"], 0);
}

}  // namespace clusterd::fleet
