// Local ports for the proxy's virtual connections.
//
// lwIP picks an ephemeral port by scanning every pcb, TIME_WAIT ones included, once per connect:
// at thousands of new connections per second that scan was the proxy's largest user-space cost
// (tests/bench: 16 % of the daemon's CPU time). This table answers in O(1) instead. A port is
// held per (netif, remote address, remote port), which is all lwIP needs to tell connections
// apart (the local address is the netif's), from connect() until lwIP frees the pcb, TIME_WAIT
// expiry and aborts included, which lwIP reports through a pcb ext-arg destroy callback. Like
// lwIP's own state, the table is process-wide and used only on the thread that owns the stack.
#pragma once

#include <cstdint>

struct tcp_pcb;

namespace libproxy::stack::ports {

/// Presets a free local port on `pcb` (fresh from tcp_new, not yet bound or connected) for a
/// connection through netif `netif_index` to remote_ip:remote_port (host byte order), held until
/// lwIP frees the pcb. False if every port to that remote end is taken.
bool assign(struct tcp_pcb* pcb, std::uint8_t netif_index, std::uint32_t remote_ip,
            std::uint16_t remote_port);

/// Ports held now (for tests).
std::size_t held();

}  // namespace libproxy::stack::ports
