// Per-batch handlers, on a fake spawner and a fake clock: how a process's end becomes the
// invocation's verdict, and what the handler does with the process (the batch on its stdin,
// its output in the log, a kill on timeout or injected crash). No process runs, nothing sleeps.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "emulator/core/faults.h"
#include "emulator/handler/handler.h"
#include "fake_spawner.h"

using namespace flareq;
using namespace flareq::handler;
using flareq::testing::FakeProcess;
using flareq::testing::FakeSpawner;

namespace {

HandlerSpec shell_spec(const std::string& command = "python3 handle.py") {
  HandlerSpec spec;
  spec.queue = "jobs";
  spec.command.shell = command;
  spec.timeout_ms = 30000;
  return spec;
}

int exited(int code) { return code << 8; }
int killed_by(int sig) { return sig; }

}  // namespace

TEST(PerBatchVerdict, ExitZeroWithAResultLineReturnsItsCalls) {
  ProcessEnd end;
  end.wait_status = exited(0);
  end.result_line = R"({"acks":["a"],"retries":[{"id":"b","delaySeconds":5}]})";
  InvocationResult r = per_batch_verdict(end, shell_spec());
  EXPECT_FALSE(r.report.threw);
  EXPECT_EQ(r.failure, "");
  EXPECT_TRUE(r.report.per_message.at("a").ack);
  EXPECT_EQ(r.report.per_message.at("b").delay_secs, 5);
}

TEST(PerBatchVerdict, ExitZeroWithoutAResultReturnsWithNoCalls) {
  InvocationResult r = per_batch_verdict(ProcessEnd{exited(0), false, false, "", ""}, shell_spec());
  EXPECT_FALSE(r.report.threw);
  EXPECT_TRUE(r.report.per_message.empty());
  EXPECT_FALSE(r.not_started);
}

TEST(PerBatchVerdict, AnotherExitStatusOrASignalThrowsButKeepsTheCallsMade) {
  ProcessEnd end{exited(3), false, false, R"({"acks":["a"]})", ""};
  InvocationResult r = per_batch_verdict(end, shell_spec());
  EXPECT_TRUE(r.report.threw);
  EXPECT_EQ(r.failure, "exit status 3");
  EXPECT_TRUE(r.report.per_message.at("a").ack);  // acks made before a throw stand

  // What it said last on stderr says why: a Python traceback's last line, say.
  r = per_batch_verdict(ProcessEnd{exited(1), false, false, "", "  KeyError: 'email'"}, shell_spec());
  EXPECT_EQ(r.failure, "exit status 1: KeyError: 'email'");

  // One killed by a signal was killed, whatever it wrote last.
  r = per_batch_verdict(ProcessEnd{killed_by(SIGSEGV), false, false, "", "loading…"}, shell_spec());
  EXPECT_TRUE(r.report.threw);
  EXPECT_EQ(r.failure, "killed by signal 11 (Segmentation fault)");
}

TEST(PerBatchVerdict, AMalformedResultLineIsAProtocolError) {
  InvocationResult r = per_batch_verdict(ProcessEnd{exited(0), false, false, R"({"acks":"a"})", ""}, shell_spec());
  EXPECT_TRUE(r.report.threw);
  EXPECT_EQ(r.failure.rfind("protocol error: ", 0), 0u) << r.failure;
  EXPECT_NE(r.failure.find(R"({"acks":"a"})"), std::string::npos) << r.failure;
}

TEST(PerBatchVerdict, ATimeoutSaysSoWhateverTheSignal) {
  HandlerSpec spec = shell_spec();
  spec.timeout_ms = 2000;
  InvocationResult r = per_batch_verdict(ProcessEnd{killed_by(SIGKILL), true, false, "", ""}, spec);
  EXPECT_TRUE(r.report.threw);
  EXPECT_EQ(r.failure, "timed out after 2s");
}

TEST(PerBatchVerdict, ShellStatus127IsACommandNotFoundAndNotStarted) {
  InvocationResult r = per_batch_verdict(ProcessEnd{exited(127), false, false, "", ""}, shell_spec("nosuch --flag"));
  EXPECT_TRUE(r.report.threw);
  EXPECT_TRUE(r.not_started);
  EXPECT_EQ(r.failure, "cannot start the handler: nosuch --flag: command not found");

  HandlerSpec argv_spec;  // a program run directly may exit 127 for its own reasons
  argv_spec.command.argv = {"./consume"};
  r = per_batch_verdict(ProcessEnd{exited(127), false, false, "", ""}, argv_spec);
  EXPECT_FALSE(r.not_started);
  EXPECT_EQ(r.failure, "exit status 127");
}

