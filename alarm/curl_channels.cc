// SmtpChannel and WebhookChannel: one blocking libcurl easy transfer per
// attempt, bounded by the channel's timeout (connection, TLS handshake and a
// server that accepts and then never answers included). Each attempt uses a
// fresh handle: attempts are minutes apart and a fresh connection is what a
// mail server that restarted in between needs anyway.
#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "alarm/channel.h"
#include "alarm/message.h"

namespace clusterd::alarm {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

long ms(Duration d) {
  return static_cast<long>(
      std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(d).count()));
}

// Owns a CURL handle and the lists it points to.
struct Easy {
  CURL* h = curl_easy_init();
  curl_slist* list = nullptr;
  char error[CURL_ERROR_SIZE] = {};
  std::string last_reply;  // the server's last reply line (SMTP) or the start of the body (HTTP)
  ~Easy() {
    curl_slist_free_all(list);
    if (h) curl_easy_cleanup(h);
  }
  long response_code() const {
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    return code;
  }
};

// Keeps the server's last reply line, so that a 451 or 550 can be reported
// with the server's own words ("550 5.1.1 user unknown").
int debug_cb(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) return 0;
  auto* e = static_cast<Easy*>(user);
  std::string_view line(data, size);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (!line.empty()) e->last_reply = sanitize_text(line.substr(0, 200));
  return 0;
}

struct Reader {
  std::string_view rest;
};
size_t read_cb(char* buf, size_t size, size_t n, void* user) {
  auto* r = static_cast<Reader*>(user);
  size_t k = std::min(size * n, r->rest.size());
  std::memcpy(buf, r->rest.data(), k);
  r->rest.remove_prefix(k);
  return k;
}

size_t write_cb(char* data, size_t size, size_t n, void* user) {
  auto* e = static_cast<Easy*>(user);
  if (e->last_reply.size() < 200)
    e->last_reply += sanitize_text(std::string_view(data, size * n).substr(0, 200));
  return size * n;
}

void common(Easy& e, const std::string& url, const std::string& ca_file, Duration timeout) {
  curl_easy_setopt(e.h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e.h, CURLOPT_NOSIGNAL, 1L);  // worker threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(e.h, CURLOPT_TIMEOUT_MS, ms(timeout));
  curl_easy_setopt(e.h, CURLOPT_CONNECTTIMEOUT_MS,
                   ms(std::min<Duration>(timeout, std::chrono::seconds(10))));
  curl_easy_setopt(e.h, CURLOPT_ERRORBUFFER, e.error);
  if (!ca_file.empty()) curl_easy_setopt(e.h, CURLOPT_CAINFO, ca_file.c_str());
}

// libcurl results that no retry can fix: the configuration or the peer's
// certificate is wrong, and an operator must act (reported via other channels).
bool permanent_curl(CURLcode rc) {
  switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_USE_SSL_FAILED:
    case CURLE_LOGIN_DENIED:
      return true;
    default:
      return false;
  }
}

std::string describe(const Easy& e, CURLcode rc) {
  std::string d = e.error[0] ? e.error : curl_easy_strerror(rc);
  if (!e.last_reply.empty()) d += " (server: " + e.last_reply + ")";
  return sanitize_text(d);
}

class SmtpChannel : public Channel {
 public:
  SmtpChannel(std::string name, SmtpOptions o) : name_(std::move(name)), o_(std::move(o)) {
    global_init();
  }
  const std::string& name() const override { return name_; }

