// "Did you mean": edit distances and the suggestions made from them.
#include "tools/suggest.h"

#include <gtest/gtest.h>

namespace perfqos::tools {
namespace {

TEST(Suggest, EditDistanceCountsEditsAndAdjacentSwaps) {
  struct Case {
    const char* a;
    const char* b;
    std::size_t distance;
  };
  const Case cases[] = {
      {"cpu_dma_latency", "cpu_dma_latency", 0},
      {"cpu_dma_latncy", "cpu_dma_latency", 1},
      {"cpu_dma_latnecy", "cpu_dma_latency", 1},
      {"cpu_dam_latency", "cpu_dma_latency", 1},
      {"cpu_dma_lat", "cpu_dma_latency", 4},
      {"", "abc", 3},
      {"policy0", "policy1", 1},
      {"resume_latncy", "resume_latency", 1},
      {"mxa", "max", 1},
      {"ab", "ba", 1},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(edit_distance(c.a, c.b), c.distance) << c.a << " / " << c.b;
    EXPECT_EQ(edit_distance(c.b, c.a), c.distance) << c.b << " / " << c.a;
  }
}

TEST(Suggest, NearestFewFirst) {
  const std::vector<std::string> devices{"cpu_dma_latency", "network_latency", "policy0",
                                         "policy1",         "policy2",         "policy3"};
  EXPECT_EQ(suggestions("cpu_dma_latncy", devices), std::vector<std::string>{"cpu_dma_latency"});
  EXPECT_EQ(suggestions("policy9", devices),
            (std::vector<std::string>{"policy0", "policy1", "policy2"}));
  EXPECT_EQ(suggestions("policy0", devices, 2, 1), std::vector<std::string>{"policy1"});
  EXPECT_TRUE(suggestions("gpu", devices).empty());
  EXPECT_EQ(did_you_mean({}), "");
  EXPECT_EQ(did_you_mean({"a"}), "did you mean a?");
  EXPECT_EQ(did_you_mean({"a", "b"}), "did you mean a or b?");
  EXPECT_EQ(did_you_mean({"a", "b", "c"}), "did you mean a, b or c?");
}

}  // namespace
}  // namespace perfqos::tools