TEST(PerBatchVerdict, AnInjectedCrashThrowsWithItsOwnWordsAndKeepsTheAcks) {
  InvocationResult r = per_batch_verdict(ProcessEnd{exited(0), false, true, R"({"acks":["a"]})", ""}, shell_spec());
  EXPECT_TRUE(r.report.threw);
  EXPECT_EQ(r.failure, kInjectedCrash);
  EXPECT_TRUE(r.report.per_message.at("a").ack);
}

class PerBatchHandlerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Handler> handler(HandlerSpec spec = shell_spec()) {
    return make_per_batch_handler(
        spec,
        [this](const std::string& line) {
          std::lock_guard<std::mutex> lock(log_mutex);
          log.push_back(line);
        },
        spawner, clock);
  }
  std::vector<std::string> logged() {
    std::lock_guard<std::mutex> lock(log_mutex);
    return log;
  }
  FakeSpawner spawner;
  FakeClock clock;
  std::mutex log_mutex;
  std::vector<std::string> log;
};

TEST_F(PerBatchHandlerTest, TheBatchGoesToStdinAndTheLastLineIsTheResult) {
  std::string got;
  spawner.then_run([&](FakeProcess& p) {
    got = p.read_line().value_or("<none>");
    p.write_out(R"({"acks":["early"]})");  // a result-like line that is not the last: logged
    p.write_err("a warning");
    p.write_out(R"({"acks":["m1"]})");
    return 0;
  });
  InvocationResult r = handler()->invoke(R"({"queue":"jobs","messages":[]})");
  EXPECT_EQ(got, R"({"queue":"jobs","messages":[]})");
  EXPECT_FALSE(r.report.threw) << r.failure;
  EXPECT_TRUE(r.report.per_message.count("m1"));
  EXPECT_FALSE(r.report.per_message.count("early"));
  auto lines = logged();
  EXPECT_NE(std::find(lines.begin(), lines.end(), R"({"acks":["early"]})"), lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "a warning"), lines.end());
  EXPECT_EQ(std::find(lines.begin(), lines.end(), R"({"acks":["m1"]})"), lines.end());
  // The group is ended (whatever the handler left running) and then forgotten.
  EXPECT_EQ(spawner.kills_of(FakeSpawner::kFirstPid), 1);
  EXPECT_EQ(spawner.forgotten(), std::vector<pid_t>{FakeSpawner::kFirstPid});
}

TEST_F(PerBatchHandlerTest, ACommandThatCannotStartIsNotStarted) {
  spawner.fail_next_with = "nosuch: No such file or directory";
  InvocationResult r = handler()->invoke("{}");
  EXPECT_TRUE(r.report.threw);
  EXPECT_TRUE(r.not_started);
  EXPECT_EQ(r.failure, "cannot start the handler: nosuch: No such file or directory");
}

TEST_F(PerBatchHandlerTest, AHandlerPastItsTimeoutIsKilled) {
  HandlerSpec spec = shell_spec();
  spec.timeout_ms = 1000;
  spawner.then_run([&](FakeProcess& p) {
    p.read_line();
    clock.advance_ms(1001);  // the batch takes longer than the timeout
    p.wait_for_kill();
    return 0;
  });
  InvocationResult r = handler(spec)->invoke("{}");
  EXPECT_TRUE(r.report.threw);
  EXPECT_EQ(r.failure, "timed out after 1s");
  EXPECT_GE(spawner.kills_of(FakeSpawner::kFirstPid), 1);
}

TEST_F(PerBatchHandlerTest, AnInjectedCrashKillsOnceTheBatchIsHandedOver) {
  std::string got;
  spawner.then_run([&](FakeProcess& p) {
    got = p.read_line().value_or("<none>");
    p.wait_for_kill();
    return 0;
  });
  InvocationResult r = handler()->invoke_and_crash(R"({"n":1})");
  EXPECT_EQ(got, R"({"n":1})");
  EXPECT_TRUE(r.report.threw);
  EXPECT_EQ(r.failure, kInjectedCrash);
}

TEST_F(PerBatchHandlerTest, EachBatchHasItsOwnProcessWithTheSpecsEnvironment) {
  HandlerSpec spec = shell_spec("./consume");
  spec.env = {{"FLAREQ_QUEUE", "jobs"}};
  spawner.otherwise = [](FakeProcess& p) {
    p.read_line();
    return 0;
  };
  auto h = handler(spec);
  h->invoke("{}");
  h->invoke("{}");
  auto spawned = spawner.spawned();
  ASSERT_EQ(spawned.size(), 2u);
  EXPECT_EQ(spawned[1].shell, "./consume");
  EXPECT_EQ(spawned[1].env.at("FLAREQ_QUEUE"), "jobs");
}
