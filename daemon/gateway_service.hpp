// GatewayService: the Gateway API's model, on the io thread. It keeps each gateway's Entry,
// joins a VPN when its first gateway arrives (creating the VPN's link) and leaves it when its
// last API gateway goes, and maps every failure to an API error that changed nothing.
#pragma once

#include "endpoint.hpp"
#include "vpn_transport.hpp"

#include <libproxy/proxy.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace proxyd {

class ProbeService;

enum class Protocol { tcp, udp };
const char* to_string(Protocol protocol);

/// A failed API call: HTTP status, a stable machine-readable code, and a message for people.
struct ApiError {
  int status;
  std::string code;
  std::string message;
};

template <class T>
using Outcome = std::variant<T, ApiError>;

/// The API error for a public socket that could not be opened on `address` (`what` names it:
/// "gateway", "probe"): 409 in use, 400 not this machine's address, 403 not allowed, else 500.
ApiError bind_failure(const asio::ip::tcp::endpoint& address, const std::error_code& ec,
                      const char* what);

/// What the Net Runtime gives for a gateway (GAP-22's Entry, plus the proxy's own address in
/// the VPN, which it needs to join the VPN).
struct GatewayEntry {
  std::string requestor_id;
  std::string activity_id;
  std::string vpn_id;
  std::string remote_id;                ///< the service provider's node id
  asio::ip::tcp::endpoint remote_addr;  ///< the service inside the VPN
  std::optional<Cidr> local_addr;       ///< required when the VPN is new to the proxy
};

/// A gateway as the API reports it.
struct Gateway {
  Protocol protocol;
  asio::ip::tcp::endpoint address;  ///< where it listens
  GatewayEntry entry;               ///< local_addr always set
  std::string vpn_link;             ///< the VPN's link (e.g. its TAP device)
};

class GatewayService {
public:
  /// `transport` opens the links of the VPNs that gateways bring; it must outlive the service.
  /// `udp` holds the limits of every UDP gateway (its addresses are ignored).
  GatewayService(libproxy::Proxy& proxy, VpnTransport& transport, libproxy::TcpTimeouts timeouts,
                 std::size_t max_connections, libproxy::UdpGatewayConfig udp = {});

  /// A VPN joined from the command line: kept for the daemon's lifetime. `owner`: the only
  /// requestor whose API gateways may use it; empty: the operator's VPN, open to any requestor
  /// (and, over the GSB, obeying nobody's VpnControl).
  void adopt_vpn(const libproxy::VpnConfig& vpn, const std::string& link_name,
                 const std::string& owner = {});
  /// How VPN ownership compares requestor ids: node ids (0x and 40 hex digits) in lowercase,
  /// anything else as it is.
  static std::string owner_key(const std::string& requestor_id);
  const VpnTransport& transport() const { return transport_; }
  /// Where add() finds probes to replace.
  void set_probes(ProbeService* probes) { probes_ = probes; }
  bool has(Protocol protocol, const asio::ip::tcp::endpoint& address) const {
    return gateways_.count({protocol, address}) != 0;
  }
  std::size_t vpn_count() const { return vpns_.size(); }
  /// Distinct activities that have had a gateway since the daemon started.
  std::size_t activities_served() const { return activity_meters_.size(); }

  /// Bytes and rates of an activity's or a VPN's connections since its first gateway, closed
  /// connections and removed gateways included; nothing for an id no gateway ever had.
  std::optional<libproxy::Traffic> activity_traffic(const std::string& activity_id) const;
  std::optional<libproxy::Traffic> vpn_traffic(const std::string& vpn_id) const;
  /// Every activity and VPN with a meter, by id.
  std::map<std::string, libproxy::Traffic> activities_traffic() const;
  std::map<std::string, libproxy::Traffic> vpns_traffic() const;
  /// The meter of a VPN's connections (made on first use; gateways from the command line count
  /// into it too).
  std::shared_ptr<libproxy::TrafficMeter> vpn_meter(const std::string& vpn_id);
  /// The link of each VPN, by id (its TAP device, or gsb: and its bus address).
  std::map<std::string, std::string> vpn_links() const;
  /// The activity of the gateway listening on `address`, if any.
  const std::string* activity_of(Protocol protocol, const asio::ip::tcp::endpoint& address) const;

  Outcome<Gateway> add(Protocol protocol, const asio::ip::tcp::endpoint& address,
                       GatewayEntry entry);
  Outcome<Gateway> get(Protocol protocol, const asio::ip::tcp::endpoint& address) const;
  std::vector<Gateway> list() const;
  std::optional<ApiError> remove(Protocol protocol, const asio::ip::tcp::endpoint& address);

private:
  struct Vpn {
    libproxy::VpnConfig config;
    std::string link;
    bool from_command_line = false;
    std::size_t gateways = 0;
    std::string owner;  ///< owner_key() of the requestor whose gateway joined it; empty: anyone
  };
  using Key = std::pair<Protocol, asio::ip::tcp::endpoint>;

  std::optional<ApiError> join_vpn(const GatewayEntry& entry, bool& joined);
  void release_vpn(const std::string& vpn_id);

  libproxy::Proxy& proxy_;
  VpnTransport& transport_;
  libproxy::TcpTimeouts timeouts_;
  std::size_t max_connections_;
  libproxy::UdpGatewayConfig udp_;
  std::map<std::string, Vpn> vpns_;
  std::map<Key, Gateway> gateways_;
  ProbeService* probes_ = nullptr;
  // Kept for the daemon's lifetime: totals are monotonic.
  std::map<std::string, std::shared_ptr<libproxy::TrafficMeter>> activity_meters_;
  std::map<std::string, std::shared_ptr<libproxy::TrafficMeter>> vpn_meters_;
};

}  // namespace proxyd
