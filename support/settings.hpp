#pragma once
// Settings that are not parameters of a case: where data lives, and where
// the socket workloads meet their helpers.

#include <filesystem>
#include <string>

namespace simul {

// Where workloads keep their data sets (--data-dir); by default data/ in the
// build folder.
std::filesystem::path data_dir();
void set_data_dir(std::filesystem::path dir);
// True once set_data_dir was called (--data-dir): only a folder the user
// chose is a usage error when unusable; the default one is a set-up error.
bool data_dir_chosen();

// Where the socket workloads listen and connect (simul-bench's network flags,
// checked by the harness before any case is made). Addresses as text: IPv4
// or IPv6, an endpoint as HOST:PORT with an IPv6 host in brackets.
struct network_settings {
    std::string serve_bind = "127.0.0.1";  // --serve-bind: serve listens here; its simul-load connects here
    std::string delay_bind = "127.0.0.1";  // --delay-bind: fetch's own delay server listens here, fetch connects
    std::string delay_server;              // --delay-server: one that runs elsewhere; fetch starts none
};
const network_settings& network();
void set_network(network_settings n);

}  // namespace simul
