// The local ports of virtual connections: distinct per remote end, all of them usable, and
// back in the table when lwIP frees the pcb.
#include "stack/port_table.hpp"
#include "stack/stack.hpp"
#include "stack/tcp_pcb.hpp"
#include "stack/vpn_interface.hpp"

#include <libproxy/error.hpp>

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

namespace {

using Frame = std::vector<std::uint8_t>;

// Keeps what the proxy sends; nothing ever answers.
class SilentLink final : public libproxy::VpnLink {
public:
  explicit SilentLink(std::vector<Frame>& sent) : sent_(sent) {}
  void start(Receiver&) override {}
  void send(std::span<const std::uint8_t> frame) override {
    sent_.emplace_back(frame.begin(), frame.end());
  }
  void stop() override {}
  libproxy::LinkCounters counters() const override { return {}; }

private:
  std::vector<Frame>& sent_;
};

struct NoEvents final : libproxy::stack::TcpPcb::Events {
  void on_connected() override {}
  void on_data(std::size_t) override {}
  void on_eof() override {}
  void on_sent() override {}
  void on_closed(std::error_code) override {}
};

}  // namespace

TEST_CASE("every local port towards one service is usable once and then connect says so") {
  namespace stack = libproxy::stack;
  asio::io_context io;
  stack::Stack lwip(io);
  std::vector<Frame> sent;
  libproxy::VpnConfig config;
  config.id = "ports";
  config.address = asio::ip::make_address_v4("10.20.30.41");
  auto vpn = stack::VpnInterface::create(lwip, config, std::make_unique<SilentLink>(sent));
  REQUIRE(vpn);
  const std::size_t before = stack::ports::held();

  NoEvents events;
  const asio::ip::tcp::endpoint service{asio::ip::make_address_v4("10.20.30.40"), 80};
  std::vector<std::unique_ptr<stack::TcpPcb>> pcbs;
  std::error_code last;
  for (int i = 0; i < 70'000; ++i) {
    auto pcb = std::make_unique<stack::TcpPcb>(events);
    last = pcb->connect(**vpn, service);
    if (last) break;
    pcbs.push_back(std::move(pcb));
  }
  // 0x4000-0xFFFF: 49 152 ports, each taken once.
  CHECK(pcbs.size() == 49'152);
  CHECK(last == libproxy::errc::no_free_port);
  CHECK(stack::ports::held() == before + 49'152);

  // Another service port on the same host has its own ports.
  stack::TcpPcb other(events);
  CHECK_FALSE(other.connect(**vpn, {service.address(), 81}));

  // Aborted, newest first (lwIP's list head, so each removal is quick): lwIP frees the pcbs,
  // and their ports come back.
  while (!pcbs.empty()) pcbs.pop_back();
  CHECK(stack::ports::held() == before + 1);
  stack::TcpPcb again(events);
  CHECK_FALSE(again.connect(**vpn, service));
}
