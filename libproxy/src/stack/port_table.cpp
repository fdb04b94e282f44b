#include "port_table.hpp"

#include <lwip/opt.h>
#include <lwip/tcp.h>

#include <cstddef>
#include <functional>
#include <unordered_set>

namespace libproxy::stack::ports {
namespace {

struct Key {
  std::uint32_t remote_ip;
  std::uint16_t remote_port;
  std::uint16_t local_port;
  std::uint8_t netif_index;
  bool operator==(const Key&) const = default;
};

struct KeyHash {
  std::size_t operator()(const Key& k) const {
    const std::uint64_t packed =
        std::uint64_t{k.remote_ip} << 32 | std::uint64_t{k.remote_port} << 16 | k.local_port;
    return std::hash<std::uint64_t>{}(packed * 0x9E3779B97F4A7C15ULL ^ k.netif_index);
  }
};

constexpr std::uint32_t first_port = TCP_LOCAL_PORT_RANGE_START;
constexpr std::uint32_t port_count = TCP_LOCAL_PORT_RANGE_END - TCP_LOCAL_PORT_RANGE_START + 1;

std::unordered_set<Key, KeyHash>& held_keys() {
  static std::unordered_set<Key, KeyHash> keys;
  return keys;
}

// Ports go round the range from a random start, as lwIP's do, so a port comes back to the same
// remote end as late as possible.
std::uint32_t& cursor() {
  static std::uint32_t next = LWIP_RAND() % port_count;
  return next;
}

void release(u8_t, void* data) {
  auto* key = static_cast<Key*>(data);
  if (key == nullptr) return;
  held_keys().erase(*key);
  delete key;
}

constexpr tcp_ext_arg_callbacks lease_callbacks = {release, nullptr};

u8_t lease_slot() {
  static const u8_t id = tcp_ext_arg_alloc_id();  // once per process, like lwIP's state
  return id;
}

}  // namespace

bool assign(struct tcp_pcb* pcb, std::uint8_t netif_index, std::uint32_t remote_ip,
            std::uint16_t remote_port) {
  auto& keys = held_keys();
  auto& next = cursor();
  for (std::uint32_t tried = 0; tried < port_count; ++tried) {
    const auto port = static_cast<std::uint16_t>(first_port + next);
    next = (next + 1) % port_count;
    const Key key{remote_ip, remote_port, port, netif_index};
    if (!keys.insert(key).second) continue;
    tcp_ext_arg_set_callbacks(pcb, lease_slot(), &lease_callbacks);
    tcp_ext_arg_set(pcb, lease_slot(), new Key(key));
    // tcp_connect() takes a preset port as it is: no scan of lwIP's lists. (It then unlinks
    // the pcb from tcp_bound_pcbs, where it never was: harmless, though TCP_RMV would assert
    // that the list is not empty if lwIP's own debugging, LWIP_DEBUG, were ever turned on.)
    pcb->local_port = port;
    return true;
  }
  return false;
}

std::size_t held() { return held_keys().size(); }

}  // namespace libproxy::stack::ports
