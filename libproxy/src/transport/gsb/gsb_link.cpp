#include "frame_route.hpp"
#include "typed.hpp"

#include <libproxy/error.hpp>
#include <libproxy/gsb_link.hpp>

#include <algorithm>
#include <cstdio>
#include <set>

namespace libproxy {

void GsbNodeTable::set(asio::ip::address_v4 address, std::string node_id, Source source) {
  auto [it, inserted] = entries_.try_emplace(address, Entry{address, node_id, source});
  if (inserted) return;
  if (source == Source::learned && it->second.source == Source::told) return;
  it->second.node_id = std::move(node_id);
  it->second.source = source;
}

void GsbNodeTable::remove_node(std::string_view node_id) {
  std::erase_if(entries_, [&](const auto& item) { return item.second.node_id == node_id; });
}

const std::string* GsbNodeTable::find(asio::ip::address_v4 address) const {
  const auto it = entries_.find(address);
  return it == entries_.end() ? nullptr : &it->second.node_id;
}

std::vector<std::string> GsbNodeTable::nodes() const {
  std::set<std::string> distinct;
  for (const auto& [address, entry] : entries_) distinct.insert(entry.node_id);
  return {distinct.begin(), distinct.end()};
}

std::vector<GsbNodeTable::Entry> GsbNodeTable::entries() const {
  std::vector<Entry> out;
  for (const auto& [address, entry] : entries_) out.push_back(entry);
  return out;
}

Result<std::unique_ptr<GsbLink>> GsbLink::create(GsbClient& client, GsbLinkConfig config) {
  std::unique_ptr<GsbLink> link(new GsbLink(client, std::move(config)));
  GsbLink* self = link.get();
  if (auto ec = client.bind(self->raw_address_,
                            [self](const GsbIncoming& incoming) { return self->on_raw(incoming); }))
    return ec;
  if (auto ec = client.bind(self->control_address_, [self](const GsbIncoming& incoming) {
        return self->on_control(incoming);
      })) {
    client.unbind(self->raw_address_);
    return ec;
  }
  return link;
}

GsbLink::GsbLink(GsbClient& client, GsbLinkConfig config)
    : client_(client),
      config_(std::move(config)),
      nodes_(config_.nodes ? config_.nodes : std::make_shared<GsbNodeTable>()),
      raw_address_(config_.bind_prefix + "/vpn/" + config_.vpn_id + "/raw"),
      control_address_(config_.bind_prefix + "/vpn/" + config_.vpn_id + "/VpnControl") {}

GsbLink::~GsbLink() {
  client_.unbind(raw_address_);
  client_.unbind(control_address_);
}

void GsbLink::start(Receiver& receiver) { receiver_ = &receiver; }

LinkState GsbLink::state() const {
  if (!client_.connected()) return LinkState::down;
  return client_.registered(raw_address_) && client_.registered(control_address_)
             ? LinkState::up
             : LinkState::connecting;
}

void GsbLink::stop() { receiver_ = nullptr; }

GsbReply GsbLink::on_raw(const GsbIncoming& incoming) {
  // A push normally; over a central net a call, answered with an empty Ok.
  if (receiver_ == nullptr) {
    ++counters_.frames_dropped;
    return {};
  }
  ++counters_.frames_received;
  counters_.bytes_received += incoming.data.size();
  if (const auto source = gsb::frame_source(incoming.data);
      source && !source->is_unspecified() && *source != asio::ip::address_v4::broadcast() &&
      gsb::is_node_id(incoming.caller))
    nodes_->set(*source, std::string(incoming.caller), GsbNodeTable::Source::learned);
  receiver_->on_frame(incoming.data, {});
  return {};
}

GsbReply GsbLink::on_control(const GsbIncoming& incoming) {
  std::error_code ec;
  const std::string_view payload(reinterpret_cast<const char*>(incoming.data.data()),
                                 incoming.data.size());
  const auto control = gsb::decode_vpn_control(payload, ec);
  if (!control || control->network_id != config_.vpn_id) {
    ++gsb_counters_.control_rejected;
    const std::string why = control ? "VpnControl for network " + control->network_id +
                                          " reached network " + config_.vpn_id
                                    : "bad VpnControl: " + ec.message();
    return {0, gsb::encode_error(why)};  // a typed error travels inside an Ok call reply
  }
  ++gsb_counters_.control_messages;
  if (control->kind == gsb::VpnControl::Kind::add_nodes) {
    for (const auto& [ip, node] : control->nodes) {
      std::error_code parse_error;
      const auto address = asio::ip::make_address_v4(ip, parse_error);
      if (!parse_error) nodes_->set(address, node, GsbNodeTable::Source::told);
    }
  } else {
    for (const auto& node : control->node_ids) nodes_->remove_node(node);
  }
  return {0, gsb::encode_unit_ok()};
}

void GsbLink::send(std::span<const std::uint8_t> frame) {
  const auto route = gsb::route_frame(frame);
  if (route.kind == gsb::FrameRoute::Kind::broadcast) {
    const auto all = nodes_->nodes();
    if (all.empty()) ++gsb_counters_.frames_unroutable;
    for (const auto& node : all) push_to(node, frame);
    return;
  }
  const std::string* node = nullptr;
  if (route.kind == gsb::FrameRoute::Kind::unicast) {
    node = nodes_->find(route.address);
    if (node == nullptr && route.mac_address) node = nodes_->find(*route.mac_address);
  }
  if (node == nullptr) {
    ++gsb_counters_.frames_unroutable;
    ++counters_.frames_dropped;
    return;
  }
  push_to(*node, frame);
}

void GsbLink::push_to(const std::string& node_id, std::span<const std::uint8_t> frame) {
  auto it = remote_addresses_.find(node_id);
  if (it == remote_addresses_.end())
    it = remote_addresses_
             .emplace(node_id, "/udp/net/" + node_id + "/vpn/" + config_.vpn_id + "/raw")
             .first;
  if (!client_.push(config_.node_id, it->second, frame)) {
    ++counters_.frames_dropped;
    return;
  }
  ++counters_.frames_sent;
  counters_.bytes_sent += frame.size();
}

}  // namespace libproxy
