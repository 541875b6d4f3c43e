#include "sim/net_hooks.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sim/words.h"

namespace clusterd::sim {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// Creates a listening TCP socket inside network namespace `ns`: the thread
// enters it, makes the socket and returns. A socket keeps the namespace it
// was made in, so nodesim itself stays in the monitor namespace with its
// console while the service answers only on the node's own address.
int listen_in_netns(const std::string& ns, unsigned short port) {
  int self = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int target = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  int fd = -1;
  if (self >= 0 && target >= 0 && ::setns(target, CLONE_NEWNET) == 0) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ::setns(self, CLONE_NEWNET);
  }
  if (self >= 0) ::close(self);
  if (target >= 0) ::close(target);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// The service port's acceptor, or nullptr when it cannot listen (the port
// taken, a bad --service-addr): the node then simply does not answer, as if
// it were down.
std::unique_ptr<tcp::acceptor> open_service_acceptor(asio::io_context& io, const NetOptions& opt) {
  boost::system::error_code ec;
  auto acc = std::make_unique<tcp::acceptor>(io);
  if (!opt.netns.empty()) {
    int fd = listen_in_netns(opt.netns, opt.service_port);
    if (fd < 0) return nullptr;
    acc->assign(tcp::v4(), fd, ec);
    if (ec) ::close(fd);
  } else {
    auto addr = asio::ip::make_address(opt.service_addr, ec);
    tcp::endpoint ep(addr, opt.service_port);
    if (!ec) acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) return nullptr;
  return acc;
}

}  // namespace

