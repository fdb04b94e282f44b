#include "proxy_fixture.hpp"

#include <libproxy/tap_link.hpp>

#include <cstdlib>
#include <stdexcept>

namespace testing {

ProxyFixture::ProxyFixture() {
  require_root_and_tap();
  io_.call([this] { proxy_.emplace(io_.io()); });  // the Proxy belongs to the io thread
}

ProxyFixture::~ProxyFixture() {
  io_.call([this] { proxy_.reset(); });
  nodes_.clear();
}

Netns& ProxyFixture::add_vpn_node(const std::string& vpn_id, libproxy::TapOptions options) {
  auto node = std::make_unique<Netns>(vpn_id);
  const std::string tap = io_.call([&] {
    std::error_code ec;
    // The integration suite runs a second time with every TAP link offloaded (ctest's
    // "integration-offload:" tests), so each sequence also crosses the super-frame path.
    if (std::getenv("GOLEM_PROXY_TEST_TAP_OFFLOAD") != nullptr) options.offload = true;
    auto link = libproxy::TapLink::open(io_.io(), "", ec, options);
    if (!link) throw std::system_error(ec, "TapLink::open");
    std::string name = link->name();
    libproxy::VpnConfig config;
    config.id = vpn_id;
    config.address = asio::ip::make_address_v4("10.20.30.41");
    config.prefix_length = 24;
    if (auto error = proxy_->add_vpn(config, std::move(link)))
      throw std::system_error(error, "add_vpn");
    return name;
  });
  node->adopt_link(tap, node_cidr);
  nodes_.push_back(std::move(node));
  return *nodes_.back();
}

unsigned short ProxyFixture::add_gateway(const std::string& vpn_id,
                                         const asio::ip::tcp::endpoint& service,
                                         const libproxy::TcpTimeouts& timeouts) {
  return io_.call([&] {
    libproxy::TcpGatewayConfig config;
    config.listen = {asio::ip::address_v4::loopback(), 0};
    config.vpn_id = vpn_id;
    config.service = service;
    config.timeouts = timeouts;
    auto added = proxy_->add_tcp_gateway(config);
    if (!added) throw std::system_error(added.error(), "add_tcp_gateway");
    return added->bound.port();
  });
}

unsigned short ProxyFixture::add_gateway_on(int listening_fd, const std::string& vpn_id,
                                            const asio::ip::tcp::endpoint& service) {
  return io_.call([&] {
    asio::ip::tcp::acceptor acceptor(io_.io());
    acceptor.assign(asio::ip::tcp::v4(), listening_fd);
    acceptor.bind({asio::ip::address_v4::loopback(), 0});
    acceptor.listen();
    libproxy::TcpGatewayConfig config;
    config.listen = acceptor.local_endpoint();
    config.vpn_id = vpn_id;
    config.service = service;
    auto added = proxy_->add_tcp_gateway(config, acceptor);
    if (!added) throw std::system_error(added.error(), "add_tcp_gateway");
    return added->bound.port();
  });
}

libproxy::ProxyCounters ProxyFixture::counters() {
  return io_.call([this] { return proxy_->counters(); });
}

bool ProxyFixture::idle() {
  const auto c = counters();
  return c.tcp.cx_active == 0 && c.stack.vnet_pcbs_active == 0;
}

}  // namespace testing
