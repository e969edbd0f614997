// group_cpu_ms: the CPU time of a real process group, read from /proc.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "emulator/handler/group_cpu.h"

using flareq::handler::group_cpu_ms;

TEST(GroupCpu, CountsTheCpuOfEveryProcessOfTheGroupAndNothingOfAGroupThatIsGone) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // a group of its own, and a loop that never ends
    setpgid(0, 0);
    for (volatile unsigned long n = 0;; n = n + 1) {
    }
  }
  setpgid(child, child);  // whichever of the two runs first
  // Polls until the loop has used 200 ms of CPU; the bound only ends a failing test.
  std::optional<int64_t> used;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while ((!(used = group_cpu_ms(child)) || *used < 200) && std::chrono::steady_clock::now() < deadline)
    usleep(20000);
  ASSERT_TRUE(used.has_value());
  EXPECT_GE(*used, 200);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_FALSE(group_cpu_ms(child).has_value());
  EXPECT_FALSE(group_cpu_ms(0).has_value());
}
