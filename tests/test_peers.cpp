// The peer protocol (docs/PEERS.md) against a fake peer that can do it right
// and go wrong in every way the page names: its records become a case with
// the same checksum as simul's own models, and each failure is one line,
// with no process left behind.

#include "bench/peer/peer_case.hpp"
#include "helpers.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace simul {
namespace {

using testing::smoke_params;

model_spec fake_peer(const std::string& mode) {
    model_spec m;
    m.peer = std::make_shared<const peer_command>(
        parse_peer("fake=/usr/bin/python3 " SIMUL_TESTS_DIR "/peers/fake_peer.py " + mode));
    m.kind = m.peer->name;
    return m;
}

case_result run_fake(const std::string& mode, const std::string& workload, arrival_pattern a = {},
                     std::chrono::duration<double> timeout = std::chrono::seconds(30)) {
    const auto& w = *find_workload(workload);
    return run_peer_case(case_spec{&w, params(smoke_params(w)), fake_peer(mode), a}, timeout);
}

// The message a failing case gives, or "" if it did not fail.
std::string failure(const std::string& mode, std::chrono::duration<double> timeout = std::chrono::seconds(30)) {
    try {
        run_fake(mode, "sleep", {}, timeout);
    } catch (const case_error& e) {
        return e.what();
    }
    return "";
}

// file_read's fake reads SIMUL_FILE_DIR's files, so its checksum also says
// that the environment names the set's folder.
TEST(Peers, EachWorkloadOfTheFakeGivesTheChecksumsOfSimulsOwnModels) {
    for (const std::string workload : {"sleep", "chess", "file_read"}) {
        const auto& w = *find_workload(workload);
        const auto own = run_case(case_spec{&w, params(smoke_params(w)), parse_model("coroutine_loop")});
        const auto peer = run_fake("good", workload);
        EXPECT_EQ(peer.failed, 0u) << workload << ": " << peer.label;
        EXPECT_EQ(peer.tasks, own.tasks) << workload;
        EXPECT_EQ(peer.checksum, own.checksum) << workload;
        // Which path simul's own reads took is no peer's: none is named.
        EXPECT_EQ(peer.label.find("io:"), std::string::npos) << workload << ": " << peer.label;
    }
}

TEST(Peers, TheRecordsBecomeACaseWithEveryFigure) {
    const auto& w = *find_workload("sleep");
    const auto p = params(smoke_params(w));
    const auto r = run_fake("good", "sleep");
    const double wait_s = double(p["wait_ms"]) / 1e3;
    EXPECT_EQ(r.tasks, std::size_t(p["tasks"]));
    // Every task waits at once in the fake: all are in flight together.
    EXPECT_EQ(r.in_flight_peak, r.tasks);
    // Physics: no task ends before its wait, nor the case before one wait.
    EXPECT_GE(r.latency.p50_ms, 1e3 * wait_s);  // NOLINT: a physical bound
    EXPECT_GE(r.makespan_s, wait_s);
    EXPECT_GT(r.ideal_s, 0);
    EXPECT_GT(r.efficiency, 0);
    EXPECT_GE(r.cost.threads_peak, 1);
    EXPECT_GT(r.cost.cpu_total_s, 0);
    bool startup = false, startup_memory = false;
    for (const auto& [name, value] : r.extra) {
        startup = startup || (name == "startup_s" && value > 0);
        startup_memory = startup_memory || (name == "mem_startup_bytes" && value > 1e6);  // an interpreter
    }
    EXPECT_TRUE(startup);
    EXPECT_TRUE(startup_memory);
}

TEST(Peers, ARateCaseGivesThePeerItsDueTimesAndRemovesTheFile) {
    const std::string log = ::testing::TempDir() + "fake_peer_due.path";
    ::setenv("FAKE_PEER_DUE_LOG", log.c_str(), 1);
    const auto& w = *find_workload("sleep");
    std::size_t early = 0, late_enough = 0;
    const auto r = run_peer_case(
        case_spec{&w, params(smoke_params(w)), fake_peer("good"), arrival_pattern{arrival_pattern::kind::rate, 1000}},
        std::chrono::seconds(30), {}, [&](const trace& tr) {
            for (std::size_t i = 0; i < tr.size(); ++i) {
                early += tr.start_ns(i) < tr.due_ns(i);
                late_enough += tr.due_ns(i) >= std::int64_t(i) * 1'000'000 - 1;  // i ms: 1,000/s
            }
        });
    ::unsetenv("FAKE_PEER_DUE_LOG");
    EXPECT_EQ(r.failed, 0u) << r.label;
    EXPECT_EQ(early, 0u);  // the peer had the due times, and kept them
    EXPECT_EQ(late_enough, 12u);
    std::string due_path;
    std::ifstream(log) >> due_path;
    EXPECT_TRUE(due_path.starts_with("/tmp/simul-due-")) << due_path;
    EXPECT_FALSE(std::filesystem::exists(due_path));
}

TEST(Peers, APeerThatSaysSkipIsSkippedWithItsReason) {
    try {
        run_fake("skip", "sleep");
        FAIL() << "no skip";
    } catch (const case_skipped& e) {
        EXPECT_NE(std::string(e.what()).find("fake says: the fake peer does not do this"), std::string::npos)
            << e.what();
    }
}

TEST(Peers, EachWayOfGoingWrongIsOneLine) {
    EXPECT_NE(failure("crash").find("peer fake exited with code 3 before it said 'done'"), std::string::npos)
        << failure("crash");
    EXPECT_NE(failure("garbage").find("said 'hello' where the protocol has 'ready'"), std::string::npos)
        << failure("garbage");
    EXPECT_NE(failure("few").find("after it reported 3 of 12 tasks"), std::string::npos) << failure("few");
    for (const std::string mode : {"crash", "garbage", "few"}) EXPECT_EQ(failure(mode).find('\n'), std::string::npos);
}

TEST(Peers, AWrongChecksumFailsEveryTaskItDoesNotMatch) {
    const auto r = run_fake("checksum", "sleep");
    EXPECT_EQ(r.failed, 12u);
    EXPECT_NE(r.label.find("is not the expected"), std::string::npos) << r.label;
}

// file_read's expected checksums are the data set's own, one file each:
// a peer that reads other bytes fails every task.
TEST(Peers, AWrongFileReadChecksumFailsEveryFile) {
    const auto r = run_fake("checksum", "file_read");
    EXPECT_EQ(r.failed, 8u);
    EXPECT_NE(r.label.find("is not the expected"), std::string::npos) << r.label;
}

TEST(Peers, AHungPeerIsStoppedWithEverythingItStarted) {
    const std::string pid_file = ::testing::TempDir() + "fake_peer_child.pid";
    ::setenv("FAKE_PEER_PID_FILE", pid_file.c_str(), 1);
    const std::string why = failure("hang", std::chrono::seconds(1));
    ::unsetenv("FAKE_PEER_PID_FILE");
    EXPECT_NE(why.find("did not answer within 1 s before it said 'done': stopped"), std::string::npos) << why;
    pid_t child = 0;
    std::ifstream(pid_file) >> child;
    ASSERT_GT(child, 0);
    // The grandchild was in the peer's process group, which was killed;
    // init reaps it once it is dead.
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
        gone = ::kill(child, 0) != 0;
        if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(gone) << "process " << child << " outlived the peer";
}

TEST(Peers, ABadPeerFlagIsAUsageError) {
    EXPECT_THROW(parse_peer("Bad Name=/bin/true"), usage_error);
    EXPECT_THROW(parse_peer("coroutine_loop=/bin/true"), usage_error);  // simul's own model
    EXPECT_THROW(parse_peer("x="), usage_error);
    try {
        parse_peer("x=/no/such/runtime --flag");
        FAIL();
    } catch (const usage_error& e) {
        EXPECT_NE(std::string(e.what()).find("'/no/such/runtime' is not a program this machine can run"),
                  std::string::npos)
            << e.what();
    }
    const auto p = parse_peer("x=true a  b");  // found on PATH; split at spaces
    EXPECT_EQ(p.name, "x");
    EXPECT_EQ(p.argv, (std::vector<std::string>{"true", "a", "b"}));
}

}  // namespace
}  // namespace simul
