// Small purpose-built TCP load for the benchmarks, where iperf3 has no mode for it:
//
//   tcp_load serve ADDRESS PORT          an echo server (a thread per connection); "ready"
//   tcp_load rr HOST PORT COUNT SIZE     COUNT round trips of SIZE bytes on one connection;
//                                        prints "p50_us p99_us"
//   tcp_load cps HOST PORT SECONDS       connect, exchange 64 bytes, close, for SECONDS;
//                                        prints connections per second
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

sockaddr_in address_of(const char* host, const char* port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(std::atoi(port)));
  if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
    std::fprintf(stderr, "not an IPv4 address: %s\n", host);
    std::exit(2);
  }
  return address;
}

bool exact(int fd, char* data, std::size_t size, bool write) {
  for (std::size_t done = 0; done < size;) {
    const ssize_t n = write ? ::send(fd, data + done, size - done, MSG_NOSIGNAL)
                            : ::recv(fd, data + done, size - done, 0);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

int connect_to(const sockaddr_in& address) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int serve(const sockaddr_in& address) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener, 4096) != 0) {
    std::perror("listen");
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::thread([fd] {
      const int yes = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
      char buffer[65536];
      for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0 || !exact(fd, buffer, static_cast<std::size_t>(n), true)) break;
      }
      ::close(fd);
    }).detach();
  }
}

int round_trips(const sockaddr_in& address, long count, std::size_t size) {
  const int fd = connect_to(address);
  if (fd < 0) return 1;
  std::vector<char> message(size, 'r');
  std::vector<double> micros;
  micros.reserve(static_cast<std::size_t>(count));
  for (long i = 0; i < count; ++i) {
    const auto start = Clock::now();
    if (!exact(fd, message.data(), size, true) || !exact(fd, message.data(), size, false)) return 1;
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  ::close(fd);
  std::sort(micros.begin(), micros.end());
  std::printf("%.0f %.0f\n", micros[micros.size() / 2], micros[micros.size() * 99 / 100]);
  return 0;
}

int connections_per_second(const sockaddr_in& address, double seconds) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  const auto start = Clock::now();
  long done = 0;
  char message[64] = {};
  while (Clock::now() < deadline) {
    const int fd = connect_to(address);
    if (fd < 0) continue;
    if (exact(fd, message, sizeof message, true) && exact(fd, message, sizeof message, false))
      ++done;
    ::close(fd);
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("%.0f\n", static_cast<double>(done) / elapsed);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "serve" && argc == 4) return serve(address_of(argv[2], argv[3]));
  if (mode == "rr" && argc == 6)
    return round_trips(address_of(argv[2], argv[3]), std::atol(argv[4]),
                       static_cast<std::size_t>(std::atol(argv[5])));
  if (mode == "cps" && argc == 5)
    return connections_per_second(address_of(argv[2], argv[3]), std::atof(argv[4]));
  std::fprintf(stderr,
               "usage: %s serve ADDRESS PORT | rr HOST PORT COUNT SIZE | cps HOST PORT SECONDS\n",
               argv[0]);
  return 2;
}
