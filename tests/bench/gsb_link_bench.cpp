// Frames per second and bytes per second over the GSB transport: one GsbLink sends VPN frames
// through a real ya-sb-router to another GsbLink, as the proxy does towards a service node.
// Each run is done twice, with writes batched per io-loop turn (what the proxy does) and with
// one write per frame (the baseline), for full-size frames (1234 bytes: MTU 1220 plus the
// Ethernet header) and ACK-size frames (54 bytes).
//
//   gsb_link_bench [FRAMES]      (default 200000 per run; needs ya-sb-router, see sb_router.hpp)
//
// Prints a table; nothing is asserted. The sender keeps at most 1 MiB queued for the socket
// and yields to the io loop after every 64 frames, as the stack does after a TAP read burst.
#include "../support/io_thread.hpp"
#include "../support/sb_router.hpp"

#include <libproxy/gsb_client.hpp>
#include <libproxy/gsb_link.hpp>

#include <asio/post.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <vector>

using namespace testing;
using namespace std::chrono_literals;

namespace {

const std::string vpn = "0123456789abcdef0123456789abcdef";
const std::string sender_node = "0x" + std::string(39, '0') + "1";
const std::string receiver_node = "0x" + std::string(39, '0') + "2";
const auto receiver_ip = asio::ip::make_address_v4("10.9.0.3");
const auto sender_ip = asio::ip::make_address_v4("10.9.0.2");

// An IPv4 frame of `size` bytes from 10.9.0.2 to 10.9.0.3 (enough of a header for routing).
std::vector<std::uint8_t> make_frame(std::size_t size) {
  std::vector<std::uint8_t> frame(size, 0);
  frame[0] = 0xA0, frame[1] = 0x13, frame[2] = 10, frame[3] = 9, frame[5] = 3;
  frame[12] = 0x08;  // IPv4
  frame[14] = 0x45;
  const std::uint8_t source[4] = {10, 9, 0, 2}, destination[4] = {10, 9, 0, 3};
  std::copy(source, source + 4, frame.begin() + 26);
  std::copy(destination, destination + 4, frame.begin() + 30);
  return frame;
}

struct Counter final : libproxy::VpnLink::Receiver {
  std::atomic<std::uint64_t> frames{0};
  std::atomic<std::uint64_t> bytes{0};
  void on_frame(std::span<const std::uint8_t> frame, libproxy::FrameInfo) override {
    bytes += frame.size();
    ++frames;
  }
};

struct Result {
  double seconds = 0;
  std::uint64_t frames = 0, bytes = 0, writes = 0, frames_written = 0;
};

bool registered(libproxy::GsbClient& bus) {
  const auto status = bus.status();
  for (const auto& binding : status.bindings)
    if (!binding.registered) return false;
  return status.state == libproxy::GsbState::connected;
}

Result run(const std::string& url, bool batch, std::size_t frame_size, std::uint64_t count) {
  IoThread sender_io, receiver_io;
  Counter counter;
  std::unique_ptr<libproxy::GsbClient> sender_bus, receiver_bus;
  std::unique_ptr<libproxy::GsbLink> sender_link, receiver_link;
  auto open = [&](IoThread& io, std::unique_ptr<libproxy::GsbClient>& bus,
                  std::unique_ptr<libproxy::GsbLink>& link, const std::string& node) {
    io.call([&] {
      libproxy::GsbClientConfig config;
      config.url = url;
      config.batch_writes = batch;
      bus = libproxy::GsbClient::create(io.io(), config).value();
      bus->start();
      link = libproxy::GsbLink::create(*bus, {vpn, node, "/udp/net/" + node, {}}).value();
    });
  };
  open(sender_io, sender_bus, sender_link, sender_node);
  open(receiver_io, receiver_bus, receiver_link, receiver_node);
  receiver_io.call([&] {
    // The sender is a node of the VPN: a link drops frames from strangers.
    receiver_link->nodes()->set(sender_ip, sender_node, libproxy::GsbNodeTable::Source::told);
    receiver_link->start(counter);
  });
  sender_io.call([&] {
    sender_link->nodes()->set(receiver_ip, receiver_node, libproxy::GsbNodeTable::Source::told);
  });
  if (!wait_until([&] {
        return sender_io.call([&] { return registered(*sender_bus); }) &&
               receiver_io.call([&] { return registered(*receiver_bus); });
      }))
    throw std::runtime_error("the links did not register");

  const auto frame = make_frame(frame_size);
  const auto before = sender_io.call([&] { return sender_bus->status().counters; });
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t sent = 0;
  std::function<void()> burst = [&] {
    for (int i = 0; i < 64 && sent < count && sender_bus->queued_bytes() < (1u << 20); ++i) {
      sender_link->send(frame);
      ++sent;
    }
    if (sent < count) asio::post(sender_io.io(), burst);
  };
  sender_io.call([&] { burst(); });
  wait_until([&] { return counter.frames.load() >= count; }, 120s);
  Result result;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.frames = counter.frames;
  result.bytes = counter.bytes;
  const auto after = sender_io.call([&] {
    sent = count;  // stops a burst still queued
    return sender_bus->status().counters;
  });
  result.writes = after.writes - before.writes;
  result.frames_written = after.frames_sent - before.frames_sent;
  receiver_io.call([&] {
    receiver_link->stop();
    receiver_link.reset();
    receiver_bus.reset();
  });
  sender_io.call([&] {
    sender_link.reset();
    sender_bus.reset();
  });
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
  SbRouter router;
  std::printf("GSB link through ya-sb-router 0.6.4 (unix socket), %llu frames per run\n\n",
              static_cast<unsigned long long>(count));
  std::printf("%-22s %7s %10s %12s %9s %13s %8s\n", "writes", "frame", "seconds", "frames/s",
              "MB/s", "frames/write", "lost");
  for (const std::size_t size : {std::size_t{1234}, std::size_t{54}}) {
    for (const bool batch : {false, true}) {
      const auto r = run(router.url(), batch, size, count);
      std::printf(
          "%-22s %7zu %10.2f %12.0f %9.1f %13.1f %8llu\n",
          batch ? "batched per turn" : "one per frame (base)", size, r.seconds,
          static_cast<double>(r.frames) / r.seconds, static_cast<double>(r.bytes) / r.seconds / 1e6,
          r.writes ? static_cast<double>(r.frames_written) / static_cast<double>(r.writes) : 0.0,
          static_cast<unsigned long long>(count - r.frames));
    }
  }
  return 0;
}
