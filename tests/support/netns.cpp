#include "netns.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <vector>

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

void require_root(const std::string& what) {
  if (geteuid() != 0) {
    std::fprintf(stderr,
                 "SKIPPED: %s needs root (it runs in a network namespace of its own); run it as "
                 "root, as CI does\n",
                 what.c_str());
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
  return run([&] {
    const int fd = ::socket(domain, type | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::system_error(errno, std::system_category(), "socket in " + name_);
    return fd;
  });
}

int Netns::open() const {
  const int fd = ::open(("/var/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::system_category(), "open netns " + name_);
  return fd;
}

void Netns::enter_this_thread() const {
  const int fd = open();
  const int result = setns(fd, CLONE_NEWNET);
  const int error = errno;
  ::close(fd);
  if (result != 0) throw std::system_error(error, std::system_category(), "setns " + name_);
}

bool Netns::holds(pid_t pid) const {
  struct stat mine {
  }, its{};
  if (::stat(("/var/run/netns/" + name_).c_str(), &mine) != 0) return false;
  if (::stat(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), &its) != 0) return false;
  return mine.st_dev == its.st_dev && mine.st_ino == its.st_ino;
}

void Netns::require_loopback_only() const {
  std::vector<std::string> nameservers;
  {
    std::ifstream resolv("/etc/resolv.conf");
    std::string word, address;
    while (resolv >> word)
      if (word == "nameserver" && resolv >> address) nameservers.push_back(address);
  }
  const std::string problem = run([&]() -> std::string {
    ifaddrs* interfaces = nullptr;
    if (::getifaddrs(&interfaces) != 0) return std::string("getifaddrs: ") + std::strerror(errno);
    std::string others;
    for (auto* entry = interfaces; entry != nullptr; entry = entry->ifa_next)
      if (std::string(entry->ifa_name) != "lo" && others.find(entry->ifa_name) == std::string::npos)
        others += std::string(" ") + entry->ifa_name;
    ::freeifaddrs(interfaces);
    if (!others.empty()) return "interfaces other than lo:" + others;
    // Public addresses, private ones, and the resolver's: none may have a route.
    std::vector<std::string> targets{"1.1.1.1", "10.0.0.1", "192.168.1.1", "2606:4700::1111"};
    for (const auto& server : nameservers)
      if (server.rfind("127.", 0) != 0) targets.push_back(server);
    for (const auto& target : targets) {
      sockaddr_storage address{};
      socklen_t length = 0;
      auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
      if (::inet_pton(AF_INET, target.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(53);
        length = sizeof *v4;
      } else if (::inet_pton(AF_INET6, target.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(53);
        length = sizeof *v6;
      } else {
        continue;  // not an address (a resolv.conf oddity)
      }
      const int fd = ::socket(address.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (fd < 0) continue;  // no such family here at all: nothing can leave by it
      const int connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), length);
      const int error = errno;
      ::close(fd);
      if (connected == 0) return "a route to " + target;
      // No route, or no source address for it (IPv6 is off): either way nothing leaves.
      if (error != ENETUNREACH && error != EADDRNOTAVAIL)
        return "connect to " + target + ": " + std::strerror(error);
    }
    return "";
  });
  if (!problem.empty())
    throw std::runtime_error("network namespace " + name_ + " is not loopback-only: " + problem);
}

void Netns::exec(const std::string& command) const { sh("ip netns exec " + name_ + " " + command); }

}  // namespace testing
