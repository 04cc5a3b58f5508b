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

TEST(a_deadline_held_through_a_long_outage_is_due_when_the_network_is_back) {
  constexpr uint32_t kDay = 86'400'000u;
  powerbot::Deadline unheld, held;
  unheld.in(0, 10'000);
  held.in(0, 10'000);
  uint32_t now = 0;
  for (int hour = 1; hour <= 30 * 24; hour++) {  // a month without network, the loop running
    now += kDay / 24;
    held.hold(now);
  }
  CHECK(held.due(now));
  CHECK(!unheld.due(now));  // what it was: 30 days later the wrapped clock says "not yet"
  powerbot::Deadline ahead;
  ahead.in(0, kDay);  // the next update check, a day ahead: held, it stays ahead until then
  ahead.hold(kDay / 2);
  CHECK(!ahead.due(kDay / 2));
  CHECK(ahead.due(kDay));
}
