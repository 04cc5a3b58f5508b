#include "harness.h"
#include "powerbot/update.h"

using namespace powerbot;

namespace {

const std::string kSha(64, 'a');

Offer offer(const std::string& version, uint64_t size = 1000, bool mandatory = false) {
  Offer made;
  made.available = true;
  made.version = version;
  made.url = "http://server/api/v1/firmware/download/wt32-eth01/" + version;
  made.size = size;
  made.sha256 = kSha;
  made.mandatory = mandatory;
  return made;
}

DeviceState running(const std::string& version) {
  DeviceState state;
  state.running_version = version;
  state.slot_size = 1966080;
  return state;
}

}  // namespace

TEST(an_offer_is_read_from_the_check_answer) {
  Offer read;
  std::string error;
  CHECK(parse_offer("{\"update_available\":true,\"version\":\"1.3.0\",\"url\":\"http://s/d\",\"size\":123456,"
                    "\"sha256\":\"" + kSha + "\",\"mandatory\":true}", read, error));
  CHECK(read.available && read.version == "1.3.0" && read.url == "http://s/d" && read.size == 123456u);
  CHECK(read.sha256 == kSha && read.mandatory && read.signature.empty());
  CHECK(parse_offer("{\"update_available\":true,\"version\":\"1.3.0\",\"url\":\"http://s/d\",\"size\":1,"
                    "\"sha256\":\"" + kSha + "\",\"signature\":\"3045ab\"}", read, error));
  CHECK_EQ(read.signature, std::string("3045ab"));
  CHECK(parse_offer("{\"update_available\":false}", read, error));
  CHECK(!read.available && read.signature.empty());
}

TEST(a_malformed_check_answer_is_refused) {
  Offer read;
  std::string error;
  CHECK(!parse_offer("<html>", read, error));
  CHECK_EQ(error, std::string("the answer is not a JSON object"));
  CHECK(!parse_offer("{\"status\":\"ok\"}", read, error));
  CHECK_EQ(error, std::string("the answer has no update_available"));
  CHECK(!parse_offer("{\"update_available\":true,\"version\":\"1.3.0\",\"url\":\"u\",\"size\":-1,\"sha256\":\"x\"}",
                     read, error));
  CHECK_EQ(error, std::string("the offer lacks its version, url, size or sha256"));
  CHECK(!parse_offer("{\"update_available\":true,\"version\":\"1.3.0\",\"url\":\"/d/x HTTP/1.1\\r\\nX: y\","
                     "\"size\":1,\"sha256\":\"x\"}",
                     read, error));
  CHECK_EQ(error, std::string("the offer's url holds spaces or control characters"));
}

TEST(a_newer_valid_offer_that_fits_is_installed) {
  CHECK(decide(offer("1.3.0"), running("1.2.0")) == Decision::install);
  CHECK(decide(offer("1.3.0"), running("1.3.0-rc.2")) == Decision::install);
  CHECK(decide(offer("1.3.0"), running("garbled")) == Decision::install);  // how a board heals
}

TEST(an_offer_is_skipped_when_it_should_not_be_installed) {
  CHECK(decide(Offer{}, running("1.2.0")) == Decision::nothing_offered);
  CHECK(decide(offer("1.2.0"), running("1.2.0")) == Decision::not_newer);
  CHECK(decide(offer("1.1.0"), running("1.2.0")) == Decision::not_newer);  // never a downgrade
  DeviceState failed = running("1.2.0");
  failed.failed_version = "1.3.0";
  CHECK(decide(offer("1.3.0"), failed) == Decision::failed_before);
  CHECK(decide(offer("1.3.1"), failed) == Decision::install);  // a fixed release is tried
  DeviceState manual = running("1.2.0");
  manual.auto_update = false;
  CHECK(decide(offer("1.3.0"), manual) == Decision::auto_update_off);
  CHECK(decide(offer("1.3.0", 1000, true), manual) == Decision::install);  // mandatory
  CHECK(decide(offer("1.3.0", 1966081), running("1.2.0")) == Decision::too_large);
  // Longer than any release's version can be: forged, and its refusal would not fit a heartbeat.
  CHECK(decide(offer("1.3.0-" + std::string(26, 'a')), running("1.2.0")) == Decision::install);  // 32
  CHECK(decide(offer("1.3.0-" + std::string(27, 'a')), running("1.2.0")) == Decision::bad_offer);
  Offer bad = offer("1.3.0");
  bad.sha256 = "ABC";
  CHECK(decide(bad, running("1.2.0")) == Decision::bad_offer);
  CHECK(decide(offer("one"), running("1.2.0")) == Decision::bad_offer);
  CHECK(decide(offer("1.3.0", 0), running("1.2.0")) == Decision::bad_offer);
  CHECK_EQ(std::string(describe(Decision::failed_before)), std::string("offered version rolled back before"));
}

