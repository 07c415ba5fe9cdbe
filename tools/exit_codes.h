// qdiff's exit codes (docs/reliability.md). A run killed by signal N
// exits 128 + N after printing what it did (SIGINT 130, SIGTERM 143).
#pragma once

namespace qdiff::tools {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;          // a property, replay or fuzz row failed
inline constexpr int kExitUsage = 2;             // bad flag, unknown name, unreadable or malformed input
inline constexpr int kExitRejected = 3;          // eval: the case is rejected input (an error object)
inline constexpr int kExitOutputNotWritten = 4;  // a finding or report could not be saved

}  // namespace qdiff::tools
