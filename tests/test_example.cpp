// The example of docs/ADDING_A_WORKLOAD.md, compiled from the guide's code
// blocks and registered with the guide's registry block (tests/CMakeLists.txt):
// one file and one line, and the workload runs in the same cross-model check
// as the registered ones, at its own smoke values, and in the sweep the
// command line makes. Nothing here names its parameters.

#include "bench/harness/cli.hpp"
#include "tests/helpers.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace simul;
using namespace simul::testing;

namespace {

TEST(GuideExample, IsRegisteredByItsOneLine) {
    const workload* w = find_workload("permits");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(all_workloads().back(), w);  // the guide's line comes last
}

TEST(GuideExample, RunsUnderEveryModelWithOneChecksum) {
    expect_one_checksum_under_every_model(*find_workload("permits"));
}

// K permits bound every model: its ideal and capacity say so, and a pool
// with more threads than permits is no faster than K in the ideal.
TEST(GuideExample, ItsPermitsBoundTheIdealAndTheCapacity) {
    const workload& w = *find_workload("permits");
    const params p({{"tasks", 12}, {"permits", 3}, {"hold_ms", 5}});
    const auto loop = parse_model("coroutine_loop").shape(12);
    EXPECT_DOUBLE_EQ(w.ideal_s(p, loop), 4 * 0.005);  // 12 tasks, 3 at a time
    EXPECT_DOUBLE_EQ(capacity(w, p, loop), 3 / 0.005);
    const auto r = run(w, p.values(), "thread_per_task");
    EXPECT_EQ(r.failed, 0u) << r.label;
    EXPECT_LE(r.in_flight_peak, 12u);
    EXPECT_GE(r.makespan_s, 4 * 0.005 * 0.999);
}

TEST(GuideExample, TheSmokeSweepRunsItUnderEveryDefaultModel) {
    options opt;
    opt.scale = scale::smoke;
    std::set<std::string> models;
    for (const auto& c : make_cases(opt))
        if (c.work->name() == "permits") models.insert(c.model.name());
    std::set<std::string> expected;
    for (const auto& m : default_models(scale::smoke))
        if (m.threads <= 12) expected.insert(m.name());  // none with more threads than its 12 tasks
    EXPECT_EQ(models, expected);
}

}  // namespace
