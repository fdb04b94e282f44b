#include "gateway_service.hpp"

#include "probe_service.hpp"

#include <libproxy/error.hpp>

#include <fmt/format.h>
#include <asio/error.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>

namespace proxyd {
namespace {

// The errno behind a socket error (Asio reports them in its own category), or 0.
int socket_errno(const std::error_code& ec) {
  const bool system = ec.category() == asio::error::get_system_category() ||
                      ec.category() == std::system_category();
  return system ? ec.value() : 0;
}

ApiError not_found(Protocol protocol, const asio::ip::tcp::endpoint& address) {
  return {404, "not_found",
          fmt::format("no gateway on {}/{}", to_string(protocol), to_string(address))};
}

}  // namespace

const char* to_string(Protocol protocol) { return protocol == Protocol::tcp ? "tcp" : "udp"; }

ApiError bind_failure(const asio::ip::tcp::endpoint& address, const std::error_code& ec,
                      const char* what) {
  const int error = socket_errno(ec);
  if (error == EADDRINUSE)
    return {409, "address_in_use",
            fmt::format("{} is in use: {}", to_string(address), ec.message())};
  if (error == EADDRNOTAVAIL)
    return {400, "bad_address",
            fmt::format("{} is not an address of this machine", to_string(address))};
  if (error == EACCES)
    return {403, "forbidden",
            fmt::format("not allowed to bind {}: {}", to_string(address), ec.message())};
  return {500, "internal", fmt::format("cannot open the {}: {}", what, ec.message())};
}

GatewayService::GatewayService(libproxy::Proxy& proxy, VpnTransport& transport,
                               libproxy::TcpTimeouts timeouts, std::size_t max_connections,
                               libproxy::UdpGatewayConfig udp)
    : proxy_(proxy),
      transport_(transport),
      timeouts_(timeouts),
      max_connections_(max_connections),
      udp_(std::move(udp)) {}

void GatewayService::adopt_vpn(const libproxy::VpnConfig& vpn, const std::string& link_name,
                               const std::string& owner) {
  vpns_[vpn.id] = Vpn{vpn, link_name, true, 0, owner.empty() ? std::string{} : owner_key(owner)};
}

std::string GatewayService::owner_key(const std::string& requestor_id) {
  const bool node_id = requestor_id.size() == 42 && requestor_id.starts_with("0x") &&
                       std::all_of(requestor_id.begin() + 2, requestor_id.end(),
                                   [](unsigned char c) { return std::isxdigit(c) != 0; });
  if (!node_id) return requestor_id;
  std::string lower = requestor_id;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

std::optional<ApiError> GatewayService::join_vpn(const GatewayEntry& entry, bool& joined) {
  joined = false;
  const auto it = vpns_.find(entry.vpn_id);
  if (it != vpns_.end()) {
    // A VPN is its requestor's: another tenant must not publish or re-point its services.
    // Checked first, so that a stranger learns nothing else about it.
    if (!it->second.owner.empty() && it->second.owner != owner_key(entry.requestor_id))
      return ApiError{409, "vpn_owned_by_other_requestor",
                      fmt::format("VPN {} belongs to another requestor", entry.vpn_id)};
    const Cidr known{it->second.config.address, it->second.config.prefix_length};
    if (entry.local_addr && *entry.local_addr != known)
      return ApiError{409, "vpn_address_mismatch",
                      fmt::format("the proxy is {} in VPN {}, not {}", to_string(known),
                                  entry.vpn_id, to_string(*entry.local_addr))};
    return std::nullopt;
  }
  if (!entry.local_addr)
    return ApiError{400, "bad_field",
                    fmt::format("VPN {} is new to the proxy: localAddr (the proxy's address in "
                                "it, as CIDR) is required",
                                entry.vpn_id)};
  libproxy::VpnConfig config;
  config.id = entry.vpn_id;
  config.address = entry.local_addr->address;
  config.prefix_length = entry.local_addr->prefix_length;
  std::string link_name;
  std::error_code ec;
  auto link = transport_.open(entry.vpn_id, entry.requestor_id, link_name, ec);
  if (!link)
    return ApiError{500, "vpn_link_failed",
                    fmt::format("cannot open a link for VPN {}: {}", entry.vpn_id, ec.message())};
  if (auto error = proxy_.add_vpn(config, std::move(link)))
    return ApiError{400, "bad_field",
                    fmt::format("cannot join VPN {}: {}", entry.vpn_id, error.message())};
  vpns_[entry.vpn_id] = Vpn{config, link_name, false, 0, owner_key(entry.requestor_id)};
  joined = true;
  return std::nullopt;
}

void GatewayService::release_vpn(const std::string& vpn_id) {
  const auto it = vpns_.find(vpn_id);
  if (it == vpns_.end() || it->second.from_command_line || it->second.gateways > 0) return;
  transport_.close(vpn_id);
  proxy_.remove_vpn(vpn_id);
  vpns_.erase(it);
}

Outcome<Gateway> GatewayService::add(Protocol protocol, const asio::ip::tcp::endpoint& address,
                                     GatewayEntry entry) {
  if (gateways_.count({protocol, address}) != 0)
    return ApiError{
        409, "gateway_exists",
        fmt::format("a gateway already listens on {}/{}", to_string(protocol), to_string(address))};
  if (auto why = transport_.check_remote_id(entry.remote_id))
    return ApiError{400, "bad_field", *why};
  bool joined = false;
  if (auto error = join_vpn(entry, joined)) return *error;

  auto& activity_meter = activity_meters_[entry.activity_id];
  auto& vpn_meter = vpn_meters_[entry.vpn_id];
  const bool new_activity = !activity_meter, new_vpn = !vpn_meter;
  if (new_activity) activity_meter = std::make_shared<libproxy::TrafficMeter>();
  if (new_vpn) vpn_meter = std::make_shared<libproxy::TrafficMeter>();
  // A probe on that address hands its socket over: the port is never free between the probe
  // and the gateway, and clients waiting in its backlog (or datagrams in its queue) reach the
  // service.
  const bool probed = probes_ != nullptr && probes_->has(protocol, address);
  std::error_code added;
  if (protocol == Protocol::tcp) {
    libproxy::TcpGatewayConfig config;
    config.listen = address;
    config.vpn_id = entry.vpn_id;
    config.service = entry.remote_addr;
    config.timeouts = timeouts_;
    config.max_connections = max_connections_;
    config.meters = {activity_meter, vpn_meter};
    std::optional<libproxy::Result<libproxy::TcpGatewayInfo>> handed;
    if (probed)
      probes_->hand_over(address, [&](asio::ip::tcp::acceptor& listening) {
        handed = proxy_.add_tcp_gateway(config, listening);
      });
    added = (handed ? std::move(*handed) : proxy_.add_tcp_gateway(config)).error();
  } else {
    libproxy::UdpGatewayConfig config = udp_;
    config.listen = {address.address(), address.port()};
    config.vpn_id = entry.vpn_id;
    config.service = {entry.remote_addr.address(), entry.remote_addr.port()};
    config.meters = {activity_meter, vpn_meter};
    std::optional<libproxy::Result<libproxy::UdpGatewayInfo>> handed;
    if (probed)
      probes_->hand_over_udp({address.address(), address.port()},
                             [&](asio::ip::udp::socket& listening) {
                               handed = proxy_.add_udp_gateway(config, listening);
                             });
    added = (handed ? std::move(*handed) : proxy_.add_udp_gateway(config)).error();
  }
  if (added) {
    if (joined) release_vpn(entry.vpn_id);  // an error changes nothing
    if (new_activity) activity_meters_.erase(entry.activity_id);
    if (new_vpn) vpn_meters_.erase(entry.vpn_id);
    const auto ec = added;
    if (ec == libproxy::errc::gateway_exists)
      return ApiError{409, "address_in_use",
                      fmt::format("{} is in use: {}", to_string(address), ec.message())};
    if (ec == libproxy::errc::invalid_gateway_config)
      return ApiError{400, "bad_field", "remoteAddr must be an IPv4 address and a non-zero port"};
    return bind_failure(address, ec, "gateway");
  }
  auto& vpn = vpns_.at(entry.vpn_id);
  ++vpn.gateways;
  transport_.add_peer(entry.vpn_id, entry.remote_addr.address().to_v4(), entry.remote_id);
  entry.local_addr = Cidr{vpn.config.address, vpn.config.prefix_length};
  Gateway gateway{protocol, address, std::move(entry), vpn.link};
  gateways_.emplace(Key{protocol, address}, gateway);
  return gateway;
}

namespace {

std::optional<libproxy::Traffic> traffic_of(
    const std::map<std::string, std::shared_ptr<libproxy::TrafficMeter>>& meters,
    const std::string& id) {
  const auto it = meters.find(id);
  if (it == meters.end()) return std::nullopt;
  return it->second->snapshot();
}

std::map<std::string, libproxy::Traffic> traffic_of_all(
    const std::map<std::string, std::shared_ptr<libproxy::TrafficMeter>>& meters) {
  std::map<std::string, libproxy::Traffic> out;
  const auto now = libproxy::TrafficMeter::Clock::now();
  for (const auto& [id, meter] : meters) out.emplace(id, meter->snapshot(now));
  return out;
}

}  // namespace

std::optional<libproxy::Traffic> GatewayService::activity_traffic(
    const std::string& activity_id) const {
  return traffic_of(activity_meters_, activity_id);
}

std::optional<libproxy::Traffic> GatewayService::vpn_traffic(const std::string& vpn_id) const {
  return traffic_of(vpn_meters_, vpn_id);
}

std::map<std::string, libproxy::Traffic> GatewayService::activities_traffic() const {
  return traffic_of_all(activity_meters_);
}

std::map<std::string, libproxy::Traffic> GatewayService::vpns_traffic() const {
  return traffic_of_all(vpn_meters_);
}

std::shared_ptr<libproxy::TrafficMeter> GatewayService::vpn_meter(const std::string& vpn_id) {
  auto& meter = vpn_meters_[vpn_id];
  if (!meter) meter = std::make_shared<libproxy::TrafficMeter>();
  return meter;
}

std::map<std::string, std::string> GatewayService::vpn_links() const {
  std::map<std::string, std::string> out;
  for (const auto& [id, vpn] : vpns_) out.emplace(id, vpn.link);
  return out;
}

const std::string* GatewayService::activity_of(Protocol protocol,
                                               const asio::ip::tcp::endpoint& address) const {
  const auto it = gateways_.find({protocol, address});
  return it == gateways_.end() ? nullptr : &it->second.entry.activity_id;
}

Outcome<Gateway> GatewayService::get(Protocol protocol,
                                     const asio::ip::tcp::endpoint& address) const {
  const auto it = gateways_.find({protocol, address});
  if (it == gateways_.end()) return not_found(protocol, address);
  return it->second;
}

std::vector<Gateway> GatewayService::list() const {
  std::vector<Gateway> out;
  for (const auto& [key, gateway] : gateways_) out.push_back(gateway);
  return out;
}

std::optional<ApiError> GatewayService::remove(Protocol protocol,
                                               const asio::ip::tcp::endpoint& address) {
  const auto it = gateways_.find({protocol, address});
  if (it == gateways_.end()) return not_found(protocol, address);
  if (protocol == Protocol::tcp)
    proxy_.remove_tcp_gateway(address);
  else
    proxy_.remove_udp_gateway({address.address(), address.port()});
  const std::string vpn_id = it->second.entry.vpn_id;
  gateways_.erase(it);
  --vpns_.at(vpn_id).gateways;
  release_vpn(vpn_id);
  return std::nullopt;
}

}  // namespace proxyd
