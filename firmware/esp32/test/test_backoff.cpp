#include "powerbot/backoff.h"
#include "harness.h"

using powerbot::Backoff;

TEST(backoff_doubles_up_to_its_cap_with_jitter_in_the_upper_half) {
  Backoff backoff(1000, 30000);
  const uint32_t expected_ceiling[] = {1000, 2000, 4000, 8000, 16000, 30000, 30000};
  for (uint32_t ceiling : expected_ceiling) {
    Backoff low = backoff, high = backoff;
    CHECK_EQ(low.next_delay_ms(0), ceiling / 2);
    CHECK_EQ(high.next_delay_ms(UINT32_MAX), ceiling);
    uint32_t middle = backoff.next_delay_ms(UINT32_MAX / 2);
    CHECK(middle >= ceiling / 2 && middle <= ceiling);
  }
  CHECK_EQ(backoff.failures(), 7u);
  backoff.reset();
  CHECK_EQ(backoff.next_delay_ms(UINT32_MAX), 1000u);
}

TEST(backoff_never_overflows_after_many_failures) {
  Backoff backoff(1000, 60000);
  for (int i = 0; i < 100000; ++i) backoff.next_delay_ms(UINT32_MAX);
  CHECK_EQ(backoff.next_delay_ms(UINT32_MAX), 60000u);
}
