// UDP helpers for tests: an echo server inside a network namespace and a client on loopback.
#pragma once

#include "netns.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace testing {

// A UDP echo server inside a namespace, on its own thread until destroyed.
class UdpEcho {
public:
  UdpEcho(const Netns& node, unsigned short port) : fd_(node.socket(AF_INET, SOCK_DGRAM)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    inet_pton(AF_INET, "10.20.30.40", &address.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
      throw std::runtime_error("bind in the namespace failed");
    const int buffer = 4 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    thread_ = std::thread([this] { run(); });
  }
  ~UdpEcho() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::uint64_t datagrams() const { return datagrams_; }

private:
  void run() {
    std::vector<char> buffer(65536);
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) != 1) continue;
      sockaddr_in from{};
      socklen_t length = sizeof from;
      const auto n = ::recvfrom(fd_, buffer.data(), buffer.size(), 0,
                                reinterpret_cast<sockaddr*>(&from), &length);
      if (n < 0) continue;
      ++datagrams_;
      ::sendto(fd_, buffer.data(), static_cast<std::size_t>(n), 0,
               reinterpret_cast<sockaddr*>(&from), length);
    }
  }

  int fd_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> datagrams_{0};
  std::thread thread_;
};

// A client on 127.0.0.1 talking to a gateway port.
class UdpClient {
public:
  explicit UdpClient(unsigned short port) : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  }
  ~UdpClient() { ::close(fd_); }
  void send(const std::string& datagram) {
    if (::send(fd_, datagram.data(), datagram.size(), 0) > 0) bytes_sent_ += datagram.size();
  }
  /// Payload bytes of every datagram sent so far.
  std::uint64_t bytes_sent() const { return bytes_sent_; }
  /// The next datagram, or nothing within `timeout`.
  std::optional<std::string> receive(std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    std::string datagram(65536, '\0');
    const auto n = ::recv(fd_, datagram.data(), datagram.size(), 0);
    if (n < 0) return std::nullopt;
    datagram.resize(static_cast<std::size_t>(n));
    return datagram;
  }
  /// Sends `request` until its echo comes back (at most `tries` times); true if it did.
  bool ask(const std::string& request, int tries = 5,
           std::chrono::milliseconds timeout = std::chrono::milliseconds(500)) {
    for (int i = 0; i < tries; ++i) {
      send(request);
      while (auto reply = receive(timeout)) {
        if (*reply == request) return true;  // an older reply may arrive first: skip it
      }
    }
    return false;
  }

private:
  int fd_;
  std::uint64_t bytes_sent_ = 0;
};

}  // namespace testing
