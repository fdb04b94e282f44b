#include <libproxy/error.hpp>
#include <libproxy/proxy.hpp>

#include "proxy/tcp_forwarder.hpp"
#include "proxy/udp_forwarder.hpp"
#include "stack/stack.hpp"
#include "stack/stack_limits.hpp"
#include "stack/vpn_interface.hpp"

#include <asio/steady_timer.hpp>

#include <algorithm>
#include <map>

namespace libproxy {

struct Proxy::Impl {
  Impl(asio::io_context& context, std::chrono::milliseconds window)
      : io(context), stack(context), budget(context, tcp), rate_window(window), sampler(context) {
    budget.set_limits(limits.memory_budget, limits.high_watermark_percent,
                      limits.max_buffer_per_source);
    budget.shed = [this](std::size_t target) { shed(target); };
  }

  asio::io_context& io;
  stack::Stack stack;  // declared first: destroyed last, after every pcb and netif
  std::map<std::string, std::unique_ptr<stack::VpnInterface>> vpns;
  std::vector<std::shared_ptr<proxy::TcpForwarder>> gateways;
  std::vector<std::shared_ptr<proxy::UdpForwarder>> udp_gateways;
  TcpCounters tcp;
  UdpCounters udp;
  ProxyLimits limits;
  proxy::MemoryBudget budget;  // after tcp, which it counts into
  std::vector<std::uint8_t> scratch = std::vector<std::uint8_t>(64 * 1024);
  std::vector<asio::const_buffer> gather;
  TrafficMeter traffic;
  std::uint64_t next_connection_id = 0;
  // Meters handed in with gateways (activities', VPNs'): sampled as long as someone holds them,
  // even after their gateways are gone, so that their current rate falls back to 0.
  std::vector<std::weak_ptr<TrafficMeter>> tracked;
  std::chrono::milliseconds rate_window;
  asio::steady_timer sampler;
  std::uint64_t tick = 0;

  void track(const std::shared_ptr<TrafficMeter>& meter) {
    for (const auto& known : tracked)
      if (known.lock() == meter) return;
    tracked.push_back(meter);
  }

  // Over the memory budget, or overloaded past the grace: reset the newest connections that
  // hold bytes (the oldest ones are the established service; a burst of new ones is the
  // likelier culprit), until at most `target` bytes are held.
  void shed(std::size_t target) {
    std::vector<std::shared_ptr<proxy::TcpBridge>> bridges;
    for (const auto& gateway : gateways) gateway->collect(bridges);
    std::sort(bridges.begin(), bridges.end(),
              [](const auto& a, const auto& b) { return a->id() > b->id(); });
    for (const auto& bridge : bridges) {
      if (budget.used() <= target) break;
      if (bridge->charged() > 0) bridge->shed();
    }
  }

  // Closes a rate window on every meter, once per window. The handler checks `alive`, not only
  // the error code: a wait that had already completed when stop() cancelled it still runs
  // with success, possibly after the Impl is gone.
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  void schedule_sample() {
    sampler.expires_after(rate_window);
    sampler.async_wait([this, living = std::weak_ptr<bool>(alive)](const std::error_code& ec) {
      if (ec || living.expired()) return;
      const auto now = TrafficMeter::Clock::now();
      const auto min_window = rate_window / 2;
      ++tick;
      traffic.sample(tick, now, min_window);
      for (const auto& gateway : gateways) gateway->sample(tick, now, min_window);
      for (const auto& gateway : udp_gateways) gateway->sample(tick, now, min_window);
      std::erase_if(tracked, [&](const std::weak_ptr<TrafficMeter>& weak) {
        const auto meter = weak.lock();
        if (meter) meter->sample(tick, now, min_window);
        return !meter;
      });
      schedule_sample();
    });
  }

  stack::VpnInterface* find_vpn(const std::string& id) {
    const auto it = vpns.find(id);
    return it == vpns.end() ? nullptr : it->second.get();
  }
};

namespace {

// A gateway's service must be a unicast IPv4 address and a port, and its public address free
// among the gateways of its protocol (port 0 picks a free one).
template <class Endpoint, class Gateways>
std::error_code check_gateway(const asio::ip::address& service, std::uint16_t port,
                              const Endpoint& listen, const Gateways& gateways) {
  if (!service.is_v4() || service.is_unspecified() || service.is_multicast() || port == 0)
    return errc::invalid_gateway_config;
  if (listen.port() != 0)
    for (const auto& gateway : gateways)
      if (gateway->bound() == listen) return errc::gateway_exists;
  return {};
}

// Stops and drops the gateway bound to (or configured for) `listen`, of either protocol.
template <class Endpoint, class Gateways>
std::error_code remove_gateway(const Endpoint& listen, Gateways& gateways) {
  const auto it = std::find_if(gateways.begin(), gateways.end(), [&](const auto& gateway) {
    return gateway->bound() == listen || gateway->config().listen == listen;
  });
  if (it == gateways.end()) return errc::unknown_gateway;
  (*it)->stop();
  gateways.erase(it);
  return {};
}

}  // namespace

Proxy::Proxy(asio::io_context& io, std::chrono::milliseconds rate_window)
    : impl_(std::make_unique<Impl>(io, rate_window)) {
  impl_->schedule_sample();
}

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
  const auto of_vpn = [&](const auto& gateway) {
    if (gateway->config().vpn_id != vpn_id) return false;
    gateway->stop();
    return true;
  };
  std::erase_if(impl_->gateways, of_vpn);
  std::erase_if(impl_->udp_gateways, of_vpn);
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
  if (config.max_connections == 0) return make_error_code(errc::invalid_gateway_config);
  if (auto ec = check_gateway(config.service.address(), config.service.port(), config.listen,
                              impl_->gateways))
    return ec;
  auto gateway =
      proxy::TcpForwarder::start(impl_->io, *vpn, config,
                                 {impl_->tcp, impl_->scratch, impl_->gather, impl_->traffic,
                                  impl_->next_connection_id, impl_->budget, impl_->limits},
                                 listening);
  if (!gateway) return gateway.error();
  impl_->gateways.push_back(*gateway);
  for (const auto& meter : config.meters)
    if (meter) impl_->track(meter);
  return TcpGatewayInfo{config, (*gateway)->bound(), 0, (*gateway)->traffic()};
}

