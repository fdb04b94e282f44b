// Typed Service Bus payloads (transport/gsb/typed.cpp): FlexBuffers, plain or zlib, as a
// requestor's VpnControl and the identity service's reply arrive. A VpnControl that decodes
// must hold only valid IPs and node ids, and must encode and decode back to the same message.
#include "transport/gsb/typed.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string_view>

using namespace libproxy::gsb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  std::error_code ec;
  if (const auto inflated = inflate_if_zlib(payload, ec)) {
    if (inflated->size() > max_typed_payload && *inflated != payload) __builtin_trap();
  }
  if (const auto control = decode_vpn_control(payload, ec)) {
    for (const auto& [ip, id] : control->nodes)
      if (!is_ipv4_dotted_quad(ip) || !is_node_id(id)) __builtin_trap();
    for (const auto& id : control->node_ids)
      if (!is_node_id(id)) __builtin_trap();
    const auto again = decode_vpn_control(encode_vpn_control(*control), ec);
    if (!again || again->kind != control->kind || again->network_id != control->network_id ||
        again->node_ids != control->node_ids)
      __builtin_trap();
    // Encoding keeps the last node of a duplicated IP, in IP order: compare as maps.
    std::map<std::string, std::string> before, after;
    for (const auto& [ip, id] : control->nodes) before[ip] = id;
    for (const auto& [ip, id] : again->nodes) after[ip] = id;
    if (before != after) __builtin_trap();
  }
  if (const auto id = decode_identity_reply_node_id(payload, ec))
    if (!is_node_id(*id)) __builtin_trap();
  return 0;
}
