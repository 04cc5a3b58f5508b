// The set-up page: the board opens a Wi-Fi network "PowerBot-XXXXXX" whose every address
// leads to a form for its settings (a captive portal). Saving restarts the board.
#pragma once

#include <string>
#include <vector>

#include "board_io.h"
#include "powerbot/settings.h"

// Serves the page until valid settings are saved (then restarts), or, when the current
// settings already work, until `timeout_ms` passes without a save (then returns).
void run_setup_page(powerbot::Settings settings, Flash& flash, bool wifi, bool has_ca_certificate,
                    const char* password, uint32_t timeout_ms);
