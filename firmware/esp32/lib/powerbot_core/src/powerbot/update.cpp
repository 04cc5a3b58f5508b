#include "update.h"

#include <map>

#include "http.h"
#include "json.h"
#include "version.h"

namespace powerbot {

namespace {

bool is_hex64(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

uint32_t spread(uint32_t low_ms, uint32_t high_ms, uint32_t random) {
  return low_ms + static_cast<uint32_t>(static_cast<uint64_t>(high_ms - low_ms) * random / UINT32_MAX);
}

}  // namespace

bool parse_offer(const std::string& body, Offer& offer, std::string& error) {
  std::map<std::string, json::Value> members;
  if (!json::parse_object(body, members)) {
    error = "the answer is not a JSON object";
    return false;
  }
  auto available = members.find("update_available");
  if (available == members.end() || available->second.type != json::Value::Type::boolean) {
    error = "the answer has no update_available";
    return false;
  }
  Offer parsed;
  parsed.available = available->second.boolean;
  if (parsed.available) {
    const json::Value& version = members["version"];
    const json::Value& url = members["url"];
    const json::Value& sha256 = members["sha256"];
    const json::Value& mandatory = members["mandatory"];
    if (version.type != json::Value::Type::string || url.type != json::Value::Type::string ||
        sha256.type != json::Value::Type::string || !members["size"].as_uint(parsed.size)) {
      error = "the offer lacks its version, url, size or sha256";
      return false;
    }
    if (has_space_or_control(url.text)) {  // it goes into a request line
      error = "the offer's url holds spaces or control characters";
      return false;
    }
    parsed.version = version.text;
    parsed.url = url.text;
    parsed.sha256 = sha256.text;
    const json::Value& signature = members["signature"];
    if (signature.type == json::Value::Type::string) parsed.signature = signature.text;
    parsed.mandatory = mandatory.type == json::Value::Type::boolean && mandatory.boolean;
  }
  offer = parsed;
  return true;
}

Decision decide(const Offer& offer, const DeviceState& state) {
  if (state.running_pending) return Decision::running_pending;
  if (!offer.available) return Decision::nothing_offered;
  Version offered, running;
  if (offer.version.size() > kMaxVersionLength || !Version::parse(offer.version, offered) || !is_hex64(offer.sha256) ||
      offer.size == 0 || offer.url.empty()) {
    return Decision::bad_offer;
  }
  // A board whose own version cannot be read takes any valid offer: that is how it heals.
  if (Version::parse(state.running_version, running) && compare(offered, running) <= 0) return Decision::not_newer;
  if (state.failed_for_good && !state.failed_version.empty() && offer.version == state.failed_version) {
    return Decision::failed_before;
  }
  if (!state.auto_update && !offer.mandatory) return Decision::auto_update_off;
  if (offer.size > state.slot_size) return Decision::too_large;
  return Decision::install;
}

const char* describe(Decision decision) {
  switch (decision) {
    case Decision::install: return "installing";
    case Decision::nothing_offered: return "up to date";
    case Decision::not_newer: return "offered version is not newer";
    case Decision::failed_before: return "offered version rolled back before";
    case Decision::auto_update_off: return "automatic updates are off and the update is not mandatory";
    case Decision::too_large: return "image too large for the update partition";
    case Decision::bad_offer: return "malformed offer";
    case Decision::running_pending: return "the running image has not proved itself yet";
  }
  return "?";
}

void record_failure(InstallRecord& record, const std::string& version, bool for_good) {
  if (record.failed == version) {
    if (record.failed_attempts < 255) ++record.failed_attempts;
    record.failed_for_good = record.failed_for_good || for_good;
  } else {
    record.failed = version;
    record.failed_attempts = 1;
    record.failed_for_good = for_good;
  }
  if (record.failed_attempts >= kMaxPassingFailures) record.failed_for_good = true;
  record.installing.clear();
}

bool is_crash(const std::string& reset_reason) {
  return reset_reason == "panic" || reset_reason == "interrupt_watchdog" || reset_reason == "task_watchdog" ||
         reset_reason == "other_watchdog";
}

AfterBoot after_boot(InstallRecord& record, const std::string& running_version, const std::string& last_reset) {
  if (record.installing.empty()) return AfterBoot::nothing_pending;
  if (record.installing == running_version) return AfterBoot::new_image_running;
  record_failure(record, record.installing, is_crash(last_reset));
  return AfterBoot::rolled_back;
}

RollbackGuard::Verdict RollbackGuard::update(bool heartbeat_delivered, uint32_t now_ms) {
  if (!pending_) return Verdict::settled;
  if (heartbeat_delivered) {
    pending_ = false;
    return Verdict::mark_valid;
  }
  if (now_ms >= deadline_ms_) {
    pending_ = false;
    return Verdict::roll_back;
  }
  return Verdict::wait;
}

uint32_t first_check_delay_ms(uint32_t random) { return spread(60'000, 10 * 60'000, random); }

uint32_t next_check_delay_ms(uint32_t random) { return spread(22 * 3'600'000u, 26 * 3'600'000u, random); }

uint32_t retry_check_delay_ms(uint32_t random) { return spread(30 * 60'000u, 90 * 60'000u, random); }

}  // namespace powerbot
