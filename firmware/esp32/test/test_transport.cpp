#include "harness.h"
#include "powerbot/transport.h"

using powerbot::Backoff;
using powerbot::TransportChooser;

namespace {

const uint32_t kMinute = 60000;

TransportChooser with_broker() { return TransportChooser(true, 3, Backoff(2 * kMinute, 10 * kMinute)); }

}  // namespace

TEST(without_a_broker_heartbeats_go_over_http_and_no_broker_is_tried) {
  TransportChooser chooser(false, 3, Backoff(2 * kMinute, 10 * kMinute));
  CHECK(!chooser.mqtt_configured());
  CHECK(!chooser.over_mqtt());
  CHECK(!chooser.connect_due(0, true));
  CHECK(!chooser.connect_due(100 * kMinute, true));
}

TEST(on_mqtt_the_broker_is_tried_for_each_heartbeat) {
  TransportChooser chooser = with_broker();
  CHECK(chooser.mqtt_configured() && chooser.over_mqtt());
  CHECK(chooser.connect_due(0, true));
  CHECK(!chooser.connect_due(0, false));  // between heartbeats, no attempt
  chooser.connect_failed(0, 0);
  chooser.connect_failed(10000, 0);
  CHECK(chooser.over_mqtt());  // two failures: the next heartbeat tries the broker again
  CHECK_EQ(chooser.failures(), 2u);
  CHECK(chooser.connect_due(20000, true));
}

TEST(failed_connects_in_a_row_turn_heartbeats_to_http_and_the_broker_is_retried_every_few_minutes) {
  TransportChooser chooser = with_broker();
  chooser.connect_failed(0, 0);
  chooser.connect_failed(10000, 0);
  chooser.connect_failed(20000, 0);  // the third: 1 to 2 minutes until the next try
  CHECK(!chooser.over_mqtt());
  CHECK(!chooser.connect_due(20000 + kMinute - 1, true));  // heartbeats go over HTTP meanwhile
  CHECK(chooser.connect_due(20000 + kMinute, false));
  chooser.connect_failed(80000, UINT32_MAX);  // then 2 to 4 minutes, doubling up to 5 to 10
  CHECK(!chooser.over_mqtt());
  CHECK(!chooser.connect_due(80000 + 4 * kMinute - 1, false));
  CHECK(chooser.connect_due(80000 + 4 * kMinute, false));
  uint32_t now = 80000 + 4 * kMinute;
  for (int i = 0; i < 20; ++i) chooser.connect_failed(now, UINT32_MAX);
  CHECK(!chooser.connect_due(now + 10 * kMinute - 1, true));
  CHECK(chooser.connect_due(now + 10 * kMinute, true));
}

TEST(a_connect_that_succeeds_brings_heartbeats_back_to_mqtt) {
  TransportChooser chooser = with_broker();
  for (uint32_t i = 0; i < 5; ++i) chooser.connect_failed(i * kMinute * 10, UINT32_MAX);
  CHECK(!chooser.over_mqtt());
  chooser.connected();
  CHECK(chooser.over_mqtt());
  CHECK_EQ(chooser.failures(), 0u);
  // A broker lost again gets three heartbeats' tries, then the retries start short again.
  chooser.connect_failed(0, UINT32_MAX);
  chooser.connect_failed(10000, UINT32_MAX);
  CHECK(chooser.over_mqtt());
  chooser.connect_failed(20000, UINT32_MAX);
  CHECK(!chooser.over_mqtt());
  CHECK(chooser.connect_due(20000 + 2 * kMinute, false));
}

TEST(the_retry_time_survives_the_millisecond_clock_wrapping) {
  TransportChooser chooser = with_broker();
  uint32_t now = UINT32_MAX - 30000;
  for (int i = 0; i < 3; ++i) chooser.connect_failed(now, 0);
  CHECK(!chooser.connect_due(now + 1000, false));
  CHECK(!chooser.connect_due(now + kMinute - 1, false));  // past the wrap, still early
  CHECK(chooser.connect_due(now + kMinute, false));
}

TEST(a_broker_retry_that_came_due_during_a_month_long_outage_is_tried_when_the_network_is_back) {
  const uint32_t kDay = 24 * 60 * kMinute;
  TransportChooser held = with_broker(), left = with_broker();
  for (TransportChooser* chooser : {&held, &left}) {
    for (int i = 0; i < 3; ++i) chooser->connect_failed(0, 0);  // on HTTP, the broker due in a minute
  }
  uint32_t now = 0;
  for (int day = 0; day < 30; ++day) {  // the network down: no connect is tried
    now += kDay;
    held.hold(now);
  }
  CHECK(held.connect_due(now, false));
  CHECK(!left.connect_due(now, false));  // what an unheld retry time looks like 30 days on
}

TEST(at_least_one_failure_turns_to_http) {
  TransportChooser chooser(true, 0, Backoff(1000, 1000));
  CHECK(chooser.over_mqtt());
  chooser.connect_failed(0, 0);
  CHECK(!chooser.over_mqtt());
}
