// SourceTable and source_key: per-source admission counts IPv4 addresses one by one and IPv6
// addresses by their /64, so that one subscriber's prefix cannot bypass the limits.
#include <libproxy/source_table.hpp>

#include <catch2/catch.hpp>

using asio::ip::make_address;
using libproxy::SourceTable;

TEST_CASE("source_key keeps IPv4 and reduces IPv6 to its /64") {
  CHECK(libproxy::source_key(make_address("192.0.2.7")) == make_address("192.0.2.7"));
  CHECK(libproxy::source_key(make_address("2001:db8:1:2:aaaa:bbbb:cccc:dddd")) ==
        make_address("2001:db8:1:2::"));
  CHECK(libproxy::source_key(make_address("::ffff:192.0.2.7")) == make_address("192.0.2.7"));
  CHECK(libproxy::source_key(make_address("2001:db8:1:2::1")) !=
        libproxy::source_key(make_address("2001:db8:1:3::1")));
}

TEST_CASE("addresses of one IPv6 /64 share one source's connection cap") {
  libproxy::SourceLimits limits;
  limits.max_connections = 2;
  SourceTable table(limits);
  CHECK(table.admit(make_address("2001:db8::1")) == SourceTable::Verdict::admitted);
  CHECK(table.admit(make_address("2001:db8::2")) == SourceTable::Verdict::admitted);
  CHECK(table.admit(make_address("2001:db8::ffff:3")) == SourceTable::Verdict::too_many);
  CHECK(table.size() == 1);
  // Another /64, and IPv4 addresses, are sources of their own.
  CHECK(table.admit(make_address("2001:db8:0:1::1")) == SourceTable::Verdict::admitted);
  CHECK(table.admit(make_address("192.0.2.1")) == SourceTable::Verdict::admitted);
  CHECK(table.admit(make_address("192.0.2.2")) == SourceTable::Verdict::admitted);
  // A release by any address of the /64 frees the prefix's slot.
  table.release(make_address("2001:db8::7"));
  CHECK(table.open(make_address("2001:db8::1")) == 1);
  CHECK(table.admit(make_address("2001:db8::9")) == SourceTable::Verdict::admitted);
}
