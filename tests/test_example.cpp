// The example of docs/ADDING_A_WORKLOAD.md, compiled from the guide's code
// blocks (tests/extract_example.cmake), runs under every model: all tasks
// complete with one checksum, no faster than its ideal, in a burst and at a
// rate. It is not registered, as a reader's workload would be: the test asks
// for it by the accessor the guide defines.

#include "tests/helpers.hpp"

#include <gtest/gtest.h>

namespace simul {
const workload& spin_then_wait_workload();  // defined by the guide's code
}

using namespace simul;
using namespace simul::testing;

namespace {

TEST(GuideExample, RunsUnderEveryModelWithOneChecksum) {
    const workload& w = spin_then_wait_workload();
    EXPECT_EQ(w.name(), "spin_then_wait");
    const std::vector<std::pair<std::string, std::int64_t>> p = {{"tasks", 12}, {"wait_ms", 5}};
    const auto reference = run(w, p, "sequential");
    ASSERT_EQ(reference.failed, 0u) << reference.label;
    ASSERT_EQ(reference.tasks, 12u);
    ASSERT_NE(reference.checksum, 0u);
    arrival at_rate;
    at_rate.how = arrival::kind::rate;
    at_rate.per_second = 400;
    for (const auto& m : every_model())
        for (const arrival& a : {arrival{}, at_rate}) {
            SCOPED_TRACE(m.name() + (a.how == arrival::kind::rate ? " at a rate" : " in a burst"));
            const auto r = run(w, p, m.name(), a);
            EXPECT_EQ(r.failed, 0u) << r.label;
            EXPECT_EQ(r.tasks, 12u);
            EXPECT_EQ(r.checksum, reference.checksum);
            EXPECT_GE(r.makespan_s, r.ideal_s * 0.999) << "faster than the physical limit";
        }
}

}  // namespace
