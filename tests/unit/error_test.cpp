#include <libproxy/error.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <string>

TEST_CASE("libproxy error codes carry their own category and distinct messages") {
  std::set<std::string> messages;
  for (int e = static_cast<int>(libproxy::errc::connect_refused);
       e <= static_cast<int>(libproxy::errc::gsb_bad_payload); ++e) {
    const std::error_code code = static_cast<libproxy::errc>(e);
    CHECK(code.category() == libproxy::category());
    CHECK(std::string(code.category().name()) == "libproxy");
    messages.insert(code.message());
  }
  CHECK(messages.size() == static_cast<std::size_t>(libproxy::errc::gsb_bad_payload) -
                               static_cast<std::size_t>(libproxy::errc::connect_refused) + 1);
  CHECK(std::error_code(libproxy::errc::gateway_exists) == libproxy::errc::gateway_exists);
  CHECK(std::error_code(-14, libproxy::lwip_category()).message() == "connection reset");
}
