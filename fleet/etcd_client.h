// EtcdClient: the few etcd v3 calls the fleet needs, through etcd's /v3 JSON
// gateway over libcurl (one kept-alive easy handle; one client per thread).
// Keys and values go base64-encoded and int64 values as decimal strings, as
// the gateway wants them (etcd's rpc.swagger.json). Each request has its own
// timeout (default 1 s: without quorum etcd holds a request ~7 s before it
// answers 503). A request that times out, cannot connect or gets a 5xx is
// tried at the next endpoint, each endpoint once; the endpoint that answered
// is kept for the next request. A 4xx is etcd's answer and is returned as is.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/duration.h"
#include "base/json_reader.h"
#include "base/result.h"

namespace clusterd::fleet {

struct KeyValue {
  std::string key, value;
  std::int64_t create_revision = 0, mod_revision = 0, version = 0, lease = 0;
};

/// mvccpb's Compare: `key`'s target compared with `number` (or `value`).
struct Compare {
  enum class Target { Version, Create, Mod, Value, Lease };
  enum class Op { Equal, Greater, Less, NotEqual };
  std::string key;
  Target target = Target::Version;
  Op op = Op::Equal;
  std::int64_t number = 0;
  std::string value;  ///< Target::Value only
};

/// One operation of a transaction's branch.
struct TxnOp {
  enum class Kind { Put, Range, Delete };
  Kind kind = Kind::Range;
  std::string key, value;
  std::string range_end;   ///< Range/Delete: [key, range_end); empty: the one key
  std::int64_t lease = 0;  ///< Put: attach to this lease (0: none)

  static TxnOp put(std::string k, std::string v, std::int64_t lease = 0) {
    return {Kind::Put, std::move(k), std::move(v), {}, lease};
  }
  static TxnOp get(std::string k) { return {Kind::Range, std::move(k), {}, {}, 0}; }
  static TxnOp del(std::string k) { return {Kind::Delete, std::move(k), {}, {}, 0}; }
};

struct TxnReply {
  bool succeeded = false;
  std::int64_t revision = 0;  ///< the store's revision after the transaction
  /// The key-values of each Range of the branch that ran, in order.
  std::vector<std::vector<KeyValue>> ranges;
};

/// The end of the range of every key starting with `prefix` (etcd's rule:
/// the prefix with its last byte incremented).
std::string prefix_end(std::string_view prefix);

struct EtcdOptions {
  std::vector<std::string> endpoints;  ///< "http://127.0.0.1:2379" or "127.0.0.1:2379"
  Duration timeout = std::chrono::seconds(1);
};

class EtcdClient {
 public:
  explicit EtcdClient(EtcdOptions options);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  /// A new lease of `ttl_s` seconds; its ID. `granted` (may be null) gets the
  /// TTL etcd granted (it raises TTLs below its minimum).
  Result<std::int64_t> grant(std::int64_t ttl_s, std::int64_t* granted = nullptr);
  /// One keepalive: the lease's TTL as etcd reset it, 0 when the lease is gone
  /// (etcd answers 200 without a TTL for an expired or revoked lease).
  Result<std::int64_t> keepalive(std::int64_t lease);
  Result<void> revoke(std::int64_t lease);
  Result<TxnReply> txn(const std::vector<Compare>& compares, const std::vector<TxnOp>& success,
                       const std::vector<TxnOp>& failure = {});
  /// Every key in [key, range_end) (range_end empty: the one key), sorted by key.
  Result<std::vector<KeyValue>> range(const std::string& key, const std::string& range_end = {});
  Result<std::vector<KeyValue>> prefix(const std::string& p) { return range(p, prefix_end(p)); }
  /// The revision after the put.
  Result<std::int64_t> put(const std::string& key, const std::string& value,
                           std::int64_t lease = 0);
  /// The store's current revision (a count-only read of `key`): it changes
  /// with every write, so an unchanged one means nothing needs reading again.
  Result<std::int64_t> revision(const std::string& key);
  /// Deletes [key, range_end); the number deleted.
  Result<std::int64_t> del(const std::string& key, const std::string& range_end = {});

  /// The endpoint the last request went to (for messages).
  const std::string& endpoint() const { return endpoints_[current_]; }

  /// POSTs `body` to `path` ("/v3/kv/range"): the parsed reply of the first
  /// endpoint that answers (see the file comment). For the tests too.
  Result<JsonValue> call(const std::string& path, const std::string& body);

 private:
  struct Curl;
  std::unique_ptr<Curl> curl_;
  std::vector<std::string> endpoints_;
  std::size_t current_ = 0;
  Duration timeout_;
};

/// Parses one key-value of a range reply (base64 decoded).
Result<KeyValue> parse_key_value(const JsonValue& kv);

}  // namespace clusterd::fleet
