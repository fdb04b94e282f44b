#include "vpn_transport.hpp"

#include <libproxy/tap_link.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace proxyd {

std::unique_ptr<libproxy::VpnLink> TapTransport::open(const std::string& vpn_id,
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
                                                      std::string& link_name, std::error_code& ec) {
  std::erase_if(tables_, [](const auto& item) { return item.second.expired(); });
  auto table = std::make_shared<libproxy::GsbNodeTable>();
  auto link = libproxy::GsbLink::create(client_, {vpn_id, node_id_, "/public", table});
  if (!link) {
    ec = link.error();
    return nullptr;
  }
  tables_[vpn_id] = table;
  link_name = "gsb:" + link.value()->raw_address();
  return std::move(link).value();
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
  const auto it = tables_.find(vpn_id);
  if (it == tables_.end()) return;
  if (auto table = it->second.lock()) {
    std::string lower = remote_id;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    table->set(address, std::move(lower), libproxy::GsbNodeTable::Source::told);
  }
}

}  // namespace proxyd
