// --uclamp-min/--uclamp-max checked before sched_setattr (issue #17): the kernel answers each
// mistake with the EINVAL an old kernel gives, so they are told apart here.
#include "tools/uclamp_task.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace perfqos::tools {
namespace {

TEST(UclampTask, EachClampWithinTheScale) {
  EXPECT_TRUE(check_task_uclamp(0, 1024).ok());
  EXPECT_TRUE(check_task_uclamp(512, 512).ok());
  EXPECT_TRUE(check_task_uclamp(std::nullopt, std::nullopt).ok());
  Status s = check_task_uclamp(2000, std::nullopt);
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_EQ(s.message(), "--uclamp-min: value 2000 out of range: allowed 0..1024");
  s = check_task_uclamp(std::nullopt, -1);
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_EQ(s.message(), "--uclamp-max: value -1 out of range: allowed 0..1024");
}

TEST(UclampTask, MinAboveMaxNamesBothOptions) {
  const Status s = check_task_uclamp(800, 100);
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_EQ(s.message(),
            "--uclamp-min 800 is above --uclamp-max 100: the floor must not exceed "
            "the cap");
}

TEST(UclampTask, OneClampAloneIsCheckedAgainstTheOtherThatTheProcessHas) {
  const TaskUclamp capped{0, 100};
  EXPECT_TRUE(check_task_uclamp(100, std::nullopt, capped).ok());
  Status s = check_task_uclamp(800, std::nullopt, capped);
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_EQ(s.message(),
            "--uclamp-min 800 is above this process's uclamp max 100 (inherited): give "
            "--uclamp-max too");
  EXPECT_TRUE(check_task_uclamp(800, 900, capped).ok());  // both given: the process's do not count
  s = check_task_uclamp(std::nullopt, 100, TaskUclamp{300, 1024});
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_EQ(s.message(),
            "--uclamp-max 100 is below this process's uclamp min 300 (inherited): give "
            "--uclamp-min too");
  EXPECT_TRUE(check_task_uclamp(800, std::nullopt).ok());  // a task's default is 0..1024
}

}  // namespace
}  // namespace perfqos::tools