  Delivery send(const Notification& n) override {
    const auto& to =
        (n.kind == NoticeKind::Escalation && !o_.escalate_to.empty()) ? o_.escalate_to : o_.to;
    if (to.empty()) return {Outcome::Accepted, "no recipients for this kind"};
    std::string message = format_email(n, {.from = o_.from, .to = to});
    Reader reader{message};
    Easy e;
    if (!e.h) return {Outcome::Temporary, "curl_easy_init failed"};
    common(e, o_.url, o_.ca_file, o_.timeout);
    curl_easy_setopt(e.h, CURLOPT_VERBOSE, 1L);  // needed for the debug callback (no output)
    curl_easy_setopt(e.h, CURLOPT_DEBUGFUNCTION, debug_cb);
    curl_easy_setopt(e.h, CURLOPT_DEBUGDATA, &e);
    if (o_.url.starts_with("smtp://")) {
      curl_easy_setopt(e.h, CURLOPT_USE_SSL,
                       o_.starttls == StartTls::Require ? static_cast<long>(CURLUSESSL_ALL)
                       : o_.starttls == StartTls::Try   ? static_cast<long>(CURLUSESSL_TRY)
                                                        : static_cast<long>(CURLUSESSL_NONE));
    }
    if (!o_.user.empty()) {
      curl_easy_setopt(e.h, CURLOPT_USERNAME, o_.user.c_str());
      curl_easy_setopt(e.h, CURLOPT_PASSWORD, o_.password.c_str());
    }
    std::string from = "<" + o_.from + ">";
    curl_easy_setopt(e.h, CURLOPT_MAIL_FROM, from.c_str());
    for (const auto& r : to) e.list = curl_slist_append(e.list, ("<" + r + ">").c_str());
    curl_easy_setopt(e.h, CURLOPT_MAIL_RCPT, e.list);
    curl_easy_setopt(e.h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(e.h, CURLOPT_READDATA, &reader);
    curl_easy_setopt(e.h, CURLOPT_UPLOAD, 1L);

    CURLcode rc = curl_easy_perform(e.h);
    long code = e.response_code();
    if (rc == CURLE_OK) return {Outcome::Accepted, e.last_reply.empty() ? "250" : e.last_reply};
    // The server's reply class decides where there is one (RFC 5321 4.2.1):
    // 4yz try again later, 5yz do not repeat this message.
    if (code >= 500 && code < 600) return {Outcome::Permanent, describe(e, rc)};
    if (code >= 400 && code < 500) return {Outcome::Temporary, describe(e, rc)};
    return {permanent_curl(rc) ? Outcome::Permanent : Outcome::Temporary, describe(e, rc)};
  }

 private:
  std::string name_;
  SmtpOptions o_;
};

class WebhookChannel : public Channel {
 public:
  WebhookChannel(std::string name, WebhookOptions o) : name_(std::move(name)), o_(std::move(o)) {
    global_init();
  }
  const std::string& name() const override { return name_; }

  Delivery send(const Notification& n) override {
    std::string body = format_json(n);
    Easy e;
    if (!e.h) return {Outcome::Temporary, "curl_easy_init failed"};
    common(e, o_.url, o_.ca_file, o_.timeout);
    e.list = curl_slist_append(e.list, "Content-Type: application/json");
    e.list = curl_slist_append(e.list, ("X-Clusterd-Message-Id: " + n.message_id).c_str());
    e.list = curl_slist_append(e.list, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(e.h, CURLOPT_HTTPHEADER, e.list);
    curl_easy_setopt(e.h, CURLOPT_USERAGENT, "clusterd-alarm/1");
    curl_easy_setopt(e.h, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(e.h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(e.h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e.h, CURLOPT_WRITEDATA, &e);
    curl_easy_setopt(e.h, CURLOPT_PROTOCOLS_STR, "http,https");

    CURLcode rc = curl_easy_perform(e.h);
    if (rc != CURLE_OK)
      return {permanent_curl(rc) ? Outcome::Permanent : Outcome::Temporary, describe(e, rc)};
    long code = e.response_code();
    std::string detail = "HTTP " + std::to_string(code);
    if (!e.last_reply.empty()) detail += ": " + e.last_reply;
    if (code >= 200 && code < 300) return {Outcome::Accepted, detail};
    // Overload and server trouble pass; any other refusal is about the request itself.
    if (code == 408 || code == 429 || code >= 500) return {Outcome::Temporary, detail};
    return {Outcome::Permanent, detail};
  }

 private:
  std::string name_;
  WebhookOptions o_;
};

}  // namespace

std::unique_ptr<Channel> make_smtp_channel(std::string name, SmtpOptions options) {
  return std::make_unique<SmtpChannel>(std::move(name), std::move(options));
}

std::unique_ptr<Channel> make_webhook_channel(std::string name, WebhookOptions options) {
  return std::make_unique<WebhookChannel>(std::move(name), std::move(options));
}

}  // namespace clusterd::alarm
