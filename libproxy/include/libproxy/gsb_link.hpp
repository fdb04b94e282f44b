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
//
// Who may do what (the daemon passes `caller` as the sending node, ../shared/notes/golem-vpn.md
// §2.3): VpnControl only from the VPN's requestor node; frames only from nodes of the VPN (the
// requestor, and nodes with a told entry in the table); addresses are learned only from those.
// Everything else is dropped and counted.
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
/// win over entries learned from the source of incoming frames, and traffic never moves an
/// address from one node to another. Bounded: past max_entries a
/// new told entry evicts a learned one, anything else is refused (and counted).
class GsbNodeTable {
public:
  enum class Source { learned, told };
  struct Entry {
    asio::ip::address_v4 address;
    std::string node_id;
    Source source = Source::told;
  };
  static constexpr std::size_t default_max_entries = 4096;

  explicit GsbNodeTable(std::size_t max_entries = default_max_entries)
      : max_entries_(max_entries) {}

  /// Maps `address` to `node_id`; false if not stored. A learned entry never replaces a told
  /// one nor another node's; a new address in a full table is refused.
  bool set(asio::ip::address_v4 address, std::string node_id, Source source);
  /// Forgets every address of `node_id`.
  void remove_node(std::string_view node_id);
  /// The node that owns `address`, or nullptr.
  const std::string* find(asio::ip::address_v4 address) const;
  /// True when `node_id` owns a told entry: a node of the VPN.
  bool is_told_node(std::string_view node_id) const { return told_.count(node_id) != 0; }
  /// Every node, once each.
  std::vector<std::string> nodes() const;
  std::vector<Entry> entries() const;
  std::size_t size() const { return entries_.size(); }
  std::size_t max_entries() const { return max_entries_; }
  /// New addresses refused because the table was full.
  std::uint64_t refused() const { return refused_; }

private:
  void count_told(const Entry& entry, int delta);

  std::map<asio::ip::address_v4, Entry> entries_;
  std::map<std::string, std::size_t, std::less<>> told_;  // node → its told entries
  std::size_t max_entries_;
  std::uint64_t refused_ = 0;
};

struct GsbLinkConfig {
  std::string vpn_id;   ///< the Golem network id
  std::string node_id;  ///< our node id (`0x` + 40 hex digits): the caller of our pushes
  std::string bind_prefix = "/public";
  /// Shared with whoever tells the link about nodes (the daemon's Gateway API); a fresh table
  /// of max_nodes entries when empty.
  std::shared_ptr<GsbNodeTable> nodes;
  /// The VPN's requestor node (`0x` + 40 hex digits, any case): the only caller whose
  /// VpnControl is obeyed, and a node whose frames are taken. Empty or not a node id: no
  /// VpnControl is obeyed at all.
  std::string requestor_id = {};
  std::size_t max_nodes = GsbNodeTable::default_max_entries;
};

/// Counts beyond LinkCounters: why frames went nowhere, and what was refused.
struct GsbLinkCounters {
  std::uint64_t frames_unroutable = 0;      ///< no node owns the destination (or not IPv4/ARP)
  std::uint64_t control_messages = 0;       ///< VpnControl calls served
  std::uint64_t control_rejected = 0;       ///< VpnControl calls of the wrong shape or network
  std::uint64_t control_refused = 0;        ///< VpnControl calls from a caller not the requestor
  std::uint64_t frames_from_strangers = 0;  ///< frames from callers that are not nodes of the VPN
  std::uint64_t node_table_refused = 0;     ///< addresses not stored: the node table was full

  GsbLinkCounters& operator+=(const GsbLinkCounters& other) {
    frames_unroutable += other.frames_unroutable;
    control_messages += other.control_messages;
    control_rejected += other.control_rejected;
    control_refused += other.control_refused;
    frames_from_strangers += other.frames_from_strangers;
    node_table_refused += other.node_table_refused;
    return *this;
  }
};

class GsbLink final : public VpnLink {
public:
  /// Binds the link's addresses on `client`, which must outlive the link. Fails with
  /// errc::gsb_address_bound when `client` already serves this VPN; a failure unbinds only
  /// what this call bound.
  static Result<std::unique_ptr<GsbLink>> create(GsbClient& client, GsbLinkConfig config);
  ~GsbLink() override;

  const std::shared_ptr<GsbNodeTable>& nodes() const { return nodes_; }
  const std::string& raw_address() const { return raw_address_; }
  GsbLinkCounters gsb_counters() const {
    auto out = gsb_counters_;
    out.node_table_refused = nodes_->refused();
    return out;
  }

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
  bool is_requestor(std::string_view lowercase_caller) const;

  GsbClient& client_;
  GsbLinkConfig config_;
  std::shared_ptr<GsbNodeTable> nodes_;
  std::string raw_address_;
  std::string control_address_;
  std::string requestor_;  // lowercase node id, or empty
  bool raw_bound_ = false, control_bound_ = false;
  std::map<std::string, std::string, std::less<>> remote_addresses_;  // node → its raw address
  Receiver* receiver_ = nullptr;
  LinkCounters counters_;
  GsbLinkCounters gsb_counters_;
};

}  // namespace libproxy
