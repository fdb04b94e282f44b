// The node id of the yagna daemon behind a GsbClient: its default identity, from the identity
// service (`/local/identity/Get`, ByDefault). An autostarted extension is told it in
// YAGNA_NODE_ID instead; this is for everything else.
#pragma once

#include <libproxy/gsb_client.hpp>

#include <functional>
#include <string>
#include <system_error>

namespace libproxy {

/// Asks as soon as `client` is connected (it must be started, and must outlive the call) and
/// hands `done` the node id (`0x` + 40 lowercase hex digits) or why there is none.
void fetch_default_node_id(GsbClient& client,
                           std::function<void(std::error_code, std::string node_id)> done);

}  // namespace libproxy
