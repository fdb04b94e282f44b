// How golem-proxyd reaches the VPNs it joins: TAP devices (local networks, demos, tests) or the
// Golem Service Bus of a yagna daemon (production). GatewayService asks it for each new VPN's
// link and tells it which node hosts each gateway's service.
#pragma once

#include <libproxy/gsb_client.hpp>
#include <libproxy/gsb_link.hpp>
#include <libproxy/vpn_link.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/address_v4.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

namespace proxyd {

class VpnTransport {
public:
  virtual ~VpnTransport() = default;
  /// "tap" or "gsb".
  virtual const char* name() const = 0;
  /// Opens the link of a VPN the proxy joins; sets `link_name` to something a person can find
  /// it by (a TAP device, a Service Bus address). `requestor_id` is the VPN's owner (empty:
  /// none): over the GSB, the only node whose VpnControl the link obeys.
  virtual std::unique_ptr<libproxy::VpnLink> open(const std::string& vpn_id,
                                                  const std::string& requestor_id,
                                                  std::string& link_name, std::error_code& ec) = 0;
  /// Why a gateway's remoteId cannot be used here, or nothing.
  virtual std::optional<std::string> check_remote_id(const std::string& remote_id) const {
    (void)remote_id;
    return std::nullopt;
  }
  /// The service at `address` in `vpn_id` runs on node `remote_id` (called once the VPN's link
  /// is open).
  virtual void add_peer(const std::string& vpn_id, asio::ip::address_v4 address,
                        const std::string& remote_id) {
    (void)vpn_id, (void)address, (void)remote_id;
  }
  /// The proxy is about to leave `vpn_id` (its link goes next).
  virtual void close(const std::string& vpn_id) { (void)vpn_id; }
  /// The GSB links' refusals and drops, summed over every link ever opened; nothing for TAP.
  virtual std::optional<libproxy::GsbLinkCounters> gsb_link_counters() const {
    return std::nullopt;
  }
};

/// A TAP device per VPN, named "gp" and 12 hex digits of a hash of the VPN id.
class TapTransport final : public VpnTransport {
public:
  /// `offload`: open each device with segmentation offload (libproxy::TapOptions).
  TapTransport(asio::io_context& io, bool offload) : io_(io), offload_(offload) {}
  const char* name() const override { return "tap"; }
  std::unique_ptr<libproxy::VpnLink> open(const std::string& vpn_id,
                                          const std::string& requestor_id, std::string& link_name,
                                          std::error_code& ec) override;

private:
  asio::io_context& io_;
  bool offload_;
};

/// A GsbLink per VPN on one GsbClient; the proxy's node id is the caller of every push.
class GsbTransport final : public VpnTransport {
public:
  /// `max_nodes`: the size of each VPN's node table.
  GsbTransport(libproxy::GsbClient& client, std::string node_id,
               std::size_t max_nodes = libproxy::GsbNodeTable::default_max_entries)
      : client_(client), node_id_(std::move(node_id)), max_nodes_(max_nodes) {}
  const char* name() const override { return "gsb"; }
  const std::string& node_id() const { return node_id_; }
  std::unique_ptr<libproxy::VpnLink> open(const std::string& vpn_id,
                                          const std::string& requestor_id, std::string& link_name,
                                          std::error_code& ec) override;
  std::optional<std::string> check_remote_id(const std::string& remote_id) const override;
  void add_peer(const std::string& vpn_id, asio::ip::address_v4 address,
                const std::string& remote_id) override;
  void close(const std::string& vpn_id) override;
  std::optional<libproxy::GsbLinkCounters> gsb_link_counters() const override;

private:
  struct OpenLink {
    std::weak_ptr<libproxy::GsbNodeTable> table;  // expires with the link
    const libproxy::GsbLink* link;                // valid while `table` is alive
  };
  void forget_closed_links();

  libproxy::GsbClient& client_;
  std::string node_id_;
  std::size_t max_nodes_;
  std::map<std::string, OpenLink> links_;  // by VPN id
  libproxy::GsbLinkCounters closed_;       // of the links gone, so that totals never fall
};

}  // namespace proxyd
