#include "vpn_transport.hpp"

#include <libproxy/tap_link.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace proxyd {

std::unique_ptr<libproxy::VpnLink> TapTransport::open(const std::string& vpn_id,
                                                      const std::string& /*requestor_id*/,
                                                      std::string& link_name, std::error_code& ec) {
  // Device names are at most 15 bytes: "gp" and 12 hex digits of an FNV-1a hash of the id.
  std::uint64_t hash = 0xCBF29CE484222325ULL;
  for (unsigned char c : vpn_id) hash = (hash ^ c) * 0x100000001B3ULL;
  auto link =
      libproxy::TapLink::open(io_, fmt::format("gp{:012x}", hash >> 16), ec, {.offload = offload_});
  if (link) link_name = link->name();
  return link;
}

std::unique_ptr<libproxy::VpnLink> GsbTransport::open(const std::string& vpn_id,
                                                      const std::string& requestor_id,
                                                      std::string& link_name, std::error_code& ec) {
  forget_closed_links();
  auto table = std::make_shared<libproxy::GsbNodeTable>(max_nodes_);
  libproxy::GsbLinkConfig config{vpn_id, node_id_, "/public", table, requestor_id, max_nodes_};
  auto link = libproxy::GsbLink::create(client_, std::move(config));
  if (!link) {
    ec = link.error();
    return nullptr;
  }
  links_[vpn_id] = {table, link.value().get()};
  link_name = "gsb:" + link.value()->raw_address();
  return std::move(link).value();
}

void GsbTransport::forget_closed_links() {
  std::erase_if(links_, [](const auto& item) { return item.second.table.expired(); });
}

void GsbTransport::close(const std::string& vpn_id) {
  const auto it = links_.find(vpn_id);
  if (it == links_.end()) return;
  if (const auto alive = it->second.table.lock()) closed_ += it->second.link->gsb_counters();
  links_.erase(it);
}

std::optional<libproxy::GsbLinkCounters> GsbTransport::gsb_link_counters() const {
  auto total = closed_;
  for (const auto& [vpn_id, open] : links_)
    if (const auto alive = open.table.lock()) total += open.link->gsb_counters();
  return total;
}

std::optional<std::string> GsbTransport::check_remote_id(const std::string& remote_id) const {
  const bool node_id = remote_id.size() == 42 && remote_id.starts_with("0x") &&
                       std::all_of(remote_id.begin() + 2, remote_id.end(),
                                   [](unsigned char c) { return std::isxdigit(c) != 0; });
  if (node_id) return std::nullopt;
  return "remoteId must be the service provider's node id: 0x and 40 hex digits";
}

void GsbTransport::add_peer(const std::string& vpn_id, asio::ip::address_v4 address,
                            const std::string& remote_id) {
  const auto it = links_.find(vpn_id);
  if (it == links_.end()) return;
  if (auto table = it->second.table.lock()) {
    std::string lower = remote_id;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    table->set(address, std::move(lower), libproxy::GsbNodeTable::Source::told);
  }
}

}  // namespace proxyd
