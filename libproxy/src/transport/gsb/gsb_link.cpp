#include "frame_route.hpp"
#include "typed.hpp"

#include <libproxy/error.hpp>
#include <libproxy/gsb_link.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <set>

namespace libproxy {

namespace {

// `caller` as a lowercase node id, in `buffer`; empty when it is not a node id. Node ids are
// hex, and yagna prints them in lowercase, as the table keeps them.
std::string_view lowercase_node_id(std::string_view caller, std::array<char, 42>& buffer) {
  if (!gsb::is_node_id(caller)) return {};
  std::transform(caller.begin(), caller.end(), buffer.begin(), [](char c) {
    return c >= 'A' && c <= 'F' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return {buffer.data(), buffer.size()};
}

}  // namespace

void GsbNodeTable::count_told(const Entry& entry, int delta) {
  if (entry.source != Source::told) return;
  if (delta > 0) {
    ++told_[entry.node_id];
    return;
  }
  const auto it = told_.find(entry.node_id);
  if (it != told_.end() && --it->second == 0) told_.erase(it);
}

bool GsbNodeTable::set(asio::ip::address_v4 address, std::string node_id, Source source) {
  auto it = entries_.find(address);
  if (it == entries_.end()) {
    if (entries_.size() >= max_entries_) {
      // Full: what the proxy is told matters more than what it learned.
      const auto learned = std::find_if(entries_.begin(), entries_.end(), [](const auto& item) {
        return item.second.source == Source::learned;
      });
      if (source == Source::learned || learned == entries_.end()) {
        ++refused_;
        return false;
      }
      entries_.erase(learned);
    }
    it = entries_.emplace(address, Entry{address, std::move(node_id), source}).first;
    count_told(it->second, +1);
    return true;
  }
  // Traffic never takes an address from another node: only being told does.
  if (source == Source::learned &&
      (it->second.source == Source::told || it->second.node_id != node_id))
    return false;
  count_told(it->second, -1);
  it->second.node_id = std::move(node_id);
  it->second.source = source;
  count_told(it->second, +1);
  return true;
}

void GsbNodeTable::remove_node(std::string_view node_id) {
  std::erase_if(entries_, [&](const auto& item) { return item.second.node_id == node_id; });
  if (const auto it = told_.find(node_id); it != told_.end()) told_.erase(it);
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
  // The destructor unbinds only what was bound here: after a failure the addresses may be
  // another link's.
  if (auto ec = client.bind(self->raw_address_,
                            [self](const GsbIncoming& incoming) { return self->on_raw(incoming); }))
    return ec;
  self->raw_bound_ = true;
  if (auto ec = client.bind(self->control_address_, [self](const GsbIncoming& incoming) {
        return self->on_control(incoming);
      }))
    return ec;
  self->control_bound_ = true;
  return link;
}

GsbLink::GsbLink(GsbClient& client, GsbLinkConfig config)
    : client_(client),
      config_(std::move(config)),
      nodes_(config_.nodes ? config_.nodes : std::make_shared<GsbNodeTable>(config_.max_nodes)),
      raw_address_(config_.bind_prefix + "/vpn/" + config_.vpn_id + "/raw"),
      control_address_(config_.bind_prefix + "/vpn/" + config_.vpn_id + "/VpnControl") {
  std::array<char, 42> buffer;
  requestor_ = std::string(lowercase_node_id(config_.requestor_id, buffer));
}

GsbLink::~GsbLink() {
  if (raw_bound_) client_.unbind(raw_address_);
  if (control_bound_) client_.unbind(control_address_);
}

bool GsbLink::is_requestor(std::string_view lowercase_caller) const {
  return !requestor_.empty() && lowercase_caller == requestor_;
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
  std::array<char, 42> buffer;
  const auto caller = lowercase_node_id(incoming.caller, buffer);
  if (caller.empty() || (!is_requestor(caller) && !nodes_->is_told_node(caller))) {
    ++gsb_counters_.frames_from_strangers;  // not a node of this VPN: never reaches lwIP
    ++counters_.frames_dropped;
    return {};
  }
  ++counters_.frames_received;
  counters_.bytes_received += incoming.data.size();
  if (const auto source = gsb::frame_source(incoming.data);
      source && !source->is_unspecified() && *source != asio::ip::address_v4::broadcast()) {
    if (nodes_->find(*source) == nullptr)  // a new address of a node of the VPN
      nodes_->set(*source, std::string(caller), GsbNodeTable::Source::learned);
  }
  receiver_->on_frame(incoming.data, {});
  return {};
}

GsbReply GsbLink::on_control(const GsbIncoming& incoming) {
  std::array<char, 42> buffer;
  if (!is_requestor(lowercase_node_id(incoming.caller, buffer))) {
    ++gsb_counters_.control_refused;
    return {0, gsb::encode_error("VpnControl for network " + config_.vpn_id +
                                 " is accepted only from its requestor")};
  }
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