TEST(after_boot_tells_a_new_image_from_a_rollback) {
  InstallRecord record;
  CHECK(after_boot(record, "1.2.0", "power_on") == AfterBoot::nothing_pending);
  record.installing = "1.3.0";
  CHECK(after_boot(record, "1.3.0", "software") == AfterBoot::new_image_running);
  CHECK_EQ(record.installing, std::string("1.3.0"));  // until it proves itself
  CHECK(after_boot(record, "1.2.0", "task_watchdog") == AfterBoot::rolled_back);  // it hung
  CHECK_EQ(record.failed, std::string("1.3.0"));
  CHECK(record.failed_for_good);
  CHECK(record.installing.empty());
}

TEST(a_version_rolled_back_for_a_passing_reason_is_tried_again_a_few_times) {
  InstallRecord record;
  record.installing = "1.3.0";
  after_boot(record, "1.2.0", "power_on");  // the mains went before its first heartbeat
  CHECK(!record.failed_for_good && record.failed_attempts == 1);
  DeviceState state = running("1.2.0");
  state.failed_version = record.failed;
  state.failed_for_good = record.failed_for_good;
  CHECK(decide(offer("1.3.0"), state) == Decision::install);
  record_failure(record, "1.3.0", false);  // no heartbeat before the deadline: the network was down
  CHECK(!record.failed_for_good && record.failed_attempts == 2);
  record_failure(record, "1.3.0", false);
  CHECK(record.failed_for_good && record.failed_attempts == kMaxPassingFailures);  // then never again
  state.failed_for_good = record.failed_for_good;
  CHECK(decide(offer("1.3.0"), state) == Decision::failed_before);
  record_failure(record, "1.4.0", true);  // a new version starts its own count
  CHECK(record.failed == "1.4.0" && record.failed_for_good && record.failed_attempts == 1);
}

TEST(no_update_is_installed_while_the_running_image_is_unproven) {
  DeviceState state = running("1.3.0");
  state.running_pending = true;  // the other slot holds the last good image
  CHECK(decide(offer("1.4.0"), state) == Decision::running_pending);
  CHECK(decide(offer("1.4.0", 1000, true), state) == Decision::running_pending);  // mandatory or not
  RollbackGuard guard(true, 600000);
  CHECK(guard.pending());
  guard.update(true, 1000);
  CHECK(!guard.pending());
}

TEST(a_new_image_is_kept_at_its_first_heartbeat_or_rolled_back_at_the_deadline) {
  RollbackGuard proven(true, 600000);
  CHECK(proven.update(false, 1000) == RollbackGuard::Verdict::wait);
  CHECK(proven.update(true, 2000) == RollbackGuard::Verdict::mark_valid);
  CHECK(proven.update(false, 900000) == RollbackGuard::Verdict::settled);

  RollbackGuard silent(true, 600000);
  CHECK(silent.update(false, 599999) == RollbackGuard::Verdict::wait);
  CHECK(silent.update(false, 600000) == RollbackGuard::Verdict::roll_back);
  CHECK(silent.update(true, 600001) == RollbackGuard::Verdict::settled);

  RollbackGuard old_image(false, 600000);
  CHECK(old_image.update(false, 700000) == RollbackGuard::Verdict::settled);
}

TEST(update_checks_are_spread_over_minutes_after_boot_then_about_daily_or_retried_within_hours) {
  CHECK_EQ(first_check_delay_ms(0), 60000u);
  CHECK_EQ(first_check_delay_ms(UINT32_MAX), 600000u);
  CHECK_EQ(next_check_delay_ms(0), 22u * 3600000u);
  CHECK_EQ(next_check_delay_ms(UINT32_MAX), 26u * 3600000u);
  CHECK_EQ(retry_check_delay_ms(0), 30u * 60000u);
  CHECK_EQ(retry_check_delay_ms(UINT32_MAX), 90u * 60000u);
}