Result<int> run_command(const std::vector<std::string>& argv) {
  int err[2];
  if (::pipe2(err, O_CLOEXEC) != 0) return Error::io("pipe failed");
  pid_t pid = ::fork();
  if (pid < 0) return Error::io("fork failed");
  if (pid == 0) {
    ::dup2(err[1], 2);
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(err[1]);
  // stderr to its end before waitpid: a child that fills the pipe would
  // otherwise block on it while we wait for it to exit.
  std::string text;
  char buf[256];
  ssize_t n;
  while ((n = ::read(err[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  ::close(err[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  if (rc != 0)
    return Error::io(argv[0] + " failed (" + std::to_string(rc) +
                     "): " + text.substr(0, text.find('\n')));
  return rc;
}

NetHooks::NetHooks(asio::io_context& io, NetOptions opt, std::string node)
    : io_(io), opt_(std::move(opt)), node_(std::move(node)) {
  apply();
}

NetHooks::~NetHooks() { close_service(); }

std::vector<std::string> NetHooks::in_ns(std::vector<std::string> argv) const {
  std::vector<std::string> v = {"ip", "netns", "exec", opt_.netns};
  v.insert(v.end(), argv.begin(), argv.end());
  return v;
}

void NetHooks::os_up(bool up) {
  os_up_ = up;
  apply();
}

void NetHooks::apply() {
  bool want = os_up_ && cable_;
  if (have_applied_ && want == applied_) return;
  have_applied_ = true;
  applied_ = want;
  if (!opt_.netns.empty() && !opt_.netif.empty()) {
    // Errors here (namespace gone) are the harness's business: it sees them
    // as a node that does not answer, which is what they are.
    (void)run_command({"ip", "-n", opt_.netns, "link", "set", opt_.netif, want ? "up" : "down"});
  }
  if (want)
    open_service();
  else
    close_service();
}

void NetHooks::open_service() {
  if (opt_.service_port == 0 || service_) return;
  service_ = open_service_acceptor(io_, opt_);
  if (!service_) return;
  auto accept = std::make_shared<std::function<void()>>();
  tcp::acceptor* acc = service_.get();
  *accept = [this, acc, accept] {
    acc->async_accept([this, acc, accept](auto ec, tcp::socket s) {
      if (ec || service_.get() != acc) return;
      auto msg = std::make_shared<std::string>(node_ + " service\r\n");
      auto sock = std::make_shared<tcp::socket>(std::move(s));
      asio::async_write(*sock, asio::buffer(*msg), [sock, msg](auto, std::size_t) {
        boost::system::error_code ignored;
        sock->shutdown(tcp::socket::shutdown_both, ignored);
      });
      (*accept)();
    });
  };
  (*accept)();
}

void NetHooks::close_service() {
  if (!service_) return;
  boost::system::error_code ec;
  service_->close(ec);
  // Keep the closed acceptor alive until its aborted handler has run.
  auto dead = std::shared_ptr<tcp::acceptor>(std::move(service_));
  asio::post(io_, [dead] {});
}

std::optional<std::string> NetHooks::control(const std::string& cmd, const std::string& arg) {
  bool ns = !opt_.netns.empty() && !opt_.netif.empty();
  auto need_ns = [&]() -> std::optional<std::string> {
    if (ns) return std::nullopt;
    return "error: " + cmd + " needs --netns and --netif (loopback fallback has no ICMP)";
  };
  if (cmd == "cable-pull" || cmd == "cable-plug") {
    cable_ = cmd == "cable-plug";
    apply();
    return "ok";
  }
  if (cmd == "icmp-ignore") {
    if (auto e = need_ns()) return e;
    icmp_ignore_ = arg != "off";
    auto r = run_command(
        in_ns({"sysctl", "-qw",
               std::string("net.ipv4.icmp_echo_ignore_all=") + (icmp_ignore_ ? "1" : "0")}));
    return r ? "ok" : "error: " + r.error().message;
  }
  if (cmd == "icmp-loss") {
    if (auto e = need_ns()) return e;
    auto parsed = parse_integer<int>(arg);
    if (!parsed || *parsed < 0 || *parsed > 100)
      return std::string("error: icmp-loss PERCENT (0..100)");
    int pct = *parsed;
    icmp_loss_ = pct;
    // netem is not in this kernel: drop echo requests at random with nft numgen.
    // Fails when there is no table yet (the first icmp-loss): nothing to undo.
    (void)run_command(in_ns({"nft", "delete table inet cdtsim"}));
    if (pct == 0) return "ok";
    std::string match =
        pct == 100 ? std::string() : "numgen random mod 100 < " + std::to_string(pct) + " ";
    auto r = run_command(in_ns(
        {"nft",
         "add table inet cdtsim; add chain inet cdtsim in { type filter hook input priority 0; "
         "policy accept; }; add rule inet cdtsim in icmp type echo-request " +
             match + "drop"}));
    return r ? "ok" : "error: " + r.error().message;
  }
  if (cmd == "ip-change") {
    if (auto e = need_ns()) return e;
    if (arg.empty()) return std::string("error: ip-change ADDR/PREFIX");
    std::string addr = arg.find('/') == std::string::npos ? arg + "/24" : arg;
    auto r = run_command({"ip", "-n", opt_.netns, "addr", "flush", "dev", opt_.netif});
    if (r) r = run_command({"ip", "-n", opt_.netns, "addr", "add", addr, "dev", opt_.netif});
    return r ? "ok" : "error: " + r.error().message;
  }
  return std::nullopt;
}

std::string NetHooks::status() const {
  return std::string("net=") + (applied_ ? "up" : "down") + " cable=" + (cable_ ? "in" : "pulled") +
         " netns=" + (opt_.netns.empty() ? "-" : opt_.netns) +
         " icmp-loss=" + std::to_string(icmp_loss_) +
         " icmp-ignore=" + (icmp_ignore_ ? "on" : "off") +
         " service=" + (service_ ? std::to_string(service_port()) : "closed");
}

unsigned short NetHooks::service_port() const {
  if (!service_) return 0;
  boost::system::error_code ec;
  return service_->local_endpoint(ec).port();
}

}  // namespace clusterd::sim
