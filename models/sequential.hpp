#pragma once
#include "models/model.hpp"

namespace simul {

// One thread, one task at a time: the master who finishes a game before
// walking to the next board.
class sequential final : public model {
public:
    std::string run(task_source& tasks, arrivals& arrive, trace& tr) override;
};

}  // namespace simul
