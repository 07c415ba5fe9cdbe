// Text from an input file made safe for a terminal and a log: a case file
// can hold any string (a key, a node name, a property), and a control
// character in it (an ANSI escape, a carriage return) must not rewrite
// what the user sees.
#pragma once

#include <string>
#include <string_view>

namespace qdiff {

// Control characters (below 0x20, and 0x7f) as \xNN; with keep_newlines,
// '\n' stays (for multi-line messages whose lines qdiff made).
std::string escape_control_chars(std::string_view s, bool keep_newlines = false);

}  // namespace qdiff
