#include "bench/net/address.hpp"

#include "support/flags.hpp"
#include "support/usage_error.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace simul {

namespace ip = boost::asio::ip;

ip::address parse_address(std::string_view flag, std::string_view text) {
    std::string_view bare = text;
    if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
    boost::system::error_code ec;
    const auto a = ip::make_address(std::string(bare), ec);
    if (ec || text.empty())
        throw usage_error(
            fmt::format("{}: '{}' is not an IP address (e.g. 127.0.0.1 or ::1; names are not looked up)", flag, text));
    return a;
}

void check_local_address(std::string_view flag, const ip::address& address) {
    if (address.is_unspecified()) return;
    const ip::tcp::endpoint at(address, 0);
    const int fd = ::socket(at.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw usage_error(fmt::format("{}: cannot listen on {}: {}", flag, address.to_string(), std::strerror(errno)));
    const int bound = ::bind(fd, at.data(), socklen_t(at.size()));
    const int err = errno;
    ::close(fd);
    if (bound == 0) return;
    if (err == EADDRNOTAVAIL)
        throw usage_error(fmt::format("{}: this machine has no address {} (ip address lists those it has)", flag,
                                      address.to_string()));
    throw usage_error(fmt::format("{}: cannot listen on {}: {}", flag, address.to_string(), std::strerror(err)));
}

ip::tcp::endpoint parse_endpoint(std::string_view flag, std::string_view text) {
    const auto colon = text.rfind(':');
    const bool bracketed = !text.empty() && text.front() == '[';
    // An IPv6 address needs its brackets: in fd77::2:9000 the port cannot be told apart.
    if (colon == std::string_view::npos || colon == 0 || (!bracketed && text.substr(0, colon).find(':') != text.npos) ||
        (bracketed && text[colon - 1] != ']'))
        throw usage_error(
            fmt::format("{}: '{}' is not HOST:PORT (e.g. 10.77.0.2:9000, or [fd77::2]:9000 for IPv6)", flag, text));
    const auto port = flags::to_whole(text.substr(colon + 1));
    if (!port || *port < 1 || *port > 65535)
        throw usage_error(fmt::format("{}: '{}' has no port from 1 to 65535 after the last ':'", flag, text));
    return {parse_address(flag, text.substr(0, colon)), static_cast<unsigned short>(*port)};
}

std::string endpoint_text(const ip::tcp::endpoint& at) {
    const std::string host = at.address().to_string();
    return at.address().is_v6() ? fmt::format("[{}]:{}", host, at.port()) : fmt::format("{}:{}", host, at.port());
}

ip::address reachable(const ip::address& address) {
    if (!address.is_unspecified()) return address;
    if (address.is_v6()) return ip::address_v6::loopback();
    return ip::address_v4::loopback();
}

}  // namespace simul
