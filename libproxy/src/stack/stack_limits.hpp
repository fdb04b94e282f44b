// The bounds lwIP keeps against a hostile VPN peer (out-of-order queue, IPv4 reassembly), set at
// run time, and the counters of what they dropped. Process-wide, like lwIP itself.
#pragma once

#include <libproxy/config.hpp>

#include <cstdint>

namespace libproxy::stack {

/// Applies `limits` to every pcb from the next segment on. Call on the stack's thread.
void set_limits(const StackLimits& limits);
const StackLimits& limits();

/// Out-of-order segments lwIP dropped because a pcb's queue was over a limit, since start.
std::uint64_t ooseq_segments_dropped();

}  // namespace libproxy::stack
