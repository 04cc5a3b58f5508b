// Over-the-air updates: reading the server's offer, deciding whether to install it, and
// proving a new image works before the bootloader's rollback is cancelled.
#pragma once

#include <cstdint>
#include <string>

namespace powerbot {

struct Offer {
  bool available = false;
  std::string version;
  std::string url;
  uint64_t size = 0;
  std::string sha256;
  std::string signature;  // hex DER, by the release key (signature.h); empty when unsigned
  bool mandatory = false;
};

// The body of `GET /api/v1/firmware/check`; false (reason in `error`) when it is not a
// well-formed answer.
bool parse_offer(const std::string& body, Offer& offer, std::string& error);

struct DeviceState {
  std::string running_version;
  std::string failed_version;  // the last version that did not stick (rolled back)
  bool failed_for_good = true;  // ...and is never tried again (see InstallRecord)
  bool auto_update = true;
  uint64_t slot_size = 0;  // bytes the update partition holds
  // The running image has not proved itself yet: the other slot holds the last good image,
  // which an install would overwrite (Arduino's Update does not refuse, as esp_ota_begin would).
  bool running_pending = false;
};

enum class Decision {
  install,
  nothing_offered,
  not_newer,
  failed_before,
  auto_update_off,
  too_large,
  bad_offer,
  running_pending,
};

Decision decide(const Offer& offer, const DeviceState& state);
const char* describe(Decision decision);

// A version that failed for a passing reason is tried again at later offers, this many times in all.
constexpr uint8_t kMaxPassingFailures = 3;

// What the board remembers across the reboot into a new image (kept in flash).
struct InstallRecord {
  std::string installing;  // the version written to the other slot, until it proves itself
  std::string failed;      // the last version that did not stick
  // Why: a crash, a hang or settings it cannot run with fail it for good; a passing reason (a
  // power cut before its first heartbeat, likely on a mains monitor, or a network that was down
  // until the deadline) only after kMaxPassingFailures of them.
  bool failed_for_good = true;
  uint8_t failed_attempts = 0;
};

// Records that `version` did not stick; `for_good` when it failed by itself.
void record_failure(InstallRecord& record, const std::string& version, bool for_good);

// Whether a reset (reset_reason_name) was the image's own doing: a crash or a hang.
bool is_crash(const std::string& reset_reason);

enum class AfterBoot { nothing_pending, new_image_running, rolled_back };

// At start-up: did the image installed last come up, or is the old one back? Updates
// `record`: a rolled-back version becomes `failed`, for good when `last_reset` (what reset
// the board into the old image) was a crash.
AfterBoot after_boot(InstallRecord& record, const std::string& running_version, const std::string& last_reset);

// A new image must deliver a heartbeat (an answer whose code is 200, or in MQTT mode a publish on a
// connection the broker accepted) within `deadline_ms` of booting, or it is rolled back.
class RollbackGuard {
 public:
  enum class Verdict { wait, mark_valid, roll_back, settled };

  RollbackGuard(bool pending_verification, uint32_t deadline_ms)
      : pending_(pending_verification), deadline_ms_(deadline_ms) {}

  // The running image is still to prove itself: no update is checked for or installed meanwhile.
  bool pending() const { return pending_; }

  // Called after every heartbeat attempt, and periodically, with the time since boot.
  Verdict update(bool heartbeat_delivered, uint32_t now_ms);

 private:
  bool pending_;
  uint32_t deadline_ms_;
};

// When to ask for an update next: a few minutes after boot, then daily, or within an hour
// or so after a check that got no answer; spread by `random` so a fleet that lost power
// together does not ask at once.
uint32_t first_check_delay_ms(uint32_t random);
uint32_t next_check_delay_ms(uint32_t random);
uint32_t retry_check_delay_ms(uint32_t random);

}  // namespace powerbot
