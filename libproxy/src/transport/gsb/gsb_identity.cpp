#include "typed.hpp"

#include <libproxy/gsb_identity.hpp>

#include <memory>

namespace libproxy {
namespace {

void ask(GsbClient& client, const std::function<void(std::error_code, std::string)>& done) {
  client.call("local", "/local/identity/Get", gsb::encode_identity_get_default(),
              [done](std::error_code ec, std::string reply) {
                if (ec) return done(ec, {});
                auto node = gsb::decode_identity_reply_node_id(reply, ec);
                done(ec, node ? std::move(*node) : std::string{});
              });
}

}  // namespace

void fetch_default_node_id(GsbClient& client,
                           std::function<void(std::error_code, std::string)> done) {
  if (client.connected()) return ask(client, done);
  // Ask once, on the first connect.
  auto asked = std::make_shared<bool>(false);
  client.on_state([&client, done = std::move(done), asked](bool connected) {
    if (!connected || *asked) return;
    *asked = true;
    ask(client, done);
  });
}

}  // namespace libproxy
