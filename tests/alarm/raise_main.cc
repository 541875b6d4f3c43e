// alarm_raise SPOOL_DIR SMTP_URL COUNT: a clusterd stand-in for the crash
// test. Raises COUNT critical alarms through an email channel with the given
// spool, prints "raised MESSAGE_ID" for each (after it is spooled), then
// "ready", and waits to be killed (SIGKILL: nothing is flushed or stopped).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "alarm/service.h"

using namespace clusterd;
using namespace clusterd::alarm;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: alarm_raise SPOOL_DIR SMTP_URL COUNT\n");
    return 2;
  }
  AlarmConfig cfg;
  cfg.cluster = "c1";
  cfg.email = {"oncall@test.invalid"};
  cfg.from = "clusterd@test.invalid";
  cfg.smtp = argv[2];
  cfg.starttls = StartTls::Off;
  cfg.timeout = std::chrono::seconds(2);
  cfg.retry_first = std::chrono::milliseconds(100);
  cfg.retry_cap = std::chrono::milliseconds(300);
  ServiceOptions o;
  o.spool_dir = argv[1];
  o.id_seed = 0x100;
  auto now = std::chrono::steady_clock::now();
  auto svc = AlarmService::create(cfg, SecretMap{}, o, now);
  if (!svc) {
    std::fprintf(stderr, "alarm_raise: %s\n", svc.error().message.c_str());
    return 1;
  }
  (*svc)->start();
  int count = std::atoi(argv[3]);
  for (int i = 0; i < count; ++i) {
    Alarm a{.node = "alpha",
            .severity = Severity::Critical,
            .text = "fencing alpha: crash test " + std::to_string(i)};
    std::string id = (*svc)->raise(a, now);
    std::printf("raised %s.raised.1@c1.clusterd\n", id.c_str());
  }
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) ::pause();
}