std::error_code Proxy::remove_tcp_gateway(const asio::ip::tcp::endpoint& listen) {
  return remove_gateway(listen, impl_->gateways);
}

std::vector<TcpGatewayInfo> Proxy::tcp_gateways() const {
  std::vector<TcpGatewayInfo> out;
  for (const auto& gateway : impl_->gateways)
    out.push_back(
        {gateway->config(), gateway->bound(), gateway->connection_count(), gateway->traffic()});
  return out;
}

Traffic Proxy::traffic() const { return impl_->traffic.snapshot(); }

std::vector<ConnectionInfo> Proxy::connections() const {
  std::vector<ConnectionInfo> out;
  for (const auto& gateway : impl_->gateways) gateway->list_connections(out);
  for (const auto& gateway : impl_->udp_gateways) gateway->list_flows(out);
  return out;
}

Result<UdpGatewayInfo> Proxy::add_udp_gateway(const UdpGatewayConfig& config) {
  asio::ip::udp::socket none(impl_->io);
  return add_udp_gateway(config, none);
}

Result<UdpGatewayInfo> Proxy::add_udp_gateway(const UdpGatewayConfig& config,
                                              asio::ip::udp::socket& listening) {
  auto* vpn = impl_->find_vpn(config.vpn_id);
  if (vpn == nullptr) return make_error_code(errc::unknown_vpn);
  if (auto ec = check_gateway(config.service.address(), config.service.port(), config.listen,
                              impl_->udp_gateways))
    return ec;
  auto gateway = proxy::UdpForwarder::start(
      impl_->io, *vpn, config, {impl_->udp, impl_->traffic, impl_->next_connection_id}, listening);
  if (!gateway) return gateway.error();
  impl_->udp_gateways.push_back(*gateway);
  for (const auto& meter : config.meters)
    if (meter) impl_->track(meter);
  return UdpGatewayInfo{config, (*gateway)->bound(), 0, (*gateway)->traffic()};
}

std::error_code Proxy::remove_udp_gateway(const asio::ip::udp::endpoint& listen) {
  return remove_gateway(listen, impl_->udp_gateways);
}

std::vector<UdpGatewayInfo> Proxy::udp_gateways() const {
  std::vector<UdpGatewayInfo> out;
  for (const auto& gateway : impl_->udp_gateways)
    out.push_back({gateway->config(), gateway->bound(), gateway->flow_count(), gateway->traffic()});
  return out;
}

void Proxy::set_stack_limits(const StackLimits& limits) { stack::set_limits(limits); }

ProxyCounters Proxy::counters() const {
  ProxyCounters out{impl_->tcp, impl_->stack.counters(), impl_->udp};
  out.tcp.memory_overload_ms += impl_->budget.current_overload_ms();  // live, not only at the end
  return out;
}

void Proxy::set_limits(const ProxyLimits& limits) {
  impl_->limits = limits;
  impl_->budget.set_limits(limits.memory_budget, limits.high_watermark_percent,
                           limits.max_buffer_per_source);
  impl_->budget.reevaluate();  // against the new bounds (may shed)
}

const ProxyLimits& Proxy::limits() const { return impl_->limits; }

Result<LinkCounters> Proxy::link_counters(const std::string& vpn_id) const {
  auto* vpn = impl_->find_vpn(vpn_id);
  if (vpn == nullptr) return make_error_code(errc::unknown_vpn);
  return vpn->link().counters();
}

std::vector<VpnInfo> Proxy::vpns() const {
  std::vector<VpnInfo> out;
  for (const auto& [id, vpn] : impl_->vpns)
    out.push_back({vpn->config(), vpn->link().state(), vpn->link().counters(),
                   vpn->link().segmentation_offload()});
  return out;
}

void Proxy::stop() {
  impl_->sampler.cancel();
  for (const auto& gateway : impl_->gateways) gateway->stop();
  impl_->gateways.clear();
  for (const auto& gateway : impl_->udp_gateways) gateway->stop();
  impl_->udp_gateways.clear();
  impl_->vpns.clear();
}

}  // namespace libproxy
