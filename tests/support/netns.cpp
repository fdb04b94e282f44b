#include "netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace testing {

void require_root_and_tap() {
  if (geteuid() != 0) {
    std::fprintf(stderr,
                 "SKIPPED: this test needs root (network namespaces and a TAP device); "
                 "run it as root, as CI does\n");
    std::exit(77);
  }
  if (access("/dev/net/tun", R_OK | W_OK) != 0) {
    std::fprintf(stderr, "SKIPPED: /dev/net/tun is not available\n");
    std::exit(77);
  }
}

void sh(const std::string& command) {
  const std::string full = command + " 2>&1";
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  if (status != 0) throw std::runtime_error("command failed: " + command + "\n" + output);
}

Netns::Netns(const std::string& prefix) {
  static std::atomic<int> counter{0};
  name_ = "lp-" + prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  sh("ip netns add " + name_);
  sh("ip -n " + name_ + " link set lo up");
  exec("sysctl -qw net.ipv6.conf.all.disable_ipv6=1");
}

Netns::~Netns() {
  // Deleting the namespace destroys the devices in it; sockets we still hold keep it alive
  // only until they close.
  std::system(("ip netns del " + name_ + " >/dev/null 2>&1").c_str());
}

void Netns::adopt_link(const std::string& device, const std::string& cidr, int mtu) {
  sh("ip link set " + device + " netns " + name_);
  sh("ip -n " + name_ + " link set " + device + " mtu " + std::to_string(mtu) + " up");
  sh("ip -n " + name_ + " addr add " + cidr + " dev " + device);
}

int Netns::socket(int domain, int type) const {
  // setns() changes only the calling thread, so do it on a short-lived one.
  int fd = -1, error = 0;
  std::thread([&] {
    const int ns = ::open(("/var/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
      error = errno;
    } else {
      fd = ::socket(domain, type | SOCK_CLOEXEC, 0);
      if (fd < 0) error = errno;
    }
    if (ns >= 0) ::close(ns);
  }).join();
  if (fd < 0) throw std::system_error(error, std::system_category(), "socket in " + name_);
  return fd;
}

void Netns::exec(const std::string& command) const { sh("ip netns exec " + name_ + " " + command); }

}  // namespace testing
