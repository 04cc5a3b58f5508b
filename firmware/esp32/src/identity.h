// What this image is. platformio.ini sets the version and the board.
#pragma once

#ifndef POWERBOT_FIRMWARE_VERSION
#error "POWERBOT_FIRMWARE_VERSION comes from platformio.ini ([powerbot] version)"
#endif
#ifndef POWERBOT_BOARD
#error "POWERBOT_BOARD comes from platformio.ini (each environment sets it)"
#endif

constexpr const char* kFirmwareVersion = POWERBOT_FIRMWARE_VERSION;
constexpr const char* kBoard = POWERBOT_BOARD;

// The server's upload check finds this line in the image and refuses an upload released
// under another board or version (firmware/image.py, IDENTITY).
extern "C" const char powerbot_identity[];
