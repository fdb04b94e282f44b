// Small purpose-built TCP load for the benchmarks, where iperf3 has no mode for it:
//
//   tcp_load serve ADDRESS PORT          an echo server (one thread, epoll); prints "ready"
//   tcp_load rr HOST PORT COUNT SIZE     COUNT round trips of SIZE bytes on one connection;
//                                        prints "p50_us p99_us"
//   tcp_load cps HOST PORT SECONDS       connect, exchange 64 bytes, close, for SECONDS;
//                                        prints connections per second
//   tcp_load hold HOST PORT COUNT        opens COUNT connections, each proven end to end by a
//                                        1-byte echo, prints "ready N" (N = how many it got)
//                                        and keeps them idle until SIGTERM or SIGINT
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
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

// Sends or receives exactly `size` bytes; a non-blocking socket (or one whose receive timeout
// expired) waits in poll() when it must, up to a second.
bool exact(int fd, char* data, std::size_t size, bool write) {
  for (std::size_t done = 0; done < size;) {
    const ssize_t n = write ? ::send(fd, data + done, size - done, MSG_NOSIGNAL)
                            : ::recv(fd, data + done, size - done, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd wait{fd, static_cast<short>(write ? POLLOUT : POLLIN), 0};
      if (::poll(&wait, 1, 1000) == 0) return false;  // a peer silent for a second
      continue;
    }
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

int connect_to(const sockaddr_in& address) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int serve(const sockaddr_in& address) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener, 4096) != 0) {
    std::perror("listen");
    return 1;
  }
  const int poller = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = listener;
  ::epoll_ctl(poller, EPOLL_CTL_ADD, listener, &event);
  std::printf("ready\n");
  std::fflush(stdout);
  static char buffer[65536];
  epoll_event ready[256];
  for (;;) {
    const int count = ::epoll_wait(poller, ready, 256, -1);
    for (int i = 0; i < count; ++i) {
      const int fd = ready[i].data.fd;
      if (fd == listener) {
        for (;;) {
          const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
          if (client < 0) break;
          setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          event.events = EPOLLIN;
          event.data.fd = client;
          ::epoll_ctl(poller, EPOLL_CTL_ADD, client, &event);
        }
        continue;
      }
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n < 0 && errno == EAGAIN) continue;
      // The echo blocks this one thread while a peer is slow to read: fine for a benchmark's
      // few request/response clients; bulk transfer uses iperf3.
      if (n <= 0 || !exact(fd, buffer, static_cast<std::size_t>(n), true)) ::close(fd);
    }
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

volatile std::sig_atomic_t stopping = 0;

int hold(const sockaddr_in& address, long count) {
  std::signal(SIGINT, [](int) { stopping = 1; });
  std::signal(SIGTERM, [](int) { stopping = 1; });
  std::vector<int> held;
  char byte = 'h';
  // Stops at the first connection that fails (a file descriptor limit, a refusal): the count
  // printed says how far it got.
  for (long i = 0; i < count && !stopping; ++i) {
    const int fd = connect_to(address);
    if (fd < 0) break;
    held.push_back(fd);
    // A proxy at its connection limit may leave a connection unanswered: give up on it.
    const timeval patience{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
    if (!exact(fd, &byte, 1, true) || !exact(fd, &byte, 1, false)) {
      held.pop_back();
      ::close(fd);
      break;
    }
  }
  std::printf("ready %zu\n", held.size());
  std::fflush(stdout);
  while (!stopping) ::poll(nullptr, 0, 200);
  for (const int fd : held) ::close(fd);
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
  if (mode == "hold" && argc == 5) return hold(address_of(argv[2], argv[3]), std::atol(argv[4]));
  std::fprintf(stderr,
               "usage: %s serve ADDRESS PORT | rr HOST PORT COUNT SIZE | cps HOST PORT SECONDS | "
               "hold HOST PORT COUNT\n",
               argv[0]);
  return 2;
}
