// GsbLink: a VpnLink that carries one Golem VPN's Ethernet frames over the Golem Service Bus,
// as yagna's exe-unit does (../shared/notes/golem-vpn.md §2):
//
//   in:  pushes to  <bind_prefix>/vpn/<vpn>/raw          (one frame each; the caller is the
//                                                         sending node)
//        calls to   <bind_prefix>/vpn/<vpn>/VpnControl   (AddNodes / RemoveNodes; Ok(()) back)
//   out: pushes to  /udp/net/<node>/vpn/<vpn>/raw        (caller = our node id), <node> chosen
//        by a GsbNodeTable: ARP by target IP, IPv4 by destination, broadcast to every node.
//
// The daemon rewrites `/udp/net/<our node>` into `/public` before delivering, so bind_prefix is
// "/public" beside a yagna daemon. Nodes sharing a bare ya-sb-router (tests, benchmarks) bind
// "/udp/net/<own node id>" instead, which is where their peers push.
#pragma once

#include <libproxy/gsb_client.hpp>
#include <libproxy/result.hpp>
#include <libproxy/vpn_link.hpp>

#include <asio/ip/address_v4.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace libproxy {

/// Which node owns which VPN address. Entries the proxy was told (Gateway API, VpnControl)
/// win over entries learned from the source of incoming frames.
class GsbNodeTable {
public:
  enum class Source { learned, told };
  struct Entry {
    asio::ip::address_v4 address;
    std::string node_id;
    Source source = Source::told;
  };

  /// Maps `address` to `node_id`. A learned entry never replaces a told one.
  void set(asio::ip::address_v4 address, std::string node_id, Source source);
  /// Forgets every address of `node_id`.
  void remove_node(std::string_view node_id);
  /// The node that owns `address`, or nullptr.
  const std::string* find(asio::ip::address_v4 address) const;
  /// Every node, once each.
  std::vector<std::string> nodes() const;
  std::vector<Entry> entries() const;

private:
  std::map<asio::ip::address_v4, Entry> entries_;
};

struct GsbLinkConfig {
  std::string vpn_id;   ///< the Golem network id
  std::string node_id;  ///< our node id (`0x` + 40 hex digits): the caller of our pushes
  std::string bind_prefix = "/public";
  /// Shared with whoever tells the link about nodes (the daemon's Gateway API); a fresh table
  /// when empty.
  std::shared_ptr<GsbNodeTable> nodes;
};

/// Counts beyond LinkCounters: why frames went nowhere.
struct GsbLinkCounters {
  std::uint64_t frames_unroutable = 0;  ///< no node owns the destination (or not IPv4/ARP)
  std::uint64_t control_messages = 0;   ///< VpnControl calls served
  std::uint64_t control_rejected = 0;   ///< VpnControl calls of the wrong shape or network
};

class GsbLink final : public VpnLink {
public:
  /// Binds the link's addresses on `client`, which must outlive the link. Fails with
  /// errc::gsb_address_bound when `client` already serves this VPN.
  static Result<std::unique_ptr<GsbLink>> create(GsbClient& client, GsbLinkConfig config);
  ~GsbLink() override;

  const std::shared_ptr<GsbNodeTable>& nodes() const { return nodes_; }
  const std::string& raw_address() const { return raw_address_; }
  GsbLinkCounters gsb_counters() const { return gsb_counters_; }

  void start(Receiver& receiver) override;
  void send(std::span<const std::uint8_t> frame) override;
  void stop() override;
  LinkCounters counters() const override { return counters_; }
  LinkState state() const override;

private:
  GsbLink(GsbClient& client, GsbLinkConfig config);
  GsbReply on_raw(const GsbIncoming& incoming);
  GsbReply on_control(const GsbIncoming& incoming);
  void push_to(const std::string& node_id, std::span<const std::uint8_t> frame);

  GsbClient& client_;
  GsbLinkConfig config_;
  std::shared_ptr<GsbNodeTable> nodes_;
  std::string raw_address_;
  std::string control_address_;
  std::map<std::string, std::string, std::less<>> remote_addresses_;  // node → its raw address
  Receiver* receiver_ = nullptr;
  LinkCounters counters_;
  GsbLinkCounters gsb_counters_;
};

}  // namespace libproxy
