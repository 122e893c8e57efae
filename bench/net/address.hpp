#pragma once
// Addresses as the command lines give them: --bind, --host, --serve-bind,
// --delay-server. One parser for every tool, IPv4 and IPv6 alike, and an
// endpoint written as a URL writes it (IPv6 in brackets: [fd77::1]:8080).

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <string>
#include <string_view>

namespace simul {

// An IP address, e.g. 10.77.0.1 or fd77::1 (brackets allowed: [::1]);
// a usage_error naming `flag` otherwise. Host names are not looked up.
boost::asio::ip::address parse_address(std::string_view flag, std::string_view text);

// A usage_error naming `flag` if this machine (its network namespace) has no
// such address to listen on: "--bind: this machine has no address 10.9.9.9
// (ip address lists those it has)". 0.0.0.0 and :: (every address) pass.
void check_local_address(std::string_view flag, const boost::asio::ip::address& address);

// "HOST:PORT", an IPv6 host in brackets ([fd77::2]:9000); port 1 to 65535.
boost::asio::ip::tcp::endpoint parse_endpoint(std::string_view flag, std::string_view text);

// "10.77.0.1:8080", "[fd77::1]:8080".
std::string endpoint_text(const boost::asio::ip::tcp::endpoint& at);

// Where a client on this machine reaches a server that listens on `address`:
// the address itself, or loopback for 0.0.0.0 and ::.
boost::asio::ip::address reachable(const boost::asio::ip::address& address);

}  // namespace simul
