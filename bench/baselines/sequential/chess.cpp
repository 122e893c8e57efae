// The bare exhibition played one board after another: each game is M moves
// of STEPS thinking (CPU) then a reply wait of W µs.
// Usage: bare-sequential-chess BOARDS MOVES STEPS REPLY_US
#include "bench/baselines/bare.hpp"
#include "support/mix64.hpp"

#include <thread>

int main(int argc, char** argv) {
    const char* usage = "BOARDS MOVES STEPS REPLY_US";
    const auto boards = simul::bare::arg(argc, argv, 1, usage), moves = simul::bare::arg(argc, argv, 2, usage);
    const auto steps = simul::bare::arg(argc, argv, 3, usage);
    const std::chrono::microseconds reply(simul::bare::arg(argc, argv, 4, usage));
    std::uint64_t sum = 0;
    simul::bare::run run;
    for (std::uint64_t b = 0; b < boards; ++b) {
        std::uint64_t position = simul::mix64(b);
        for (std::uint64_t m = 0; m < moves; ++m) {
            position = simul::chess_move(position, steps);  // think, then move
            std::this_thread::sleep_for(reply);
        }
        sum += position;
    }
    run.print("sequential", "chess", boards, 1, sum);
}
