#include <libproxy/error.hpp>
#include <libproxy/proxy.hpp>

#include "proxy/tcp_forwarder.hpp"
#include "stack/stack.hpp"
#include "stack/vpn_interface.hpp"

#include <algorithm>
#include <map>

namespace libproxy {

struct Proxy::Impl {
  explicit Impl(asio::io_context& context) : io(context), stack(context) {}

  asio::io_context& io;
  stack::Stack stack;  // declared first: destroyed last, after every pcb and netif
  std::map<std::string, std::unique_ptr<stack::VpnInterface>> vpns;
  std::vector<std::shared_ptr<proxy::TcpForwarder>> gateways;
  TcpCounters tcp;
  std::vector<std::uint8_t> scratch = std::vector<std::uint8_t>(64 * 1024);

  stack::VpnInterface* find_vpn(const std::string& id) {
    const auto it = vpns.find(id);
    return it == vpns.end() ? nullptr : it->second.get();
  }
};

Proxy::Proxy(asio::io_context& io) : impl_(std::make_unique<Impl>(io)) {}

Proxy::~Proxy() { stop(); }

std::error_code Proxy::add_vpn(const VpnConfig& config, std::unique_ptr<VpnLink> link) {
  if (impl_->find_vpn(config.id) != nullptr) return errc::vpn_exists;
  auto vpn = stack::VpnInterface::create(impl_->stack, config, std::move(link));
  if (!vpn) return vpn.error();
  impl_->vpns.emplace(config.id, std::move(vpn).value());
  return {};
}

std::error_code Proxy::remove_vpn(const std::string& vpn_id) {
  if (impl_->find_vpn(vpn_id) == nullptr) return errc::unknown_vpn;
  auto& gateways = impl_->gateways;
  std::erase_if(gateways, [&](const auto& gateway) {
    if (gateway->config().vpn_id != vpn_id) return false;
    gateway->stop();
    return true;
  });
  impl_->vpns.erase(vpn_id);
  return {};
}

Result<TcpGatewayInfo> Proxy::add_tcp_gateway(const TcpGatewayConfig& config) {
  asio::ip::tcp::acceptor none(impl_->io);
  return add_tcp_gateway(config, none);
}

Result<TcpGatewayInfo> Proxy::add_tcp_gateway(const TcpGatewayConfig& config,
                                              asio::ip::tcp::acceptor& listening) {
  auto* vpn = impl_->find_vpn(config.vpn_id);
  if (vpn == nullptr) return make_error_code(errc::unknown_vpn);
  const auto& service = config.service.address();
  if (!service.is_v4() || service.is_unspecified() || service.is_multicast() ||
      config.service.port() == 0 || config.max_connections == 0)
    return make_error_code(errc::invalid_gateway_config);
  if (config.listen.port() != 0) {
    for (const auto& gateway : impl_->gateways)
      if (gateway->bound() == config.listen) return make_error_code(errc::gateway_exists);
  }
  auto gateway =
      proxy::TcpForwarder::start(impl_->io, *vpn, config, impl_->tcp, impl_->scratch, listening);
  if (!gateway) return gateway.error();
  impl_->gateways.push_back(*gateway);
  return TcpGatewayInfo{config, (*gateway)->bound()};
}

std::error_code Proxy::remove_tcp_gateway(const asio::ip::tcp::endpoint& listen) {
  auto& gateways = impl_->gateways;
  const auto it = std::find_if(gateways.begin(), gateways.end(), [&](const auto& gateway) {
    return gateway->bound() == listen || gateway->config().listen == listen;
  });
  if (it == gateways.end()) return errc::unknown_gateway;
  (*it)->stop();
  gateways.erase(it);
  return {};
}

std::vector<TcpGatewayInfo> Proxy::tcp_gateways() const {
  std::vector<TcpGatewayInfo> out;
  for (const auto& gateway : impl_->gateways) out.push_back({gateway->config(), gateway->bound()});
  return out;
}

ProxyCounters Proxy::counters() const { return {impl_->tcp, impl_->stack.counters()}; }

Result<LinkCounters> Proxy::link_counters(const std::string& vpn_id) const {
  auto* vpn = impl_->find_vpn(vpn_id);
  if (vpn == nullptr) return make_error_code(errc::unknown_vpn);
  return vpn->link().counters();
}

void Proxy::stop() {
  for (const auto& gateway : impl_->gateways) gateway->stop();
  impl_->gateways.clear();
  impl_->vpns.clear();
}

}  // namespace libproxy
